/**
 * `flows --unsorted --threads 2` (the default on a machine with 2 or more cores): the flows are
 * formatted in a second thread while this one reads the captures (and here when it is behind).
 *
 * This thread copies each finished flow's table record into a batch (FlowTable.packRow, 144
 * bytes: no address text, no Community ID, no line), with the flows that come as records at their
 * positions, and hands full batches over (shared, not copied). The format thread turns them
 * into the output's bytes (the same FlowBlockFormatter as in one thread, so the same bytes) and
 * hands the blocks back with the batch's buffer; this thread writes them in order. When the
 * thread has STEAL_AT batches or more still to format, this thread formats the next batch itself
 * rather than wait for it (each batch carries its place and the index of its first record, so
 * either thread can format any batch to the same bytes). At most MAX_IN_FLIGHT batches are out
 * (handed over or formatted here, and not yet written): then `between`
 * (gatherEvidence's back-pressure) makes the reading wait, so a slow output or a lagging thread
 * cannot make memory grow with the capture. The thread starts with the first full batch: an input
 * with fewer flows is formatted in this thread.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../../core/worker.js';
import { InFlight } from '../../../core/in-flight.js';
import { blankRecord, type EvidenceKind, type FlowRecord } from '../../../flow/record.js';
import type { FlowRowSink, FlowTable } from '../../../flow/table.js';
import { PackedRows } from '../../../flow/packed-rows.js';
import type { Output } from '../../../report/output.js';
import { flowWriter, FlowStreamWriter, writeBlock, type FlowFormat } from '../../../report/flows/writer.js';
import { SharedBlocks, sharedBufferOf } from '../../../report/flows/shared-blocks.js';
import { BatchFormatter, BatchReader, type FlowBatch } from './batch.js';

/** Records per batch at most (they are cloned, not transferred). */
const BATCH_RECORDS = 1024;
/** Batches handed over and not yet written before the reading waits (about 2.4 MiB each with NDJSON lines). */
export const MAX_IN_FLIGHT = 16;

/**
 * Batches the thread has still to format from which this thread formats the next one itself: on
 * the bench capture the thread (Community ID, line) is the slower of the two, and this one waited
 * for it about a quarter of the run.
 */
export const STEAL_AT = 6;

/** A batch with its place in the output and the output index of its first flow. */
export interface PlacedBatch extends FlowBatch {
  seq: number;
  start: number;
}

/** A batch of flows to format, or the buffers of blocks written (SharedBlocks), to be reused. */
export type ToFormatThread = PlacedBatch | { written: SharedArrayBuffer[] };

export interface FromFormatThread {
  /** The batch's place. */
  seq: number;
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
  /** Batches handed over or formatted here and not yet written (the reading waits on it: between); its failure is the thread's or the output's. */
  readonly #batches = new InFlight(MAX_IN_FLIGHT);
  /** The writes, in order. */
  #chain: Promise<void> = Promise.resolve();
  /** Every input the batches named so far (each batch goes with all of them: either thread may read it). */
  readonly #sources: [number, string, EvidenceKind][] = [];
  /** Formatted batches by place (and whether here), waiting for those before them. */
  readonly #ready = new Map<number, { blocks: Uint8Array[]; here: boolean }>();
  #seq = 0;
  #nextWrite = 0;
  /** Batches handed to the thread and not back yet. */
  #atThread = 0;
  #formattedHere = 0;
  #formattedThere = 0;
  /** For the batches formatted here (made with the first). */
  #formatter: BatchFormatter | null = null;
  /** This thread's blocks, reused once written as the thread's are (garbage blocks would add about 30 MiB to the peak). */
  readonly #hereBlocks = new SharedBlocks(8);

  readonly #stealAt: number;

  /** `stealAt`: STEAL_AT (tests make this thread take a turn more often). */
  constructor(out: Output, format: FlowFormat, stealAt = STEAL_AT) {
    this.#out = out;
    this.#format = format;
    this.#stealAt = stealAt;
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

  /** Batches formatted in this thread and in the format thread (for tests and measurements). */
  get batchesHere(): number {
    return this.#formattedHere;
  }

  get batchesThere(): number {
    return this.#formattedThere;
  }

  #start(): Worker {
    const worker = spawnWorker(import.meta.url, 'format-worker', { format: this.#format }, { maxYoungGenerationSizeMb: 8 });
    worker.on('message', (m: FromFormatThread) => this.#written(m));
    worker.once('error', (e: Error) => this.#batches.fail(new Error(`the format thread failed: ${e.message} (--threads 1 formats in this thread)`, { cause: e })));
    worker.once('exit', (code) => this.#batches.fail(new Error(`the format thread stopped (exit code ${code}) before the end of the output (--threads 1 formats in this thread)`)));
    this.#worker = worker;
    return worker;
  }

  /** A batch's blocks came back from the thread. */
  #written(m: FromFormatThread): void {
    this.#atThread--;
    this.#formattedThere++;
    this.#rows.giveBack(m.buf);
    this.#place(m.seq, m.blocks, false);
  }

  /**
   * A batch formatted (here or by the thread): write it, and any that waited for it, after the
   * earlier ones (each of the thread's blocks goes back to it once the output holds it no more),
   * counting each batch as done once written.
   */
  #place(seq: number, blocks: Uint8Array[], here: boolean): void {
    this.#ready.set(seq, { blocks, here });
    const out = this.#out;
    for (let next = this.#ready.get(this.#nextWrite); next !== undefined; next = this.#ready.get(this.#nextWrite)) {
      const these = next;
      this.#ready.delete(this.#nextWrite++);
      this.#chain = this.#chain.then(async () => {
        try {
          for (const b of these.blocks) {
            if (this.#batches.error !== null) break;
            const s = sharedBufferOf(b);
            const released = s === null ? undefined : these.here ? () => this.#hereBlocks.giveBack([s]) : () => this.#worker?.postMessage({ written: [s] } satisfies ToFormatThread);
            await writeBlock(out, b, released);
          }
        } catch (e) {
          this.#batches.fail(e);
        } finally {
          this.#batches.done();
        }
      });
    }
  }

  /**
   * Format a batch here (the same bytes as the thread: the batch's first record is record `start`).
   * Never the first batch, which starts the thread and carries the prolog.
   */
  #formatHere(b: PlacedBatch): Uint8Array[] {
    this.#formatter ??= new BatchFormatter(this.#format, this.#hereBlocks.alloc, false);
    this.#formattedHere++;
    return this.#formatter.format(b, b.start);
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
    const taken = this.#rows.take();
    for (const s of taken.sources) this.#sources.push(s);
    const b: PlacedBatch = { ...taken, sources: this.#sources, k: this.#k, records: this.#records, seq: this.#seq++, start: this.#count };
    this.#count += this.#k;
    this.#batches.add();
    this.#k = 0;
    this.#records = [];
    if (this.#worker !== null && this.#atThread >= this.#stealAt) {
      // the thread is behind: this one formats the batch rather than wait later
      const blocks = this.#formatHere(b);
      this.#rows.giveBack(b.buf);
      this.#place(b.seq, blocks, true);
      return;
    }
    const worker = this.#worker ?? this.#start();
    this.#atThread++;
    worker.postMessage(b);
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
