/**
 * Determinism: the same inputs give byte-identical reports across runs, across read chunk sizes
 * (ReadOptions.chunkSize 333 B, 1 KiB, 4 MiB: records straddle chunk boundaries
 * differently), and across processes (two CLI runs). Inputs mix several captures (merged by
 * time), a damaged capture, a big-endian pcapng with several sections, and a flow log.
 * Thread counts: `--threads 1` vs `--threads 3` once the CLI has the option (skipped until then).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gatherEvidence } from '../../src/cli/gather.js';
import { policyOf } from '../../src/cli/options/policy.js';
import { audit } from '../../src/audit/auditor.js';
import { reporterFor, writeReport, type ReportFormat } from '../../src/report/reporter.js';
import { DEFAULT_PROFILE } from '../../src/rules/profile.js';
import { CORPUS, corpusPresent, ROOT } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { runMany, cliAvailable, INVENTORY } from '../damage/cli.js';
import { DOCS } from '../fuzz/flowlog-docs.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-det-'));
const FILES = ['krb-kinit-udp-tcp.pcap', 'dcerpc-netlogon-zerologon.pcap', 'pcapng-gen-multisection-mixed-endian.pcapng', 'derived-cut-mid-record.pcap', 'ldap-gssapi-krb.pcapng', 'teredo.pcap'];

function inputs(): string[] {
  const nsg = path.join(tmp, 'nsg.json');
  writeFileSync(nsg, DOCS.find((d) => d.kind === 'azure-nsg')!.text);
  const demo = path.join(ROOT, 'fixtures/demo/sample.pcapng');
  return [...(corpusPresent() ? FILES.map((f) => path.join(CORPUS, f)) : []), demo, nsg];
}

async function report(files: string[], chunkSize: number, format: ReportFormat): Promise<string> {
  const policy = await policyOf({ inventory: INVENTORY, profile: DEFAULT_PROFILE });
  const ev = await gatherEvidence(files, { chunkSize });
  const r = audit(ev, policy, { failOn: ['unexpected', 'blocked', 'missing'] });
  const chunks: string[] = [];
  writeReport(r, reporterFor(format, { color: false, width: 100 }), (c) => { chunks.push(c); });
  return chunks.join('');
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

test('byte-identical JSON and text reports across runs and chunk sizes (333 B, 1 KiB, 4 MiB)', async () => {
  if (!corpusPresent()) skip(`${CORPUS} not present (using fixtures/demo only)`);
  const files = inputs();
  for (const format of ['json', 'text'] as const) {
    const base = await report(files, 4 << 20, format);
    assert.ok(base.length > 1000, `${format}: a real report (${base.length} bytes)`);
    const again = await report(files, 4 << 20, format);
    assert.is(sha(again), sha(base), `${format}: same run twice`);
    for (const cs of [333, 1024]) {
      const r = await report(files, cs, format);
      if (r !== base) {
        const i = [...r].findIndex((ch, k) => ch !== base[k]);
        assert.unreachable(`${format}: chunk size ${cs} changes the report at char ${i}: …${JSON.stringify(base.slice(Math.max(0, i - 80), i + 80))} vs …${JSON.stringify(r.slice(Math.max(0, i - 80), i + 80))}`);
      }
    }
    process.stdout.write(`determinism: ${format} report ${base.length} bytes, sha256 ${sha(base)}…, identical for 4 runs / 3 chunk sizes\n`);
  }
});

test('two CLI processes give byte-identical JSON reports', async () => {
  if (!cliAvailable('audit')) return skip('audit not there yet');
  const args = ['audit', ...inputs(), '--inventory', INVENTORY, '--format', 'json'];
  const [a, b] = await runMany([args, args], 2);
  assert.ok(a!.stdout.length > 1000, `a report was written (exit ${a!.code}, stderr ${a!.stderr.slice(0, 300)})`);
  assert.is(sha(a!.stdout), sha(b!.stdout), 'identical bytes');
  assert.is(a!.code, b!.code);
  assert.is(a!.stderr, b!.stderr);
});

test('--threads (when the CLI has it): 1 and 3 threads give byte-identical JSON reports', async () => {
  if (!cliAvailable('audit')) return skip('audit not there yet');
  const optsDir = path.join(ROOT, 'src/cli');
  const hasThreads = [path.join(optsDir, 'options/flow.ts'), path.join(optsDir, 'options/input.ts'), path.join(optsDir, 'commands/audit/command.ts')]
    .some((f) => existsSync(f) && /['"]threads['"]/.test(readFileSync(f, 'utf8')));
  if (!hasThreads) return skip('the CLI has no --threads option (yet): no thread-count dimension to test');
  const args = ['audit', ...inputs(), '--inventory', INVENTORY, '--format', 'json'];
  const [one, three] = await runMany([[...args, '--threads', '1'], [...args, '--threads', '3']], 2);
  assert.ok(one!.stdout.length > 1000, `a report was written (exit ${one!.code}, stderr ${one!.stderr.slice(0, 300)})`);
  assert.is(sha(three!.stdout), sha(one!.stdout), 'identical bytes with 1 and 3 threads');
  assert.is(three!.code, one!.code);
});

test.after(() => { rmSync(tmp, { recursive: true, force: true }); });

test.run();
