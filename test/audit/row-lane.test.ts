/**
 * RowLane (src/audit/row-lane.ts, WebAssembly): a batch of a flow table's packed rows is audited
 * by counting in the lane the flows that only add to what exists (out of scope, allowed and
 * answered, folded into an unexpected finding) and handing the rest back to addRow/addFlow. The
 * report must be exactly the one of feeding every flow to addFlow, whatever the batches, the
 * states, the guessed originators and the names between batches; and the lane must remember every
 * address it was given (the early audit's check for names that come late).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAuditor } from '../../src/audit/auditor.js';
import { RowLane } from '../../src/audit/row-lane.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Anomalies } from '../../src/core/anomalies.js';
import { FlowTable, PACKED_ROW_WORDS, unpackRow } from '../../src/flow/table.js';
import { FlowRow, RowRecords } from '../../src/flow/row.js';
import type { NameObservation } from '../../src/flow/record.js';
import { blankRecord } from '../../src/report/flows/store.js';
import { EarlyAudit } from '../../src/cli/commands/audit/early-audit.js';
import { policyFor } from './helpers.js';
import { builtinProfile, type Profile } from '../../src/rules/profile.js';
import { F, fill, type SynthPacket } from '../flow/synth.js';

const SERVERS = ['10.0.0.20', '10.0.0.10', '10.0.0.11', '203.0.113.5', '10.1.0.40', '10.0.0.30', '2001:db8::20', '40.126.1.1', '10.9.9.9', '52.1.1.1'];
/** A users' subnet of 600 hosts (more than the lane's 256 before a finding's bitmap). */
const USERS = Array.from({ length: 600 }, (_, i) => `198.51.${100 + (i >> 8)}.${i & 255}`);
const PORTS = [53, 80, 88, 123, 135, 389, 443, 445, 636, 3389, 5671, 9350, 10100, 49152, 50000, 65535];
const INV = {
  roles: { aadconnect: ['10.0.0.20', '2001:db8::20'], pta: ['10.0.0.20', '10.0.0.30'], dc: ['10.0.0.10', '10.0.0.11', 'dc3.corp.example'], azuread: ['203.0.113.0/24', 'login.microsoftonline.com'], users: ['198.51.100.0/22'], wap: ['10.1.0.40'] },
};
const NAMES: NameObservation[] = [
  { name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'dns' },
  { name: 'dc3.corp.example', address: '10.9.9.9', via: 'dns' },
];
const SRC = [{ name: 'synthetic.pcap', kind: 'pcap' as const }];
/** With an AD FS server: the WAP's own rule (to AD FS) is then in force. */
const INV_WAP = { roles: { aadconnect: ['10.0.0.20'], dc: ['10.0.0.10'], adfs: ['10.2.0.5'], users: ['198.51.100.0/22'], wap: ['10.1.0.40'] } };
const T0 = 1_700_000_000;
/** A server of the same roles as another (two DCs; users). */
const SAME_ROLE = new Map([['10.0.0.10', '10.0.0.11'], ['10.0.0.11', '10.0.0.10'], [USERS[0]!, USERS[1]!], [USERS[2]!, USERS[3]!]]);

/** TCP exchanges by how far they get: SYN only, refused, reset by the originator, complete, half-open answers, data then reset. */
const TCP_SHAPES: [boolean, number, number?][][] = [
  [[true, F.SYN]],
  [[true, F.SYN], [false, F.RST | F.ACK]],
  [[true, F.SYN], [true, F.RST]],
  [[true, F.SYN], [false, F.SYN | F.ACK], [true, F.ACK], [true, F.ACK | F.PSH, 100], [false, F.ACK | F.PSH, 300], [true, F.FIN | F.ACK], [false, F.FIN | F.ACK], [true, F.ACK]],
  [[true, F.SYN], [false, F.SYN | F.ACK], [true, F.ACK], [true, F.ACK | F.PSH, 50], [true, F.RST]],
  [[false, F.SYN | F.ACK], [true, F.ACK]],
  [[true, F.ACK | F.PSH, 40], [false, F.ACK | F.PSH, 40]],
  [[true, F.SYN], [false, F.SYN | F.ACK], [true, F.ACK], [false, F.RST]],
];

