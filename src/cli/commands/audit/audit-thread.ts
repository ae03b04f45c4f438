/**
 * `audit --threads 2`: the audit runs in its own thread while this one reads the captures.
 *
 * The flow table's core packs each finished flow's record into a batch of rows in its memory
 * (FlowTable.setRowBatches, 144 bytes a flow, nothing else: no address text, no lookup). That
 * memory is shared: a full batch is handed over in place (only where it is, no copy), with the name
 * observations found since the previous batch and the flows that come as records, and the core
 * fills another of its ROW_BATCHES batches meanwhile; the audit thread marks the batch free in
 * `#reading` once it has audited the rows. Only when every other batch is still being read (the
 * thread starting, or behind), and for a last partial batch, are the rows copied out and the copy
 * handed over (a SharedArrayBuffer, posted, not transferred: see PackedRows).
 * The audit thread audits the flows as they come (IncrementalAudit; it keeps them only when an
 * input is stdin or a pipe), so at the end of the input only the last batch and the report are
 * left to do. The thread starts with the first full batch: an input with fewer flows is audited in this thread
 * at the end, by the same IncrementalAudit (a thread would cost more to start than it saves). With
 * `--threads 1` (inThisThread) no thread is started: each batch is audited here as it fills.
 *
 * The queue is bounded: the audit thread hands each batch's buffer back once it has taken the
 * rows, and when MAX_IN_FLIGHT batches are out, `between` (gatherEvidence's back-pressure) makes
 * the reading wait for it. Memory then stays bounded even if the audit thread falls behind, and
 * the returned buffers are reused instead of allocating a new one per batch.
 */
import type { Worker } from 'node:worker_threads';
import { FlowauditError } from '../../../core/errors.js';
import { spawnWorker } from '../../../core/worker.js';
import { InFlight } from '../../../core/in-flight.js';
import type { Evidence, FlowRecord, NameObservation } from '../../../flow/record.js';
import type { FlowRowSink, FlowTable, RowBatchSink } from '../../../flow/table.js';
import { BATCH_ROWS, PackedRows, type PackedBatch } from '../../../flow/packed-rows.js';
import { IncrementalAudit, type AuditOutcome, type AuditSetup, type FlowBatch } from './incremental.js';

/** Records per batch at most (they are cloned, not transferred). */
const BATCH_RECORDS = 1024;
/** Row batches in the flow table's core with two threads (FlowTableOptions.rowBatches): 32 × 576 KiB, touched as used. */
export const ROW_BATCHES = 32;
/**
 * Batches handed over and not yet taken by the audit thread before reading waits (32 × 576 KiB =
 * 18 MiB). Room for the thread's start-up (loading and compiling the policy while this thread
 * reads on): on the bench capture up to 9 batches wait then, and a bound of 8 held the reading
 * for about 200 ms.
 */
export const MAX_IN_FLIGHT = 32;

export type ToAuditThread =
  /** Per core row batch, 1 while the audit thread reads it in place (it stores 0 when done). Sent first. */
  | { t: 'reading'; flags: Int32Array }
  /** Rows in place in the core's memory (`batch`: the core's batch, to mark free), or copied (no `batch`; buf given back when taken). */
  | ({ t: 'flows'; batch?: number } & FlowBatch)
  | { t: 'end'; evidence: Pick<Evidence, 'names' | 'inputs' | 'evictions'> };

export type FromAuditThread =
  /** A batch was taken: a copied batch's buffer comes back to be filled again. */
  | { t: 'taken'; buf?: SharedArrayBuffer }
  | { t: 'report'; outcome: AuditOutcome };

export class AuditThread {
  readonly #setup: AuditSetup;
  /** `--threads 1`: the batches are audited in this thread as they fill (no worker is started). */
  readonly #here: IncrementalAudit | null;
  /** Started with the first full batch: an input with fewer flows is audited here (report()). */
  #worker: Worker | null = null;
  #result: Promise<AuditOutcome> | null = null;
  /** Batches handed over and not taken yet (the reading waits on it: between). */
  readonly #batches = new InFlight(MAX_IN_FLIGHT);
  readonly #rows = new PackedRows(MAX_IN_FLIGHT);
  /** Flows the table's core does not pack (rowSink), until the next batch. */
  readonly #own = new PackedRows(0);
  #names: NameObservation[] = [];
  #records: FlowRecord[] = [];
  /** Per core row batch: 1 while the audit thread reads it in place. */
  readonly #reading = new Int32Array(new SharedArrayBuffer(4 * ROW_BATCHES));
  #inPlace = 0;
  #copied = 0;

