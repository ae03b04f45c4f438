/**
 * Splitting one capture file into byte ranges that start on record boundaries, so several
 * workers can read one file (src/flow/parallel). Nothing here is trusted blindly: a reader of
 * range k checks that its last record ends exactly where range k+1 starts (see
 * src/flow/parallel/gather-parallel.ts), so a boundary picked wrongly (a payload that looks like
 * a record chain) costs time, never correctness.
 *
 * - `scanHead(head)`: format, byte order, and the CONTEXT a reader of a later range needs: the
 *   24-byte pcap file header, or the pcapng SHB and the IDBs that follow it up to the first block
 *   that is not an SHB/IDB. A later SHB/IDB inside the file is not in this context; the range
 *   reader notices it (sections/interfaces grew) and the rest of the file is re-read with the
 *   right context.
 * - `findPcapBoundary`: classic pcap records have no sync marker. A candidate offset is accepted
 *   when K consecutive record headers validate (caplen <= snaplen, caplen <= orig_len, orig_len
 *   sane, fraction < 10^6 or 10^9, each timestamp within `windowSec` of the previous) and the
 *   chain lands exactly on the next header each time (or exactly at the end of the file).
 * - `findPcapngBoundary`: pcapng blocks re-synchronise from their length fields: a candidate
 *   (4-aligned) must be a packet block (EPB/SPB/OPB) with total length >= its minimum, a multiple
 *   of 4, <= maxBlockSize, the trailer equal to the header, a known interface id and caplen
 *   inside the block, followed by K-1 more blocks that frame the same way.
 */
import { open } from 'node:fs/promises';
import { PCAP, PCAP_MAGIC, PcapParser } from './pcap-reader.js';
import { BlockType, BYTE_ORDER_MAGIC, PcapngParser } from './pcapng-reader.js';
import { DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_RECORD_LENGTH } from './info.js';

export interface CaptureHead {
  format: 'pcap' | 'pcapng';
  littleEndian: boolean;
  /** pcap: nanosecond timestamps. */
  nanos: boolean;
  /** pcap: effective snaplen (0 / absurd → maxRecordLength, as the reader does). */
  snaplen: number;
  /** pcapng: interfaces defined in the context. */
  interfaces: number;
  /** Bytes to feed a fresh parser before a range: pcap file header, or pcapng SHB + IDBs. */
  context: Buffer;
  /** Offset of the first byte after the context (the first record / non-header block). */
  dataStart: number;
  /** pcap: seconds of the first record (-1 when the head holds none): candidate records must lie near it. */
  refSec: number;
}

/** Scan the start of a capture file. Returns null when the head is not a plain pcap/pcapng or is too short to hold its context. */
export function scanHead(head: Buffer, maxRecordLength = DEFAULT_MAX_RECORD_LENGTH): CaptureHead | null {
  if (head.length < 24) return null;
  const m = head.readUInt32LE(0);
  if (m === PCAP_MAGIC.USEC || m === PCAP_MAGIC.NSEC || head.readUInt32BE(0) === PCAP_MAGIC.USEC || head.readUInt32BE(0) === PCAP_MAGIC.NSEC) {
    const le = m === PCAP_MAGIC.USEC || m === PCAP_MAGIC.NSEC;
    const magic = le ? m : head.readUInt32BE(0);
    if ((le ? head.readUInt16LE(4) : head.readUInt16BE(4)) !== 2) return null;
    const snap = le ? head.readUInt32LE(16) : head.readUInt32BE(16);
    return {
      format: 'pcap', littleEndian: le, nanos: magic === PCAP_MAGIC.NSEC,
      snaplen: snap === 0 || snap > maxRecordLength ? maxRecordLength : snap,
      interfaces: 1, context: Buffer.from(head.subarray(0, PCAP.FILE_HEADER_LEN)), dataStart: PCAP.FILE_HEADER_LEN,
      refSec: head.length >= 40 ? (le ? head.readUInt32LE(24) : head.readUInt32BE(24)) : -1,
    };
  }
  if (m !== BlockType.SHB) return null;
  const bom = head.readUInt32LE(8);
  let le: boolean;
  if (bom === BYTE_ORDER_MAGIC) le = true;
  else if (bom === 0x4d3c2b1a) le = false;
  else return null;
  let p = 0, ifs = 0;
  for (;;) {
    if (p + 12 > head.length) return null;
    const type = le ? head.readUInt32LE(p) : head.readUInt32BE(p);
    if (type !== BlockType.SHB && type !== BlockType.IDB) break;
    if (type === BlockType.SHB && p > 0) break; // a second section right away: keep the context to the first
    const len = le ? head.readUInt32LE(p + 4) : head.readUInt32BE(p + 4);
    if (len < 12 || len % 4 !== 0 || p + len > head.length) return null;
    if (type === BlockType.IDB) ifs++;
    p += len;
  }
  return { format: 'pcapng', littleEndian: le, nanos: false, snaplen: 0, interfaces: ifs, context: Buffer.from(head.subarray(0, p)), dataStart: p, refSec: -1 };
}

