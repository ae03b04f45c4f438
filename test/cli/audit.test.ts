/** The audit and rules commands end to end: exit codes, --fail-on, --output, config errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCliText } from '../helpers/cli.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PILOT = fileURLToPath(new URL('../../../shared/corpus/pilot/', import.meta.url));
const INV = path.join(ROOT, 'fixtures/inventories/pilot.json');
const have = existsSync(PILOT + 'pilot-full.pcap');
const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-cli-'));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = runCliText(args, { env: { NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('audit exit codes: 1 with findings, 0 when --fail-on does not name them, 0 on a clean capture', () => {
  if (!have) { console.log('skip: ../shared/corpus/pilot not present'); return; }
  const full = cli('audit', PILOT + 'pilot-full.pcap', '--inventory', INV);
  assert.is(full.code, 1, full.err);
  assert.match(full.out.split('\n')[0]!, /^FAIL {2}6 unexpected, 0 blocked, 0 missing/);
  assert.is(cli('audit', PILOT + 'pilot-full.pcap', '--inventory', INV, '--fail-on', 'blocked,missing', '--format', 'ndjson').code, 0);
  const clean = cli('audit', PILOT + 'pilot-no-ldaps.pcapng', '--inventory', INV, '--format', 'json', '-o', path.join(tmp, 'r.json'));
  assert.is(clean.code, 0, clean.err);
  assert.is(clean.out, '');
  const doc = JSON.parse(readFileSync(path.join(tmp, 'r.json'), 'utf8'));
  assert.is(doc.summary.verdict, 'PASS');
  assert.is(doc.inputs[0].packets, 683, 'GROUND-TRUTH.md: pilot-no-ldaps has 683 packets');
});

test('damaged inputs are reported and do not change the exit code unless nothing could be read', () => {
  if (!have) { console.log('skip: ../shared/corpus/pilot not present'); return; }
  const bytes = readFileSync(PILOT + 'pilot-no-ldaps.pcap');
  const cut = path.join(tmp, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 37));
  const r = cli('audit', cut, '--inventory', INV, '--format', 'json');
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.is(doc.inputs[0].end.clean, false);
  assert.ok(doc.inputs[0].end.offset > 0);
  assert.match(r.err, /cut\.pcap: at byte \d+/);
  const none = cli('audit', path.join(tmp, 'does-not-exist.pcap'), '--inventory', INV);
  assert.is(none.code, 2);
  assert.match(none.err, /does-not-exist\.pcap/);
});

test('configuration and usage errors exit 2 with one located line', () => {
  const bad = path.join(tmp, 'bad-inv.json');
  writeFileSync(bad, '{\n  "roles": {\n    "sync": ["10.0.0.1"]\n  }\n}\n');
  const r = cli('audit', 'x.pcap', '--inventory', bad);
  assert.is(r.code, 2);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /^flowaudit: .*bad-inv\.json:3:5: \/roles\/sync: unknown role "sync"/);
  assert.is(cli('audit', 'x.pcap', '--inventory', INV, '--fail-on', 'unexpectd').code, 2);
  const u = cli('audit', '-', '--inventory', INV, '--bogus');
  assert.is(u.code, 2);
  assert.match(u.err, /^flowaudit: Unknown argument: --bogus/);
  const f = cli('audit', 'x.pcap', '--inventory', INV, '--features', 'ldaps,nope');
  assert.is(f.code, 2);
  assert.match(f.err, /unknown feature "nope"/);
});

test('stdin: "-" reads a capture piped in and names it "-"', () => {
  if (!have) { console.log('skip: ../shared/corpus/pilot not present'); return; }
  const r = runCliText(['audit', '-', '--inventory', INV, '--format', 'json'], { input: readFileSync(PILOT + 'pilot-no-ldaps.pcap') });
  assert.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.inputs[0].file, '-');
  assert.is(doc.inputs[0].packets, 683);
});

test('rules: prints a profile, validates a user profile', () => {
  const t = cli('rules', '--profile', 'entra-connect-2025');
  assert.is(t.code, 0, t.err);
  assert.match(t.out, /T1-SMB +SMB +445 +TCP +aadconnect → dc +conditional \(seamless-sso or password-writeback\)/);
  const bad = path.join(tmp, 'bad-profile.json');
  writeFileSync(bad, JSON.stringify({ extends: 'hybrid-identity', rules: [{ id: 'T1-LDAP', ports: '389-88' }] }, null, 2));
  const b = cli('rules', '--profile', bad);
  assert.is(b.code, 2);
  assert.match(b.err, /bad-profile\.json:\d+:\d+: \/rules\/0\/ports: port range "389-88" is reversed/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
