/**
 * Chunk sources: where the bytes come from (a file read in large chunks, any Node Readable,
 * a gunzip stream over either). A source is pulled with `read()`; null means end of input.
 */
import { closeSync, fstat, fstatSync, open, openSync, read, readSync, statSync, type Stats } from 'node:fs';
import { createInflateRaw, crc32, inflateRawSync, constants as zc } from 'node:zlib';
import { FlowauditError } from '../core/errors.js';
import { pageBuffers } from './page-buffers.js';

/** Buffers of a FileSource: the chunk being parsed, the one before it (still valid), and two read ahead. */
export const FILE_BUFFERS = 4;

export interface ChunkSource {
  /** Next chunk, or null at end of input. A chunk stays valid until the read after next (double buffering). */
  read(): Promise<Buffer | null>;
  close(): Promise<void>;
  /** Bytes taken from the underlying file or stream so far (compressed bytes for gzip). */
  readonly rawBytes: number;
  /** Set when reading failed part-way (e.g. a broken gzip stream): the message. */
  readonly error: string | null;
  readonly errorCode: string | null;
}

/**
 * FILE_BUFFERS chunk buffers of `chunkSize` bytes: the caller's (`alloc`: the flow table's memory)
 * first, page-aligned ones of our own for the rest. `lent`: those the caller gave.
 */
function chunkBuffers(chunkSize: number, alloc?: (size: number) => Buffer | null): { bufs: Buffer[]; lent: Buffer[] } {
  const lent = Array.from({ length: FILE_BUFFERS }, () => alloc?.(chunkSize) ?? null);
  const own = lent.includes(null) ? pageBuffers(chunkSize, lent.filter((b) => b === null).length) : [];
  return { bufs: lent.map((b) => b ?? own.pop()!), lent: lent.filter((b): b is Buffer => b !== null) };
}

/**
 * Chunks up to this size are read synchronously, each when it is asked for, and none ahead: on the
 * bench machine a read through libuv's thread pool costs 100–250 µs of hand-over between threads,
 * far more than copying 256 KiB from the page cache (20–40 µs). Reading the first 128 KiB of each
 * of 1 020 files took about 1 s through the pool one at a time, 0.1–0.3 s sixteen at a time, and
 * 35–42 ms synchronously. Larger chunks are read ahead in the pool, where the copy overlaps the
 * parsing.
 */
export const SYNC_READ_MAX = 256 * 1024;

/**
 * A file read with fd reads into FILE_BUFFERS buffers used in turn (no allocation per chunk). Large
 * chunks are read ahead while the caller parses the current one, so that the file system's copy
 * overlaps the parsing: two at once from a regular file (each read at its position), so that a
 * read that is late (the reading thread not scheduled at once) rarely holds the parsing up; one at
 * a time from a FIFO or other file that can only be read in order. Small chunks of a regular file
 * (SYNC_READ_MAX) are read when asked for, synchronously. A chunk stays valid until the read after
 * next, as ChunkSource says.
 */
export class FileSource implements ChunkSource {
  readonly #fd: number;
  #closed = false;
  readonly #bufs: Buffer[];
  #which = 0;
  #eof = false;
  /** The read-aheads under way, oldest first (of the buffers after #which, in turn). */
  readonly #ahead: Promise<number>[] = [];
  /** Where the next read (ahead) reads: the file position of the chunk after the last one asked for. */
  #next = 0;
  rawBytes = 0;
  readonly error = null;
  readonly errorCode = null;

  /** Reads ahead at once: 2 for a regular file, 1 when the file can only be read in order (its position: null). */
  readonly #depth: number;
  readonly #seekable: boolean;
  /** Small chunks of a regular file: read synchronously when asked for (SYNC_READ_MAX). */
  readonly #sync: boolean;

  /** The buffers the caller lent, given back (to `free`) when the source is closed. */
  readonly #lent: Buffer[];
  readonly #free: ((b: Buffer) => void) | undefined;

  /**
   * The size of a regular file when it was opened, or null: a read that reaches it ends the file
   * without a read that gives nothing (one more pass through the thread pool for each file).
   */
  readonly #size: number | null;