const flowArb = fc.record({
  client: fc.oneof(fc.constantFrom(...USERS), fc.constantFrom(...SERVERS)),
  server: fc.constantFrom(...SERVERS, ...USERS.slice(0, 4)),
  port: fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 49152, max: 65535 }), fc.integer({ min: 1, max: 2000 })),
  cport: fc.integer({ min: 1024, max: 65535 }),
  udp: fc.boolean(),
  // (complete sessions most, as in captures)
  shape: fc.oneof({ arbitrary: fc.constant(3), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: TCP_SHAPES.length - 1 }), weight: 3 }),
  answered: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  dt: fc.integer({ min: 0, max: 3 }),
  /** Milliseconds into the second the flow starts at. */
  ms: fc.integer({ min: 0, max: 999 }),
});
/** A flow; `at`: the second it starts in, instead of dt seconds after the flow before. */
type FlowSpec = (typeof flowArb extends fc.Arbitrary<infer T> ? T : never) & { at?: number };

/**
 * A capture: up to 20 kinds of flow, repeated hundreds of times by other users (when a user
 * starts it), from other client ports, over a few minutes: findings then see many flows each.
 */
const capture = fc.tuple(
  fc.array(flowArb, { minLength: 1, maxLength: 20 }),
  fc.array(fc.record({
    kind: fc.nat(), user: fc.nat(USERS.length - 1), other: fc.boolean(), cport: fc.integer({ min: 1024, max: 65535 }),
    dt: fc.integer({ min: 0, max: 2 }), ms: fc.integer({ min: 0, max: 999 }),
  }), { minLength: 200, maxLength: 1500 }),
).map(([kinds, picks]) => picks.map((x): FlowSpec => {
  const k = kinds[x.kind % kinds.length]!;
  // (another server of the same role now and then: a finding's responders)
  const server = x.other ? SAME_ROLE.get(k.server) ?? k.server : k.server;
  return { ...k, client: USERS.includes(k.client) ? USERS[x.user]! : k.client, server, cport: x.cport, dt: x.dt, ms: x.ms };
}));

/** The packets of the flows, one after the other (each flow's packets 0.1 ms apart, from `ms` into its second; flows dt seconds apart). */
function packetsOf(flows: FlowSpec[]): { p: SynthPacket; t: number }[] {
  const out: { p: SynthPacket; t: number }[] = [];
  let t = T0;
  for (const f of flows) {
    if (f.at === undefined) t += f.dt;
    const t0 = (f.at ?? t) + f.ms / 1000;
    const steps: [boolean, number, number?][] = f.udp ? (f.answered ? [[true, 0, 40], [false, 0, 80]] : [[true, 0, 40]]) : TCP_SHAPES[f.shape]!;
    let k = 0;
    for (const [fromClient, flags, len] of steps) {
      const p: SynthPacket = fromClient
        ? { src: f.client, dst: f.server, sport: f.cport, dport: f.port, flags, len: len ?? 0, proto: f.udp ? 17 : 6 }
        : { src: f.server, dst: f.client, sport: f.port, dport: f.cport, flags, len: len ?? 0, proto: f.udp ? 17 : 6 };
      out.push({ p, t: t0 + (k++) * 0.0001 });
    }
  }
  return out;
}

/** The flows as a table finishes them, as packed rows (FlowTable.packRow), in order. */
function rowsOf(flows: FlowSpec[]): { buf: ArrayBuffer; n: number } {
  const rows: number[] = [];
  const one = new Uint32Array(PACKED_ROW_WORDS);
  const table = new FlowTable({}, () => { throw new Error('a flow came as a record'); });
  table.setSource(0, SRC[0]!.name, 'pcap');
  table.setRowSink((t, f) => { t.packRow(f, one, 0); rows.push(...one); return true; });
  const an = new Anomalies(), d = new DecodedPacket();
  let i = 0;
  for (const { p, t } of packetsOf(flows)) {
    fill(d, p);
    const us = Math.round(t * 1e6);
    table.update(d, Math.floor(us / 1e6), (us % 1e6) * 1000, 0, 0, an, i++);
  }
  table.flush();
  return { buf: new Uint32Array(rows).buffer, n: rows.length / PACKED_ROW_WORDS };
}

