/**
 * The format thread's entry (worker_threads): formats each batch of flows (batch.ts) into output
 * blocks and hands them back with the batch's buffer (format-thread.ts writes them in order, and
 * gives each block's buffer back once written).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FlowFormat } from '../../../report/flows/writer.js';
import { SharedBlocks } from '../../../report/flows/shared-blocks.js';
import { BatchFormatter } from './batch.js';
import type { FromFormatThread, ToFormatThread } from './format-thread.js';

const port = parentPort!;
// (blocks in SharedArrayBuffers, posted without a transfer list, and reused once written; up to
// MAX_IN_FLIGHT = 16 batches of about two 1 MiB blocks each, with NDJSON lines, are out at once)
const shared = new SharedBlocks(64);
// (the first batch, with the prolog, always comes here; the reading thread formats some batches
// itself, so each starts at its own first record's index)
const formatter = new BatchFormatter((workerData as { format: FlowFormat }).format, shared.alloc, true);
port.on('message', (m: ToFormatThread) => {
  if ('written' in m) { shared.giveBack(m.written); return; }
  const out: FromFormatThread = { seq: m.seq, blocks: formatter.format(m, m.start), buf: m.buf };
  port.postMessage(out);
});
