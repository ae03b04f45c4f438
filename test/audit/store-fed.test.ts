/**
 * The audit command's path: flows kept as FlowStore rows, audited in the order they finished with
 * the store's address ids as keys (roles and peers remembered by number), must give exactly the report of the
 * plain path (audit over gatherEvidence's records). Checked on the demo sample, on the pilot
 * captures and on a generated capture with thousands of flows folded into few findings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherEvidence } from '../../src/cli/gather.js';
import { audit, createAuditor } from '../../src/audit/auditor.js';
import type { AuditReport } from '../../src/audit/types.js';
import { FlowStore, blankRecord } from '../../src/report/flows/store.js';
import { loadProfile } from '../../src/rules/profile.js';
import { loadInventory } from '../../src/rules/inventory.js';
import { compilePolicy, type CompiledPolicy } from '../../src/rules/policy.js';
import { generateBench } from '../../bench/gen/index.js';
import { PeerSet } from '../../src/audit/peer-set.js';
import fc from 'fast-check';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PILOT = here('../../../shared/corpus/pilot/');

async function policy(inventory: string): Promise<CompiledPolicy> {
  const p = await loadProfile('hybrid-identity');
  return compilePolicy(p, await loadInventory(inventory, p), []);
}

async function both(file: string, inventory: string): Promise<[AuditReport, AuditReport]> {
  const plain = audit(await gatherEvidence([file]), await policy(inventory));
  const store = new FlowStore();
  const ev = await gatherEvidence([file], { onFlow: (f) => store.add(f), rowSink: store.rowSink() });
  for (const i of ev.inputs) if (i.format === 'pcapng') store.setEvidenceKind(i.file, 'pcap', 'pcapng');
  const auditor = createAuditor(await policy(inventory), { newFindings: false });
  for (const n of ev.names) auditor.addName(n);
  // as the audit command does: in the order the flows finished, keyed by address id, every flow
  // refilled into ONE record object (the auditor must copy what it keeps)
  const rec = blankRecord();
  for (let i = 0; i < store.size; i++) {
    const made = auditor.addFlow(store.getInto(i, rec, false), store.origAddrId(i), store.respAddrId(i));
    assert.is(made.length, 0, 'newFindings: false returns no findings');
  }
  return [auditor.finish(ev), plain];
}

test('demo sample: the store-fed, keyed audit equals the plain audit', async () => {
  const [fed, plain] = await both(here('../../fixtures/demo/sample.pcapng'), here('../../fixtures/demo/inventory.json'));
  assert.ok(plain.findings.length > 5);
  assert.equal(fed, plain);
});

test('pilot captures: the store-fed, keyed audit equals the plain audit', async () => {
  if (!existsSync(PILOT)) { console.log('skip: ../shared/corpus/pilot not present'); return; }
  for (const f of ['pilot-full.pcap', 'pilot-full.pcapng', 'pilot-no-ldaps.pcap']) {
    const [fed, plain] = await both(PILOT + f, here('../../fixtures/inventories/pilot.json'));
    assert.equal(fed, plain, f);
  }
});

test('generated capture (thousands of flows folded into few findings, ICMP errors kept as records): same report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fa-fed-'));
  try {
    const cap = join(dir, 'g.pcap'), inv = join(dir, 'inv.json');
    generateBench({ out: cap, format: 'pcap', options: { seed: 7 }, limits: { packets: 60_000 }, inventory: inv });
    const [fed, plain] = await both(cap, inv);
    assert.ok(plain.summary.flows.total > 5000, `${plain.summary.flows.total} flows`);
    assert.ok(plain.findings.some((f) => (f.evidence.peer_count ?? 0) > 50), 'a finding folds many peers');
    assert.equal(fed, plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The report when the evidence's flows are fed in the given order (names first, as audit() does). */
async function auditInOrder(file: string, inventory: string, reorder: (n: number) => number[]): Promise<AuditReport> {
  const ev = await gatherEvidence([file]);
  const auditor = createAuditor(await policy(inventory));
  for (const n of ev.names) auditor.addName(n);
  for (const i of reorder(ev.flows.length)) auditor.addFlow(ev.flows[i]!);
  return auditor.finish(ev);
}

test('order-independent: flows fed reversed or shuffled give the sorted report (demo, pilot, generated)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fa-order-'));
  try {
    const gen = join(dir, 'g.pcap'), genInv = join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 11 }, limits: { packets: 60_000 }, inventory: genInv });
    const cases: [string, string][] = [[here('../../fixtures/demo/sample.pcapng'), here('../../fixtures/demo/inventory.json')], [gen, genInv]];
    if (existsSync(PILOT)) cases.push([PILOT + 'pilot-full.pcapng', here('../../fixtures/inventories/pilot.json')]);
    let x = 5;
    const shuffle = (n: number): number[] => {
      const a = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; const j = x % (i + 1); [a[i], a[j]] = [a[j]!, a[i]!]; }
      return a;
    };
    for (const [file, inv] of cases) {
      const sorted = audit(await gatherEvidence([file]), await policy(inv));
      // finding ids are unique (folds that differ only in roles once shared one: the sort then depended on input order)
      assert.is(new Set(sorted.findings.map((f) => f.id)).size, sorted.findings.length, `${file}: unique ids`);
      assert.equal(await auditInOrder(file, inv, (n) => Array.from({ length: n }, (_, i) => n - 1 - i)), sorted, `${file} reversed`);
      assert.equal(await auditInOrder(file, inv, shuffle), sorted, `${file} shuffled`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PeerSet: keyed and unkeyed addresses count once per text', () => {
  const s = new PeerSet();
  s.add('10.0.0.1', 3); s.add('10.0.0.1', 3); s.add('10.0.0.2', 4);
  assert.is(s.size, 2);
  s.add('10.0.0.1', -1); s.add('10.0.0.9', -1);
  assert.is(s.size, 3);
  assert.equal(s.values().sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.9']);
  const t = new PeerSet();
  t.add('a', -1); t.add('a', -1);
  assert.is(t.size, 1);
  assert.equal(t.values(), ['a']);
});

test('PeerSet: past the bitmap threshold, keys still count once and every text comes back', () => {
  const s = new PeerSet();
  const want = new Set<string>();
  let x = 99;
  for (let n = 0; n < 20_000; n++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const key = x % 3000;
    s.add(`10.0.${key >> 8}.${key & 255}`, key);
    want.add(`10.0.${key >> 8}.${key & 255}`);
    if (n % 1000 === 0) { s.add('192.0.2.1', -1); want.add('192.0.2.1'); }
  }
  s.add('10.0.0.5', -1); // also known by key 5: counts once
  assert.is(s.size, want.size);
  assert.equal(s.values().sort(), [...want].sort());
  assert.equal(s.first(20), [...want].sort().slice(0, 20));
});

test('PeerSet.first(n) is the n first of the sorted addresses, keyed and unkeyed, any n', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.stringMatching(/^[0-9a-f.:]{0,6}$/), fc.integer({ min: -1, max: 200 })), { maxLength: 300 }),
    fc.integer({ min: 0, max: 30 }),
    (adds, n) => {
      const s = new PeerSet();
      // one text per key, as the flow store's address ids are
      const textOf = new Map<number, string>();
      for (const [t, k] of adds) {
        if (k >= 0) { if (!textOf.has(k)) textOf.set(k, t); s.add(textOf.get(k)!, k); } else s.add(t, -1);
      }
      assert.equal(s.first(n), s.values().sort().slice(0, n));
    },
  ));
});

test.run();
