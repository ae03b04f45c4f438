/** The flow table's WebAssembly core: the committed module is the compiled source, and its memory is sized once. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FlowTable } from '../../src/flow/table.js';
import { MAX_TABLE_FLOWS } from '../../src/flow/flow-core.js';
import { FlowRow } from '../../src/flow/row.js';
import { run, type SynthPacket } from './synth.js';

test('the committed WebAssembly modules (the flow core, the audit\'s row lane) are what tools/build-wasm.mjs compiles from their sources now (no drift)', async () => {
  type Module = { source: string; target: string };
  const tool = (await import(new URL('../../tools/build-wasm.mjs', import.meta.url).href)) as { generate(m: Module): { text: string | null; why: string | null }; MODULES: Module[] };
  assert.equal(tool.MODULES.map((m) => m.target), ['src/flow/flow-core-wasm.ts', 'src/audit/row-lane-wasm.ts']);
  for (const m of tool.MODULES) {
    const { text, why } = tool.generate(m);
    if (text === null) { console.log(`  (skipped: ${why})`); return; }
    const committed = fs.readFileSync(fileURLToPath(new URL(`../../${m.target}`, import.meta.url)), 'utf8');
    assert.ok(committed === text, `${m.target} is stale: run \`node tools/build-wasm.mjs\` (or \`npm run build\`)`);
  }
});

test('maxFlows above what a wasm32 memory holds is refused; the largest table is made', () => {
  assert.throws(() => new FlowTable({ maxFlows: MAX_TABLE_FLOWS + 1 }, () => undefined), /at most 16777216 flows/);
  const t = new FlowTable({ maxFlows: MAX_TABLE_FLOWS }, () => undefined);
  assert.is(t.size, 0);
});

test('the views taken at construction still read flows made after the table passed its initial size many times', () => {
  // 20 000 UDP flows from initialFlows 16: a memory that grew later would have detached the views
  const packets: SynthPacket[] = [];
  for (let i = 0; i < 20_000; i++) packets.push({ proto: 17, src: `10.1.${i >> 8}.${i & 255}`, dst: '10.9.9.9', sport: 40000 + (i % 1000), dport: 53, len: 30 });
  const { flows, table } = run(packets, { initialFlows: 16 }, false);
  assert.is(table.size, 20_000);
  const r = new FlowRow();
  table.readRow(19_999, r);
  assert.is(r.respP, 53);
  assert.is(r.origPkts, 1);
  assert.ok(table.columnBytes >= 20_000 * 128, `columnBytes ${table.columnBytes}`);
  table.flush();
  assert.is(flows.length, 20_000);
  assert.is(flows[19_999]!.origH, '10.1.78.31');
  assert.is(table.size, 0);
});

test.run();
