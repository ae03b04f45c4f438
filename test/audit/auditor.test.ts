import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { audit, createAuditor, flowOutcome } from '../../src/audit/auditor.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import { BASIC_INVENTORY, evidence, flow, policyFor, profileText } from './helpers.js';

const AADC = '10.0.0.20', DC = '10.0.0.10', AZ = '203.0.113.5', USER = '198.51.100.7', WAP = '10.1.0.40', ADFS = '10.0.0.30';
const byKind = (r: AuditReport, k: Finding['kind']) => r.findings.filter((f) => f.kind === k);
const cov = (r: AuditReport, id: string) => r.coverage.find((c) => c.rule === id)!;

test('flowOutcome: answered vs no answer vs refused vs ICMP vs flow-log denial', () => {
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 389 })), 'answered');
  for (const s of ['S0', 'SH', 'RSTOS0'] as const) assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 389, state: s })), 'no-answer', s);
  for (const s of ['REJ', 'RSTRH'] as const) assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 389, state: s })), 'refused', s);
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 53, proto: 'udp', respPkts: 0 })), 'no-answer');
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 53, proto: 'udp', respPkts: 0, icmp: [{ proto: 'icmp', type: 3, code: 3, count: 1, from: DC }] })), 'icmp-unreachable');
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 53, proto: 'udp', respPkts: 0, icmp: [{ proto: 'icmp6', type: 1, code: 4, count: 1, from: DC }] })), 'icmp-unreachable');
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 53, proto: 'udp', respPkts: 0, evidence: 'azure-nsg', verdict: 'allowed' })), 'answered', 'one-sided flow logs cannot tell');
  assert.is(flowOutcome(flow({ o: AADC, r: DC, p: 389, state: '', evidence: 'aws-vpc', verdict: 'denied' })), 'denied');
});

test('unexpected: wrong port, wrong role pair, wrong direction; attempts with no answer too', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([
    flow({ o: AADC, r: DC, p: 445 }), flow({ o: AADC, r: DC, p: 445 }),
    flow({ o: USER, r: DC, p: 389 }),
    flow({ o: DC, r: AADC, p: 389 }),
    flow({ o: AADC, r: DC, p: 3389, state: 'S0' }),
    flow({ o: AADC, r: DC, p: 161, proto: 'udp', respPkts: 0, icmp: [{ proto: 'icmp', type: 3, code: 3, count: 1, from: DC }] }),
  ]), pol);
  const u = byKind(r, 'unexpected');
  assert.is(u.length, 5);
  const smb = u.find((f) => f.resp_p === 445)!;
  assert.is(smb.flows, 2, 'aggregated per (orig, resp, proto, port)');
  assert.is(smb.severity, 'high');
  assert.equal(smb.orig_role, ['aadconnect']);
  assert.match(smb.explanation, /opened tcp\/445 \(SMB\) to dc 10\.0\.0\.10 .*no rule in hybrid-identity allows tcp\/445/);
  assert.match(u.find((f) => f.orig_h === USER)!.explanation, /wrong role pair/);
  assert.match(u.find((f) => f.orig_h === DC)!.explanation, /only the other way.*wrong direction/);
  const rdp = u.find((f) => f.resp_p === 3389)!;
  assert.is(rdp.severity, 'medium');
  assert.match(rdp.explanation, /attempted, no answer/);
  assert.equal(rdp.evidence.conn_states, { S0: 1 });
  const snmp = u.find((f) => f.resp_p === 161)!;
  assert.is(snmp.evidence.icmp_unreachable, 1);
  assert.equal(snmp.evidence.icmp, [{ proto: 'icmp', type: 3, code: 3, from: DC, count: 1 }]);
  assert.is(r.summary.verdict, 'FAIL');
  assert.is(byKind(r, 'blocked').length, 0, 'an attempt on a port no rule allows is unexpected, not blocked');
});

