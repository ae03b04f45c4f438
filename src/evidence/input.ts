/**
 * Byte sources for the flow-record readers: a file (gzip detected by its magic and inflated on
 * the fly) as 1 MiB chunks, a line splitter that knows each line's byte offset, and a JSON token
 * pump over stream-json's synchronous tokenizer. Memory stays bounded: one chunk, one partial
 * line or the tokenizer's unparsed tail at a time.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { GunzipSource, openFile, readFileHead } from '../capture/source.js';
import { StringDecoder } from 'node:string_decoder';
import { jsonParser } from 'stream-json/core/parser.js';
import type { Token } from 'stream-json/core/parser.js';
import type { EndState } from './common.js';

export const READ_CHUNK = 1 << 20;
/** The JSON tokenizer is fed pieces of this size: a syntax error loses at most one piece's tokens. */
export const JSON_PIECE = 1 << 16;

/** stream-chain's `none` marker (a registered symbol), which flushes the tokenizer. */
const NONE = Symbol.for('object-stream.none');

/**
 * Whether the file starts with gzip's magic. Read synchronously, as the files' chunks are (see
 * plainChunks): a flow-log folder may hold thousands of small files.
 */
export function isGzipFile(file: string): boolean {
  return isGzipHead(readFileHead(file, 2));
}

/** Whether a file's first bytes are gzip's magic. */
export function isGzipHead(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** A read buffer for a file of `size` bytes: the whole file up to READ_CHUNK, and no less than a page. */
function chunkFor(size: number): number {
  return Math.min(READ_CHUNK, Math.max(4096, Math.ceil(size / 4096) * 4096));
}

/**
 * A plain file's bytes in chunks read synchronously, in two buffers used in turn (a chunk stays
 * valid until the one after next is read), each sized to the file up to READ_CHUNK. The readers
 * parse every byte in this thread anyway, and here a read through libuv's thread pool costs
 * 100–250 µs of hand-over between threads (see SYNC_READ_MAX in src/capture/source.ts): a folder
 * of 3 000 small AWS flow-log files took about 10 s with a read stream per file (a 1 MiB buffer
 * each, half a dozen calls through the pool).
 */
async function* plainChunks(file: string): AsyncGenerator<Buffer> {
  const fd = openSync(file, 'r');
  try {
    const len = chunkFor(fstatSync(fd).size);
    const bufs = [Buffer.allocUnsafe(len), Buffer.allocUnsafe(len)];
    let which = 0, pos = 0;
    for (;;) {
      const b = bufs[which]!;
      const got = readSync(fd, b, 0, len, pos);
      if (got === 0) return;
      pos += got;
      which ^= 1;
      yield b.subarray(0, got);
    }
  } finally {
    closeSync(fd);
  }
}

/** The file's (decompressed) bytes as chunks. */
export async function openChunks(file: string): Promise<{ stream: AsyncIterable<Buffer>; gzip: boolean }> {
  const gzip = isGzipFile(file);
  if (!gzip) return { stream: plainChunks(file), gzip };
  // The capture stage's gunzip keeps every byte decoded before damage (trailing garbage, a bad
  // CRC, corrupt data), then says what was wrong: thrown here after the data, as a zlib error.
  // (read buffers and inflated chunks sized to the file: flow-log folders hold thousands of small files)
  const size = statSync(file).size;
  const { src } = await openFile(file, chunkFor(size));
  const gz = new GunzipSource(src, (await src.read()) ?? Buffer.alloc(0), chunkFor(16 * size));
  async function* inflated(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const c = await gz.read();
        if (c === null) break;
        yield c;
      }
    } finally {
      await gz.close();
    }
    if (gz.error !== null) throw Object.assign(new Error(gz.error), { code: 'Z_DATA_ERROR' });
  }
  return { stream: inflated(), gzip };
}

function streamEnd(e: unknown, offset: number, gzip: boolean): EndState {
  const err = e as NodeJS.ErrnoException;
  const zlib = gzip && typeof err?.code === 'string' && err.code.startsWith('Z_');
  return {
    clean: false,
    code: zlib ? 'ERR_EVIDENCE_GZIP' : 'ERR_EVIDENCE_READ',
    offset,
    reason: zlib ? `gzip stream damaged (${err.message})` : `read failed (${err?.message ?? String(e)})`,
  };
}

/**
 * Call onLine for every line (without its `\n` / `\r\n`), with the line's byte offset in the
 * decompressed input. A last line without a newline is passed too.
 */
export async function forEachLine(
  file: string,
  onLine: (line: string, offset: number) => void,
): Promise<{ bytes: number; end: EndState; gzip: boolean }> {
  const { stream, gzip } = await openChunks(file);
  let bytes = 0;
  let carry: Buffer | null = null;
  let carryOffset = 0;
  const emit = (b: Buffer, s: number, e: number, off: number) => {
    if (e > s && b[e - 1] === 0x0d) e--;
    onLine(b.toString('utf8', s, e), off);
  };
  try {
    for await (const chunk of stream) {
      let buf = chunk;
      let base = bytes;
      bytes += chunk.length;
      if (carry !== null) { buf = Buffer.concat([carry, chunk]); base = carryOffset; carry = null; }
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        emit(buf, start, nl, base + start);
        start = nl + 1;
      }
      if (start < buf.length) { carry = buf.subarray(start); carryOffset = base + start; }
    }
  } catch (e) {
    if (carry !== null) emit(carry, 0, carry.length, carryOffset);
    return { bytes, end: streamEnd(e, bytes, gzip), gzip };
  }
  if (carry !== null) emit(carry, 0, carry.length, carryOffset);
  return { bytes, end: { clean: true, code: null, offset: bytes, reason: null }, gzip };
}