export interface BoundaryOptions {
  /** Records/blocks that must chain (default 8). */
  chain?: number;
  /** pcap: largest accepted gap between consecutive timestamps, seconds (default 86400). */
  windowSec?: number;
  /** Offset in the file of buf[0], and the file size (a chain may end exactly at the end of the file). */
  bufOffset?: number;
  fileSize?: number;
  maxRecordLength?: number;
  maxBlockSize?: number;
}

/** Candidate pcap records must be no more than a day before, and ten years after, the file's first record. */
const REF_BEFORE = 86400, REF_AFTER = 10 * 366 * 86400;

/** Is there a valid pcap record header at buf[p]? Returns the record's total length or -1. */
function pcapRecordAt(buf: Buffer, p: number, h: CaptureHead, maxRec: number): number {
  if (p + 16 > buf.length) return -1;
  const le = h.littleEndian;
  const frac = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
  const incl = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
  const orig = le ? buf.readUInt32LE(p + 12) : buf.readUInt32BE(p + 12);
  if (frac >= (h.nanos ? 1000000000 : 1000000)) return -1;
  if (incl > h.snaplen || incl > maxRec || incl > orig || orig === 0 || orig > 0x40000000) return -1;
  if (h.refSec >= 0) {
    const sec = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
    if (sec < h.refSec - REF_BEFORE || sec > h.refSec + REF_AFTER) return -1;
  }
  return 16 + incl;
}

/**
 * First offset >= from in buf where a chain of pcap records starts (see the file comment), or -1.
 * `buf` holds file bytes starting at file offset `bufOffset`.
 */
export function findPcapBoundary(buf: Buffer, from: number, h: CaptureHead, o: BoundaryOptions = {}): number {
  const k = o.chain ?? 8, win = o.windowSec ?? 86400, maxRec = o.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
  const atEof = o.fileSize !== undefined && (o.bufOffset ?? 0) + buf.length >= o.fileSize;
  const le = h.littleEndian;
  for (let c = from; c + 16 <= buf.length; c++) {
    let p = c, n = 0, prevSec = -1, ok = true;
    while (n < k) {
      const len = pcapRecordAt(buf, p, h, maxRec);
      if (len < 0) { ok = false; break; }
      const sec = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      if (prevSec >= 0 && Math.abs(sec - prevSec) > win) { ok = false; break; }
      prevSec = sec;
      p += len;
      n++;
      if (p === buf.length && atEof) break; // the chain ends exactly at the end of the file
      if (p + 16 > buf.length) { if (p > buf.length || n < k) ok = false; break; }
    }
    if (ok) return c;
  }
  return -1;
}

const NG_MIN: Readonly<Record<number, number>> = { 1: 20, 2: 32, 3: 16, 6: 32, 0x0a0d0d0a: 28 };

/** Framing of the block at buf[p] in byte order le: its total length, or -1. */
function ngBlockAt(buf: Buffer, p: number, le: boolean, maxBlock: number): number {
  if (p + 12 > buf.length) return -1;
  const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
  if (len < 12 || len % 4 !== 0 || len > maxBlock || p + len > buf.length) return -1;
  const trailer = le ? buf.readUInt32LE(p + len - 4) : buf.readUInt32BE(p + len - 4);
  if (trailer !== len) return -1;
  const type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
  const min = NG_MIN[type];
  if (min !== undefined && len < min) return -1;
  return len;
}