test('unexpected: many originators and responders of the same roles on one service make one finding', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const users = Array.from({ length: 300 }, (_, i) => `198.51.100.${i % 250 + 1}`);
  const r = audit(evidence([
    ...users.map((u) => flow({ o: u, r: DC, p: 389 })),
    flow({ o: USER, r: '10.0.0.11', p: 389 }),
    flow({ o: USER, r: DC, p: 636 }),
  ]), pol);
  const u = byKind(r, 'unexpected');
  assert.is(u.length, 2, 'one finding per (originator roles, responder roles, service), not one per host pair');
  const big = u.find((f) => f.resp_p === 389)!;
  assert.is(big.flows, 301);
  assert.is(big.orig_h, '*');
  assert.is(big.resp_h, '*', 'two DCs');
  assert.is(big.evidence.peer_count, 250, 'distinct originators');
  assert.is(big.evidence.peers!.length, 20, 'the list is capped, the count is exact');
  assert.ok(big.evidence.notes.includes('responders (2): 10.0.0.10, 10.0.0.11'));
  assert.match(big.explanation, /users \(250 hosts\) .* dc \(2 hosts\)/);
  const one = u.find((f) => f.resp_p === 636)!;
  assert.is(one.orig_h, USER, 'a single originator is named');
  assert.is(one.resp_h, DC);
  assert.is(one.evidence.peers, undefined);
});

test('unexpected: a sweep of the dynamic range (49152-65535) is one finding, the ports listed', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([
    ...Array.from({ length: 100 }, (_, i) => flow({ o: USER, r: DC, p: 49152 + i * 100 })),
    flow({ o: USER, r: DC, p: 49151 }),
  ]), pol);
  const u = byKind(r, 'unexpected');
  assert.is(u.length, 2, '49151 is not in the range; the 100 dynamic ports fold into one');
  const dyn = u.find((f) => f.flows === 100)!;
  assert.is(dyn.resp_p, 49152, 'the lowest port seen');
  assert.ok(dyn.evidence.notes.some((n) => n.startsWith('ports (100 distinct in 49152-65535): 49152, 49252')));
  assert.match(dyn.explanation, /tcp\/49152-65535 \(100 dynamic ports\)/);
});

test('blocked: many originators of one role failing on one rule make one finding (a scan does not explode the report)', async () => {
  const pol = await policyFor({ roles: { ...BASIC_INVENTORY.roles, aadconnect: ['10.9.0.0/24'] } });
  const flows = Array.from({ length: 500 }, (_, i) => flow({ o: `10.9.0.${(i % 200) + 20}`, r: DC, p: 389, state: 'S0' }));
  const r = audit(evidence(flows), pol);
  const b = byKind(r, 'blocked');
  assert.is(b.length, 1);
  assert.is(b[0]!.flows, 500);
  assert.is(b[0]!.orig_h, '*');
  assert.is(b[0]!.evidence.peer_count, 200);
  assert.match(b[0]!.explanation, /allow tcp\/389 from the aadconnect hosts to 10\.0\.0\.10/);
});

test('blocked: an allowed rule that never got through, per state; severity by level', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([
    flow({ o: AADC, r: AZ, p: 443, state: 'S0' }), flow({ o: AADC, r: AZ, p: 443, state: 'S0' }), flow({ o: AADC, r: AZ, p: 443 }),
    flow({ o: AADC, r: DC, p: 389, state: 'REJ' }),
    flow({ o: AADC, r: DC, p: 53, proto: 'udp', respPkts: 0 }),
    flow({ o: AADC, r: DC, p: 88, state: '', evidence: 'azure-nsg', verdict: 'denied' }),
  ]), pol);
  const b = byKind(r, 'blocked');
  assert.equal(b.map((f) => f.rule), ['T1-DNS', 'T1-KRB', 'T1-LDAP', 'T2-HTTPS']);
  const https = b.find((f) => f.rule === 'T2-HTTPS')!;
  assert.is(https.flows, 2, 'only the failed attempts');
  assert.is(https.severity, 'high');
  assert.is(https.table, '2');
  assert.match(https.explanation, /2 attempts failed \(no answer ×2\)/);
  assert.is(cov(r, 'T2-HTTPS').status, 'seen', 'one attempt got through');
  assert.is(cov(r, 'T2-HTTPS').blocked, 2);
  assert.is(cov(r, 'T1-LDAP').status, 'blocked');
  assert.match(b.find((f) => f.rule === 'T1-LDAP')!.explanation, /refused/);
  assert.match(b.find((f) => f.rule === 'T1-KRB')!.explanation, /denied by the flow log/);
  assert.is(byKind(r, 'unexpected').length, 0);
});

