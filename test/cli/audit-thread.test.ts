/**
 * `audit --threads 2`: the audit runs in its own thread (audit-thread.ts) and audits flows while
 * the capture is read (incremental.ts). The report must be exactly the one-thread report (same
 * JSON, same exit code, same stderr), also when a name arrives after flows of its address were
 * audited (the early audit is then dropped and everything audited again at the end).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, cliSync, sameAudit, sameAuditOnSamples } from '../helpers/same-audit.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { generateBench } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { IncrementalAudit, type AuditOutcome } from '../../src/cli/commands/audit/incremental.js';
import { AuditThread, MAX_IN_FLIGHT, ROW_BATCHES } from '../../src/cli/commands/audit/audit-thread.js';
import { createAuditor } from '../../src/audit/auditor.js';
import { DEFAULT_FAIL_ON, type AuditReport } from '../../src/audit/types.js';
import { PACKED_ROW_WORDS } from '../../src/flow/table.js';
import { PackedRows, type PackedBatch } from '../../src/flow/packed-rows.js';
import type { FlowRecord, NameObservation } from '../../src/flow/record.js';
import { FlowStore, blankRecord } from '../../src/report/flows/store.js';
import { comparePolicies } from '../../src/rules/compare.js';
import { policyOf } from '../../src/cli/options/policy.js';
import { DEFAULT_PROFILE } from '../../src/rules/profile.js';

const DEMO = path.join(ROOT, 'fixtures/demo/sample.pcapng');
const DEMO_INV = path.join(ROOT, 'fixtures/demo/inventory.json');

/** One thread and two give the same report. */
function same(inputs: string[], inventory: string, input?: Buffer, format = 'json'): void {
  sameAudit(inputs, inventory, ['--threads', '1'], ['--threads', '2'], { ...(input ? { input } : {}), format });
}

test('--threads 2 gives the one-thread report: demo sample (JSON and text), a generated capture, pilot captures, capture + Zeek log', () => {
  // about 30 000 flows in the generated capture: several batches of rows cross to the audit thread
  sameAuditOnSamples(['--threads', '1'], ['--threads', '2'], { seed: 23, packets: 200_000, text: true });
});

