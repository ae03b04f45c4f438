/**
 * Helper for test/flow/alloc.test.ts (run as a child process with --expose-gc --trace-gc-nvp):
 * reads a capture through the flow engine `runs` times, rows read out as a row sink would, then
 * forces a last GC so V8 reports every byte allocated. Prints the packets of one run.
 *   node --expose-gc --trace-gc-nvp --import tsx test/flow/perf/alloc-run.ts FILE RUNS
 */
import { readCaptures } from '../../../src/capture/read.js';
import { FlowEngine } from '../../../src/flow/engine.js';
import { FlowRow } from '../../../src/flow/row.js';

const [file, runs] = [process.argv[2]!, Number(process.argv[3] ?? 1)];
let packets = 0;
for (let i = 0; i < runs; i++) {
  const eng = new FlowEngine({ onFlow: () => undefined });
  const row = new FlowRow();
  eng.table.setRowSink((t, f) => { t.readRow(f, row); return true; });
  eng.addSource(0, file, 'pcap');
  packets = 0;
  await readCaptures([file], {}, (rec) => { packets++; eng.packet(rec); });
  eng.flush();
}
(globalThis as { gc?: () => void }).gc?.();
console.log(`packets ${packets}`);