test('blocked on an optional row is informational (never fails the run)', async () => {
  const pol = await policyFor({ roles: { health: ['10.0.0.50'], azuread: ['203.0.113.0/24'] } }, 'entra-connect-2025');
  const r = audit(evidence([flow({ o: '10.0.0.50', r: AZ, p: 5671, state: 'S0' }), flow({ o: '10.0.0.50', r: AZ, p: 443 })]), pol);
  const b = byKind(r, 'blocked');
  assert.is(b.length, 1);
  assert.is(b[0]!.severity, 'info');
  assert.is(r.summary.verdict, 'PASS');
});

test('missing vs not-observed: cadence, cache dependence, events, vantage point', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  // one hour of capture with LDAP but no HTTPS to Azure AD, no DNS, no Table 3 traffic
  const long = audit(evidence([flow({ o: AADC, r: DC, p: 389, t: 1_700_000_000 })], { span: [1_700_000_000, 1_700_003_600] }), pol);
  const missing = byKind(long, 'missing');
  assert.equal(missing.map((f) => f.rule), ['T2-HTTPS']);
  assert.is(missing[0]!.severity, 'high');
  assert.match(missing[0]!.explanation, /No successful tcp 443 flow from aadconnect to azuread in 60 min of capture/);
  assert.is(cov(long, 'T2-HTTPS').status, 'missing');
  assert.is(cov(long, 'T1-DNS').status, 'not-observed');
  assert.match(cov(long, 'T1-DNS').reason, /cached/);
  assert.is(cov(long, 'T3-HTTPS').status, 'not-observed');
  assert.match(cov(long, 'T3-HTTPS').reason, /events/);
  assert.is(cov(long, 'T4-HTTPS').status, 'not-observed');
  assert.match(cov(long, 'T4-HTTPS').reason, /no traffic from any wap host/);
  assert.is(cov(long, 'T6a-HTTPS').status, 'not-applicable', 'no pta in the inventory');
  assert.is(long.summary.verdict, 'FAIL');
  // the same evidence in a 10-minute window: shorter than the 30-minute cadence
  const short = audit(evidence([flow({ o: AADC, r: DC, p: 389, t: 1_700_000_000 })], { span: [1_700_000_000, 1_700_000_600] }), pol);
  assert.is(byKind(short, 'missing').length, 0);
  const no = byKind(short, 'not-observed').find((f) => f.rule === 'T2-HTTPS')!;
  assert.is(no.severity, 'info');
  assert.match(no.explanation, /10 min, shorter than the row's 30-minute cadence/);
  assert.is(short.summary.verdict, 'PASS');
});

test('conditional rows: not applicable until declared; declared and absent → missing; seen → inferred', async () => {
  const inv = { ...BASIC_INVENTORY };
  const span: [number, number] = [1_700_000_000, 1_700_007_200];
  const base = [flow({ o: AADC, r: DC, p: 389, t: span[0] }), flow({ o: AADC, r: AZ, p: 443, t: span[0] + 10 })];
  const off = audit(evidence(base, { span }), await policyFor(inv));
  assert.is(cov(off, 'T1-LDAPS').status, 'not-applicable');
  assert.match(cov(off, 'T1-LDAPS').reason, /condition ldaps not declared/);
  assert.is(byKind(off, 'missing').length, 0);
  const on = audit(evidence(base, { span }), await policyFor(inv, 'hybrid-identity', ['ldaps']));
  assert.equal(byKind(on, 'missing').map((f) => f.rule), ['T1-LDAPS']);
  assert.equal(on.features.declared, ['ldaps']);
  const seen = audit(evidence([...base, flow({ o: AADC, r: DC, p: 636, t: span[0] + 20 })], { span }), await policyFor(inv));
  assert.is(cov(seen, 'T1-LDAPS').status, 'seen');
  assert.equal(seen.features.inferred, ['ldaps']);
  assert.is(seen.summary.verdict, 'PASS');
});

