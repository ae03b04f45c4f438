/** Test helpers: run a push parser over bytes in given chunk sizes and copy out every record. */
import type { CaptureInfo, PacketRecord, ReadOptions } from '../../src/capture/types.js';

export interface Rec {
  index: number; fileIndex: number; ifIndex: number; linkType: number; tsSec: number; tsNsec: number;
  capLen: number; origLen: number; direction: number; fileOffset: number; hex: string;
}

export function copyRec(r: PacketRecord): Rec {
  return {
    index: r.index, fileIndex: r.fileIndex, ifIndex: r.ifIndex, linkType: r.linkType, tsSec: r.tsSec, tsNsec: r.tsNsec,
    capLen: r.capLen, origLen: r.origLen, direction: r.direction, fileOffset: r.fileOffset,
    hex: r.data.toString('hex', r.offset, r.offset + r.capLen),
  };
}

export interface PushParser {
  push(chunk: Buffer, onPacket: (rec: PacketRecord) => void): void;
  end(): void;
  readonly info: CaptureInfo;
}

/** Feed `bytes` in chunks of the given sizes (cycled; a size of 0 is skipped). Each chunk is a fresh copy. */
export function runParser(p: PushParser, bytes: Buffer, sizes: number[] = [bytes.length || 1]): Rec[] {
  const out: Rec[] = [];
  const on = (r: PacketRecord) => { out.push(copyRec(r)); };
  let off = 0, i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    p.push(Buffer.from(bytes.subarray(off, off + n)), on);
    off += n;
  }
  p.end();
  return out;
}

export type PushParserCtor = new (file: string, opts?: ReadOptions, fileIndex?: number) => PushParser;

export function parseWith(Ctor: PushParserCtor, bytes: Buffer, sizes?: number[], opts: ReadOptions = {}): { recs: Rec[]; info: CaptureInfo } {
  const p = new Ctor('test-input', opts, 0);
  const recs = runParser(p, bytes, sizes);
  return { recs, info: p.info };
}
