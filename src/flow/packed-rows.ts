/**
 * PackedRows: finished flows of the flow table packed for another thread. Each flow's table
 * record is copied into a batch buffer (FlowTable.packRow, 144 bytes, nothing else made), with the
 * inputs first seen in the batch; a full batch is taken and transferred, and the buffers that
 * come back are filled again. Shared by the audit thread and the format thread.
 */
import type { EvidenceKind } from './record.js';
import { PACKED_ROW_WORDS, type FlowTable } from './table.js';

/** Rows per batch (4096 × 144 B = 576 KiB). */
export const BATCH_ROWS = 4096;
const BATCH_BYTES = BATCH_ROWS * PACKED_ROW_WORDS * 4;

/** A batch's rows: `n` packed rows in `buf`, and the inputs first seen in it, as [fileIndex, name, kind] (FlowTable.sourceOf). */
export interface PackedBatch {
  buf: ArrayBuffer;
  n: number;
  sources: [number, string, EvidenceKind][];
}

export class PackedRows {
  readonly #maxSpare: number;
  #buf = new ArrayBuffer(BATCH_BYTES);
  #u = new Uint32Array(this.#buf);
  #n = 0;
  #sources: [number, string, EvidenceKind][] = [];
  readonly #sent: boolean[] = [];
  readonly #spare: ArrayBuffer[] = [];

  /** `maxSpare`: buffers kept for reuse at most (the batches that can be out at once). */
  constructor(maxSpare: number) {
    this.#maxSpare = maxSpare;
  }

  /** Whether the batch is full (take it before adding). */
  get full(): boolean {
    return this.#n === BATCH_ROWS;
  }

  /** Pack flow f of t into the batch. */
  add(t: FlowTable, f: number): void {
    const at = this.#n++ * PACKED_ROW_WORDS;
    t.packRow(f, this.#u, at);
    const fi = this.#u[at + PACKED_ROW_WORDS - 2]!;
    if (this.#sent[fi] !== true) {
      const s = t.sourceOf(fi);
      this.#sources.push([fi, s?.name ?? '', s?.kind ?? 'pcap']);
      this.#sent[fi] = true;
    }
  }

  /** The batch so far, left in place (for a last batch handled in this thread). */
  peek(): PackedBatch {
    return { buf: this.#buf, n: this.#n, sources: this.#sources };
  }

  /** The batch so far, to be transferred; the next one starts in a buffer given back, or a new one. */
  take(): PackedBatch {
    const b = this.peek();
    this.#buf = this.#spare.pop() ?? new ArrayBuffer(BATCH_BYTES);
    this.#u = new Uint32Array(this.#buf);
    this.#n = 0;
    this.#sources = [];
    return b;
  }

  /** A batch's buffer back from the other thread, to be filled again. */
  giveBack(buf: ArrayBuffer): void {
    if (buf.byteLength === BATCH_BYTES && this.#spare.length < this.#maxSpare) this.#spare.push(buf);
  }
}