test('legacy and doc-only transports are informational findings', async () => {
  const pol = await policyFor({ roles: { pta: ['10.0.0.30'], aadconnect: [AADC], azuread: ['203.0.113.0/24'] } }, 'entra-connect-2025');
  const r = audit(evidence([
    flow({ o: '10.0.0.30', r: AZ, p: 9352 }), flow({ o: '10.0.0.30', r: AZ, p: 10100 }), flow({ o: '10.0.0.30', r: AZ, p: 443 }),
  ]), pol);
  assert.equal(byKind(r, 'legacy').map((f) => [f.rule, f.resp_p, f.severity]), [['T6a-CONNECTOR', 10100, 'info'], ['T6a-SERVICEBUS', 9352, 'info']]);
  assert.is(cov(r, 'T6a-CONNECTOR').status, 'seen');
  assert.is(cov(r, 'T6a-9350').status, 'not-applicable');
  assert.match(cov(r, 'T6a-9350').reason, /legacy/);
  assert.is(r.summary.verdict, 'PASS');
  const seed = await policyFor(BASIC_INVENTORY);
  const d = audit(evidence([flow({ o: AADC, r: AZ, p: 443, proto: 'udp' }), flow({ o: AADC, r: DC, p: 636, proto: 'udp' })]), seed);
  assert.equal(byKind(d, 'doc-only').map((f) => f.rule), ['T1-LDAPS', 'T2-HTTPS']);
  assert.is(cov(d, 'T2-HTTPS').status, 'not-observed', 'a doc-only transport does not satisfy the row');
  assert.is(cov(d, 'T2-HTTPS').doc_only, 1);
  assert.match(byKind(d, 'doc-only')[0]!.explanation, /lists UDP but the product never uses it/);
  const cur = await policyFor(BASIC_INVENTORY, 'entra-connect-2025');
  const u = audit(evidence([flow({ o: AADC, r: AZ, p: 443, proto: 'udp' })]), cur);
  assert.is(byKind(u, 'unexpected').length, 1, 'UDP 443 is simply not allowed by the current page');
});

test('unknown-host: summarised by known host, direction and port; multicast is info', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([
    flow({ o: AADC, r: '52.1.1.1', p: 443 }), flow({ o: AADC, r: '52.1.1.2', p: 443 }), flow({ o: AADC, r: '52.1.1.2', p: 443 }),
    flow({ o: '10.9.9.9', r: DC, p: 88 }),
    flow({ o: AADC, r: '224.0.0.251', p: 5353, proto: 'udp', respPkts: 0 }),
    flow({ o: '10.9.9.9', r: '10.9.9.8', p: 445 }),
  ]), pol);
  const u = byKind(r, 'unknown-host');
  assert.is(u.length, 3);
  const web = u.find((f) => f.resp_p === 443)!;
  assert.is(web.resp_h, '*');
  assert.is(web.flows, 3);
  assert.equal(web.evidence.peers, ['52.1.1.1', '52.1.1.2']);
  assert.is(web.evidence.peer_count, 2);
  assert.is(web.severity, 'low');
  const inbound = u.find((f) => f.resp_p === 88)!;
  assert.is(inbound.orig_h, '10.9.9.9');
  assert.equal(inbound.resp_role, ['dc']);
  assert.is(u.find((f) => f.resp_p === 5353)!.severity, 'info');
  assert.is(r.summary.flows.out_of_scope, 1);
  assert.is(r.summary.verdict, 'PASS', 'unknown-host is not in the default --fail-on');
});

