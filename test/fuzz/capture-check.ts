/**
 * The property every capture push parser must hold on any input, shared by the fixed-seed test
 * and the long run: no exception, named end codes and anomalies only, records that stay inside
 * their buffer, identical results for any chunking, bounded time, and a parser class that still
 * reads a good file identically afterwards.
 */
import { createHash } from 'node:crypto';
import type { CaptureInfo, PacketRecord, ReadOptions } from '../../src/capture/types.js';
import { FuzzStats, withinBudget } from './harness.js';

export interface PushParser {
  push(chunk: Buffer, onPacket: (rec: PacketRecord) => void): void;
  end(): void;
  readonly info: CaptureInfo;
}
export type ParserCtor = new (file: string, opts?: ReadOptions, fileIndex?: number) => PushParser;

export interface ParseResult {
  digests: string[];
  info: CaptureInfo;
}

const NAME_RE = /^capture\.[a-z0-9_]+\.[a-z0-9_]+$/;

export class PropertyFailure extends Error {
  constructor(readonly anomaly: string, message: string) { super(message); }
}

function fail(anomaly: string, msg: string): never {
  throw new PropertyFailure(anomaly, msg);
}

/** Parse `bytes` cut into chunks of the given sizes (cycled), checking every record as it comes. */
export function parse(Ctor: ParserCtor, bytes: Buffer, chunks: number[], opts: ReadOptions = {}): ParseResult {
  const p = new Ctor('fuzz-input', opts, 0);
  const digests: string[] = [];
  const maxRec = opts.maxRecordLength ?? 262144;
  const onPacket = (r: PacketRecord) => {
    if (!(r.offset >= 0 && r.capLen >= 0 && r.offset + r.capLen <= r.data.length)) fail('record_out_of_bounds', `record ${r.index}: data[${r.offset}..${r.offset + r.capLen}) outside a ${r.data.length}-byte buffer`);
    if (r.capLen > Math.max(maxRec, opts.maxBlockSize ?? 16 << 20)) fail('record_over_limit', `record ${r.index}: capLen ${r.capLen} above the limits`);
    if (!(r.fileOffset >= 0 && r.fileOffset < bytes.length)) fail('record_bad_offset', `record ${r.index}: fileOffset ${r.fileOffset} outside the ${bytes.length}-byte input`);
    if (!(Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9)) fail('record_bad_nsec', `record ${r.index}: tsNsec ${r.tsNsec}`);
    if (!Number.isSafeInteger(r.tsSec)) fail('record_bad_sec', `record ${r.index}: tsSec ${r.tsSec} is not a safe integer (precision lost)`);
    if (r.index !== digests.length) fail('record_bad_index', `record index ${r.index}, expected ${digests.length}`);
    const h = createHash('sha1').update(r.data.subarray(r.offset, r.offset + r.capLen)).digest('hex').slice(0, 12);
    digests.push(`${r.index}|${r.ifIndex}|${r.linkType}|${r.tsSec}.${r.tsNsec}|${r.capLen}/${r.origLen}|${r.direction}|${r.fileOffset}|${h}`);
  };
  const sizes = chunks.length ? chunks : [bytes.length || 1];
  let off = 0, i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    // a copy per chunk, like a file read: the parser must not depend on the caller keeping the buffer
    p.push(Buffer.from(bytes.subarray(off, off + n)), onPacket);
    off += n;
  }
  p.end();
  return { digests, info: p.info };
}

/** Check the end state and counters of one parse. */
export function checkInfo(r: ParseResult, bytes: Buffer): void {
  const { info } = r;
  if (info.packets !== r.digests.length) fail('packet_count_mismatch', `info.packets ${info.packets} but ${r.digests.length} delivered`);
  const e = info.end;
  if (e.clean) {
    if (e.code !== null) fail('clean_with_code', `clean end carries code ${e.code}`);
  } else {
    if (e.code === null || !NAME_RE.test(e.code)) fail('unnamed_end', `end code ${String(e.code)} is not a named capture outcome`);
    if (!e.reason) fail('end_without_reason', `end ${e.code} has no reason`);
    if (!(e.offset >= 0 && e.offset <= bytes.length)) fail('end_offset_outside', `end offset ${e.offset} outside 0..${bytes.length}`);
  }
  for (const name of Object.keys(info.anomalies ?? {})) if (!NAME_RE.test(name)) fail('unnamed_anomaly', `anomaly name ${name}`);
  if (r.digests.length > Math.ceil(bytes.length / 12) + 1) fail('too_many_packets', `${r.digests.length} packets from ${bytes.length} bytes`);
}

function sameResult(a: ParseResult, b: ParseResult, what: string): void {
  const ja = JSON.stringify({ d: a.digests, e: a.info.end, an: a.info.anomalies, p: a.info.packets });
  const jb = JSON.stringify({ d: b.digests, e: b.info.end, an: b.info.anomalies, p: b.info.packets });
  if (ja !== jb) {
    let i = 0;
    while (i < a.digests.length && a.digests[i] === b.digests[i]) i++;
    fail('chunking_changes_result', `${what}: results differ (first differing record ${i}: ${a.digests[i]} vs ${b.digests[i]}; ends ${JSON.stringify(a.info.end)} vs ${JSON.stringify(b.info.end)})`);
  }
}

export interface CaseOptions {
  stats: FuzzStats;
  target: string;
  Ctor: ParserCtor;
  bytes: Buffer;
  /** Chunk sizes for a second parse that must give the same result ([] = no second parse). */
  chunks: number[];
  opts?: ReadOptions;
  /** A good file and its expected result: parsed again after the case to show the parser still works. */
  good?: { bytes: Buffer; result: ParseResult };
}

/** One fuzz case. Throws PropertyFailure (named) or an unexpected error (the parser threw). */
export function captureCase(c: CaseOptions): ParseResult {
  let whole!: ParseResult;
  withinBudget(c.stats, c.target, c.bytes.length, () => { whole = parse(c.Ctor, c.bytes, [1 << 22], c.opts); });
  checkInfo(whole, c.bytes);
  if (c.chunks.length) sameResult(whole, parse(c.Ctor, c.bytes, c.chunks, c.opts), `chunks ${JSON.stringify(c.chunks)} vs one chunk`);
  if (c.good) sameResult(c.good.result, parse(c.Ctor, c.good.bytes, [1 << 22]), 'good file after a bad one');
  c.stats.count(c.target);
  c.stats.seen(whole.info.end.code ?? 'capture:clean');
  for (const [k, v] of Object.entries(whole.info.anomalies ?? {})) c.stats.seen(k, v.count);
  return whole;
}
