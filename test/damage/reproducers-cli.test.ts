/**
 * Every capture reproducer under fixtures/malformed/ (and every `evidence.*` flow-log reproducer)
 * through the real CLI (`inspect` for captures and `audit --format text`, the paths that format times and names): exit 0/1/2 as a user outcome,
 * never `internal error`, never a stack trace.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { MALFORMED } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { cliAvailable, runMany, hasStackTrace, INVENTORY } from './cli.js';

test('capture reproducers through inspect and audit: no internal error, no stack trace', async () => {
  if (!cliAvailable('audit') || !cliAvailable('inspect')) return skip('CLI commands not there yet');
  if (!existsSync(MALFORMED)) return skip('no fixtures/malformed');
  const files = readdirSync(MALFORMED).filter((n) => /\.(pcap|pcapng|frames|gz)$/.test(n) || /^evidence\..*\.(log|json)$/.test(n)).sort().map((n) => path.join(MALFORMED, n));
  if (files.length === 0) return skip('no capture reproducers');
  const jobs: string[][] = [];
  for (const f of files) {
    const inv = f.replace(/\.[a-z]+$/, '.inventory.json');
    if (f.endsWith('.pcapng')) jobs.push(['inspect', f]); // inspect prints pcapng options and times
    jobs.push(['audit', f, '--inventory', existsSync(inv) ? inv : INVENTORY]);
  }
  const runs = await runMany(jobs);
  const problems: string[] = [];
  runs.forEach((r, i) => {
    const what = `${jobs[i]![0]} ${path.basename(jobs[i]![1]!)}`;
    if (hasStackTrace(r.stderr)) problems.push(`${what}: exit ${r.code}: ${r.stderr.split('\n').slice(0, 3).join(' | ')}`);
    else if (r.code === null || r.code > 2) problems.push(`${what}: exit ${r.code} signal ${r.signal}`);
  });
  process.stdout.write(`capture reproducers through the CLI: ${files.length} files, ${jobs.length} runs\n`);
  if (problems.length) assert.unreachable(`${problems.length} run(s) ended in an internal error:\n${problems.join('\n')}`);
});

test.run();