test('unknown-host: the role hosts of one role set fold into one finding per (direction, service), multicast peers apart; the same in every flow order', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const users = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
  const flows = [
    // 40 user hosts reach one unlisted SQL server (and one of them a second)
    ...users.map((u, i) => flow({ o: u, r: '10.9.9.70', p: 1433, t: 100 + i })),
    flow({ o: users[0]!, r: '10.9.9.71', p: 1433, t: 99 }),
    // unlisted clients reach both DCs on Kerberos
    flow({ o: '10.9.9.1', r: DC, p: 88, t: 200 }), flow({ o: '10.9.9.2', r: '10.0.0.11', p: 88, t: 201 }),
    // the same service to a multicast and to a unicast address in no role
    flow({ o: users[1]!, r: '224.0.0.251', p: 5353, proto: 'udp', t: 300 }), flow({ o: users[2]!, r: '224.0.0.251', p: 5353, proto: 'udp', t: 301 }),
    flow({ o: users[3]!, r: '10.9.9.9', p: 5353, proto: 'udp', t: 302 }), flow({ o: users[4]!, r: '10.9.9.8', p: 5353, proto: 'udp', t: 303 }),
    // a single role host keeps its address
    flow({ o: AADC, r: '52.1.1.1', p: 443, t: 400 }),
  ];
  const r = audit(evidence(flows), pol);
  const u = byKind(r, 'unknown-host');
  assert.is(u.length, 5, u.map((f) => f.explanation).join('\n'));
  const sql = u.find((f) => f.resp_p === 1433)!;
  assert.is(sql.flows, 41);
  assert.is(sql.orig_h, '*');
  assert.equal(sql.orig_role, ['users']);
  assert.is(sql.resp_h, '*');
  assert.equal(sql.evidence.peers, ['10.9.9.70', '10.9.9.71']);
  assert.ok(sql.evidence.notes.some((n) => n.startsWith('users hosts (40): 198.51.100.1, ') && n.endsWith(', …')), sql.evidence.notes.join());
  assert.match(sql.explanation, /^users \(40 hosts\) exchanged tcp\/1433 \(MS-SQL\) traffic to 2 addresses in no inventory role \(41 flows\); add the addresses or their hostnames .* why these hosts talk to them\.$/);
  const krb = u.find((f) => f.resp_p === 88)!;
  assert.is(krb.flows, 2);
  assert.is(krb.orig_h, '*');
  assert.is(krb.resp_h, '*');
  assert.equal(krb.resp_role, ['dc']);
  assert.match(krb.explanation, /^dc \(2 hosts\) exchanged tcp\/88 .* from 2 addresses/);
  const mdns = u.filter((f) => f.resp_p === 5353);
  assert.equal(mdns.map((f) => f.severity).sort(), ['info', 'low']);
  assert.is(mdns.find((f) => f.severity === 'info')!.resp_h, '224.0.0.251');
  assert.is(mdns.find((f) => f.severity === 'low')!.resp_h, '*');
  assert.is(new Set(u.map((f) => f.id)).size, 5, 'distinct ids');
  const web = u.find((f) => f.resp_p === 443)!;
  assert.is(web.orig_h, AADC);
  assert.match(web.explanation, /^aadconnect 10\.0\.0\.20 exchanged .* to 52\.1\.1\.1 .* add the address or its hostname .* why this host talks to it\.$/);
  // the same report whatever order the flows come in, with or without address keys
  for (const order of [[...flows].reverse(), [...flows.slice(20), ...flows.slice(0, 20)]]) {
    assert.equal(audit(evidence(order), pol).findings, r.findings);
  }
  const keys = new Map<string, number>();
  const keyOf = (h: string) => { let k = keys.get(h); if (k === undefined) { k = keys.size; keys.set(h, k); } return k; };
  const keyed = createAuditor(pol, { newFindings: false });
  for (const f of [...flows].reverse()) keyed.addFlow(f, keyOf(f.origH), keyOf(f.respH));
  assert.equal(keyed.finish(evidence(flows)).findings, r.findings);
});

test('proxy: a flow to the proxy satisfies cloud rules; the same from a DC is unexpected', async () => {
  const pol = await policyFor({ roles: { aadconnect: [AADC], dc: [DC] }, proxy: ['10.0.0.99'] });
  const span: [number, number] = [1_700_000_000, 1_700_007_200];
  const r = audit(evidence([flow({ o: AADC, r: '10.0.0.99', p: 8080, t: span[0] }), flow({ o: DC, r: '10.0.0.99', p: 8080, t: span[0] + 1 }), flow({ o: AADC, r: DC, p: 389, t: span[0] + 2 })], { span }), pol);
  assert.is(cov(r, 'T2-HTTPS').status, 'seen');
  assert.match(cov(r, 'T2-HTTPS').reason, /through the proxy/);
  assert.is(byKind(r, 'missing').length, 0);
  const u = byKind(r, 'unknown-host');
  assert.is(u.length, 1, 'the DC talking to the proxy: the proxy is in no role');
  const blocked = audit(evidence([flow({ o: AADC, r: '10.0.0.99', p: 8080, state: 'S0' })]), pol);
  assert.match(byKind(blocked, 'blocked')[0]!.evidence.notes.join(), /through the outbound proxy 10\.0\.0\.99/);
});

