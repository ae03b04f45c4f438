/**
 * `audit` on capture files audits the flows as they finish, in batches, and keeps none
 * (early-audit.ts, with one thread or with the audit thread). The report must be the one of
 * keeping every flow and auditing it at the end with every name known (what stdin, which cannot be
 * read twice, still does): when names come before the flows that use them, and when a name comes
 * late (the files are then read again).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, cliSync } from '../helpers/same-audit.js';
import { runCliText } from '../helpers/cli.js';
import { buildPcap, ethIpv4Udp } from '../helpers/capture-builder.js';
import { dnsResponse, DnsType } from '../../bench/gen/payloads.js';
import { generateBench } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { AuditThread } from '../../src/cli/commands/audit/audit-thread.js';
import { policyOf } from '../../src/cli/options/policy.js';
import { DEFAULT_FAIL_ON } from '../../src/audit/types.js';
import { DEFAULT_PROFILE } from '../../src/rules/profile.js';

const DEMO = path.join(ROOT, 'fixtures/demo/sample.pcapng');
const DEMO_INV = path.join(ROOT, 'fixtures/demo/inventory.json');

/** The report of a file audited from stdin (every flow kept, audited at the end), with the file named as stdin is. */
function fromStdin(file: string, args: string[]) {
  const r = cliSync(['audit', '-', ...args], readFileSync(file));
  return { ...r, out: r.out.split('"-"').join(JSON.stringify(file)).split('Input: - (').join(`Input: ${file} (`) };
}

