/**
 * FlowStore (compact columns for the `flows` command) must give back exactly the records it was
 * given, and in exactly gatherEvidence's order: checked on every public and pilot corpus capture
 * (ICMP errors, tunnels, IPv6, VLANs, damaged files) and on every flow-log fixture.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatherEvidence, sortFlows } from '../../src/cli/gather.js';
import { FlowStore, blankRecord } from '../../src/report/flows/store.js';
import type { FlowRecord } from '../../src/flow/record.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const evidenceDir = fileURLToPath(new URL('../../fixtures/evidence/', import.meta.url));

/** Every public and pilot corpus capture. */
function corpusCaptures(): string[] {
  const files: string[] = [];
  for (const d of ['public', 'pilot']) {
    if (!existsSync(corpus + d)) continue;
    for (const n of readdirSync(corpus + d)) if (/\.(pcap|pcapng|cap)$/.test(n)) files.push(`${corpus}${d}/${n}`);
  }
  return files;
}

const TUNNELS = [
  { kind: 'vxlan', outerSrc: '10.99.0.1', outerDst: '10.99.0.2' }, { kind: 'erspan', outerSrc: '192.0.2.7', outerDst: '192.0.2.9' },
  { kind: 'geneve', outerSrc: 'fd99::1', outerDst: 'fd99::2' },
];

function roundTrip(flows: FlowRecord[]): void {
  const store = new FlowStore();
  for (const f of flows) store.add(f);
  assert.is(store.size, flows.length);
  for (let i = 0; i < flows.length; i++) assert.equal(store.get(i), flows[i], `record ${i}`);
  // getInto refills one object with the same record, whatever the previous one was
  const reused = blankRecord();
  for (let i = flows.length - 1; i >= 0; i--) {
    assert.ok(store.getInto(i, reused) === reused);
    assert.equal({ ...reused }, flows[i], `record ${i} (getInto)`);
  }
  const want = sortFlows(flows.slice());
  assert.equal([...store.sorted()], want);
}

test('corpus captures: every record comes back equal, in gatherEvidence order', async () => {
  if (!existsSync(corpus)) { console.log('skip: ../shared/corpus not available'); return; }
  const files = corpusCaptures();
  let n = 0, special = 0;
  for (const f of files) {
    const ev = await gatherEvidence([f]);
    const got: FlowRecord[] = [];
    await gatherEvidence([f], { onFlow: (r) => got.push(r) });
    roundTrip(ev.flows);
    // streaming mode gives the same records (before sorting)
    assert.equal(sortFlows(got), ev.flows, f);
    n += ev.flows.length;
    special += ev.flows.filter((r) => r.icmpErrors.length > 0 || r.tunnel !== null).length;
  }
  assert.ok(n > 500, `${n} flows`);
  assert.ok(special > 0, 'some records with ICMP errors or tunnels (in their interned columns) were exercised');
});

test('rows taken straight from the flow table (rowSink) give the same records as FlowRecords, Community IDs computed on demand', async () => {
  if (!existsSync(corpus)) { console.log('skip: ../shared/corpus not available'); return; }
  const files = corpusCaptures();
  files.push(fileURLToPath(new URL('../../fixtures/demo/sample.pcapng', import.meta.url)));
  let rows = 0, tunnelled = 0, refused = 0;
  for (const f of files) {
    const ev = await gatherEvidence([f]);
    const store = new FlowStore();
    const ev2 = await gatherEvidence([f], { onFlow: (r) => store.add(r), rowSink: store.rowSink() });
    for (const i of ev2.inputs) if (i.format === 'pcapng') store.setEvidenceKind(i.file, 'pcap', 'pcapng');
    assert.is(store.size, ev.flows.length, f);
    assert.equal([...store.sorted()], ev.flows, f);
    // without Community IDs: the same records, communityId '' only where it was computed lazily
    const lean = [...store.sorted(false)];
    for (let i = 0; i < lean.length; i++) {
      const want = ev.flows[i]!;
      // (flows with a tunnel or ICMP errors are rows too, kept with them: FlowTable.tunnelOf, icmpErrorsOf)
      assert.equal(lean[i], { ...want, communityId: '' }, `${f} flow ${i}`);
      rows++;
      if (want.tunnel !== null) tunnelled++;
      if (want.icmpErrors.length > 0) refused++;
      assert.ok(store.origAddrId(i) >= 0, `${f} flow ${i} in the columns`);
    }
  }
  assert.ok(rows > 500, `${rows} rows`);
  assert.ok(tunnelled > 0, `${tunnelled} tunnelled rows`);
  assert.ok(refused > 0, `${refused} rows with ICMP errors`);
});

