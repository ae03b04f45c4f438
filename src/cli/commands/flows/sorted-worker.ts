/**
 * The sorted output's second formatter (worker_threads; see sorted-thread.ts): reads the store the
 * reading thread filled, in place, claims the next slice of the sorted order nobody has claimed
 * yet, formats it into output blocks and hands them back (SharedBlocks, given back once written);
 * one credit per slice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankRecord } from '../../../flow/record.js';
import { FlowStore } from '../../../report/flows/store.js';
import { SharedBlocks } from '../../../report/flows/shared-blocks.js';
import { formatSlice, type FromSortedThread, type SortedThreadData, type ToSortedThread } from './sorted-thread.js';

const port = parentPort!;
const data = workerData as SortedThreadData;
const store = FlowStore.fromShared(data.store);
const { order, slice, claim } = data, n = order.length, slices = Math.ceil(n / slice), rec = blankRecord();
let credits = data.window;
// (blocks in SharedArrayBuffers, posted without a transfer list, and reused once written: a
// window of slices of about 2 blocks each, and those being written)
const shared = new SharedBlocks(2 * data.window + 2);

function formatSome(): void {
  while (credits > 0) {
    const k = Atomics.add(claim, 0, 1);
    if (k >= slices) return;
    const blocks = formatSlice(store, order, k, slice, data.format, rec, shared.alloc);
    const m: FromSortedThread = { slice: k, blocks };
    port.postMessage(m);
    credits--;
  }
}

port.on('message', (m: ToSortedThread) => {
  if (m.written !== undefined) shared.giveBack(m.written);
  credits += m.credits;
  formatSome();
});
formatSome();