test('dynamic RPC flows are linked to the endpoint-mapper exchange before them', async () => {
  const pol = await policyFor(BASIC_INVENTORY, 'hybrid-identity', ['phs']);
  const r = audit(evidence([
    flow({ o: AADC, r: DC, p: 135, t: 100 }), flow({ o: AADC, r: DC, p: 49153, t: 101 }),
    flow({ o: AADC, r: DC, p: 49160, t: 50 }),
    flow({ o: AADC, r: '10.0.0.11', p: 49170, t: 200, state: 'S0' }),
  ]), pol);
  assert.match(cov(r, 'T1-RPC').reason, /1 of 3 dynamic RPC flows followed an endpoint-mapper \(135\) exchange between the same hosts; 2 had none/);
  assert.match(byKind(r, 'blocked')[0]!.evidence.notes.join(), /endpoint-mapper/);
});

test('dynamic RPC linking is the same in every flow order (an earlier endpoint-mapper exchange links flows seen before it)', async () => {
  const pol = await policyFor(BASIC_INVENTORY, 'hybrid-identity', ['phs']);
  const flows = [
    flow({ o: AADC, r: DC, p: 49153, t: 10 }), flow({ o: AADC, r: DC, p: 135, t: 20 }), flow({ o: AADC, r: DC, p: 49160, t: 30 }),
    flow({ o: AADC, r: DC, p: 49161, t: 3 }), flow({ o: AADC, r: DC, p: 135, t: 5 }),
  ];
  const notes = new Set<string>();
  // every order of the five flows (120), fed to one incremental auditor each
  const perms = (a: number[]): number[][] => (a.length <= 1 ? [a] : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((p) => [x, ...p])));
  for (const order of perms([0, 1, 2, 3, 4])) {
    const au = createAuditor(pol);
    for (const i of order) au.addFlow(flows[i]!);
    notes.add(cov(au.finish(evidence([])), 'T1-RPC').reason);
  }
  assert.equal([...notes], ['2 of 3 dynamic RPC flows followed an endpoint-mapper (135) exchange between the same hosts; 1 had none in the capture (it may predate it)']);
});

test('a flow whose originator was guessed is matched the other way round when only that fits', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([flow({ o: DC, op: 389, r: AADC, p: 50123, inferred: true })]), pol);
  assert.is(byKind(r, 'unexpected').length, 0);
  assert.is(cov(r, 'T1-LDAP').status, 'seen');
  const strict = audit(evidence([flow({ o: DC, op: 389, r: AADC, p: 50123 })]), pol);
  assert.is(byKind(strict, 'unexpected').length, 1);
});

test('incremental auditor: unexpected at once, repeated flows update instead of re-reporting', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const a = createAuditor(pol);
  const first = a.addFlow(flow({ o: AADC, r: DC, p: 445 }));
  assert.is(first.length, 1);
  assert.is(first[0]!.kind, 'unexpected');
  assert.is(a.addFlow(flow({ o: AADC, r: DC, p: 445 })).length, 0);
  assert.is(a.addFlow(flow({ o: AADC, r: DC, p: 389 })).length, 0);
  const blocked = a.addFlow(flow({ o: AADC, r: DC, p: 88, state: 'S0' }));
  assert.equal(blocked.map((f) => f.kind), ['blocked']);
  a.addName({ name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'sni' });
  const rep = a.finish();
  assert.is(rep.findings.find((f) => f.kind === 'unexpected')!.flows, 2);
  assert.is(rep.findings.find((f) => f.kind === 'unexpected')!.id, first[0]!.id, 'ids are stable');
});

