/**
 * Chunk sources: where the bytes come from (a file read in large chunks, any Node Readable,
 * a gunzip stream over either). A source is pulled with `read()`; null means end of input.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FlowauditError } from '../core/errors.js';

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

/** A regular file read with fd reads into two alternating buffers (no allocation per chunk). */
export class FileSource implements ChunkSource {
  readonly #fh: FileHandle;
  readonly #bufs: [Buffer, Buffer];
  #which = 0;
  #eof = false;
  rawBytes = 0;
  readonly error = null;
  readonly errorCode = null;

  constructor(fh: FileHandle, chunkSize: number) {
    this.#fh = fh;
    this.#bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  }

  async read(): Promise<Buffer | null> {
    if (this.#eof) return null;
    const b = this.#bufs[this.#which]!;
    this.#which ^= 1;
    let n = 0;
    // fill the buffer as far as the file allows (short reads are rare on regular files)
    while (n < b.length) {
      const { bytesRead } = await this.#fh.read(b, n, b.length - n, null);
      if (bytesRead === 0) { this.#eof = true; break; }
      n += bytesRead;
    }
    this.rawBytes += n;
    return n === 0 ? null : b.subarray(0, n);
  }

  async close(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
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
 * Gunzip over another source. `first` is what was already read from it (for sniffing).
 * rawBytes counts compressed bytes taken from the inner source.
 */
export class GunzipSource implements ChunkSource {
  readonly #inner: ChunkSource;
  readonly #out: StreamSource;

  constructor(inner: ChunkSource, first: Buffer) {
    this.#inner = inner;
    const gz = createGunzip({ chunkSize: 1024 * 1024 });
    // Readable.from copies nothing; each chunk is written to zlib before the next is read, so the
    // inner double-buffered FileSource chunks are safe to hand over (zlib consumes them synchronously
    // from its write queue before the second next read can reuse the buffer).
    async function* raw(): AsyncGenerator<Buffer> {
      yield Buffer.from(first);
      for (;;) {
        const c = await inner.read();
        if (c === null) return;
        yield Buffer.from(c); // copy: zlib may hold the chunk in its queue while we read the next one
      }
    }
    const rs = Readable.from(raw(), { objectMode: false });
    // a failing inner read (file closed after damage was found) must not become an unhandled 'error'
    rs.on('error', (e: Error) => gz.destroy(e));
    rs.pipe(gz);
    this.#out = new StreamSource(gz, false);
  }

  get rawBytes(): number { return this.#inner.rawBytes; }
  get error(): string | null { return this.#out.error; }
  get errorCode(): string | null { return this.#out.errorCode; }

  read(): Promise<Buffer | null> {
    return this.#out.read();
  }

  async close(): Promise<void> {
    await this.#out.close();
    await this.#inner.close();
  }
}

/** Open a path for reading. Throws FlowauditError (exit 2) naming the file when it cannot be opened. */
export async function openFile(path: string, chunkSize: number): Promise<{ src: FileSource; size: number | null }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw openError(path, e);
  }
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw new FlowauditError('capture.open.EISDIR', `${path}: cannot read: it is a directory`);
  }
  // FIFOs, /dev/stdin and other non-regular files have no meaningful size
  return { src: new FileSource(fh, chunkSize), size: st.isFile() ? st.size : null };
}

function openError(path: string, e: unknown): FlowauditError {
  const err = e as NodeJS.ErrnoException;
  const why = err?.code === 'ENOENT' ? 'no such file' : err?.code === 'EACCES' ? 'permission denied' : err?.message ?? String(e);
  return new FlowauditError(`capture.open.${err?.code ?? 'failed'}`, `${path}: cannot open: ${why}`);
}
