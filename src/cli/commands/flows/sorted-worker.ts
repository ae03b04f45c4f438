/**
 * The sorted output's second formatter (worker_threads; see sorted-thread.ts): reads the store the
 * reading thread filled, in place, claims the next slice of the sorted order nobody has claimed
 * yet, formats it into output blocks and hands them back (shared: see PackedRows); one credit per slice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankRecord } from '../../../flow/record.js';
import { FlowStore } from '../../../report/flows/store.js';
import { sharedBlock } from '../../../report/flows/writer.js';
import { formatSlice, type FromSortedThread, type SortedThreadData, type ToSortedThread } from './sorted-thread.js';

const port = parentPort!;
const data = workerData as SortedThreadData;
const store = FlowStore.fromShared(data.store);
const { order, slice, claim } = data, n = order.length, slices = Math.ceil(n / slice), rec = blankRecord();
let credits = data.window;

function formatSome(): void {
  while (credits > 0) {
    const k = Atomics.add(claim, 0, 1);
    if (k >= slices) return;
    const blocks = formatSlice(store, order, k, slice, data.format, rec, sharedBlock);
    const m: FromSortedThread = { slice: k, blocks };
    port.postMessage(m);
    credits--;
  }
}

port.on('message', (m: ToSortedThread) => {
  credits += m.credits;
  formatSome();
});
formatSome();