  constructor(setup: AuditSetup, here: IncrementalAudit | null = null) {
    this.#setup = setup;
    this.#here = here;
  }

  /**
   * The same batches, audited in this thread as each fills (`--threads 1`). Auditing 4096 flows at
   * a time rather than each as it finishes keeps the audit's data and the packet path's each hot in
   * the caches for longer (on a 10 M-flow capture the per-flow version took about 10 % more).
   */
  static async inThisThread(setup: AuditSetup): Promise<AuditThread> {
    return new AuditThread(setup, await IncrementalAudit.create(setup));
  }

  /** Whether the thread was started (the input had more than one batch of flows). */
  get started(): boolean {
    return this.#worker !== null;
  }

  #start(): Worker {
    // (a small young generation: the thread's garbage is short-lived, and 8 MiB instead of the
    // default 16 MiB semi-spaces keeps about 25 MiB off the peak at the same speed)
    const worker = spawnWorker(import.meta.url, 'audit-worker', this.#setup, { maxYoungGenerationSizeMb: 8 });
    this.#result = new Promise<AuditOutcome>((resolve, reject) => {
      worker.on('message', (m: FromAuditThread) => {
        if (m.t === 'report') { resolve(m.outcome); return; }
        if (m.buf !== undefined) this.#rows.giveBack(m.buf);
        this.#batches.done();
      });
      const fail = (e: Error): void => {
        this.#batches.fail(e);
        reject(e);
      };
      // (a FlowauditError keeps its name, code and message across the thread's edge: one line for the user again)
      worker.once('error', (e: Error & { code?: unknown }) => fail(e.name === 'FlowauditError' && typeof e.code === 'string'
        ? new FlowauditError(e.code, e.message)
        : new Error(`the audit thread failed: ${e.message} (--threads 1 audits in this thread)`, { cause: e })));
      worker.once('exit', (code) => fail(new Error(`the audit thread stopped (exit code ${code}) before its report (--threads 1 audits in this thread)`)));
    });
    this.#result.catch(() => undefined); // awaited in report(); a failure meanwhile must not be unhandled
    this.#worker = worker;
    const reading: ToAuditThread = { t: 'reading', flags: this.#reading };
    worker.postMessage(reading);
    return worker;
  }

  /** Batches handed over so far in place (in the table core's memory) and as copies. */
  get batchesInPlace(): number {
    return this.#inPlace;
  }

  get batchesCopied(): number {
    return this.#copied;
  }

  /** Batches handed over and not yet taken by the audit thread; the most there were at once. */
  get inFlight(): number {
    return this.#batches.count;
  }

  get peakInFlight(): number {
    return this.#batches.peak;
  }

  /**
   * For gatherEvidence's between (back-pressure): while MAX_IN_FLIGHT batches are out, a promise
   * that settles when the audit thread has taken half of them (rejected if it fails).
   */
  readonly between = (): Promise<void> | undefined => this.#batches.between();

  /** For gatherEvidence's onName. */
  readonly onName = (obs: NameObservation): void => {
    this.#names.push(obs);
  };

  /**
   * For gatherEvidence's rowSink: the flows the table's core leaves to its JavaScript side (those
   * with ICMP errors), packed with their errors and handed over with the next batch (a full set of
   * them makes one). Records would be cloned to the audit thread one object at a time.
   */
  readonly rowSink: FlowRowSink = (t: FlowTable, f: number): boolean => {
    if (this.#own.full) this.#flush();
    this.#own.add(t, f);
    return true;
  };

  /** The flows rowSink packed since the last batch (copied out), or null. */
  #takeOwn(): PackedBatch | null {
    return this.#own.size === 0 ? null : this.#own.takeCopy();
  }

  /** For gatherEvidence's onFlow. */
  readonly onFlow = (f: FlowRecord): void => {
    this.#records.push(f);
    if (this.#records.length >= BATCH_RECORDS) this.#flush();
  };

  /** Row batches for gatherEvidence's rowBatches (FlowTableOptions.rowBatches). */
  get rowBatchCount(): number {
    return this.#here !== null ? 1 : ROW_BATCHES;
  }

  /**
   * For gatherEvidence's rowBatches: the rows the table's core packed. With `--threads 1` they are
   * audited here, in place. With two threads a full batch is handed over in place while another
   * is free to fill; otherwise (and a last partial batch) the rows are copied into the batch to hand over.
   */
  readonly rowBatches: RowBatchSink = (t: FlowTable, buf: SharedArrayBuffer, at: number, n: number, batch: number): number => {
    if (this.#here !== null) {
      this.#here.addBatch({ buf, at, n, sources: this.#rows.sourcesIn(t, buf, at, n), tunnels: [], icmpErrors: [], own: this.#takeOwn(), names: this.#names, records: this.#records });
      this.#names = [];
      this.#records = [];
      return batch;
    }
    if (n === BATCH_ROWS && this.#rows.size === 0) {
      const next = this.#freeBatch(batch, t.rowBatchCount);
      if (next >= 0) {
        if (this.#batches.error !== null) throw this.#batches.error;
        const worker = this.#worker ?? this.#start();
        Atomics.store(this.#reading, batch, 1);
        const m: ToAuditThread = { t: 'flows', batch, buf, at, n, sources: this.#rows.sourcesIn(t, buf, at, n), tunnels: [], icmpErrors: [], own: this.#takeOwn(), names: this.#names, records: this.#records };
        worker.postMessage(m);
        this.#inPlace++;
        this.#batches.add();
        this.#names = [];
        this.#records = [];
        return next;
      }
    }
    if (this.#rows.size + n > BATCH_ROWS) this.#flush();
    this.#rows.addPacked(t, buf, at, n);
    if (this.#rows.full) this.#flush();
    return batch;
  };

  /** One of the table core's `count` row batches, other than `batch`, that the audit thread is not reading, or -1. */
  #freeBatch(batch: number, count: number): number {
    for (let k = 0, m = Math.min(count, ROW_BATCHES); k < m; k++) if (k !== batch && Atomics.load(this.#reading, k) === 0) return k;
    return -1;
  }

  #flush(): void {
    if (this.#here !== null) {
      const b = this.#rows.take();
      this.#here.addBatch({ ...b, own: this.#takeOwn(), names: this.#names, records: this.#records });
      this.#rows.giveBack(b.buf);
      this.#names = [];
      this.#records = [];
      return;
    }
    if (this.#batches.error !== null) throw this.#batches.error;
    const worker = this.#worker ?? this.#start();
    const b = this.#rows.take();
    const m: ToAuditThread = { t: 'flows', ...b, own: this.#takeOwn(), names: this.#names, records: this.#records };
    worker.postMessage(m);
    if (b.n > 0) this.#copied++;
    this.#batches.add();
    this.#names = [];
    this.#records = [];
  }

  /**
   * Hand over what is left and wait for the report, or for why the inputs must be read again
   * (or, when the thread was never needed, audit here).
   */
  async report(evidence: Pick<Evidence, 'names' | 'inputs' | 'evictions'>): Promise<AuditOutcome> {
    if (this.#worker === null) {
      // one thread, or fewer flows than one batch (starting a thread would cost more than it saves)
      const a = this.#here ?? await IncrementalAudit.create(this.#setup);
      a.addBatch({ ...this.#rows.peek(), own: this.#takeOwn(), names: this.#names, records: this.#records });
      return a.finish(evidence);
    }
    this.#flush();
    const end: ToAuditThread = { t: 'end', evidence: { names: evidence.names, inputs: evidence.inputs, evictions: evidence.evictions } };
    this.#worker.postMessage(end);
    return await this.#result!;
  }

  /** Stop the thread (after the report, or when the run ends without one). */
  async close(): Promise<void> {
    if (this.#worker !== null) await this.#worker.terminate();
  }
}
