/**
 * Every reproducer under fixtures/malformed/ (minimised hostile inputs found by the fuzzers or
 * made by hand, named after the anomaly) read through gatherEvidence, the CLI's path: nothing
 * escapes, time is bounded, and the expectations in `<file>.expect.json` hold (maxMs, maxNames,
 * maxFlows, an anomaly whose name contains `anomaly`, packets read).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gatherEvidence } from '../../src/cli/gather.js';
import { MALFORMED, namedError } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { expectFixed } from './known-bugs.js';

interface Expect { maxMs?: number; maxNames?: number; maxFlows?: number; anomaly?: string; packets?: number; minFlows?: number; /** hostile-bugs.md number while open */ bug?: number }

test('every reproducer in fixtures/malformed reads without an escaping error, in bounded time, as its .expect.json says', async () => {
  if (!existsSync(MALFORMED)) return skip('no fixtures/malformed');
  const files = readdirSync(MALFORMED).filter((n) => !/\.(txt|md|expect\.json|inventory\.json)$/.test(n)).sort();
  if (files.length === 0) return skip('no reproducers yet');
  const problems: string[] = [];
  const open = new Map<number, string[]>();
  for (const n of files) {
    const f = path.join(MALFORMED, n);
    const ex: Expect = existsSync(`${f}.expect.json`) ? JSON.parse(readFileSync(`${f}.expect.json`, 'utf8')) as Expect : {};
    const t0 = performance.now();
    const before = problems.length;
    try {
      const ev = await gatherEvidence([f]);
      const ms = performance.now() - t0;
      const anomalies = Object.keys(ev.inputs[0]?.anomalies ?? {});
      if (ms > (ex.maxMs ?? 3000)) problems.push(`${n}: ${ms.toFixed(0)} ms (limit ${ex.maxMs ?? 3000})`);
      if (ex.maxNames !== undefined && ev.names.length > ex.maxNames) problems.push(`${n}: ${ev.names.length} name observations (limit ${ex.maxNames})`);
      if (ex.maxFlows !== undefined && ev.flows.length > ex.maxFlows) problems.push(`${n}: ${ev.flows.length} flows (limit ${ex.maxFlows})`);
      if (ex.packets !== undefined && ev.inputs[0]?.packets !== ex.packets) problems.push(`${n}: ${ev.inputs[0]?.packets} packets read, ${ex.packets} expected (end: ${JSON.stringify(ev.inputs[0]?.end)})`);
      if (ex.minFlows !== undefined && ev.flows.length < ex.minFlows) problems.push(`${n}: ${ev.flows.length} flows read, at least ${ex.minFlows} expected (end: ${JSON.stringify(ev.inputs[0]?.end)})`);
      if (ex.anomaly !== undefined && !anomalies.some((a) => a.includes(ex.anomaly!))) problems.push(`${n}: no counted anomaly containing "${ex.anomaly}" (have: ${anomalies.join(', ') || 'none'}): a limit was reached silently`);
    } catch (e) {
      if (namedError(e) === null) problems.push(`${n}: unnamed error escaped: ${(e as Error).stack}`);
    }
    if (ex.bug !== undefined) {
      // checks tied to an open bug go through expectFixed (xfail while open)
      open.set(ex.bug, [...(open.get(ex.bug) ?? []), ...problems.splice(before)]);
      if (!open.has(ex.bug)) open.set(ex.bug, []);
    }
  }
  for (const [bug, ps] of open) expectFixed(bug, ps.length === 0, ps.join('; ') || 'reproducers read as expected');
  if (problems.length) assert.unreachable(problems.join('\n'));
});

test.run();