test('--threads 2: a damaged capture (what came before is audited, stderr says where) and pcapng on stdin', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-thr-'));
  try {
    const whole = readFileSync(DEMO);
    const cut = path.join(dir, 'cut.pcapng');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    same([cut], DEMO_INV);
    const one = cliSync(['audit', cut, '--inventory', DEMO_INV, '--threads', '2']);
    assert.match(one.err, /cut\.pcapng: at byte \d+: .*\(what came before was audited\)/);
    // stdin's pcapng is labelled pcap until read through: the early audit must not show that (a
    // capture with enough flows to start the thread, and the small demo, audited without one)
    const gen = path.join(dir, 'g.pcapng'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcapng', options: { seed: 31 }, limits: { packets: 150_000 }, inventory: inv });
    same(['-'], inv, readFileSync(gen));
    same(['-'], DEMO_INV, whole);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A capture's flows as the audit thread gets them: packed rows, records and names, in finishing order. */
async function streamOf(file: string): Promise<{ rows: ArrayBuffer; n: number; names: NameObservation[]; rowsBefore: number[]; records: FlowRecord[]; recordsBefore: number[]; own: PackedBatch; sources: [number, string, 'pcap' | 'pcapng'][]; evidence: Awaited<ReturnType<typeof gatherEvidence>> }> {
  const rows: number[] = [];
  const names: NameObservation[] = [];
  const rowsBefore: number[] = []; // per name: rows finished before it was found
  const records: FlowRecord[] = [], recordsBefore: number[] = [];
  const sources: [number, string, 'pcap' | 'pcapng'][] = [];
  const one = new Uint32Array(PACKED_ROW_WORDS);
  // (the flows with ICMP errors both ways: as records, and packed with their errors as the audit thread packs them)
  const own = new PackedRows(0);
  const evidence = await gatherEvidence([file], {
    onName: (o) => { names.push(o); rowsBefore.push(rows.length / PACKED_ROW_WORDS); }, onFlow: (f) => { records.push(f); recordsBefore.push(rows.length / PACKED_ROW_WORDS); },
    rowSink: (t, f) => {
      if (t.icmpErrorsOf(f) !== null) { own.add(t, f); return false; }
      t.packRow(f, one, 0);
      const fi = one[PACKED_ROW_WORDS - 2]!;
      if (!sources.some((s) => s[0] === fi)) { const s = t.sourceOf(fi)!; sources.push([fi, s.name, s.kind as 'pcap' | 'pcapng']); }
      rows.push(...one);
      return true;
    },
  });
  return { rows: new Uint32Array(rows).buffer, n: rows.length / PACKED_ROW_WORDS, names, rowsBefore, records, recordsBefore, own: own.take(), sources, evidence };
}

/** The one-thread audit (as the audit command runs it without a thread): every name, then every flow. */
async function oneThreadReport(file: string, inventory: string, setup: Awaited<ReturnType<typeof setupOf>>, ev: Awaited<ReturnType<typeof gatherEvidence>>): Promise<string> {
  const policy = await policyOf({ inventory, profile: DEFAULT_PROFILE });
  const auditor = createAuditor(policy, { failOn: setup.failOn, compare: await comparePolicies(policy), newFindings: false });
  const store = new FlowStore();
  const again = await gatherEvidence([file], { onFlow: (f) => store.add(f), rowSink: store.rowSink() });
  for (const n of ev.names) auditor.addName(n);
  const rec = blankRecord();
  for (let i = 0; i < store.size; i++) auditor.addFlow(store.getInto(i, rec, false), store.origAddrId(i), store.respAddrId(i));
  return JSON.stringify(auditor.finish(again));
}

async function setupOf(inventory: string, keep = true) {
  const policy = await policyOf({ inventory, profile: DEFAULT_PROFILE });
  return { profile: policy.profile, inventory: policy.inventory, features: [...policy.features], failOn: DEFAULT_FAIL_ON, keep };
}

/** The report of an audit that did not ask for the inputs again. */
function reportOf(o: AuditOutcome): AuditReport {
  if (!('report' in o)) throw new Error(`the audit asked for the inputs again: ${o.again}`);
  return o.report;
}

test('IncrementalAudit: names as found keep the early audit; names that come late drop it, and both give the one-thread report', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-thr-'));
  try {
    const gen = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 29 }, limits: { packets: 200_000 }, inventory: inv });
    await incremental(gen, inv, true);
    await incremental(gen, inv, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** keep: the flows are kept (stdin) and audited again at the end when a name comes late; or none is, and the inputs are asked for again. */
async function incremental(file: string, inventory: string, keep: boolean): Promise<void> {
  const s = await streamOf(file);
  assert.ok(s.n > 1000, `flows (${s.n})`);
  assert.ok(s.names.length > 0, 'the capture has DNS/SNI names');
  const setup = await setupOf(inventory, keep);
  const expected = await oneThreadReport(file, inventory, setup, s.evidence);

  // as the audit thread gets them: batches of 16 rows, each after the names found before its last row
  const inOrder = await IncrementalAudit.create(setup);
  for (const [i, name, kind] of s.sources) inOrder.setSource(i, name, kind);
  const bytes = PACKED_ROW_WORDS * 4;
  let nextName = 0, nextRecord = 0;
  for (let k = 0; k < s.n; k += 16) {
    const end = Math.min(s.n, k + 16);
    while (nextName < s.names.length && s.rowsBefore[nextName]! < end) inOrder.addName(s.names[nextName++]!);
    inOrder.addRows(s.rows.slice(k * bytes, end * bytes), end - k);
    const from = nextRecord;
    while (nextRecord < s.records.length && s.recordsBefore[nextRecord]! < end) nextRecord++;
    if (nextRecord > from) inOrder.addRecords(s.records.slice(from, nextRecord));
  }
  while (nextName < s.names.length) inOrder.addName(s.names[nextName++]!);
  inOrder.addRecords(s.records.slice(nextRecord));
  assert.ok(s.records.length > 0, 'some flows come as records (ICMP errors)');
  assert.ok(s.rowsBefore.some((r) => r > 0), 'some names are found after some flows finished');
  const r1 = JSON.stringify(reportOf(await inOrder.finish(s.evidence)));
  assert.is(inOrder.store?.size ?? 0, keep ? s.n + s.records.length : 0, keep ? 'every flow kept' : 'no flow kept');
  assert.is(inOrder.dropped, null, 'no name changed an audited address');
  assert.ok(r1 === expected, 'names as found: the report is the one-thread report');

  // the same with the flows with ICMP errors as the audit thread hands them over: rows packed with their errors
  assert.is(s.own.n, s.records.length);
  const asRows = await IncrementalAudit.create(setup);
  for (const [i, name, kind] of s.sources) asRows.setSource(i, name, kind);
  for (const n of s.names) asRows.addName(n);
  asRows.addRows(s.rows.slice(0), s.n);
  asRows.addOwnRows(s.own);
  assert.is(asRows.store?.size ?? 0, keep ? s.n + s.records.length : 0);
  assert.ok(JSON.stringify(reportOf(await asRows.finish(s.evidence))) === expected, 'flows with ICMP errors as rows: the one-thread report');

  // every row first, the names only at the end: they give roles to addresses already audited
  const late = await IncrementalAudit.create(setup);
  for (const [i, name, kind] of s.sources) late.setSource(i, name, kind);
  late.addRows(s.rows.slice(0), s.n);
  late.addRecords(s.records);
  for (const n of s.names) late.addName(n);
  assert.type(late.dropped, 'string');
  assert.match(late.dropped!, /gave .* roles after flows of it were audited/);
  const outcome = await late.finish(s.evidence);
  if (keep) {
    assert.ok(JSON.stringify(reportOf(outcome)) === expected, 'names late: the report is the one-thread report');
  } else {
    assert.equal(outcome, { again: late.dropped }, 'names late, no flow kept: the inputs are asked for again');
  }
}

test('AuditThread: a thread that fails says so (and how to do without it) instead of hanging', async () => {
  const setup = await setupOf(DEMO_INV);
  // a profile that cannot be compiled: the thread fails while starting
  const t = new AuditThread({ ...setup, profile: { ...setup.profile, rules: null } as unknown as typeof setup.profile });
  try {
    for (let i = 0; i < 1024; i++) t.onFlow(blankRecord()); // one full batch starts the thread
    assert.ok(t.started);
    await t.report({ names: [], inputs: [], evictions: 0 });
    assert.unreachable('the report of a failed thread');
  } catch (e) {
    assert.match((e as Error).message, /the audit thread (failed|stopped)/);
    assert.match((e as Error).message, /--threads 1/);
  } finally {
    await t.close();
  }
});

test('AuditThread: a small input is audited without starting the thread, a large one in it; both give the one-thread report', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-thr-'));
  try {
    const gen = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 37 }, limits: { packets: 100_000 }, inventory: inv });
    for (const [file, inventory, started, keep] of [[DEMO, DEMO_INV, false, true], [gen, inv, true, true], [DEMO, DEMO_INV, false, false], [gen, inv, true, false]] as const) {
      const setup = await setupOf(inventory, keep);
      const t = new AuditThread(setup);
      try {
        const ev = await gatherEvidence([file], { onFlow: t.onFlow, rowBatches: t.rowBatches, onName: t.onName });
        assert.is(t.started, started, file);
        const got = JSON.stringify(reportOf(await t.report(ev)));
        assert.ok(got === await oneThreadReport(file, inventory, setup, ev), `${file}: the one-thread report`);
      } finally {
        await t.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AuditThread: full row batches go over in place while the core has another to fill, else as copies; the same report', async () => {
  await withTmpDir('fa-thr-', async (dir) => {
    const gen = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 41 }, limits: { packets: 150_000 }, inventory: inv });
    const setup = await setupOf(inv, true);
    let expected: string | null = null;
    // (1: the table has one batch, so every batch is copied; 2: the first goes in place, and the
    // next ones while the thread starts are copied; ROW_BATCHES: as audit runs)
    for (const count of [1, 2, ROW_BATCHES]) {
      const t = new AuditThread(setup);
      try {
        assert.is(t.rowBatchCount, ROW_BATCHES);
        const ev = await gatherEvidence([gen], { onFlow: t.onFlow, rowBatches: t.rowBatches, rowBatchCount: count, onName: t.onName });
        const handed = t.batchesInPlace + t.batchesCopied;
        assert.ok(handed >= 3, `batches handed over: ${handed}`);
        if (count === 1) assert.is(t.batchesInPlace, 0, 'one batch in the core: every batch copied');
        else assert.ok(t.batchesInPlace >= 1, `${count} batches: in place ${t.batchesInPlace}`);
        if (count === 2) assert.ok(t.batchesCopied >= 1, `2 batches, the thread starting: copied ${t.batchesCopied}`);
        const got = JSON.stringify(reportOf(await t.report(ev)));
        expected ??= await oneThreadReport(gen, inv, setup, ev);
        assert.ok(got === expected, `${count} row batches: the one-thread report`);
      } finally {
        await t.close();
      }
    }
  });
});

