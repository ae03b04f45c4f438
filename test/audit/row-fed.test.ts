/**
 * Auditor.addRow: a flow table's row audited without a FlowRecord when it only counts into what
 * exists (allowed answered flows, flows of an unexpected finding with an earlier one), else left
 * to addFlow. Fed row by row (addRow, and addFlow where it declines) the report must be exactly
 * the one of feeding every flow to addFlow, whatever the order of flows and names, including
 * names that give an address roles after its flows were audited.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAuditor } from '../../src/audit/auditor.js';
import type { AddressTexts } from '../../src/audit/peer-set.js';
import { FlowRow } from '../../src/flow/row.js';
import type { ConnState, FlowRecord, NameObservation } from '../../src/flow/record.js';
import { parseAddr } from '../../src/core/ip.js';
import { flow, input, policyFor } from './helpers.js';

const HOSTS = ['10.0.0.20', '10.0.0.10', '10.0.0.11', '203.0.113.5', '198.51.100.7', '10.1.0.40', '10.0.0.30', '52.1.1.1', '2001:db8::20', '40.126.1.1', '10.9.9.9'];
const PORTS = [53, 80, 88, 135, 389, 443, 445, 636, 3389, 5671, 9350, 10100, 49152, 49153, 50000, 65535];
const STATES: ConnState[] = ['SF', 'S0', 'REJ', 'RSTO', 'SH', 'OTH', 'S1', 'RSTR', 'SHR'];
const INV = {
  roles: { aadconnect: ['10.0.0.20', '2001:db8::20'], pta: ['10.0.0.20', '10.0.0.30'], dc: ['10.0.0.10', '10.0.0.11', 'dc3.corp.example'], azuread: ['203.0.113.0/24', 'login.microsoftonline.com'], users: ['198.51.100.0/24'], wap: ['10.1.0.40'] },
  proxy: ['10.0.0.99', 'proxy.corp.example'],
};
const NAMES: NameObservation[] = [
  { name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'dns' },
  { name: 'dc3.corp.example', address: '10.9.9.9', via: 'dns' },
  { name: 'proxy.corp.example', address: '52.1.1.1', via: 'sni' },
];
const SRC = { name: 'synthetic.pcap', kind: 'pcap' as const };

const flowArb = fc.record({
  o: fc.constantFrom(...HOSTS), r: fc.constantFrom(...HOSTS, '10.0.0.99'), p: fc.constantFrom(...PORTS), op: fc.constantFrom(135, 389, 50000, 60000),
  proto: fc.constantFrom('tcp' as const, 'udp' as const), state: fc.oneof({ arbitrary: fc.constant<ConnState>('SF'), weight: 3 }, { arbitrary: fc.constantFrom(...STATES), weight: 1 }), t: fc.integer({ min: 0, max: 600 }),
  inferred: fc.boolean(), udpAnswered: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
}).map((x) => flow({
  o: x.o, r: x.r, p: x.p, op: x.op, proto: x.proto, t: 1_700_000_000 + x.t, inferred: x.inferred,
  ...(x.proto === 'tcp' ? { state: x.state } : { respPkts: x.udpAnswered ? 2 : 0 }),
}));

/** The table's row of a record (addresses as words). */
function rowOf(f: FlowRecord): FlowRow {
  const r = new FlowRow();
  r.firstSec = f.firstSec; r.firstNsec = f.firstNsec; r.lastSec = f.lastSec; r.lastNsec = f.lastNsec;
  r.proto = f.proto; r.orig.set(parseAddr(f.origH)!); r.resp.set(parseAddr(f.respH)!);
  r.origP = f.origP; r.respP = f.respP; r.origPkts = f.origPkts; r.respPkts = f.respPkts;
  r.origIpBytes = f.origIpBytes; r.respIpBytes = f.respIpBytes; r.connState = f.connState; r.history = f.history;
  r.directionInferred = f.directionInferred;
  return r;
}

let taken = 0, declined = 0;

/** The texts of the keys handed out (key → text is the map's order). */
function textsOf(keys: Map<string, number>): AddressTexts {
  return { text: (k) => { for (const [h, v] of keys) if (v === k) return h; throw new Error(`no address has key ${k}`); } };
}

test('rows through addRow (addFlow where it declines) give the report of addFlow alone, names anywhere', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(flowArb, { minLength: 1, maxLength: 120, size: 'max' }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.constantFrom(...NAMES)), { maxLength: 3 }),
    fc.boolean(),
    async (drawn, namesAt, inTimeOrder) => {
      // (in time order, most flows of a finding come after its first: addRow takes them)
      const flows = inTimeOrder ? drawn.slice().sort((x, y) => x.firstSec - y.firstSec) : drawn;
      const plain = createAuditor(await policyFor(INV, 'entra-connect-2025', ['phs']), { newFindings: false });
      const rows = createAuditor(await policyFor(INV, 'entra-connect-2025', ['phs']), { newFindings: false });
      const keys = new Map<string, number>();
      const key = (h: string) => { let k = keys.get(h); if (k === undefined) { k = keys.size; keys.set(h, k); } return k; };
      for (let i = 0; i <= flows.length; i++) {
        for (const [at, n] of namesAt) if (at === i) { plain.addName(n); rows.addName(n); }
        if (i === flows.length) break;
        const f = flows[i]!, o = key(f.origH), r = key(f.respH);
        plain.addFlow(f, o, r);
        if (rows.addRow(rowOf(f), o, r, textsOf(keys), SRC)) taken++;
        else { declined++; rows.addFlow({ ...f }, o, r); }
      }
      const span = { inputs: [input(1_700_000_000, 1_700_000_700)], evictions: 0 };
      assert.equal(rows.finish(span), plain.finish(span));
    }), { numRuns: 300 });
  // both ways were taken
  assert.ok(taken > 1000 && declined > 1000, `addRow took ${taken} flows and declined ${declined}`);
});

test('an inferred flow taken by addRow counts the roles of its responder as initiators, as addFlow does (vantage-point reasons)', async () => {
  // UDP flows from the users to the Entra Connect server, the later two with their originator
  // guessed: the server then counts as initiating traffic for the coverage's "no traffic from any
  // … host" reasons (and the first flow, which opens the finding, is not guessed)
  const flows = [0, 10, 20].map((t) => flow({ o: '198.51.100.7', r: '10.0.0.20', p: 9999, op: 40000, proto: 'udp', t: 1_700_000_000 + t, inferred: t > 0 }));
  const plain = createAuditor(await policyFor(INV), { newFindings: false });
  const rows = createAuditor(await policyFor(INV), { newFindings: false });
  let took = 0;
  for (const f of flows) {
    plain.addFlow(f, 0, 1);
    if (rows.addRow(rowOf(f), 0, 1, { text: (k) => (k === 0 ? f.origH : f.respH) }, SRC)) took++;
    else rows.addFlow(f, 0, 1);
  }
  assert.is(took, 2, 'the later two flows count into the finding of the first');
  const span = { inputs: [input(1_700_000_000, 1_700_000_100)], evictions: 0 };
  const a = plain.finish(span), b = rows.finish(span);
  assert.ok(a.coverage.some((c) => /no traffic from any aadconnect host/.test(c.reason)) === false, 'the Entra Connect server counts as an initiator');
  assert.equal(b, a);
});

test.run();