/** The report of feeding every row's record to addFlow (names first, where `namesAt` puts them). */
async function reference(policyNames: NameObservation[], buf: ArrayBuffer, n: number, namesAt: number[], inv: typeof INV | typeof INV_WAP = INV, profile?: Profile, features: string[] = []): Promise<string> {
  const policy = await policyFor(inv, profile, features);
  const auditor = createAuditor(policy, { newFindings: false });
  const u = new Uint32Array(buf), d = new Float64Array(buf), row = new FlowRow(), records = new RowRecords(), rec = blankRecord();
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < policyNames.length; j++) if (namesAt[j] === k) auditor.addName(policyNames[j]!);
    unpackRow(u, d, k * PACKED_ROW_WORDS, row);
    auditor.addFlow(records.fill(row, SRC[0], rec, false));
  }
  for (let j = 0; j < policyNames.length; j++) if (namesAt[j]! >= n) auditor.addName(policyNames[j]!);
  return JSON.stringify(auditor.finish());
}

/** The seed without its endpoint-mapper row (T1-EPM): dynamic RPC to the DCs allowed (with `phs`), 135 not. */
const noEpmProfile: Profile = await (async () => {
  const base = await builtinProfile('hybrid-identity');
  return { ...base, rules: base.rules.filter((r) => r.id !== 'T1-EPM') };
})();

test('batches through the lane (addRow/addFlow for the rest) give the report of addFlow alone, names between batches', async () => {
  let laneCounted = 0, rows = 0, compared = 0, droppedSeen = 0;
  await fc.assert(fc.asyncProperty(
    capture,
    fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
    // (a name at the start, or at a batch boundary: one after flows of its address drops the early audit)
    fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 })), { minLength: NAMES.length, maxLength: NAMES.length }),
    // (the seed, or a profile that allows dynamic RPC to the DCs without the endpoint mapper: 135 unexpected)
    fc.boolean(),
    async (flows, cuts, namesAtRaw, noEpm) => {
      const profile = noEpm ? noEpmProfile : undefined, features = noEpm ? ['phs'] : [];
      const { buf, n } = rowsOf(flows);
      // names only between batches, as the audit thread hands them over
      const bounds: number[] = [0];
      for (let k = 0, c = 0; k < n; c++) { k = Math.min(n, k + cuts[c % cuts.length]!); bounds.push(k); }
      const namesAt = namesAtRaw.map((x) => bounds[x % bounds.length]!);
      const policy = await policyFor(INV, profile, features);
      const auditor = createAuditor(policy, { newFindings: false });
      const early = new EarlyAudit({ policy, compare: [], auditor });
      const row = new FlowRow();
      for (let b = 0; b + 1 < bounds.length; b++) {
        for (let j = 0; j < NAMES.length; j++) if (namesAt[j] === bounds[b]) early.onName(NAMES[j]!);
        early.auditRows(buf, bounds[b + 1]! - bounds[b]!, bounds[b]! * PACKED_ROW_WORDS * 4, SRC, row);
      }
      for (let j = 0; j < NAMES.length; j++) if (namesAt[j]! >= n) early.onName(NAMES[j]!);
      laneCounted += early.laneRows; rows += n;
      if (early.dropped !== null) { droppedSeen++; return; }
      compared++;
      assert.is(JSON.stringify(auditor.finish()), await reference(NAMES, buf, n, namesAt.map((x) => (x >= n ? n : x)), INV, profile, features));
    },
  ), { numRuns: 60, seed: 20261127 });
  assert.ok(compared >= 20, `reports compared (${compared}; ${droppedSeen} runs had a name come late)`);
  assert.ok(laneCounted > rows / 3, `rows the lane counted itself: ${laneCounted} of ${rows}`);
});