test('files with one thread: the report of keeping every flow (demo, a generated capture of many flows, a damaged capture)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-early-'));
  try {
    const gen = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 37 }, limits: { packets: 120_000 }, inventory: inv });
    const whole = readFileSync(gen);
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.7) + 5));
    for (const [file, invFile] of [[DEMO, DEMO_INV], [gen, inv], [cut, inv]] as const) {
      const args = ['--inventory', invFile, '--format', 'json', '--threads', '1'];
      const early = cliSync(['audit', file, ...args]);
      const kept = fromStdin(file, args);
      assert.is(early.code, kept.code, `${file}: exit code`);
      assert.ok(early.out.length > 1000, `${file}: a report`);
      assert.ok(early.out === kept.out, `${file}: the same report`);
      assert.not.match(early.err, /reading the inputs again/, `${file}: names came first`);
      assert.is(early.err.split(file).join('-'), kept.err, `${file}: the same stderr`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A UDP flow to 40.126.1.1:443 that finishes (its 5-tuple comes back after the idle timeout) before
 * the DNS answer naming 40.126.1.1 login.microsoftonline.com, a hostname of the azuread role.
 */
function lateNameCapture(t0 = 1_700_000_000, answerAt = t0 + 302): Buffer {
  const AADC = '10.0.0.20', DC = '10.0.0.10', X = '40.126.1.1';
  const out = (ts: number) => ({ tsSec: t0 + ts, data: ethIpv4Udp({ src: AADC, dst: X, sport: 50000, dport: 443, payload: 120 }) });
  const back = (ts: number) => ({ tsSec: t0 + ts, data: ethIpv4Udp({ src: X, dst: AADC, sport: 443, dport: 50000, payload: 80 }) });
  const answer = dnsResponse(7, 'login.microsoftonline.com', DnsType.A, [{ type: DnsType.A, data: new Uint8Array([40, 126, 1, 1]) }]);
  return buildPcap({
    packets: [
      out(0), back(1),
      out(300), back(301), // the same 5-tuple after the 60 s UDP timeout: the first flow finishes here
      { tsSec: answerAt, data: ethIpv4Udp({ src: DC, dst: AADC, sport: 53, dport: 53001, payload: answer }) },
    ],
  });
}

const LATE_INVENTORY = { roles: { aadconnect: ['10.0.0.20'], dc: ['10.0.0.10'], azuread: ['login.microsoftonline.com'] } };

test('a name that comes after a flow of its address finished, in the same batch: the batch is audited with its names first (no second read), the report of keeping every flow', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-early-'));
  try {
    const cap = path.join(dir, 'late.pcap'), inv = path.join(dir, 'inv.json');
    writeFileSync(cap, lateNameCapture());
    writeFileSync(inv, JSON.stringify(LATE_INVENTORY));
    for (const [format, threads] of [['json', '1'], ['text', '1'], ['json', '2'], ['text', '2']] as const) {
      const args = ['--inventory', inv, '--format', format, '--threads', threads, '--fail-on', 'none'];
      const one = cliSync(['audit', cap, ...args]);
      const kept = fromStdin(cap, args);
      assert.is(one.code, 0, one.err);
      assert.is(one.err, '', 'nothing read again');
      assert.ok(one.out === kept.out, `${format}, ${threads} threads: the report of keeping every flow\n${one.out}\n---\n${kept.out}`);
      if (format === 'json') {
        const r = JSON.parse(one.out) as { findings: { kind: string; flows: number; resp_role: string[] }[]; summary: { flows: { total: number } } };
        assert.is(r.summary.flows.total, 3, 'two flows to 40.126.1.1 and the DNS flow, each once');
        assert.ok(!r.findings.some((f) => f.kind === 'unknown-host'), 'no finding from the flow that finished before its name');
        assert.ok(r.findings.some((f) => f.flows === 2 && f.resp_role.includes('azuread')), 'both flows to 40.126.1.1 as azuread');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a name that comes batches after a flow of its address was audited (thousands of flows between): the files are read again, and the report is the one of --two-pass, with 1, 2 and 3 threads', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-early-'));
  try {
    // a generated capture (2026-01-15 09:00 on), the flow to 40.126.1.1 before it and its name after it
    const gen = path.join(dir, 'g.pcap'), genInv = path.join(dir, 'gen-inv.json'), late = path.join(dir, 'late.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 53 }, limits: { packets: 150_000 }, inventory: genInv });
    const start = 1_768_467_600;
    writeFileSync(late, lateNameCapture(start - 1000, start + 3600));
    const g = JSON.parse(readFileSync(genInv, 'utf8')) as { roles: Record<string, string[]> };
    const roles: Record<string, string[]> = { ...g.roles, azuread: [...(g.roles.azuread ?? []), 'login.microsoftonline.com'] };
    roles.aadconnect = [...(roles.aadconnect ?? []), '10.0.0.20'];
    roles.dc = [...(roles.dc ?? []), '10.0.0.10'];
    writeFileSync(inv, JSON.stringify({ ...g, roles }));

    const policy = await policyOf({ inventory: inv, profile: DEFAULT_PROFILE });
    const setup = { profile: policy.profile, inventory: policy.inventory, features: [...policy.features], failOn: DEFAULT_FAIL_ON, keep: false };
    for (const [t, thread] of [[new AuditThread(setup), true], [await AuditThread.inThisThread(setup), false]] as const) {
      try {
        const ev = await gatherEvidence([gen, late], { onFlow: t.onFlow, rowBatches: t.rowBatches, onName: t.onName });
        assert.is(t.started, thread, 'a worker thread only when asked for');
        const outcome = await t.report(ev);
        assert.ok('again' in outcome, JSON.stringify(outcome).slice(0, 200));
        assert.match(outcome.again, /^the name login\.microsoftonline\.com \(dns\) gave 40\.126\.1\.1 roles after flows of it were audited$/);
      } finally {
        await t.close();
      }
    }

    const args = ['--inventory', inv, '--format', 'json', '--fail-on', 'none'];
    const kept = cliSync(['audit', gen, late, ...args, '--two-pass']);
    assert.is(kept.code, 0, kept.err);
    assert.not.match(kept.err, /changed between the two reads/, 'the files did not change');
    for (const threads of ['1', '2', '3']) {
      const r = cliSync(['audit', gen, late, ...args, '--threads', threads]);
      assert.is(r.code, 0, r.err);
      assert.match(r.err, /reading the inputs again with every name known first/);
      assert.not.match(r.err, /changed between the two reads/, 'the files did not change');
      assert.ok(r.out === kept.out, `${threads} threads: the report of --two-pass`);
    }

    // a pipe cannot be read again: its flows are kept, and the report is the same
    const fifo = path.join(dir, 'late.fifo');
    execFileSync('mkfifo', [fifo]);
    const viaPipe = (extra: string[]) => spawnSync('sh', ['-c', 'cat "$1" > "$2" & shift 2; exec "$@"', 'sh', late, fifo,
      process.execPath, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'audit', gen, fifo, ...args, ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
    for (const threads of ['1', '2']) {
      const r = viaPipe(['--threads', threads]);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stderr, '', 'not read again');
      assert.ok(r.stdout.split(fifo).join(late) === kept.out, `a pipe, ${threads} threads: the report of --two-pass on the file`);
    }
    // (refused before anything is read: no writer on the FIFO, which would wait for a reader)
    const refused = runCliText(['audit', gen, fifo, ...args, '--two-pass'], { timeout: 60_000 });
    assert.is(refused.status, 2);
    assert.match(refused.stderr, /--two-pass reads the capture files twice, and stdin or a pipe can be read only once/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