test('finding ids are deterministic and differ by kind, rule, hosts and port', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const flows = () => [flow({ o: AADC, r: DC, p: 445, t: 5 }), flow({ o: AADC, r: DC, p: 446, t: 6 }), flow({ o: AADC, r: '10.0.0.11', p: 445, t: 7 })];
  const a = audit(evidence(flows()), pol), b = audit(evidence(flows().reverse()), await policyFor(BASIC_INVENTORY));
  assert.equal(a.findings.map((f) => f.id), b.findings.map((f) => f.id));
  assert.is(new Set(a.findings.map((f) => f.id)).size, a.findings.length);
  assert.match(a.findings[0]!.id, /^[0-9a-f]{12}$/);
});

test('user profile with a custom rule: unexpected becomes allowed', async () => {
  const p = await profileText({ extends: 'hybrid-identity', name: 'with-smb', rules: [{ id: 'X-SMB', table: '1', row: 'SMB', initiator: 'aadconnect', responder: 'dc', protocols: ['tcp'], ports: 445, level: 'optional' }] });
  const pol = await policyFor(BASIC_INVENTORY, p);
  const r = audit(evidence([flow({ o: AADC, r: DC, p: 445 })]), pol);
  assert.is(byKind(r, 'unexpected').length, 0);
  assert.is(cov(r, 'X-SMB').status, 'seen');
  assert.is(r.profile.name, 'with-smb');
});

test('IPv6 hosts audit like IPv4 ones', async () => {
  const pol = await policyFor({ roles: { aadconnect: ['2001:db8::20'], dc: ['2001:db8::/120'], wap: [WAP], adfs: [ADFS] } });
  const r = audit(evidence([flow({ o: '2001:db8::20', r: '2001:db8::10', p: 389 }), flow({ o: '2001:db8::20', r: '2001:db8::10', p: 22 })]), pol);
  assert.is(cov(r, 'T1-LDAP').status, 'seen');
  assert.equal(byKind(r, 'unexpected').map((f) => [f.orig_h, f.resp_h, f.resp_p]), [['2001:db8::20', '2001:db8::10', 22]]);
});

test('explanations mention another profile that allows the flow (compare)', async () => {
  const seed = await policyFor(BASIC_INVENTORY);
  const cur = await policyFor(BASIC_INVENTORY, 'entra-connect-2025');
  const r = audit(evidence([flow({ o: AADC, r: DC, p: 445 }), flow({ o: AADC, r: DC, p: 22 })]), seed, { compare: [cur] });
  const u = byKind(r, 'unexpected');
  assert.match(u.find((f) => f.resp_p === 445)!.explanation, /entra-connect-2025 allows it as T1-SMB \(Table 1 SMB, conditional on seamless-sso or password-writeback\)/);
  assert.not.match(u.find((f) => f.resp_p === 22)!.explanation, /allows it as/);
});

test('a role given only by names is present once a DNS answer or SNI binds one of them', async () => {
  const inv = { roles: { aadconnect: [AADC], azuread: ['*.microsoftonline.com'] } };
  const span: [number, number] = [1_700_000_000, 1_700_007_200];
  const unbound = audit(evidence([flow({ o: AADC, r: '40.126.1.1', p: 443, t: span[0] })], { span }), await policyFor(inv));
  assert.is(cov(unbound, 'T2-HTTPS').status, 'not-applicable');
  assert.match(cov(unbound, 'T2-HTTPS').reason, /hostnames never appeared in the capture's DNS answers or TLS SNI/);
  assert.is(byKind(unbound, 'unknown-host').length, 1);
  const names = [{ name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'sni' as const }];
  const bound = audit(evidence([flow({ o: AADC, r: '40.126.1.1', p: 443, t: span[0] })], { span, names }), await policyFor(inv));
  assert.is(cov(bound, 'T2-HTTPS').status, 'seen');
  assert.is(byKind(bound, 'unknown-host').length, 0);
  assert.is(cov(bound, 'T2-HTTP').status, 'not-observed', 'azuread is now present: CRL row evaluated (cache-dependent)');
});

test('blocked severity: high for required rows, medium for an undeclared conditional row', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const r = audit(evidence([flow({ o: AADC, r: DC, p: 636, state: 'S0' }), flow({ o: AADC, r: DC, p: 389, state: 'S0' })]), pol);
  assert.equal(byKind(r, 'blocked').map((f) => [f.rule, f.severity]), [['T1-LDAP', 'high'], ['T1-LDAPS', 'medium']]);
  const declared = audit(evidence([flow({ o: AADC, r: DC, p: 636, state: 'S0' })]), await policyFor(BASIC_INVENTORY, 'hybrid-identity', ['ldaps']));
  assert.is(byKind(declared, 'blocked')[0]!.severity, 'high');
});