test('the lane counts most flows of a busy capture itself, and remembers every address it was given', async () => {
  // users reaching DCs on ports the seed profile does not list (unexpected findings), and
  // allowed flows from the Entra Connect server: after the first flows, all fold or count
  const flows: FlowSpec[] = [];
  // the first DNS flow, in the first second; one in the same second but earlier comes last: it
  // becomes the finding's representative flow, which the lane leaves to addRow
  flows.push({ client: USERS[5]!, server: '10.0.0.10', port: 53, cport: 1111, udp: true, shape: 0, answered: true, dt: 0, ms: 900 });
  for (let i = 0; i < 3000; i++) {
    // (a second every 10 flows: a flow of its finding's first second is left to addRow)
    flows.push({ client: USERS[i % USERS.length]!, server: '10.0.0.10', port: [53, 389, 88][Math.floor(i / 600) % 3]!, cport: 2000 + i, udp: Math.floor(i / 600) % 3 !== 2, shape: 3, answered: true, dt: i % 10 === 0 ? 1 : 0, ms: 0 });
    flows.push({ client: '10.0.0.20', server: '10.0.0.11', port: 389, cport: 30000 + i, udp: false, shape: 3, answered: true, dt: 0, ms: i % 1000 });
    // the WAP only as the responder of UDP flows (their originator guessed: both sides count as
    // initiators seen, which decides whether the WAP's own rules are missing or not observed)
    if (i % 10 === 5) flows.push({ client: USERS[i % USERS.length]!, server: '10.1.0.40', port: 5000, cport: 40000 + i, udp: true, shape: 0, answered: true, dt: 0, ms: 5 });
  }
  flows.push({ client: USERS[7]!, server: '10.0.0.10', port: 53, cport: 1112, udp: true, shape: 0, answered: true, dt: 0, ms: 100, at: T0 });
  const { buf, n } = rowsOf(flows);
  const policy = await policyFor(INV);
  const auditor = createAuditor(policy, { newFindings: false });
  const lane = RowLane.create(policy, auditor)!;
  const u = new Uint32Array(buf), d = new Float64Array(buf), row = new FlowRow(), records = new RowRecords(), rec = blankRecord();
  let slow = 0;
  // batches of 512 (as EarlyAudit.auditRows: the flows handed back are audited with the lane's keys)
  for (let k = 0; k < n; k += 512) {
    const back = lane.run(buf, k * PACKED_ROW_WORDS * 4, Math.min(512, n - k), SRC);
    slow += back.length / 3;
    for (let j = 0; j < back.length; j += 3) {
      unpackRow(u, d, (k + back[j]!) * PACKED_ROW_WORDS, row);
      const o = back[j + 1]!, r = back[j + 2]!;
      if (!auditor.addRow(row, o, r, lane, SRC[0])) auditor.addFlow(records.fillWith(row, SRC[0], rec, lane.text(o), lane.text(r), false), o, r);
    }
  }
  // (those of a finding before it exists, or in its first second, and the first of each address pair
  // in a batch: a few percent)
  assert.ok(slow > 0 && slow < n / 10, `flows handed back: ${slow} of ${n}`);
  assert.is(lane.addresses, USERS.length + 4);
  for (const a of ['10.0.0.10', '10.0.0.11', '10.0.0.20', USERS[0]!, USERS[599]!]) assert.ok(lane.has(a), `has ${a}`);
  assert.not.ok(lane.has('10.0.0.12'));
  assert.not.ok(lane.has('not an address'));
  const report = JSON.stringify(auditor.finish());
  assert.ok(report === await reference([], buf, n, []), 'the report of addFlow alone');
  const r = JSON.parse(report) as { summary: { flows: { total: number } }; findings: { kind: string; evidence: { peer_count?: number } }[] };
  assert.is(r.summary.flows.total, n);
  assert.ok(r.findings.some((f) => f.kind === 'unexpected' && f.evidence.peer_count === USERS.length), 'an unexpected finding lists every user');
});

test('flows whose originator was guessed count both sides as initiators seen (whether the responder\'s own rules are missing)', async () => {
  // users' HTTPS to the WAP seen without its handshake (the originator guessed by the port), allowed
  // and answered: all counted in the lane; the WAP initiates nothing itself
  const flows: FlowSpec[] = [];
  for (let i = 0; i < 2000; i++) flows.push({ client: USERS[i % USERS.length]!, server: '10.1.0.40', port: 443, cport: 3000 + i, udp: false, shape: 6, answered: true, dt: i % 20 === 0 ? 1 : 0, ms: 0 });
  const { buf, n } = rowsOf(flows);
  const policy = await policyFor(INV_WAP);
  const auditor = createAuditor(policy, { newFindings: false });
  const early = new EarlyAudit({ policy, compare: [], auditor });
  for (let k = 0; k < n; k += 300) early.auditRows(buf, Math.min(300, n - k), k * PACKED_ROW_WORDS * 4, SRC, new FlowRow());
  assert.is(early.laneRows, n, 'every flow counted in the lane');
  const report = JSON.stringify(auditor.finish());
  assert.ok(report === await reference([], buf, n, [], INV_WAP), 'the report of addFlow alone');
  const wap = (JSON.parse(report) as { coverage: { rule: string; reason?: string }[] }).coverage.find((c) => c.rule === 'T4-HTTPS');
  assert.ok(wap !== undefined && !/no traffic from any wap host/.test(wap.reason ?? ''), `T4-HTTPS: ${JSON.stringify(wap)}`);
});