export type { Token };

/**
 * Tokenise a JSON file (one document, or several concatenated / one per line) and call onToken
 * for each packed token (keyValue, stringValue, numberValue, start/end of containers, literals).
 * On a syntax error or a cut document, the tokens before the failing piece have been delivered;
 * `depth()` (from the caller's walker) tells how deep the cut was.
 */
export async function pumpJson(
  file: string,
  onToken: (t: Token) => void,
  describeCut: () => string,
): Promise<{ bytes: number; end: EndState; gzip: boolean }> {
  const { stream, gzip } = await openChunks(file);
  const tok = newTokenizer();
  const dec = new StringDecoder('utf8');
  let bytes = 0;
  let first = true;
  let pieceStart = 0;
  try {
    for await (const chunk of stream) {
      for (let p = 0; p < chunk.length; p += JSON_PIECE) {
        const piece = chunk.subarray(p, Math.min(chunk.length, p + JSON_PIECE));
        pieceStart = bytes + p;
        let s = dec.write(piece);
        if (first && s.length > 0) { if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); first = false; }
        if (s.length > 0) feed(tok, s, onToken);
      }
      bytes += chunk.length;
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('Parser')) {
      // The tokens of the failing piece were lost with the exception. Rebuild the tokenizer's
      // state by re-reading the bytes before the piece (tokens discarded: the caller already has
      // them), then feed the piece one character at a time, delivering tokens, until it fails
      // again: that gives the exact offset and keeps every token before it.
      const at = await refineJsonError(file, pieceStart, onToken).catch(() => pieceStart);
      return {
        bytes, gzip,
        end: { clean: false, code: 'ERR_EVIDENCE_JSON', offset: at, reason: `JSON syntax error at byte ${at} (${e.message}); ${describeCut()}` },
      };
    }
    return { bytes, end: streamEnd(e, bytes, gzip), gzip };
  }
  try {
    const rest = dec.end();
    if (rest.length > 0) feed(tok, rest, onToken);
    feed(tok, NONE, onToken);
  } catch (e) {
    return {
      bytes, gzip,
      end: { clean: false, code: 'ERR_EVIDENCE_JSON_CUT', offset: bytes, reason: `input ends inside a JSON document (${describeCut()}; ${(e as Error).message})` },
    };
  }
  return { bytes, gzip, end: { clean: true, code: null, offset: bytes, reason: null } };
}

type Tokenizer = (x: string | symbol) => { values?: Token[] } | symbol;

function newTokenizer(): Tokenizer {
  return jsonParser({ streamValues: false, jsonStreaming: true }) as unknown as Tokenizer;
}

function feed(tok: Tokenizer, s: string | symbol, onToken: (t: Token) => void): void {
  const out = tok(s);
  if (typeof out === 'symbol') return;
  const vals = out.values;
  if (vals === undefined) { onToken(out as unknown as Token); return; }
  for (let i = 0; i < vals.length; i++) onToken(vals[i]!);
}

async function refineJsonError(file: string, failStart: number, onToken: (t: Token) => void): Promise<number> {
  const { stream } = await openChunks(file);
  const tok = newTokenizer();
  const dec = new StringDecoder('utf8');
  const discard = (): void => {};
  const stopAt = failStart + JSON_PIECE;
  let bytes = 0;
  let first = true;
  let off = failStart;
  // (returning from inside the loop ends the chunks' generator, which closes the file)
  for await (const chunk of stream) {
    const end = bytes + chunk.length;
    const split = Math.min(chunk.length, Math.max(0, failStart - bytes));
    if (split > 0) {
      let s = dec.write(chunk.subarray(0, split));
      if (first && s.length > 0) { if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); first = false; }
      if (s.length > 0) feed(tok, s, discard);
    }
    if (end > failStart) {
      // One byte at a time through the decoder, so the offset stays exact in bytes even where
      // invalid UTF-8 decodes to U+FFFD (one byte in, three bytes if re-encoded).
      const piece = chunk.subarray(split, Math.min(chunk.length, stopAt - bytes));
      for (let i = 0; i < piece.length; i++) {
        const text = dec.write(piece.subarray(i, i + 1));
        for (const ch of text) {
          if (off === 0 && ch === '\ufeff') continue;
          try { feed(tok, ch, onToken); } catch { return Math.min(off, failStart + i); }
        }
        off = failStart + i + 1;
      }
      if (end >= stopAt) return off;
    }
    bytes = end;
  }
  try { feed(tok, NONE, onToken); } catch { return off; }
  return off;
}