  /** Reads the open file descriptor `fd` (of `size` bytes when opened, if a regular file), and closes it on close(). */
  constructor(fd: number, chunkSize: number, alloc?: (size: number) => Buffer | null, seekable = true, free?: (b: Buffer) => void, size: number | null = null) {
    this.#fd = fd;
    this.#size = seekable ? size : null;
    this.#seekable = seekable;
    this.#depth = seekable ? FILE_BUFFERS - 2 : 1;
    this.#sync = seekable && chunkSize <= SYNC_READ_MAX;
    ({ bufs: this.#bufs, lent: this.#lent } = chunkBuffers(chunkSize, alloc));
    this.#free = free;
  }

  /** One read into b at `off` from file position `at` (null: the current position), in the thread pool. */
  #readAt(b: Buffer, off: number, at: number | null): Promise<number> {
    return new Promise((resolve, reject) => {
      read(this.#fd, b, off, b.length - off, at, (e, n) => { if (e !== null) reject(e); else resolve(n); });
    });
  }

  /** Fill b from file position `at` as far as the file allows (short reads are rare on regular files). */
  async #fillBuf(b: Buffer, at: number): Promise<number> {
    let n = 0;
    while (n < b.length) {
      const got = await this.#readAt(b, n, this.#seekable ? at + n : null);
      if (got === 0) break;
      n += got;
      if (this.#size !== null && at + n >= this.#size) break;
    }
    return n;
  }

  /** #fillBuf, synchronously. */
  #fillSync(b: Buffer, at: number): number {
    let n = 0;
    while (n < b.length) {
      const got = readSync(this.#fd, b, n, b.length - n, at + n);
      if (got === 0) break;
      n += got;
      if (this.#size !== null && at + n >= this.#size) break;
    }
    return n;
  }

  /** Start reading the next chunk into the buffer `k` places after #which. */
  #readAhead(k: number): void {
    const b = this.#bufs[(this.#which + k) % FILE_BUFFERS]!, at = this.#next;
    this.#next += b.length;
    const p = this.#fillBuf(b, at);
    p.catch(() => undefined); // a failure surfaces at the read() that takes it
    this.#ahead.push(p);
  }

  async read(): Promise<Buffer | null> {
    if (this.#eof) return null;
    const b = this.#bufs[this.#which]!;
    let n: number;
    if (this.#sync) {
      n = this.#fillSync(b, this.#next);
      this.#next += n;
    } else {
      if (this.#ahead.length === 0) this.#readAhead(0);
      n = await this.#ahead.shift()!;
    }
    if (n < b.length) {
      // the end of the file: what is still under way reads nothing (settled before close)
      this.#eof = true;
    } else {
      this.#which = (this.#which + 1) % FILE_BUFFERS;
      if (!this.#sync) while (this.#ahead.length < this.#depth) this.#readAhead(this.#ahead.length);
    }
    this.rawBytes += n;
    return n === 0 ? null : b.subarray(0, n);
  }

  /** Settle the reads under way, close the file and give the lent buffers back (their chunks are not to be used after). */
  async close(): Promise<void> {
    this.#eof = true;
    for (const p of this.#ahead.splice(0)) await p.catch(() => undefined);
    if (!this.#closed) {
      this.#closed = true;
      try { closeSync(this.#fd); } catch { /* closing a file only read from does not fail in a way that matters */ }
    }
    if (this.#free !== undefined) for (const b of this.#lent.splice(0)) this.#free(b);
  }
}

/**
 * A stream's pieces (64 KiB each from a pipe) gathered into chunks of `chunkSize` bytes, in
 * FILE_BUFFERS buffers used in turn: the flow table's when it lends them (so that its core takes
 * the records where they lie, as from a file), else page-aligned ones. A chunk is handed over once
 * full (or at the end of the stream), and stays valid until the read after next, as ChunkSource
 * says. The copy costs about 0.1 s per GB; a pipe's pieces parsed one by one cost far more.
 */
export class GatheredSource implements ChunkSource {
  readonly #inner: ChunkSource;
  readonly #bufs: Buffer[];
  #which = 0;
  /** The part of the inner source's last piece not copied yet. */
  #rest: Buffer | null = null;
  #done = false;

  readonly #lent: Buffer[];
  readonly #free: ((b: Buffer) => void) | undefined;

  constructor(inner: ChunkSource, chunkSize: number, alloc?: (size: number) => Buffer | null, free?: (b: Buffer) => void) {
    this.#inner = inner;
    ({ bufs: this.#bufs, lent: this.#lent } = chunkBuffers(chunkSize, alloc));
    this.#free = free;
  }

  get rawBytes(): number { return this.#inner.rawBytes; }
  get error(): string | null { return this.#inner.error; }
  get errorCode(): string | null { return this.#inner.errorCode; }

  async read(): Promise<Buffer | null> {
    if (this.#done) return null;
    const b = this.#bufs[this.#which]!;
    let n = 0;
    while (n < b.length) {
      let piece = this.#rest;
      this.#rest = null;
      if (piece === null) {
        piece = await this.#inner.read();
        if (piece === null) { this.#done = true; break; }
      }
      const k = Math.min(piece.length, b.length - n);
      piece.copy(b, n, 0, k);
      n += k;
      if (k < piece.length) this.#rest = piece.subarray(k);
    }
    if (n === 0) return null;
    this.#which = (this.#which + 1) % FILE_BUFFERS;
    return b.subarray(0, n);
  }

  async close(): Promise<void> {
    this.#done = true;
    this.#rest = null;
    await this.#inner.close();
    if (this.#free !== undefined) for (const b of this.#lent.splice(0)) this.#free(b);
  }
}

/** Any Node readable stream (stdin, a child's stdout, a gunzip stream). */
export class StreamSource implements ChunkSource {
  readonly #it: AsyncIterator<unknown>;
  readonly #countRaw: boolean;
  rawBytes = 0;
  error: string | null = null;
  errorCode: string | null = null;
  #done = false;

  constructor(stream: NodeJS.ReadableStream, countRaw = true) {
    this.#it = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    this.#countRaw = countRaw;
  }

  async read(): Promise<Buffer | null> {
    if (this.#done) return null;
    try {
      for (;;) {
        const r = await this.#it.next();
        if (r.done === true) { this.#done = true; return null; }
        const v = r.value;
        const b = Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v as Uint8Array);
        if (b.length === 0) continue;
        if (this.#countRaw) this.rawBytes += b.length;
        return b;
      }
    } catch (e) {
      this.#done = true;
      const err = e as NodeJS.ErrnoException;
      this.error = err?.message ?? String(e);
      this.errorCode = err?.code ?? null;
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#it.return?.().catch(() => undefined);
  }
}

/**
 * Gunzip over another source (RFC 1952, any number of members). `first` is what was already read
 * from it (for sniffing). rawBytes counts compressed bytes taken from the inner source.
 *
 * Written over zlib's raw inflate rather than its gunzip stream, because the gunzip stream drops
 * the output of a write that ends in an error: a file with trailing garbage or a bad CRC would
 * lose everything decoded from its last chunk. Here every decoded byte is delivered first; then
 * `error` says what was wrong (trailing garbage, CRC or length mismatch, corrupt data, cut short).
 */
export class GunzipSource implements ChunkSource {
  readonly #inner: ChunkSource;
  readonly #out: AsyncGenerator<Buffer>;
  error: string | null = null;
  errorCode: string | null = null;

  readonly #outChunk: number;

  /** `outChunk`: the most inflated bytes per chunk (smaller for a small file: each member's inflater allocates it). */
  constructor(inner: ChunkSource, first: Buffer, outChunk = 1024 * 1024) {
    this.#inner = inner;
    this.#outChunk = outChunk;
    this.#out = this.#members(Buffer.from(first));
  }

  get rawBytes(): number { return this.#inner.rawBytes; }

  async read(): Promise<Buffer | null> {
    const r = await this.#out.next();
    return r.done === true ? null : r.value;
  }

  async close(): Promise<void> {
    await this.#out.return(undefined);
    await this.#inner.close();
  }

  #fail(code: string, message: string): void {
    if (this.error === null) { this.error = message; this.errorCode = code; }
  }

  async *#members(pending: Buffer): AsyncGenerator<Buffer> {
    let buf = pending;
    let eof = false;
    const more = async (): Promise<boolean> => {
      if (eof) return false;
      const c = await this.#inner.read();
      if (c === null) { eof = true; return false; }
      buf = buf.length === 0 ? Buffer.from(c) : Buffer.concat([buf, c]); // copy: the inner buffer is reused
      return true;
    };
    for (let member = 0; ; member++) {
      if (buf.length === 0 && !(await more())) return; // clean end after the last member
      let h: number;
      while ((h = gzipHeaderLength(buf)) === -1) {
        if (!(await more())) { this.#fail('capture.gzip.broken', member === 0 ? 'the gzip header is cut short' : 'the input ends inside a gzip member header'); return; }
      }
      if (h === -2) {
        if (member === 0) this.#fail('capture.gzip.broken', 'not a gzip header');
        else this.#fail('capture.gzip.trailing_garbage', 'trailing bytes after the last gzip member were ignored');
        return;
      }
      buf = buf.subarray(h);
      let crc = 0, size = 0;
      // A small file's member, all in hand (a flow-log file of a few KB: one more read finds the
      // end), is inflated at once here: each pass through the thread pool costs more than inflating
      // it. A larger input, damage or a member cut short goes the slice-by-slice way, which keeps
      // every byte before the damage.
      if (!eof && buf.length <= SYNC_INFLATE_MAX) await more();
      const whole = eof && buf.length <= SYNC_INFLATE_MAX ? inflateWhole(buf) : null;
      if (whole !== null) {
        crc = crc32(whole.out); size = whole.out.length >>> 0;
        buf = buf.subarray(whole.consumed);
        if (whole.out.length > 0) yield whole.out;
      } else {
        const inf = createInflateRaw({ chunkSize: this.#outChunk });
        const out: Buffer[] = [];
        let ended = false;
        let failure: Error | null = null;
        inf.on('data', (d: Buffer) => { out.push(d); crc = crc32(d, crc); size = (size + d.length) >>> 0; });
        inf.on('end', () => { ended = true; });
        inf.on('error', (e: Error) => { failure = e; });
        // Feed in slices so that corrupt data loses at most one slice's output, and stop at the end
        // of the deflate stream (bytesWritten: the bytes inflate consumed).
        for (;;) {
          if (buf.length === 0 && !(await more())) break;
          const slice = buf.subarray(0, Math.min(buf.length, 64 * 1024));
          const before = inf.bytesWritten;
          await new Promise<void>((resolve) => {
            // the write callback is not called when inflate fails: end on 'error' too
            const done = (): void => { inf.off('error', done); resolve(); };
            inf.once('error', done);
            inf.write(slice, () => done());
          });
          await new Promise<void>((resolve) => setImmediate(resolve)); // let 'data'/'end'/'error' land
          const consumed = inf.bytesWritten - before;
          buf = buf.subarray(failure === null && (ended || consumed < slice.length) ? consumed : slice.length);
          while (out.length > 0) yield out.shift()!;
          if (failure !== null || ended) break;
        }
        while (out.length > 0) yield out.shift()!;
        inf.destroy();
        if (failure !== null) { this.#fail('capture.gzip.broken', `corrupt compressed data: ${(failure as Error).message}`); return; }
        if (!ended) { this.#fail('capture.gzip.broken', 'unexpected end of file: the gzip stream is cut short'); return; }
      }
      while (buf.length < 8) {
        if (!(await more())) { this.#fail('capture.gzip.broken', 'the gzip trailer (CRC and length) is cut short'); return; }
      }
      const wantCrc = buf.readUInt32LE(0), wantSize = buf.readUInt32LE(4);
      buf = buf.subarray(8);
      if (wantCrc !== (crc >>> 0)) { this.#fail('capture.gzip.crc_mismatch', `gzip CRC mismatch (trailer 0x${wantCrc.toString(16)}, data 0x${(crc >>> 0).toString(16)}): the data may be damaged`); }
      else if (wantSize !== size) { this.#fail('capture.gzip.length_mismatch', `gzip length mismatch (trailer ${wantSize}, data ${size})`); }
    }
  }
}

/** Compressed members up to this size are inflated at once when whole (GunzipSource). */
const SYNC_INFLATE_MAX = 1024 * 1024;
/** ... into at most this much (a larger output goes slice by slice, in bounded chunks). */
const SYNC_INFLATE_OUT_MAX = 64 * 1024 * 1024;

/**
 * A raw deflate stream at the start of `b` inflated at once: its output and the bytes it took
 * (inflate stops at the stream's end), or null when it is damaged, cut short (or not all in `b`),
 * or inflates to more than SYNC_INFLATE_OUT_MAX.
 */
function inflateWhole(b: Buffer): { out: Buffer; consumed: number } | null {
  try {
    const r = inflateRawSync(b, { info: true, maxOutputLength: SYNC_INFLATE_OUT_MAX }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { out: r.buffer, consumed: r.engine.bytesWritten };
  } catch {
    return null;
  }
}

/**
 * Length of the gzip member header at the start of b (RFC 1952 2.3), -1 when more bytes are
 * needed, -2 when b does not start a gzip member (deflate method only).
 */
function gzipHeaderLength(b: Buffer): number {
  if (b.length >= 1 && b[0] !== 0x1f) return -2;
  if (b.length >= 2 && b[1] !== 0x8b) return -2;
  if (b.length >= 3 && b[2] !== 8) return -2;
  if (b.length < 10) return -1;
  const flg = b[3]!;
  let p = 10;
  if (flg & 4) { if (b.length < p + 2) return -1; p += 2 + b.readUInt16LE(p); }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      const z = b.indexOf(0, p);
      if (z < 0) return -1;
      p = z + 1;
    }
  }
  if (flg & 2) p += 2;
  return b.length < p ? -1 : p;
}

/** Open a path for reading. Throws FlowauditError (exit 2) naming the file when it cannot be opened. */
export async function openFile(path: string, chunkSize: number, alloc?: (size: number) => Buffer | null, free?: (b: Buffer) => void): Promise<{ src: FileSource; size: number | null }> {
  const regular = openRegularFile(path, chunkSize, alloc, free);
  if (regular !== null) return regular;
  // a FIFO, /dev/fd/N or a device: opened in the thread pool, as opening it can wait for a writer
  let fd: number, st: Stats;
  try {
    fd = await new Promise<number>((resolve, reject) => { open(path, 'r', (e, f) => { if (e !== null) reject(e); else resolve(f); }); });
  } catch (e) {
    throw openError(path, e);
  }
  try {
    st = await new Promise<Stats>((resolve, reject) => { fstat(fd, (e, x) => { if (e !== null) reject(e); else resolve(x); }); });
  } catch (e) {
    closeSync(fd);
    throw openError(path, e);
  }
  if (st.isDirectory()) {
    closeSync(fd);
    throw isDirectoryError(path);
  }
  // FIFOs, /dev/stdin and other non-regular files have no meaningful size, and are read in order
  return { src: new FileSource(fd, chunkSize, alloc, false, free), size: null };
}

/**
 * openFile for a regular file, synchronously (see SYNC_READ_MAX: a rotated set of a thousand
 * files is opened twice each, and a file opened ahead of its turn has its first read under way
 * at once); null when `path` is something else (a FIFO, say: openFile opens that). Throws as
 * openFile does.
 */
export function openRegularFile(path: string, chunkSize: number, alloc?: (size: number) => Buffer | null, free?: (b: Buffer) => void): { src: FileSource; size: number } | null {
  let st: Stats, fd: number;
  try {
    st = statSync(path);
    if (st.isDirectory()) throw isDirectoryError(path);
    if (!st.isFile()) return null;
    fd = openSync(path, 'r');
  } catch (e) {
    throw e instanceof FlowauditError ? e : openError(path, e);
  }
  return { src: new FileSource(fd, chunkSize, alloc, true, free, st.size), size: st.size };
}

/**
 * The first `bytes` bytes of a file (fewer when it is shorter), read synchronously (see
 * SYNC_READ_MAX): for sniffing formats, file by file, in folders and rotated sets of thousands.
 * Throws the file system's error.
 */
export function readFileHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(bytes);
    return b.subarray(0, readSync(fd, b, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Standard input as a FileSource when it is a file (`flowaudit audit - < x.pcap`) that
 * `/dev/stdin` opens again (Linux, macOS): then it is read in large chunks into buffers like any
 * file's (the flow table's, or page-aligned ones), from its start. Null otherwise (a pipe, a
 * socket, a terminal, no /dev/stdin): read process.stdin as a stream then (GatheredSource).
 */
export async function openStdin(chunkSize: number, alloc?: (size: number) => Buffer | null, free?: (b: Buffer) => void): Promise<FileSource | null> {
  let fd: number;
  try {
    if (!statSync('/dev/stdin').isFile()) return null;
    fd = openSync('/dev/stdin', 'r');
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      return null;
    }
  } catch {
    return null;
  }
  return new FileSource(fd, chunkSize, alloc, false, free);
}

function isDirectoryError(path: string): FlowauditError {
  return new FlowauditError('capture.open.EISDIR', `${path}: cannot read: it is a directory`);
}

function openError(path: string, e: unknown): FlowauditError {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOENT' ? 'no such file' : err?.code === 'EACCES' ? 'permission denied' : err?.message ?? String(e);
  return new FlowauditError(`capture.open.${err?.code ?? 'failed'}`, `${path}: cannot open: ${why}`);
}

/**
 * The first decompressed bytes of a gzip file's head (for sniffing), or null when it is not gzip
 * or nothing can be decompressed. Bytes after the first member are ignored, as the reader does.
 */
export function gunzipHead(head: Buffer, maxOutput = 1 << 20): Buffer | null {
  const h = gzipHeaderLength(head);
  if (h < 0) return null;
  try {
    return inflateRawSync(head.subarray(h), { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: maxOutput });
  } catch {
    return null;
  }
}