test('an unexpected endpoint-mapper exchange links the dynamic RPC that follows it, however its flow is audited', async () => {
  // a profile that allows the Entra Connect server dynamic RPC to the DCs but not 135 itself: the
  // 135 flows are unexpected (one finding), and each links the dynamic-RPC flow after it between the
  // same hosts. The second DC's 135 flow folds into the finding the first one made.
  const profile = noEpmProfile;
  const flows: FlowSpec[] = [];
  for (const [i, dc] of ['10.0.0.10', '10.0.0.11'].entries()) {
    flows.push({ client: '10.0.0.20', server: dc, port: 135, cport: 40000 + i, udp: false, shape: 3, answered: true, dt: 1, ms: 0 });
    flows.push({ client: '10.0.0.20', server: dc, port: 50000 + i, cport: 41000 + i, udp: false, shape: 3, answered: true, dt: 1, ms: 0 });
  }
  const { buf, n } = rowsOf(flows);
  const policy = await policyFor(INV, profile, ['phs']);
  const auditor = createAuditor(policy, { newFindings: false });
  const early = new EarlyAudit({ policy, compare: [], auditor });
  // one batch, and one flow per batch
  for (const size of [n, 1]) {
    const a = size === n ? auditor : createAuditor(await policyFor(INV, profile, ['phs']), { newFindings: false });
    const e = size === n ? early : new EarlyAudit({ policy: await policyFor(INV, profile, ['phs']), compare: [], auditor: a });
    for (let k = 0; k < n; k += size) e.auditRows(buf, Math.min(size, n - k), k * PACKED_ROW_WORDS * 4, SRC, new FlowRow());
    const report = JSON.stringify(a.finish());
    assert.ok(report === await reference([], buf, n, [], INV, profile, ['phs']), `batches of ${size}: the report of addFlow alone`);
    assert.match(report, /2 of 2 dynamic RPC flows followed an endpoint-mapper/);
  }
});

test('a flow that finished late but started before a finding\'s representative flow becomes the representative (its host\'s names in the notes)', async () => {
  // users reaching the DCs on a port no rule lists: one finding. Its flows to 10.0.0.10 come first;
  // the earliest flow of all (to 10.9.9.9, a DC by its name dc3.corp.example) comes last, as a flow
  // that lasted longer finishes later. It must become the representative flow, whose hosts' names
  // the finding notes, so neither the lane nor addRow may fold it.
  const later: FlowSpec[] = [];
  for (let i = 0; i < 300; i++) later.push({ client: USERS[i % 40]!, server: '10.0.0.10', port: 7777, cport: 2000 + i, udp: false, shape: 3, answered: true, dt: i === 0 ? 10 : i % 7 === 0 ? 1 : 0, ms: 0 });
  const first: FlowSpec = { client: USERS[41]!, server: '10.9.9.9', port: 7777, cport: 1999, udp: false, shape: 3, answered: true, dt: 0, ms: 0, at: T0 + 1 };
  const a = rowsOf(later), b = rowsOf([first]);
  const buf = new Uint8Array(a.buf.byteLength + b.buf.byteLength);
  buf.set(new Uint8Array(a.buf), 0); buf.set(new Uint8Array(b.buf), a.buf.byteLength);
  const n = a.n + b.n;
  for (const size of [64, n]) {
    const policy = await policyFor(INV);
    const auditor = createAuditor(policy, { newFindings: false });
    const early = new EarlyAudit({ policy, compare: [], auditor });
    for (const name of NAMES) early.onName(name);
    for (let k = 0; k < n; k += size) early.auditRows(buf.buffer, Math.min(size, n - k), k * PACKED_ROW_WORDS * 4, SRC, new FlowRow());
    assert.is(early.dropped, null);
    // (in one batch the finding does not exist yet when the lane runs: every flow is audited alone)
    if (size < n) assert.ok(early.laneRows > n / 2, `rows the lane counted itself: ${early.laneRows} of ${n}`);
    const report = JSON.stringify(auditor.finish());
    assert.ok(report === await reference(NAMES, buf.buffer, n, NAMES.map(() => 0)), `batches of ${size}: the report of addFlow alone`);
    const f = (JSON.parse(report) as { findings: { resp_p: number; flows: number; evidence: { notes: string[] } }[] }).findings.find((x) => x.resp_p === 7777);
    assert.ok(f !== undefined && f.flows === n, 'one finding of every flow');
    assert.ok(f.evidence.notes.includes('10.9.9.9 is dc3.corp.example (dns)'), `notes: ${JSON.stringify(f.evidence.notes)}`);
  }
});

test.run();
