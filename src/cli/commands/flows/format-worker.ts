/**
 * The format thread's entry (worker_threads): formats each batch of flows (batch.ts) into output
 * blocks and hands them back with the batch's buffer (format-thread.ts writes them in order, and
 * gives each block's buffer back once written).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankRecord } from '../../../flow/record.js';
import { FlowBlockFormatter, type FlowFormat } from '../../../report/flows/writer.js';
import { SharedBlocks } from '../../../report/flows/shared-blocks.js';
import { BatchReader } from './batch.js';
import type { FromFormatThread, ToFormatThread } from './format-thread.js';

const port = parentPort!;
const reader = new BatchReader(blankRecord());
// (blocks in SharedArrayBuffers, posted without a transfer list, and reused once written; up to
// MAX_IN_FLIGHT = 16 batches of about two 1 MiB blocks each, with NDJSON lines, are out at once)
const shared = new SharedBlocks(64);
let blocks: Uint8Array[] = [];
// one formatter for the batches it gets (the first batch, with the prolog, always comes here; the
// reading thread formats some batches itself, so each starts at its own first record's index)
const fmt = new FlowBlockFormatter((workerData as { format: FlowFormat }).format, (b) => { blocks.push(b); }, 0, shared.alloc);
fmt.prolog();
port.on('message', (m: ToFormatThread) => {
  if ('written' in m) { shared.giveBack(m.written); return; }
  fmt.skipTo(m.start);
  reader.read(m, (f) => fmt.add(f));
  fmt.flush();
  const out: FromFormatThread = { seq: m.seq, blocks, buf: m.buf };
  port.postMessage(out);
  blocks = [];
});