test('FlowEngine.flush(onFlow) hands every flow to onFlow as a record, even with a row sink set', async () => {
  const { FlowEngine } = await import('../../src/flow/engine.js');
  const { readCaptures } = await import('../../src/capture/read.js');
  const sample = fileURLToPath(new URL('../../fixtures/demo/sample.pcapng', import.meta.url));
  const rows: number[] = [], records: FlowRecord[] = [];
  const eng = new FlowEngine({ onFlow: () => { throw new Error('the default sink is not used'); } });
  eng.addSource(0, sample, 'pcapng');
  eng.table.setRowSink((_t, f) => { rows.push(f); return true; });
  await readCaptures([sample], {}, (r) => eng.packet(r));
  const before = rows.length;
  const n = eng.flush((f) => records.push(f));
  assert.is(records.length, n);
  assert.ok(n > 10, `${n} flows flushed`);
  assert.is(rows.length, before, 'no row taken during flush(onFlow)');
  assert.ok(eng.table.rowSink !== null, 'the row sink is back afterwards');
});

test('all corpus captures in one run (many ties, several sources), and flow-log fixtures', async () => {
  if (!existsSync(corpus + 'public')) { console.log('skip: ../shared/corpus not available'); return; }
  const files = readdirSync(corpus + 'public').filter((n) => /\.(pcap|pcapng)$/.test(n)).map((n) => corpus + 'public/' + n);
  const ev = await gatherEvidence(files);
  roundTrip(ev.flows);
  const logs = readdirSync(evidenceDir).filter((n) => !n.endsWith('.ts') && !n.endsWith('.md')).map((n) => evidenceDir + n);
  const ev2 = await gatherEvidence(logs);
  assert.ok(ev2.flows.length > 0);
  roundTrip(ev2.flows);
});

test('records that do not fit the columns (odd numbers, odd Community IDs) come back unchanged', () => {
  const base: FlowRecord = {
    firstSec: 1_700_000_000, firstNsec: 5, lastSec: 1_700_000_001, lastNsec: 7, proto: 6, origH: '10.0.0.1', origP: 1, respH: '10.0.0.2', respP: 2,
    origPkts: 1, respPkts: 1, origIpBytes: 40, respIpBytes: 40, origFlags: 2, respFlags: 18, connState: 'S1', history: 'Sh',
    directionInferred: false, icmpErrors: [], vlan: null, tunnel: null, ifIndex: null, communityId: '1:wCb3OG7yAFWelaUydu0D+125CLM=',
    evidence: 'zeek', source: 'x', verdict: 'denied',
  };
  const odd: FlowRecord[] = [
    base,
    { ...base, communityId: '' },
    { ...base, communityId: '1:wCb3OG7yAFWelaUydu0D+125CLN=' }, // not canonical base64
    { ...base, communityId: 'something else' },
    { ...base, origPkts: 2.5, respIpBytes: 1e300, origP: -1, vlan: 4095, ifIndex: 3 },
    { ...base, firstNsec: 1.5, proto: 300 },
    { ...base, verdict: 'allowed', directionInferred: true, lastSec: 0 },
    // ICMP errors of other shapes than the flow table's stay objects
    { ...base, icmpErrors: [{ proto: 'icmp', type: 3, code: 3, count: 1.5, from: '10.0.0.9' }] },
    { ...base, icmpErrors: [{ proto: 'icmp', type: -0, code: 3, count: 1, from: '10.0.0.9' }] },
    { ...base, icmpErrors: [{ proto: 'icmp', type: 3, code: 3, count: 1, from: '10.0.0.9', note: 'x' } as FlowRecord['icmpErrors'][number]] },
    { ...base, icmpErrors: [{ proto: 'udp' as 'icmp', type: 3, code: 3, count: 1, from: '10.0.0.9' }] },
  ];
  roundTrip(odd);
  const store = new FlowStore();
  for (const f of odd) store.add(f);
  for (let i = 7; i < odd.length; i++) assert.is(store.origAddrId(i), -1, `odd ICMP errors ${i}: kept as the object`);
});

