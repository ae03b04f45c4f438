/**
 * A batch of finished flows in finishing order, as `flows --unsorted` hands them to its format
 * thread: the flows of the flow table as packed rows (FlowTable.packRow; with their tunnels and
 * ICMP errors), the others (flow-log records) as records at their positions among them.
 */
import { blankRecord, type EvidenceKind, type FlowRecord } from '../../../flow/record.js';
import { FlowBlockFormatter, type BlockAlloc, type FlowFormat } from '../../../report/flows/writer.js';
import { FlowRow, RowRecords } from '../../../flow/row.js';
import { PACKED_ROW_WORDS, unpackRow } from '../../../flow/table.js';
import { packedIcmpErrors, packedTunnel, type PackedBatch } from '../../../flow/packed-rows.js';

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
      const at = r++ * PACKED_ROW_WORDS;
      unpackRow(u, d, at, row);
      const rec = this.#rows.fill(row, this.#sources[row.fileIndex], this.#rec);
      rec.tunnel = packedTunnel(u, at, b.tunnels);
      const icmp = packedIcmpErrors(u, at, b.icmpErrors);
      if (icmp !== null) rec.icmpErrors = icmp;
      each(rec);
    }
  }
}

/**
 * Formats batches of one output into its blocks (FlowBlockFormatter, `alloc` making the blocks).
 * Each batch starts at its own first record's index, so the format thread and the reading thread
 * can each format some of the batches and the bytes are one thread's. `prolog`: this one formats
 * the output's first batch.
 */
export class BatchFormatter {
  readonly #reader = new BatchReader(blankRecord());
  readonly #fmt: FlowBlockFormatter;
  #blocks: Uint8Array[] = [];

  constructor(format: FlowFormat, alloc: BlockAlloc, prolog: boolean) {
    this.#fmt = new FlowBlockFormatter(format, (b) => { this.#blocks.push(b); }, 0, alloc);
    if (prolog) this.#fmt.prolog();
  }

  /** The blocks of batch `b`, whose first flow is record `start` of the output. */
  format(b: FlowBatch, start: number): Uint8Array[] {
    const fmt = this.#fmt;
    fmt.skipTo(start);
    this.#reader.read(b, (f) => fmt.add(f));
    fmt.flush();
    const blocks = this.#blocks;
    this.#blocks = [];
    return blocks;
  }
}