/** First 4-aligned (in the file) offset >= from in buf where a pcapng packet block starts a chain of K blocks, or -1. */
export function findPcapngBoundary(buf: Buffer, from: number, h: CaptureHead, o: BoundaryOptions = {}): number {
  const k = o.chain ?? 8, maxBlock = o.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE, base = o.bufOffset ?? 0;
  const atEof = o.fileSize !== undefined && base + buf.length >= o.fileSize;
  const le = h.littleEndian;
  let c = from + ((4 - ((base + from) % 4)) % 4);
  for (; c + 12 <= buf.length; c += 4) {
    const type = le ? buf.readUInt32LE(c) : buf.readUInt32BE(c);
    if (type !== BlockType.EPB && type !== BlockType.SPB && type !== BlockType.OPB) continue;
    const len0 = ngBlockAt(buf, c, le, maxBlock);
    if (len0 < 0) continue;
    if (type === BlockType.EPB || type === BlockType.OPB) {
      const ifId = type === BlockType.EPB ? (le ? buf.readUInt32LE(c + 8) : buf.readUInt32BE(c + 8)) : (le ? buf.readUInt16LE(c + 8) : buf.readUInt16BE(c + 8));
      const cap = le ? buf.readUInt32LE(c + 20) : buf.readUInt32BE(c + 20);
      if (ifId >= h.interfaces || cap > len0 - 32) continue;
    } else if (h.interfaces < 1) continue;
    let p = c + len0, n = 1, ok = true;
    while (n < k) {
      if (p === buf.length && atEof) break;
      if (p + 12 > buf.length) { ok = false; break; }
      const len = ngBlockAt(buf, p, le, maxBlock);
      if (len < 0) { ok = false; break; }
      p += len;
      n++;
    }
    if (ok) return c;
  }
  return -1;
}

/** The context must parse cleanly and completely (a damaged SHB/IDB is left to the sequential reader). */
function contextParses(h: CaptureHead): boolean {
  const p = h.format === 'pcap' ? new PcapParser('context') : new PcapngParser('context');
  p.feed(h.context);
  if (p.next()) return false; // a packet in the context: not a context
  if (p.stopped) return false;
  try { p.continueAt(h.dataStart); } catch { return false; }
  return true;
}

export interface FileRange {
  /** Byte range [start, end) of the file; the first starts at the head's dataStart, the last ends at the file size. */
  start: number;
  end: number;
}

export interface SplitPlan {
  head: CaptureHead;
  size: number;
  ranges: FileRange[];
}

/**
 * Plan ranges of about `rangeBytes` each (at most `maxRanges`) for a plain pcap/pcapng file.
 * Returns null when the file is not a plain (uncompressed) pcap/pcapng with a readable head.
 * A split point where no boundary is found within `window` bytes is dropped (ranges merge).
 */
export async function planSplit(file: string, rangeBytes: number, opts: { maxRanges?: number; window?: number } = {}): Promise<SplitPlan | null> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const headLen = Math.min(size, 1 << 20);
    const head = Buffer.allocUnsafe(headLen);
    await fh.read(head, 0, headLen, 0);
    const h = scanHead(head);
    if (h === null || !contextParses(h)) return null;
    const ranges: FileRange[] = [];
    const window = opts.window ?? 4 << 20;
    const maxRanges = opts.maxRanges ?? 1 << 20;
    let start = h.dataStart;
    const step = Math.max(64, Math.floor(rangeBytes));
    const wbuf = Buffer.allocUnsafe(window);
    let nominal = start + step;
    while (nominal < size && ranges.length + 1 < maxRanges) {
      const { bytesRead } = await fh.read(wbuf, 0, Math.min(window, size - nominal), nominal);
      const b = wbuf.subarray(0, bytesRead);
      const bo = { bufOffset: nominal, fileSize: size };
      const at = h.format === 'pcap' ? findPcapBoundary(b, 0, h, bo) : findPcapngBoundary(b, 0, h, bo);
      const cut = at < 0 ? -1 : nominal + at;
      if (cut > start && cut < size) {
        ranges.push({ start, end: cut });
        start = cut;
        nominal = cut + step;
      } else nominal += step;
    }
    ranges.push({ start, end: size });
    return { head: h, size, ranges };
  } finally {
    await fh.close();
  }
}