test('ICMP errors in the columns: each distinct list once, records back equal, lists of one flow not changed by another\'s', () => {
  const flows: FlowRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const icmpErrors = i % 3 === 0 ? [] : i % 3 === 1
      ? [{ proto: 'icmp' as const, type: 3, code: 3, count: 1 + (i % 2), from: `10.1.0.${i % 5}` }]
      : [{ proto: 'icmp6' as const, type: 1, code: 4, count: 1, from: 'fd00::1' }, { proto: 'icmp' as const, type: 3, code: 13, count: 2, from: '10.9.9.9' }];
    flows.push({
      firstSec: 1_700_000_000 + i, firstNsec: 0, lastSec: 1_700_000_000 + i, lastNsec: 0, proto: 17, origH: `10.0.${i >> 8}.${i & 255}`, origP: 40000, respH: '10.1.0.1', respP: 53,
      origPkts: 1, respPkts: 0, origIpBytes: 60, respIpBytes: 0, origFlags: 0, respFlags: 0, connState: 'S0', history: 'D', directionInferred: false,
      icmpErrors, vlan: null, tunnel: null, ifIndex: null, communityId: '', evidence: 'pcap', source: 'x.pcap', verdict: null,
    });
  }
  const store = new FlowStore();
  for (const f of flows) store.add(f);
  for (let i = 0; i < flows.length; i++) assert.ok(store.origAddrId(i) >= 0, `flow ${i} in the columns`);
  roundTrip(flows);
  // the store keeps its own copy: changing a list given to it changes nothing kept
  flows[1]!.icmpErrors[0]!.count = 99;
  assert.is(store.get(1).icmpErrors[0]!.count, 2);
  assert.ok(store.get(4).icmpErrors === store.get(34).icmpErrors, 'one list for equal lists');
  assert.ok(store.get(4).icmpErrors !== store.get(5).icmpErrors);
});

test('more than two column chunks (65 536 rows each): every record back, sorted like sortFlows', () => {
  const flows: FlowRecord[] = [];
  let x = 7;
  const r = (n: number) => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x % n; };
  const hex = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/';
  for (let i = 0; i < 140_000; i++) {
    let cid = '1:';
    for (let k = 0; k < 26; k++) cid += hex[r(64)];
    cid += 'AQgw'[r(4)] + '=';
    flows.push({
      firstSec: 1_700_000_000 + r(4000), firstNsec: r(1e9), lastSec: 1_700_004_000 + r(10), lastNsec: r(1e9), proto: [6, 17, 1, 58][r(4)]!,
      origH: `10.0.${r(20)}.${r(250)}`, origP: r(65536), respH: r(5) === 0 ? 'fd00::1' : `10.1.0.${r(8)}`, respP: r(1024),
      origPkts: r(100), respPkts: r(100), origIpBytes: r(1e7), respIpBytes: r(1e7), origFlags: r(256), respFlags: r(256),
      connState: (['SF', 'S0', 'REJ', 'OTH'] as const)[r(4)]!, history: ['ShADadFf', 'S', 'Sr', ''][r(4)]!,
      directionInferred: r(2) === 0, icmpErrors: r(1000) === 0 ? [{ proto: 'icmp', type: 3, code: 3, count: 1, from: '10.9.9.9' }] : [],
      vlan: r(3) === 0 ? r(4095) : null, tunnel: r(4) === 0 ? { ...TUNNELS[r(3)]! } : null, ifIndex: r(2) === 0 ? null : r(4), communityId: r(50) === 0 ? '' : cid,
      evidence: 'pcap', source: `in${r(3)}.pcap`, verdict: null,
    });
  }
  roundTrip(flows);
});

test('tunnelled flows (mirrored traffic) are kept in the columns, their tunnel interned, not as objects', () => {
  const store = new FlowStore();
  const n = 70_000;
  for (let i = 0; i < n; i++) {
    store.add({ ...blankRecord(), firstSec: 1_700_000_000 + i, proto: 6, origH: `10.0.${i >> 8 & 255}.${i & 255}`, origP: 50000, respH: '10.1.0.1', respP: 389,
      connState: 'SF', history: 'ShADadFf', communityId: '', evidence: 'pcap', source: 'm.pcap', tunnel: i % 7 === 0 ? null : { ...TUNNELS[i % 3]! } });
  }
  for (let i = 0; i < n; i++) {
    assert.ok(store.origAddrId(i) >= 0, `record ${i} in the columns`);
    assert.equal(store.get(i).tunnel, i % 7 === 0 ? null : TUNNELS[i % 3]);
  }
  // (a tunnel with more than its three fields is kept as it is, in its record)
  const odd = { ...blankRecord(), tunnel: { ...TUNNELS[0]!, extra: 1 } as FlowRecord['tunnel'] };
  store.add(odd);
  assert.is(store.origAddrId(n), -1);
  assert.equal(store.get(n), odd);
  // another thread's view of the store gives the same records
  const copy = FlowStore.fromShared(store.shareable());
  for (let i = 0; i <= n; i += 997) assert.equal(copy.get(i), store.get(i));
});

test.run();
