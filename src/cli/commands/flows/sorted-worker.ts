/**
 * The sorted output's second formatter (worker_threads; see sorted-thread.ts): reads the store the
 * reading thread filled, in place, claims the next slice of the sorted order nobody has claimed
 * yet, formats it into output blocks and hands them back (transferred); one credit per slice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankRecord } from '../../../flow/record.js';
import { FlowStore } from '../../../report/flows/store.js';
import { FlowBlockFormatter } from '../../../report/flows/writer.js';
import type { FromSortedThread, SortedThreadData, ToSortedThread } from './sorted-thread.js';

const port = parentPort!;
const data = workerData as SortedThreadData;
const store = FlowStore.fromShared(data.store);
const { order, slice, claim } = data, n = order.length, slices = Math.ceil(n / slice), rec = blankRecord();
let credits = data.window;

function formatSome(): void {
  while (credits > 0) {
    const k = Atomics.add(claim, 0, 1);
    if (k >= slices) return;
    const from = k * slice, to = Math.min(n, from + slice);
    const blocks: Uint8Array[] = [];
    const fmt = new FlowBlockFormatter(data.format, (b) => { blocks.push(b); }, from);
    if (k === 0) fmt.prolog();
    for (let i = from; i < to; i++) fmt.add(store.getInto(order[i]!, rec));
    fmt.flush();
    const m: FromSortedThread = { slice: k, blocks };
    const transfer = new Set<ArrayBuffer>();
    for (const b of blocks) if (b.buffer instanceof ArrayBuffer) transfer.add(b.buffer);
    port.postMessage(m, [...transfer]);
    credits--;
  }
}

port.on('message', (m: ToSortedThread) => {
  credits += m.credits;
  formatSome();
});
formatSome();
