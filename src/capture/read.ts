/**
 * Reading captures: files (or `-` for stdin) and any Node Readable, format sniffed from the first
 * bytes, gzip decompressed on the fly, several inputs merged into one time-ordered stream.
 *
 * Records handed to onPacket are BORROWED (one reused object per input, `data` a view of the
 * current chunk): valid only until the callback returns.
 *
 * Merge (several inputs): like mergecap, the packet with the earliest timestamp goes first; ties go
 * to the input listed first. Each input is a pull cursor over its own chunks: its head record stays
 * valid (its chunk is kept) until it has been delivered, and only then is the cursor advanced,
 * reading the next chunk asynchronously when the current one is used up. A single input takes a
 * fast path (push loop, no comparisons). A record sink (ReadOptions.recordSink) is offered records
 * straight from the chunks either way: all of a single input's, and of merged inputs each run of
 * one input's records that no other input's packet comes between.
 */
import { mapLimit } from '../core/map-limit.js';
import { extname } from 'node:path';
import type { CaptureInfo, PacketRecord, PcapRecordSink, ReadOptions, TimeBound } from './types.js';
import { DEFAULT_CHUNK_SIZE, newCaptureInfo, newPacketRecord, setDamage } from './info.js';
import { ChunkedParser } from './chunked.js';
import { PcapParser } from './pcap-reader.js';
import { PcapngParser } from './pcapng-reader.js';
import { ETL_ADVICE, SNIFF_BYTES, sniffCapture } from './sniff.js';
import { FILE_BUFFERS, GatheredSource, GunzipSource, StreamSource, openFile, openRegularFile, openStdin, type ChunkSource } from './source.js';

class Progress {
  readonly #cb: ReadOptions['onProgress'];
  /** Bytes in all (null when unknown: stdin, a pipe). */
  total: number | null;
  readonly #sources: ChunkSource[] = [];
  #lastReport = 0;

  constructor(cb: ReadOptions['onProgress'], total: number | null) {
    this.#cb = cb;
    this.total = total;
  }