test('AuditThread: reading waits while MAX_IN_FLIGHT batches are not taken by the audit thread, then goes on; every flow is audited', async () => {
  const setup = await setupOf(DEMO_INV);
  const ev = await gatherEvidence([DEMO], {}); // every flow as a record
  assert.ok(ev.flows.length > 10, `flows (${ev.flows.length})`);
  const t = new AuditThread(setup);
  try {
    assert.is(t.between(), undefined, 'nothing handed over yet: no wait');
    // batches handed over with no turn of the event loop: the thread cannot have taken any yet
    let k = 0;
    while (t.inFlight < MAX_IN_FLIGHT) t.onFlow(ev.flows[k++ % ev.flows.length]!);
    assert.is(t.peakInFlight, MAX_IN_FLIGHT);
    const wait = t.between();
    assert.ok(wait instanceof Promise, 'the reading is told to wait');
    assert.is(t.between(), wait, 'one wait for all who ask');
    await wait;
    assert.ok(t.inFlight <= MAX_IN_FLIGHT / 2, `in flight after the wait: ${t.inFlight}`);
    assert.is(t.between(), undefined, 'then the reading goes on');
    const more = 5 * 1024 + 3;
    for (let j = 0; j < more; j++) t.onFlow(ev.flows[k++ % ev.flows.length]!);
    const r = reportOf(await t.report({ names: ev.names, inputs: ev.inputs, evictions: 0 }));
    assert.is(r.summary.flows.total, k, 'every flow handed over was audited once');
  } finally {
    await t.close();
  }
});

test.run();