test('satisfied_by: LDAPS imports make absent LDAP 389 expected, not missing', async () => {
  const span: [number, number] = [1_700_000_000, 1_700_007_200];
  const flows = [flow({ o: AADC, r: DC, p: 636, t: span[0] }), flow({ o: AADC, r: AZ, p: 443, t: span[0] + 1 })];
  const r = audit(evidence(flows, { span }), await policyFor(BASIC_INVENTORY, 'hybrid-identity', ['ldaps']));
  assert.is(byKind(r, 'missing').length, 0);
  assert.is(cov(r, 'T1-LDAP').status, 'not-observed');
  assert.match(cov(r, 'T1-LDAP').reason, /alternative T1-LDAPS was seen instead/);
  const without = audit(evidence([flows[1]!], { span }), await policyFor(BASIC_INVENTORY));
  assert.equal(byKind(without, 'missing').map((f) => f.rule), ['T1-LDAP']);
});

test('unlisted domain-member ports are called plausible in the explanation', async () => {
  const r = audit(evidence([flow({ o: AADC, r: DC, p: 123, proto: 'udp' }), flow({ o: AADC, r: DC, p: 8443 })]), await policyFor(BASIC_INVENTORY));
  const u = byKind(r, 'unexpected');
  assert.match(u.find((f) => f.resp_p === 123)!.explanation, /udp\/123 \(NTP\).*plausible/);
  assert.not.match(u.find((f) => f.resp_p === 8443)!.explanation, /plausible/);
});

test('--fail-on: only the named kinds (and never info findings) fail', async () => {
  const pol = await policyFor(BASIC_INVENTORY);
  const ev = () => evidence([flow({ o: AADC, r: '52.1.1.1', p: 443 })]);
  assert.is(audit(ev(), pol).summary.verdict, 'PASS');
  assert.is(audit(ev(), pol, { failOn: ['unknown-host'] }).summary.verdict, 'FAIL');
  assert.is(audit(ev(), pol, { failOn: ['not-observed'] }).summary.verdict, 'PASS', 'not-observed is info');
  assert.is(audit(evidence([flow({ o: AADC, r: DC, p: 445 })]), pol, { failOn: [] }).summary.verdict, 'PASS');
});

test('a caller may refill one record object for every flow: the auditor copies what it keeps (ICMP error quoted from the earliest flow)', async () => {
  const pol = () => policyFor(BASIC_INVENTORY);
  const a = flow({ o: '10.0.0.20', r: '10.0.0.10', p: 389, state: 'S0', t: 100, icmp: [{ proto: 'icmp', type: 3, code: 13, from: '10.0.0.1', count: 1 }] });
  const b = flow({ o: '10.0.0.20', r: '10.0.0.10', p: 389, state: 'S0', t: 200, icmp: [{ proto: 'icmp', type: 3, code: 3, from: '10.0.0.2', count: 1 }] });
  const c = flow({ o: '10.0.0.20', r: '10.0.0.10', p: 9999, t: 300 });
  const want = audit(evidence([a, b, c]), await pol());
  const blocked = want.findings.find((f) => f.kind === 'blocked');
  assert.ok(blocked !== undefined && blocked.explanation.includes('type 3 code 13 from 10.0.0.1'), blocked?.explanation);
  for (const order of [[a, b, c], [c, b, a], [b, c, a]]) {
    const auditor = createAuditor(await pol(), { newFindings: false });
    const rec = { ...order[0]! };
    for (const f of order) assert.is(auditor.addFlow(Object.assign(rec, f)).length, 0);
    assert.equal(auditor.finish(evidence([a, b, c])), want);
  }
});

test.run();