  add(s: ChunkSource): void { this.#sources.push(s); }

  /** A file opened again: its first reads are not counted twice. */
  replace(old: ChunkSource, s: ChunkSource): void {
    const i = this.#sources.indexOf(old);
    if (i >= 0) this.#sources[i] = s; else this.#sources.push(s);
  }

  tick(force = false): void {
    const cb = this.#cb;
    if (cb === undefined) return;
    const now = Date.now();
    if (!force && now - this.#lastReport < 100) return;
    this.#lastReport = now;
    let n = 0;
    for (const s of this.#sources) n += s.rawBytes;
    cb(n, this.total);
  }
}

/** Bytes of read buffers that the open inputs of one read hold (a file opened again sizes its chunks by it). */
interface Held { bytes: number }

/** One input: a chunk source and the parser its bytes go to. */
class Cursor {
  readonly name: string;
  readonly fileIndex: number;
  readonly opts: ReadOptions;
  src: ChunkSource;
  parser: ChunkedParser | null = null;
  info: CaptureInfo;
  readonly #progress: Progress;
  #first: Buffer | null = null;
  #skipOffers = 0;
  #missed = 0;

  /** Closed after its first packet until the merge comes to it (see suspend). */
  suspended = false;
  /** The time of its first packet, while suspended. */
  firstSec = 0;
  firstNsec = 0;
  readonly #chunkSize: number;
  readonly #held: Held;
  #holds = 0;

  constructor(name: string, fileIndex: number, src: ChunkSource, opts: ReadOptions, progress: Progress, chunkSize: number, held: Held = { bytes: 0 }, holds = 0) {
    this.name = name;
    this.fileIndex = fileIndex;
    this.src = src;
    this.opts = opts;
    this.info = newCaptureInfo(name);
    this.#progress = progress;
    this.#chunkSize = chunkSize;
    this.#held = held;
    this.#hold(holds);
  }

  /** This input now holds `bytes` of read buffers. */
  #hold(bytes: number): void {
    this.#held.bytes += bytes - this.#holds;
    this.#holds = bytes;
  }

  /**
   * Several files: read this one up to its first packet, note its time and close it (giving its
   * buffers back) until the merge comes to that time, so that files one after another in time (a
   * rotated set) are open one or two at a time, not all at once. False: it holds no packet (it is
   * done, its info says why).
   */
  async suspend(): Promise<boolean> {
    if (!(await this.advance())) return false;
    const r = this.parser!.rec;
    this.firstSec = r.tsSec; this.firstNsec = r.tsNsec;
    await this.src.close();
    this.#hold(0);
    this.suspended = true;
    return true;
  }

  /** Its reopening started ahead of its turn (prefetch), or null. */
  #reopening: Promise<boolean> | null = null;

  /**
   * Start opening this suspended file again ahead of its turn, so that its first read is under way
   * while the files before it are being read (the merge still places it by its first packet's time).
   */
  prefetch(): void {
    if (!this.suspended || this.#reopening !== null) return;
    this.#reopening = this.#reopen(true);
    this.#reopening.catch(() => undefined);
  }

  /** Release the file: after a prefetch under way has settled, so that none opens it after this. */
  async close(): Promise<void> {
    if (this.#reopening !== null) await this.#reopening.catch(() => undefined);
    await this.src.close().catch(() => undefined);
  }

  /** Whether a prefetch of this file is under way. */
  get reopening(): boolean { return this.#reopening !== null; }

  /**
   * Open a suspended file again and read it up to its first packet (parser.rec; with `advance`
   * false, only as far as init() reads). False when it cannot be (its info then says why).
   */
  async resume(advance = true): Promise<boolean> {
    const p = this.#reopening ?? this.#reopen(advance);
    this.#reopening = null;
    this.suspended = false;
    return p;
  }

  async #reopen(advance: boolean): Promise<boolean> {
    const old = this.src;
    try {
      const chunk = resumeChunkSize(this.#chunkSize, this.#held.bytes);
      // (a regular file without an await: a prefetch has its first read under way when it returns)
      this.src = (openRegularFile(this.name, chunk, this.opts.chunkAlloc, this.opts.chunkFree) ??
        await openFile(this.name, chunk, this.opts.chunkAlloc, this.opts.chunkFree)).src;
      this.#hold(FILE_BUFFERS * chunk);
    } catch (e) {
      setDamage(this.info, 'capture.read_error', 0, `${(e as Error).message ?? String(e)} (it was opened at the start, and closed until its packets' time came)`);
      return false;
    }
    this.#progress.replace(old, this.src);
    this.parser = null;
    this.#first = null;
    return (await this.init()) && (!advance || this.advance());
  }


  async #readFirst(): Promise<Buffer> {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < SNIFF_BYTES) {
      const c = await this.src.read();
      if (c === null) break;
      // a file source reuses its two read buffers: keep copies when sniffing needs several reads
      parts.push(parts.length === 0 && c.length >= SNIFF_BYTES ? c : Buffer.from(c));
      n += c.length;
    }
    this.#progress.tick();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Sniff the format (through gzip if needed) and set up the parser. False: nothing to parse. */
  async init(): Promise<boolean> {
    let first = await this.#readFirst();
    let s = sniffCapture(first);
    let compressed = false;
    if (s.kind === 'gzip') {
      compressed = true;
      this.src = new GunzipSource(this.src, first);
      first = await this.#readFirst();
      s = sniffCapture(first);
      if (first.length === 0 && this.src.error !== null) {
        s = { kind: 'unknown', detail: `broken gzip stream: ${this.src.error}` };
      } else if (s.kind !== 'pcap' && s.kind !== 'pcapng') {
        s = { kind: s.kind, detail: `gzip-compressed, and inside: ${s.detail}` };
      }
    }
    if (s.kind === 'unknown' && this.name.toLowerCase().endsWith('.etl') && first.length > 0) {
      s = { kind: 'etl', detail: `named .etl and not a pcap/pcapng file: probably a Windows ETL trace, which flowaudit does not read; ${ETL_ADVICE}` };
    }
    if (s.kind !== 'pcap' && s.kind !== 'pcapng') {
      const info = this.info;
      info.compressed = compressed ? 'gzip' : null;
      info.fileBytes = first.length;
      const code = compressed && this.src.error !== null ? 'capture.gzip.broken'
        : s.kind === 'unknown' ? (first.length === 0 ? 'capture.format.empty' : 'capture.format.unknown') : `capture.format.${s.kind}`;
      setDamage(info, code, 0, s.detail);
      await this.src.close();
      return false;
    }
    const p = s.kind === 'pcap' ? new PcapParser(this.name, this.opts, this.fileIndex) : new PcapngParser(this.name, this.opts, this.fileIndex);
    p.info.compressed = compressed ? 'gzip' : null;
    this.parser = p;
    this.info = p.info;
    this.#first = first;
    return true;
  }

  /** Read the next chunk into the parser; false at end of input (the parser has been ended). */
  async #fill(): Promise<boolean> {
    const p = this.parser!;
    if (p.stopped) { await this.#finish(); return false; }
    let c: Buffer | null;
    if (this.#first !== null) { c = this.#first; this.#first = null; }
    else {
      const wait = this.opts.between?.();
      if (wait !== undefined) await wait;
      c = await this.src.read();
      this.#progress.tick();
    }
    if (c === null) { await this.#finish(); return false; }
    p.feed(c);
    return true;
  }

  async #finish(): Promise<void> {
    this.#hold(0);
    const p = this.parser!;
    const err = this.src.error;
    if (err !== null && !p.stopped) {
      const gz = this.info.compressed === 'gzip';
      setDamage(p.info, gz ? 'capture.gzip.broken' : 'capture.read_error', p.info.fileBytes,
        gz ? `the gzip stream is broken after ${p.info.fileBytes} decompressed bytes: ${err}` : `reading failed after ${p.info.fileBytes} bytes: ${err}`);
      p.stopped = true;
    }
    p.end();
    await this.src.close();
  }

  /** Advance to the next packet (parser.rec). False when the input is exhausted. */
  async advance(): Promise<boolean> {
    const p = this.parser!;
    while (!p.next()) {
      if (!(await this.#fill())) return false;
    }
    return true;
  }

  /**
   * Offer this input's next records to `sink` (see PcapParser.offer): the first is packet `index0`
   * of the merged stream, none past `bound`. Returns how many it took.
   */
  offer(sink: PcapRecordSink, index0: number, bound: TimeBound | null): number {
    // Inputs whose packets alternate (captures taken at the same time) leave nothing to take
    // between the others' packets, and each offer costs a few calls into the core: after an offer
    // that took nothing, the next 1, 3, 7 … up to 255 are skipped (back to every packet once one takes some).
    if (this.#skipOffers > 0) { this.#skipOffers--; return 0; }
    const p = this.parser!;
    const n = p instanceof PcapParser || p instanceof PcapngParser ? p.offer(sink, index0, bound) : 0;
    if (n === 0) this.#skipOffers = this.#missed = Math.min(this.#missed * 2 + 1, 255);
    else this.#missed = 0;
    return n;
  }

  /**
   * Single-input fast path: push every chunk through the parser. With a record sink, the records
   * (classic pcap) or Enhanced Packet Blocks (pcapng) it takes straight from the chunk are offered
   * to it first, then the next is parsed and handed over, and so on.
   */
  async runAll(onPacket: (rec: PacketRecord) => void): Promise<void> {
    const p = this.parser!;
    const sink = this.opts.recordSink;
    if (sink !== undefined && (p instanceof PcapParser || p instanceof PcapngParser)) {
      while (await this.#fill()) {
        for (;;) {
          p.offer(sink);
          if (!p.next()) break;
          onPacket(p.rec);
        }
      }
      return;
    }
    while (await this.#fill()) {
      while (p.next()) onPacket(p.rec);
    }
  }
}

function opts0(opts: ReadOptions): number {
  return opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
}

/** Read-buffer bytes that the inputs of one merged read hold at most between them (unless each is at its minimum). */
export const MERGE_BUFFER_BUDGET = 64 * 1024 * 1024;
/** Closed files of a merged read opened again ahead of their turn (see prefetcher). */
export const PREFETCH_FILES = 2;
/** Inputs of a merged read opened and read to their first packet at once, at the start. */
export const PREPARE_AT_ONCE = 16;
/** The smallest chunk an input of a merged read is read in (reads this size still copy at full speed). */
export const MIN_MERGE_CHUNK = 128 * 1024;

/**
 * The chunk size of a file opened again when the merge comes to it, while the open inputs hold
 * `held` bytes of read buffers: half of what is left of MERGE_BUFFER_BUDGET, shared by its
 * FILE_BUFFERS chunks, at most `chunkSize` and at least MIN_MERGE_CHUNK. So the files of a rotated
 * set, open one or two at a time, read in 4 MiB chunks, and files captured at the same time, all
 * open at once, hold about the budget between them (plus the minimum each).
 */
export function resumeChunkSize(chunkSize: number, held: number): number {
  const half = Math.floor((MERGE_BUFFER_BUDGET - held) / (2 * FILE_BUFFERS) / 4096) * 4096;
  return Math.min(chunkSize, Math.max(MIN_MERGE_CHUNK, half));
}

/**
 * The chunk size of standard input while `inputs` are merged by time (it cannot be read again,
 * so it does not wait closed for its turn, see Cursor.suspend). It keeps
 * FILE_BUFFERS chunks (the current one, the one before, two read ahead) from its first read to its
 * last: its share of MERGE_BUFFER_BUDGET, 4 MiB chunks up to 4 inputs, then smaller (whole pages),
 * down to MIN_MERGE_CHUNK from 128 inputs on. A chunk size set smaller than that is kept.
 */
export function mergeChunkSize(chunkSize: number, inputs: number): number {
  if (inputs <= 1) return chunkSize;
  const share = Math.floor(MERGE_BUFFER_BUDGET / (inputs * FILE_BUFFERS) / 4096) * 4096;
  return Math.min(chunkSize, Math.max(MIN_MERGE_CHUNK, share));
}

/** An input's chunk source, the chunk size it reads in, and whether it can be opened again (a regular file). */
interface OpenedInput { src: ChunkSource; chunk: number; reopenable: boolean; size: number | null }

/**
 * Open one input of `count` for readCaptures. A file alone reads in `chunkSize` chunks; one of
 * several first reads in small chunks, to its first packet only (and a FIFO, which cannot be read
 * again, through to its end in them). stdin reads in chunks of its share of the merge's budget:
 * a file redirected to it as a file, a pipe as a stream, gathered into chunks where the flow
 * table lends them.
 */
async function openInput(name: string, count: number, chunkSize: number, opts: ReadOptions): Promise<OpenedInput> {
  if (name === '-') {
    const share = mergeChunkSize(chunkSize, count);
    const src = await openStdin(share, opts.chunkAlloc, opts.chunkFree) ??
      (opts.chunkAlloc !== undefined ? new GatheredSource(new StreamSource(process.stdin), share, opts.chunkAlloc, opts.chunkFree) : new StreamSource(process.stdin));
    return { src, chunk: share, reopenable: false, size: null };
  }
  const chunk = count > 1 ? Math.min(chunkSize, MIN_MERGE_CHUNK) : chunkSize;
  const { src, size } = await openFile(name, chunk, opts.chunkAlloc, opts.chunkFree);
  // (a FIFO or /dev/fd/N has no size and cannot be read again)
  return { src, chunk, reopenable: size !== null, size };
}

/**
 * Read capture files (path or `-` for stdin) as one time-ordered stream. Throws FlowauditError
 * only when an input cannot be opened; content problems end up in each CaptureInfo.end.
 */
export async function readCaptures(inputs: string[], opts: ReadOptions, onPacket: (rec: PacketRecord) => void): Promise<CaptureInfo[]> {
  const chunkSize = opts0(opts), many = inputs.length > 1;
  const progress = new Progress(opts.onProgress, 0);
  const cursors: Cursor[] = new Array<Cursor>(inputs.length);
  const held: Held = { bytes: 0 };
  // every input is opened (an input that cannot be is an error before any packet) and read to its
  // first packet; of several, each regular file is then closed until the merge comes to it
  // (PREPARE_AT_ONCE at a time: a FIFO waits on its writer)
  const prepare = async (name: string, i: number): Promise<boolean> => {
    const { src, chunk, reopenable, size } = await openInput(name, inputs.length, chunkSize, opts);
    progress.total = progress.total === null || size === null ? null : progress.total + size;
    progress.add(src);
    const c = new Cursor(name, i, src, opts, progress, chunkSize, held, FILE_BUFFERS * chunk);
    cursors[i] = c;
    if (!(await c.init())) return false;
    return !many || !reopenable || c.suspend();
  };
  try {
    const ok = await mapLimit(inputs, many ? PREPARE_AT_ONCE : 1, prepare);
    const live = cursors.filter((_, i) => ok[i]);
    if (live.length === 1) {
      const c = live[0]!;
      if (!c.suspended || await c.resume(false)) await c.runAll(onPacket);
    } else if (live.length > 1) {
      await merge(live, onPacket, opts.recordSink);
    }
  } catch (e) {
    // an input could not be opened, or onPacket threw (content problems never do): release every file before passing it on
    for (const c of cursors) if (c !== undefined) await c.close();
    throw e;
  }
  progress.tick(true);
  return cursors.map((c) => c.info);
}

/** a's head strictly before b's: earlier timestamp, or the same timestamp and a lower input index. */
function before(a: PacketRecord, ai: number, b: PacketRecord, bi: number): boolean {
  return a.tsSec < b.tsSec || (a.tsSec === b.tsSec && (a.tsNsec < b.tsNsec || (a.tsNsec === b.tsNsec && ai < bi)));
}

/**
 * For the merge: after it opens a suspended file again, start opening the next PREFETCH_FILES
 * (the earliest by first packet still closed) that are not under way already: a rotated set's
 * next file is then ready when its turn comes. The bench capture cut into 1 020 files of 1.6 MB
 * (each read through in about 2.5 ms) took 0.92× the time with two ahead instead of one.
 */
function prefetcher(cursors: Cursor[]): () => void {
  const order = cursors.filter((c) => c.suspended)
    .sort((a, b) => a.firstSec - b.firstSec || a.firstNsec - b.firstNsec || a.fileIndex - b.fileIndex);
  let k = 0;
  return () => {
    while (k < order.length && !order[k]!.suspended) k++;
    for (let j = k; j < Math.min(order.length, k + PREFETCH_FILES); j++) if (order[j]!.suspended && !order[j]!.reopening) order[j]!.prefetch();
  };
}

/** A stand-in head for a suspended input: its first packet's time, all the merge compares. */
function firstOf(c: Cursor): PacketRecord {
  const r = newPacketRecord(c.fileIndex);
  r.tsSec = c.firstSec; r.tsNsec = c.firstNsec;
  return r;
}

/** Inputs at which the merge switches from a linear scan to a binary heap. */
const HEAP_FROM = 8;

/**
 * Merge by time. With a record sink, after each packet delivered the same input's next records are
 * offered to it (Cursor.offer) up to the head of the others: the time of the earliest, taken at
 * that very time only when this input is listed first. So the sink takes what the merge would
 * have delivered next anyway, in the same order, and long runs of one input (files one after
 * another in time, or one input far ahead) go to it in batches.
 */
async function merge(cursors: Cursor[], onPacket: (rec: PacketRecord) => void, sink: PcapRecordSink | undefined): Promise<void> {
  const k = cursors.length;
  const heads: (PacketRecord | null)[] = new Array<PacketRecord | null>(k).fill(null);
  for (let i = 0; i < k; i++) {
    const c = cursors[i]!;
    if (c.suspended) heads[i] = firstOf(c);
    else if (await c.advance()) heads[i] = c.parser!.rec;
  }
  if (k >= HEAP_FROM) return mergeHeap(cursors, heads, onPacket, sink);
  const ahead = prefetcher(cursors);
  const bound: TimeBound = { sec: 0, nsec: 0, tie: false };
  let index = 0;
  for (;;) {
    // the earliest head, and the earliest of the others (by time, then input)
    let best = -1, bs = 0, bn = 0, second = -1, ss = 0, sn = 0;
    for (let i = 0; i < k; i++) {
      const h = heads[i];
      if (h === null || h === undefined) continue;
      // strictly earlier wins, so ties keep the lower input index (input order, as specified;
      // note mergecap 4.0 puts the later input first on exact ties)
      if (best < 0 || h.tsSec < bs || (h.tsSec === bs && h.tsNsec < bn)) {
        second = best; ss = bs; sn = bn;
        best = i; bs = h.tsSec; bn = h.tsNsec;
      } else if (second < 0 || h.tsSec < ss || (h.tsSec === ss && h.tsNsec < sn)) {
        second = i; ss = h.tsSec; sn = h.tsNsec;
      }
    }
    if (best < 0) return;
    const c = cursors[best]!;
    // a file closed until now: open it again; its first packet is the earliest head still
    if (c.suspended) { heads[best] = (await c.resume()) ? c.parser!.rec : null; ahead(); continue; }
    const rec = heads[best]!;
    rec.index = index++;
    onPacket(rec);
    if (sink !== undefined) {
      bound.sec = ss; bound.nsec = sn; bound.tie = best < second;
      index += c.offer(sink, index, second < 0 ? null : bound);
    }
    // the next record of the same chunk needs no await; only a refill does
    if (!c.parser!.next() && !(await c.advance())) heads[best] = null;
  }
}

/** Many inputs: a binary min-heap of input indices ordered by (head timestamp, input index). */
async function mergeHeap(cursors: Cursor[], heads: (PacketRecord | null)[], onPacket: (rec: PacketRecord) => void, sink: PcapRecordSink | undefined): Promise<void> {
  const bound: TimeBound = { sec: 0, nsec: 0, tie: false };
  const heap: number[] = [];
  for (let i = 0; i < heads.length; i++) if (heads[i] !== null) heap.push(i);
  const less = (x: number, y: number) => before(heads[x]!, x, heads[y]!, y);
  const down = (i: number) => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && less(heap[l]!, heap[m]!)) m = l;
      if (r < n && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!; heap[i] = heap[m]!; heap[m] = t;
      i = m;
    }
  };
  /** The root's input is done: the last leaf takes its place. */
  const dropTop = () => {
    heads[heap[0]!] = null;
    const last = heap.pop()!;
    if (heap.length > 0) { heap[0] = last; down(0); }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  const ahead = prefetcher(cursors);
  let index = 0;
  while (heap.length > 0) {
    const top = heap[0]!;
    const c = cursors[top]!;
    if (c.suspended) {
      // a file closed until now: open it again; its first packet is the earliest head still
      const ok = await c.resume();
      ahead();
      if (ok) { heads[top] = c.parser!.rec; down(0); } else dropTop();
      continue;
    }
    const rec = heads[top]!;
    rec.index = index++;
    onPacket(rec);
    if (sink !== undefined) {
      // the earliest of the others is one of the root's children
      const n = heap.length;
      const second = n < 2 ? -1 : n > 2 && less(heap[2]!, heap[1]!) ? heap[2]! : heap[1]!;
      if (second >= 0) { const h = heads[second]!; bound.sec = h.tsSec; bound.nsec = h.tsNsec; bound.tie = top < second; }
      index += c.offer(sink, index, second < 0 ? null : bound);
    }
    if (c.parser!.next() || (await c.advance())) { down(0); continue; }
    dropTop();
  }
}

/**
 * Read one capture from any Node readable stream (stdin, a tcpdump child's stdout, a file stream).
 * `name` is used in messages and CaptureInfo.file.
 */
export async function readCaptureStream(stream: NodeJS.ReadableStream, name: string, opts: ReadOptions, onPacket: (rec: PacketRecord) => void, fileIndex = 0): Promise<CaptureInfo> {
  const src = new StreamSource(stream);
  const progress = new Progress(opts.onProgress, null);
  progress.add(src);
  const c = new Cursor(name, fileIndex, src, opts, progress, opts0(opts));
  try {
    if (await c.init()) await c.runAll(onPacket);
  } catch (e) {
    await c.src.close().catch(() => undefined);
    throw e;
  }
  progress.tick(true);
  return c.info;
}

/** The extension helper used by inspect for hints (exported for tests). */
export function inputLooksCompressed(name: string): boolean {
  return extname(name).toLowerCase() === '.gz';
}
