/**
 * Throughput / memory probe for the flow-log readers (not a test).
 *
 *   node --import tsx test/evidence/helpers/bench-read.ts read  FILE      reader only (flows counted)
 *   node --import tsx test/evidence/helpers/bench-read.ts audit FILE INV  reader → createAuditor (streaming audit)
 *   node --import tsx test/evidence/helpers/bench-read.ts json-parse FILE JSON.parse(readFileSync) + tuple walk
 *
 * Prints MB/s, tuples, flows; run under `/usr/bin/time -v` for the peak RSS.
 */
import { readFileSync, statSync } from 'node:fs';
import { readEvidenceFile, detectEvidencePath } from '../../../src/evidence/index.js';
import { createAuditor } from '../../../src/audit/auditor.js';
import { builtinProfile } from '../../../src/rules/profile.js';
import { loadInventory } from '../../../src/rules/inventory.js';
import { compilePolicy } from '../../../src/rules/policy.js';

const [mode, file, inv] = process.argv.slice(2);
if (mode === undefined || file === undefined) { process.stderr.write('usage: bench-read.ts read|audit|json-parse FILE [INVENTORY]\n'); process.exit(2); }
const size = statSync(file).size;
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss); peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed); peak.external = Math.max(peak.external, m.external);
}, 200);
const t0 = process.hrtime.bigint();
let flows = 0, records = 0;
let extra = '';
if (mode === 'json-parse') {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { records: Array<{ properties: { flows: Array<{ flows: Array<{ flowTuples: string[] }> }> } }> };
  for (const r of doc.records) for (const g of r.properties.flows) for (const m of g.flows) for (const tpl of m.flowTuples) { records++; if (tpl.split(',').length === 13) flows++; }
} else {
  const kind = await detectEvidencePath(file);
  if (kind === null) throw new Error('not recognised');
  if (mode === 'audit') {
    const profile = await builtinProfile('hybrid-identity');
    const auditor = createAuditor(compilePolicy(profile, await loadInventory(inv!, profile)));
    const info = await readEvidenceFile(file, kind, (f) => { flows++; auditor.addFlow(f); });
    records = info.records;
    const rep = auditor.finish();
    extra = ` findings=${JSON.stringify(rep.summary.counts)}`;
  } else {
    const info = await readEvidenceFile(file, kind, () => { flows++; });
    records = info.records;
  }
}
const s = Number(process.hrtime.bigint() - t0) / 1e9;
clearInterval(sampler);
const mib = (n: number) => (n / 1048576).toFixed(0);
process.stdout.write(`${mode}: ${(size / 1048576).toFixed(1)} MiB in ${s.toFixed(2)} s = ${(size / 1048576 / s).toFixed(1)} MiB/s; tuples=${records} flows=${flows}${extra}\n`);
process.stdout.write(`  sampled peaks (MiB): rss ${mib(peak.rss)}, heapTotal ${mib(peak.heapTotal)}, heapUsed ${mib(peak.heapUsed)}, external ${mib(peak.external)}\n`);
