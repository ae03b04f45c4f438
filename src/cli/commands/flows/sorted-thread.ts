/**
 * Sorted `flows` with `--threads 2` or more: the output is formatted by two threads. Sorted output
 * can only start after the last flow, so during the reading the second core has nothing to do
 * (a Community ID thread beside the reading was tried and lost to the contention, see the
 * README); once the reading is done it does. The store was filled in SharedArrayBuffers
 * (FlowStore `shared`), so the format thread reads it in place: nothing is copied but the
 * addresses and the interned strings.
 *
 * The sorted order is cut into slices of SLICE flows, and each thread claims the next slice
 * nobody has claimed (one shared counter, Atomics.add): this thread claims one whenever the next
 * slice to write is not ready, so it also formats alone until the format thread is up, and does
 * more of the formatting when the writing costs it less. The format thread hands the blocks of
 * its slices back; it may have at most WINDOW of them not yet written (each written gives it a
 * credit). Every slice is formatted by the same FlowBlockFormatter as one thread, started at the
 * slice's first record index, so the bytes are the same. Fewer flows than two slices are
 * formatted here alone.
 */
import { spawnWorker } from '../../../core/worker.js';
import { blankRecord, type FlowRecord } from '../../../flow/record.js';
import type { Output } from '../../../report/output.js';
import type { FlowStore, SharedFlowStore } from '../../../report/flows/store.js';
import { FlowBlockFormatter, flowWriter, writeBlock, writeFlows, type BlockAlloc, type FlowFormat } from '../../../report/flows/writer.js';
import { sharedBufferOf } from '../../../report/flows/shared-blocks.js';

/** Flows per slice (about 1.8 MiB of NDJSON), and the slices the format thread may have ready before they are written. */
export const SLICE = 4096;
const WINDOW = 2;

export interface SortedThreadData {
  store: SharedFlowStore;
  /** Store positions in output order (a SharedArrayBuffer's view). */
  order: Uint32Array;
  /** [0]: the next slice nobody has claimed (a SharedArrayBuffer's view; Atomics.add claims it). */
  claim: Int32Array;
  format: FlowFormat;
  slice: number;
  window: number;
}

export interface FromSortedThread {
  slice: number;
  blocks: Uint8Array[];
}

export interface ToSortedThread {
  credits: number;
  /** Buffers of its blocks written (SharedBlocks), to be reused. */
  written?: SharedArrayBuffer[];
}

/** Slices formatted by each thread (counted as they are formatted: for tests and measurements). */
export interface SliceSplit {
  here: number;
  thread: number;
}

/**
 * Write every flow of `store` in sorted order (as writeFlows(out, store.sorted(…), format) does),
 * formatted by this thread and a format thread, in slices of `slice` flows (counted into `split`).
 * Returns the number of flows.
 */
export async function writeSortedInTwoThreads(out: Output, store: FlowStore, format: FlowFormat, slice = SLICE,
  split: SliceSplit = { here: 0, thread: 0 }): Promise<number> {
  if (store.size < 2 * slice) return writeFlows(out, store.sorted(true, blankRecord()), format);
  const order = store.order(true);
  const n = order.length;
  const claim = new Int32Array(new SharedArrayBuffer(4));
  const data: SortedThreadData = { store: store.shareable(), order, claim, format, slice, window: WINDOW };
  // (its garbage is short-lived strings per flow: a small young generation is enough, and 8 MiB
  // instead of 4 cost about 10 MiB more at the peak)
  const worker = spawnWorker(import.meta.url, 'sorted-worker', data, { maxYoungGenerationSizeMb: 4 });
  const theirs = new Map<number, Uint8Array[]>(), mine = new Map<number, Uint8Array[]>();
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => { const w = wake; wake = null; w?.(); };
  worker.on('message', (m: FromSortedThread) => { theirs.set(m.slice, m.blocks); split.thread++; poke(); });
  worker.once('error', (e: Error) => { failed ??= new Error(`the format thread failed: ${e.message} (--threads 1 formats in this thread)`, { cause: e }); poke(); });
  worker.once('exit', (code) => { failed ??= new Error(`the format thread stopped (exit code ${code}) before the end of the output (--threads 1 formats in this thread)`); poke(); });
  const slices = Math.ceil(n / slice), rec = blankRecord();
  // (the thread's blocks go back to it once the output holds them no more)
  const giveBack = (s: SharedArrayBuffer) => () => worker.postMessage({ credits: 0, written: [s] } satisfies ToSortedThread);
  const writeAll = async (blocks: Uint8Array[]): Promise<void> => {
    for (const b of blocks) { const s = sharedBufferOf(b); await writeBlock(out, b, s === null ? undefined : giveBack(s)); }
  };
  try {
    for (let k = 0; k < slices; k++) {
      for (;;) {
        if (failed !== null) throw failed;
        const done = mine.get(k) ?? theirs.get(k);
        if (done !== undefined) {
          await writeAll(done);
          if (theirs.delete(k)) worker.postMessage({ credits: 1 } satisfies ToSortedThread);
          else mine.delete(k);
          break;
        }
        // slice k is not claimed yet (claiming gets it), or the format thread has it: format the
        // next unclaimed one meanwhile (at most one ahead here)
        if (Atomics.load(claim, 0) <= k || mine.size < 1) {
          const j = Atomics.add(claim, 0, 1);
          if (j < slices) {
            split.here++;
            mine.set(j, formatSlice(store, order, j, slice, format, rec));
            continue;
          }
        }
        await new Promise<void>((resolve) => { wake = resolve; if (theirs.has(k) || failed !== null) poke(); });
      }
    }
    await out.write(flowWriter(format).epilog(n));
    return n;
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

/**
 * The output blocks of slice k of the sorted order: its records formatted from record index
 * k × slice (the prolog first for slice 0), as one FlowBlockFormatter over every record would
 * (`alloc`: how its blocks are made, see FlowBlockFormatter).
 */
export function formatSlice(store: FlowStore, order: Uint32Array, k: number, slice: number, format: FlowFormat, rec: FlowRecord, alloc?: BlockAlloc): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const fmt = new FlowBlockFormatter(format, (b) => { blocks.push(b); }, k * slice, alloc);
  if (k === 0) fmt.prolog();
  const to = Math.min(order.length, (k + 1) * slice);
  for (let i = k * slice; i < to; i++) fmt.add(store.getInto(order[i]!, rec));
  fmt.flush();
  return blocks;
}

