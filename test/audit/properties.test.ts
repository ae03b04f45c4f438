/** Property tests: the report depends on the evidence, not on the order flows or names arrive in. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { audit, createAuditor } from '../../src/audit/auditor.js';
import { renderReport } from '../../src/report/reporter.js';
import type { ConnState } from '../../src/flow/record.js';
import { evidence, flow, policyFor } from './helpers.js';

const HOSTS = ['10.0.0.20', '10.0.0.10', '10.0.0.11', '203.0.113.5', '198.51.100.7', '10.1.0.40', '10.0.0.30', '52.1.1.1', '2001:db8::20', '40.126.1.1'];
const PORTS = [22, 53, 80, 88, 135, 389, 443, 445, 636, 3389, 5671, 8080, 9090, 9350, 10099, 10100, 10120, 10121, 49151, 49152, 65535];
const STATES: ConnState[] = ['SF', 'S0', 'REJ', 'RSTO', 'SH', 'OTH', 'S1'];
const INV = { roles: { aadconnect: ['10.0.0.20', '2001:db8::20'], pta: ['10.0.0.20', '10.0.0.30'], dc: ['10.0.0.10', '10.0.0.11'], azuread: ['203.0.113.0/24', 'login.microsoftonline.com'], users: ['internet'], wap: ['10.1.0.40'] }, proxy: ['10.0.0.99'] };

const flowArb = fc.record({
  o: fc.constantFrom(...HOSTS), r: fc.constantFrom(...HOSTS, '10.0.0.99'), p: fc.constantFrom(...PORTS),
  proto: fc.constantFrom('tcp' as const, 'udp' as const), state: fc.constantFrom(...STATES), t: fc.integer({ min: 0, max: 7200 }),
  inferred: fc.boolean(), udpAnswered: fc.boolean(),
}).map((x) => flow({
  o: x.o, r: x.r, p: x.p, proto: x.proto, t: 1_700_000_000 + x.t, inferred: x.inferred,
  ...(x.proto === 'tcp' ? { state: x.state } : { respPkts: x.udpAnswered ? 2 : 0 }),
}));

test('shuffling flows and names changes nothing in the JSON report; batch = incremental', async () => {
  await fc.assert(fc.asyncProperty(fc.array(flowArb, { minLength: 1, maxLength: 60 }), fc.integer(), async (flows, seed) => {
    const names = [{ name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'dns' as const }];
    const a = renderReport(audit(evidence(flows, { names, span: [1_700_000_000, 1_700_007_300] }), await policyFor(INV, 'entra-connect-2025', ['phs'])), 'json');
    const shuffled = flows.slice();
    let s = seed >>> 0;
    for (let i = shuffled.length - 1; i > 0; i--) { s = (s * 1103515245 + 12345) >>> 0; const j = s % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
    const b = renderReport(audit(evidence(shuffled, { names, span: [1_700_000_000, 1_700_007_300] }), await policyFor(INV, 'entra-connect-2025', ['phs'])), 'json');
    assert.is(b, a);
    // incremental, in time order, names first: same report as the batch form
    const inc = createAuditor(await policyFor(INV, 'entra-connect-2025', ['phs']));
    inc.addName(names[0]!);
    for (const f of flows.slice().sort((x, y) => x.firstSec - y.firstSec)) inc.addFlow(f);
    const c = renderReport(inc.finish(evidence(flows, { span: [1_700_000_000, 1_700_007_300] })), 'json');
    assert.is(c, a);
    // every audited flow is accounted for exactly once
    const doc = JSON.parse(a);
    assert.is(doc.summary.flows.total, flows.length);
    assert.is(doc.summary.flows.audited + doc.summary.flows.out_of_scope + doc.summary.flows.not_ip_tcp_udp, flows.length);
  }), { numRuns: 60 });
});

test.run();
