/**
 * The format thread's entry (worker_threads): formats each batch of flows (batch.ts) into output
 * blocks and hands them back with the batch's buffer (format-thread.ts writes them in order).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blankRecord } from '../../../flow/record.js';
import { FlowBlockFormatter, sharedBlock, type FlowFormat } from '../../../report/flows/writer.js';
import { BatchReader, type FlowBatch } from './batch.js';
import type { FromFormatThread } from './format-thread.js';

const port = parentPort!;
const reader = new BatchReader(blankRecord());
let blocks: Uint8Array[] = [];
// one formatter for the whole output: record i is the i-th flow of all batches
// (blocks in SharedArrayBuffers, posted without a transfer list: see PackedRows)
const fmt = new FlowBlockFormatter((workerData as { format: FlowFormat }).format, (b) => { blocks.push(b); }, 0, sharedBlock);
fmt.prolog();
port.on('message', (b: FlowBatch) => {
  reader.read(b, (f) => fmt.add(f));
  fmt.flush();
  const out: FromFormatThread = { blocks, buf: b.buf };
  port.postMessage(out);
  blocks = [];
});
