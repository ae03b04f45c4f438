/**
 * The buffer management shared by the synchronous push cores (pcap, pcapng).
 *
 * A parser holds one current buffer (usually a whole read chunk) and walks it with `next()`,
 * which fills the single reused PacketRecord with a view into that buffer. When a record or block
 * straddles two chunks, only the unfinished tail is copied and completed with exactly the bytes it
 * still needs from the next chunk (a small "stitch" buffer, once per chunk boundary); the rest of
 * the new chunk stays where it is and becomes the current buffer after the stitched unit.
 *
 * Contract: call `feed(chunk)` only after `next()` returned false; `push(chunk, onPacket)` does
 * both. `next()` never throws for "need more bytes" and never throws for damaged content: it stops
 * and records the damage in `info.end`.
 */
import type { CaptureInfo, PacketRecord, ReadOptions } from './types.js';
import { DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_RECORD_LENGTH, newCaptureInfo, newPacketRecord, setDamage } from './info.js';

const EMPTY = Buffer.alloc(0);

export abstract class ChunkedParser {
  readonly info: CaptureInfo;
  /** The one reused record (BORROWED: valid until the next call to next()/push()/feed()). */
  readonly rec: PacketRecord;
  protected readonly maxRecordLength: number;
  protected readonly maxBlockSize: number;

  protected buf: Buffer = EMPTY;
  protected dv: DataView = new DataView(EMPTY.buffer, 0, 0);
  /** Start of the next unparsed unit in `buf`, and end of valid bytes. */
  protected pos = 0;
  protected lim = 0;
  /** Offset in the input of buf[0]. */
  protected base = 0;
  /** Packets produced so far (PacketRecord.index for a single input). */
  protected count = 0;
  /** Reading stopped because of damage (info.end says why). */
  stopped = false;

  #fed = 0;
  #pend: Buffer | null = null;
  #pendBase = 0;

  constructor(file: string, opts: ReadOptions = {}, fileIndex = 0) {
    this.info = newCaptureInfo(file);
    this.rec = newPacketRecord(fileIndex);
    this.maxRecordLength = opts.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
    this.maxBlockSize = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
  }

  /** Parse the next packet into `rec`. False: need more bytes (feed) or stopped. */
  abstract next(): boolean;

  /**
   * Bytes the unit (file header, record, block) starting at b[0] needs in total, given the
   * bytes present; at least the size of the part that tells the length. -1 when the header
   * present is already invalid (no point in waiting for more bytes).
   */
  protected abstract need(b: Buffer): number;

  /** Describe a cut-off unit at end of input (sets info.end). `avail` bytes of it are present. */
  protected abstract truncated(offset: number, avail: number): void;

  /** Give the parser the next chunk of input (the parser keeps a reference to it; do not reuse it while it is current). */
  feed(chunk: Buffer): void {
    const chunkBase = this.#fed;
    this.#fed += chunk.length;
    this.info.fileBytes = this.#fed;
    if (this.stopped || chunk.length === 0) return;
    if (this.#pend !== null) {
      // fed before next() drained the previous chunk: keep everything, in order
      this.#pend = Buffer.concat([this.#pend, chunk]);
      return;
    }
    this.#attach(chunk, chunkBase);
  }

  /**
   * Continue as if the input so far had been `offset` bytes long: the next chunk fed starts at
   * input offset `offset`. For reading a byte range of a file (src/flow/parallel) after priming
   * the parser with the file's header blocks. Only between units (everything fed was consumed).
   */
  continueAt(offset: number): void {
    if (this.#pend !== null || this.lim - this.pos !== 0) throw new Error('continueAt: unconsumed input');
    this.#fed = offset;
    this.info.fileBytes = offset;
    this.base = offset;
    this.pos = 0;
    this.lim = 0;
    this.buf = EMPTY;
  }

  /** feed(chunk) then deliver every complete packet. */
  push(chunk: Buffer, onPacket: (rec: PacketRecord) => void): void {
    this.feed(chunk);
    while (this.next()) onPacket(this.rec);
  }

  /** End of input: an unfinished unit becomes a truncation report; otherwise the read ended cleanly. */
  end(): void {
    if (this.stopped) return;
    const avail = this.lim - this.pos + (this.#pend?.length ?? 0);
    if (avail > 0) { this.truncated(this.base + this.pos, avail); this.stopped = true; return; }
    this.info.end.offset = this.#fed;
  }

  /** Stop reading: damage at `offset`. */
  protected damage(code: string, offset: number, reason: string): false {
    setDamage(this.info, code, offset, reason);
    this.stopped = true;
    return false;
  }

  /** Switch to the pending part of the last chunk, if any. */
  protected more(): boolean {
    const p = this.#pend;
    if (p === null) return false;
    this.#pend = null;
    this.#attach(p, this.#pendBase);
    return true;
  }

  #setBuf(b: Buffer, base: number): void {
    this.buf = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = 0;
    this.lim = b.length;
    this.base = base;
  }

  #attach(chunk: Buffer, chunkBase: number): void {
    const tail = this.lim - this.pos;
    if (tail === 0) { this.#setBuf(chunk, chunkBase); return; }
    const tailBase = this.base + this.pos;
    let st = Buffer.from(this.buf.subarray(this.pos, this.lim)); // copy only the unfinished tail
    let c = 0;
    for (;;) {
      const need = this.need(st);
      if (need <= st.length) break; // complete, or already invalid (-1)
      const take = Math.min(need - st.length, chunk.length - c);
      if (take <= 0) break;
      st = Buffer.concat([st, chunk.subarray(c, c + take)]);
      c += take;
    }
    this.#setBuf(st, tailBase);
    if (c < chunk.length) { this.#pend = c === 0 ? chunk : chunk.subarray(c); this.#pendBase = chunkBase + c; }
  }
}
