/**
 * `flows --unsorted --threads 2` (the default on a machine with 2 or more cores): the flows are
 * formatted in their own thread while this one reads the captures.
 *
 * This thread copies each finished flow's table record into a batch (FlowTable.packRow, 144
 * bytes: no address text, no Community ID, no line), with the flows that come as records at their
 * positions, and hands full batches over (shared, not copied). The format thread turns them
 * into the output's bytes (the same FlowBlockFormatter as in one thread, so the same bytes) and
 * hands the blocks back with the batch's buffer; this thread writes them in order. At most
 * MAX_IN_FLIGHT batches are out (handed over and not yet written): then `between`
 * (gatherEvidence's back-pressure) makes the reading wait, so a slow output or a lagging thread
 * cannot make memory grow with the capture. The thread starts with the first full batch: an input
 * with fewer flows is formatted in this thread.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../../core/worker.js';
import { InFlight } from '../../../core/in-flight.js';
import { blankRecord, type FlowRecord } from '../../../flow/record.js';
import type { FlowRowSink, FlowTable } from '../../../flow/table.js';
import { PackedRows } from '../../../flow/packed-rows.js';
import type { Output } from '../../../report/output.js';
import { flowWriter, FlowStreamWriter, writeBlock, type FlowFormat } from '../../../report/flows/writer.js';
import { sharedBufferOf } from '../../../report/flows/shared-blocks.js';
import { BatchReader, type FlowBatch } from './batch.js';

/** Records per batch at most (they are cloned, not transferred). */
const BATCH_RECORDS = 1024;
/** Batches handed over and not yet written before the reading waits (about 2.4 MiB each with NDJSON lines). */
export const MAX_IN_FLIGHT = 16;

/** A batch of flows to format, or the buffers of blocks written (SharedBlocks), to be reused. */
export type ToFormatThread = FlowBatch | { written: SharedArrayBuffer[] };

export interface FromFormatThread {
  /** The batch's output bytes, in order. */
  blocks: Uint8Array[];
  /** The batch's buffer, back to be filled again. */
  buf: SharedArrayBuffer;
}

export class FormatThread {
  readonly #out: Output;
  readonly #format: FlowFormat;
  #worker: Worker | null = null;
  readonly #rows = new PackedRows(MAX_IN_FLIGHT);
  /** Flows in the batch being filled (rows and records). */
  #k = 0;
  #records: [number, FlowRecord][] = [];
  /** Flows handed over in all. */
  #count = 0;
  /** Batches handed over and not yet written (the reading waits on it: between); its failure is the thread's or the output's. */
  readonly #batches = new InFlight(MAX_IN_FLIGHT);
  /** The writes, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(out: Output, format: FlowFormat) {
    this.#out = out;
    this.#format = format;
  }

  /** Whether the thread was started (the input had more than one batch of flows). */
  get started(): boolean {
    return this.#worker !== null;
  }

  /** Batches out (handed over, not yet written); the most there were at once. */
  get inFlight(): number {
    return this.#batches.count;
  }

  get peakInFlight(): number {
    return this.#batches.peak;
  }

  #start(): Worker {
    const worker = spawnWorker(import.meta.url, 'format-worker', { format: this.#format }, { maxYoungGenerationSizeMb: 8 });
    worker.on('message', (m: FromFormatThread) => this.#written(m));
    worker.once('error', (e: Error) => this.#batches.fail(new Error(`the format thread failed: ${e.message} (--threads 1 formats in this thread)`, { cause: e })));
    worker.once('exit', (code) => this.#batches.fail(new Error(`the format thread stopped (exit code ${code}) before the end of the output (--threads 1 formats in this thread)`)));
    this.#worker = worker;
    return worker;
  }

  /**
   * A batch's blocks came back: write them after the earlier ones (each block's buffer goes back to
   * the thread once the output holds it no more), then count the batch as done.
   */
  #written(m: FromFormatThread): void {
    this.#rows.giveBack(m.buf);
    const out = this.#out;
    this.#chain = this.#chain.then(async () => {
      try {
        for (const b of m.blocks) {
          if (this.#batches.error !== null) break;
          const s = sharedBufferOf(b);
          await writeBlock(out, b, s === null ? undefined : () => this.#worker?.postMessage({ written: [s] } satisfies ToFormatThread));
        }
      } catch (e) {
        this.#batches.fail(e);
      } finally {
        this.#batches.done();
      }
    });
  }

  /** For gatherEvidence's between: a promise to wait on while MAX_IN_FLIGHT batches are out (rejected on a failure). */
  readonly between = (): Promise<void> | undefined => this.#batches.between();

  /** For gatherEvidence's onFlow (flows that come as records). */
  readonly onFlow = (f: FlowRecord): void => {
    this.#records.push([this.#k++, f]);
    if (this.#records.length >= BATCH_RECORDS) this.#flush();
  };

  /** For gatherEvidence's rowSink: takes every flow the table offers. */
  readonly rowSink: FlowRowSink = (t: FlowTable, f: number): boolean => {
    if (this.#rows.full) this.#flush();
    this.#rows.add(t, f);
    this.#k++;
    return true;
  };

  #flush(): void {
    if (this.#batches.error !== null) throw this.#batches.error;
    const worker = this.#worker ?? this.#start();
    const b: ToFormatThread = { ...this.#rows.take(), k: this.#k, records: this.#records };
    worker.postMessage(b);
    this.#count += this.#k;
    this.#batches.add();
    this.#k = 0;
    this.#records = [];
  }

  /** Write what is left and the format's epilog (does not end the Output); returns the flows written. */
  async end(): Promise<number> {
    if (this.#worker === null) {
      // fewer flows than one batch: starting a thread would cost more than it saves
      const w = new FlowStreamWriter(this.#out, this.#format);
      new BatchReader(blankRecord()).read({ ...this.#rows.peek(), k: this.#k, records: this.#records }, (f) => w.add(f));
      return w.end();
    }
    if (this.#k > 0) this.#flush();
    await this.#batches.drained();
    await this.#chain;
    if (this.#batches.error !== null) throw this.#batches.error;
    await this.#out.write(flowWriter(this.#format).epilog(this.#count));
    return this.#count;
  }

  /** Stop the thread (after end(), or when the run ends without it). */
  async close(): Promise<void> {
    const w = this.#worker;
    if (w === null) return;
    w.removeAllListeners('exit');
    await w.terminate();
  }
}
