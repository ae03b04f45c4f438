/**
 * Helper for test/flow/alloc.test.ts (run as a child process with --expose-gc --trace-gc-nvp
 * --no-concurrent-recompilation): reads a capture through the flow engine `runs` times, rows read
 * out as a row sink would, and measures the last run only: a forced GC and the line `measure` just
 * before it, a forced GC at the end, so the GC lines after `measure` hold every byte the last run
 * allocated. The earlier runs warm the code up (V8 optimises it as it finds it hot; with
 * compilation on this thread that happens at the same points every time). One packet callback for
 * all runs, so that a new closure does not throw the optimised code away between them. Prints the
 * packets of one run. With `core`, the file is read into the flow table's memory and its
 * records offered to the engine straight from the chunks (the WebAssembly core's path).
 *   node --expose-gc --trace-gc-nvp --no-concurrent-recompilation --import tsx test/flow/perf/alloc-run.ts FILE RUNS [core]
 */
import { FILE_BUFFERS } from '../../../src/capture/source.js';
import { readCaptures } from '../../../src/capture/read.js';
import { FlowEngine } from '../../../src/flow/engine.js';
import { FlowRow } from '../../../src/flow/row.js';

const [file, runs, core] = [process.argv[2]!, Number(process.argv[3] ?? 1), process.argv[4] === 'core'];
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
let packets = 0, corePackets = 0;
let eng: FlowEngine | null = null;
const onPacket = (rec: Parameters<FlowEngine['packet']>[0]): void => { packets++; eng!.packet(rec); };
for (let i = 0; i < runs; i++) {
  const e = new FlowEngine({ onFlow: () => undefined, ...(core ? { chunkArena: FILE_BUFFERS * 4 * 1024 * 1024 } : {}) });
  eng = e;
  const row = new FlowRow();
  eng.table.setRowSink((t, f) => { t.readRow(f, row); return true; });
  eng.addSource(0, file, 'pcap');
  packets = 0;
  if (i === runs - 1) { gc(); console.log('measure'); }
  await readCaptures([file], core ? { chunkAlloc: (n) => e.table.arenaChunk(n), recordSink: e } : {}, onPacket);
  if (core) packets = e.packets;
  corePackets = e.corePackets;
  eng.flush();
}
gc();
console.log(`packets ${packets} core ${corePackets}`);
