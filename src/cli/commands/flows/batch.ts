/**
 * A batch of finished flows in finishing order, as `flows --unsorted` hands them to its format
 * thread: the flows of the flow table as packed rows (FlowTable.packRow), the others (ICMP errors,
 * tunnels, flow-log records) as records at their positions among them.
 */
import type { EvidenceKind, FlowRecord } from '../../../flow/record.js';
import { FlowRow, RowRecords } from '../../../flow/row.js';
import { PACKED_ROW_WORDS, unpackRow } from '../../../flow/table.js';
import type { PackedBatch } from '../../../flow/packed-rows.js';

export interface FlowBatch extends PackedBatch {
  /** Flows in the batch in all (rows and records). */
  k: number;
  /** [position among the batch's k flows, record], by position. */
  records: [number, FlowRecord][];
}

/**
 * Walks batches: each flow in its finishing order, rows refilled into one record (the callback
 * must be done with it before it returns; it is refilled for the next row).
 */
export class BatchReader {
  readonly #sources: { name: string; kind: EvidenceKind }[] = [];
  readonly #row = new FlowRow();
  readonly #rows = new RowRecords();
  readonly #rec: FlowRecord;

  constructor(rec: FlowRecord) {
    this.#rec = rec;
  }

  read(b: FlowBatch, each: (f: FlowRecord) => void): void {
    for (const [i, name, kind] of b.sources) this.#sources[i] = { name, kind };
    const u = new Uint32Array(b.buf), d = new Float64Array(b.buf);
    const recs = b.records, row = this.#row;
    let r = 0, next = 0;
    for (let pos = 0; pos < b.k; pos++) {
      if (next < recs.length && recs[next]![0] === pos) { each(recs[next++]![1]); continue; }
      unpackRow(u, d, r++ * PACKED_ROW_WORDS, row);
      each(this.#rows.fill(row, this.#sources[row.fileIndex], this.#rec));
    }
  }
}
