/** Flow table: originator rules, ICMP error attribution, timeouts, eviction counting, keys. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, tcp, fill, F, type SynthPacket } from './synth.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Anomalies } from '../../src/core/anomalies.js';
import { receiverIsOriginator, isServicePort } from '../../src/flow/originator.js';

const C = '10.0.0.5', S = '10.0.0.10';
const SA = F.SYN | F.ACK, PA = F.PSH | F.ACK;

test('originator: SYN sender, even to a port in the RPC dynamic range (49667)', () => {
  const { flows } = run(tcp(C, 50123, S, 49667, [[true, F.SYN], [false, SA], [true, F.ACK]]));
  assert.is(flows[0]!.origH, C); assert.is(flows[0]!.respP, 49667); assert.is(flows[0]!.origP, 50123);
  assert.is(flows[0]!.directionInferred, false);
});

test('originator: SYN-ACK first → the other side, flagged inferred', () => {
  const { flows } = run(tcp(C, 50123, S, 389, [[false, SA], [true, F.ACK]]));
  assert.is(flows[0]!.origH, C); assert.is(flows[0]!.respP, 389);
  assert.ok(flows[0]!.directionInferred);
});

test('originator: mid-stream 445 ↔ 50000 gives resp_p 445 whichever side speaks first', () => {
  for (const serverFirst of [false, true]) {
    const { flows } = run(tcp(C, 50000, S, 445, [[!serverFirst, PA, 10], [serverFirst, PA, 10]]));
    assert.is(flows[0]!.respP, 445, `serverFirst=${serverFirst}`);
    assert.is(flows[0]!.respH, S);
    assert.ok(flows[0]!.directionInferred);
  }
});

test('originator: mid-stream between two ephemeral ports → first sender', () => {
  const { flows } = run(tcp(C, 49165, S, 49155, [[true, PA, 10], [false, PA, 10]]));
  assert.is(flows[0]!.origP, 49165); assert.is(flows[0]!.respP, 49155);
});

test('originator: UDP reply seen first (53 → 55555) → the querier is orig', () => {
  const { flows } = run([{ proto: 17, src: S, dst: C, sport: 53, dport: 55555, len: 50 }]);
  assert.is(flows[0]!.origH, C); assert.is(flows[0]!.respP, 53);
  assert.is(flows[0]!.connState, 'SHR');
  assert.is(flows[0]!.history, '^d');
});

test('originator: UDP both service ports (123 ↔ 123) → first sender', () => {
  const { flows } = run([{ proto: 17, src: S, dst: C, sport: 123, dport: 123, len: 48 }]);
  assert.is(flows[0]!.origH, S);
});

test('service-port table', () => {
  for (const p of [22, 53, 88, 135, 389, 445, 464, 636, 1433, 3268, 3269, 3389, 5985, 5986, 9389, 8080]) assert.ok(isServicePort(p), String(p));
  for (const p of [1024, 49152, 49667, 50000, 65535]) assert.not.ok(isServicePort(p), String(p));
  assert.ok(receiverIsOriginator(445, 50000));
  assert.not.ok(receiverIsOriginator(50000, 445));
  assert.not.ok(receiverIsOriginator(53, 53));
});

test('ICMPv4 port unreachable is attributed to the quoted UDP flow', () => {
  const { flows, anomalies } = run([
    { proto: 17, src: '10.20.0.20', dst: '10.20.0.10', sport: 34448, dport: 161, len: 40 },
    { proto: 1, src: '10.20.0.10', dst: '10.20.0.20', icmpType: 3, icmpCode: 3,
      quoted: { proto: 17, src: '10.20.0.20', dst: '10.20.0.10', sport: 34448, dport: 161 } },
  ]);
  assert.is(flows.length, 1, 'no separate ICMP flow');
  const f = flows[0]!;
  assert.is(f.respP, 161);
  assert.equal(f.icmpErrors, [{ proto: 'icmp', type: 3, code: 3, count: 1, from: '10.20.0.10' }]);
  assert.is(f.respPkts, 0, 'the ICMP packet is evidence, not a responder packet');
  assert.is(anomalies.size, 0);
});

test('ICMPv6 destination unreachable quoting a TCP SYN is attributed (from a router)', () => {
  const { flows } = run([
    { src: '2001:db8::5', dst: '2001:db8:1::10', sport: 50000, dport: 3389, flags: F.SYN },
    { proto: 58, src: '2001:db8::1', dst: '2001:db8::5', icmpType: 1, icmpCode: 1,
      quoted: { proto: 6, src: '2001:db8::5', dst: '2001:db8:1::10', sport: 50000, dport: 3389 } },
    { proto: 58, src: '2001:db8::1', dst: '2001:db8::5', icmpType: 1, icmpCode: 1,
      quoted: { proto: 6, src: '2001:db8::5', dst: '2001:db8:1::10', sport: 50000, dport: 3389 } },
  ]);
  assert.is(flows.length, 1);
  assert.equal(flows[0]!.icmpErrors, [{ proto: 'icmp6', type: 1, code: 1, count: 2, from: '2001:db8::1' }]);
  assert.is(flows[0]!.connState, 'S0');
});

test('ICMP error quoting an unknown flow stays an ICMP flow with the evidence, and is counted', () => {
  const { flows, anomalies } = run([
    { proto: 1, src: '10.0.0.1', dst: C, icmpType: 11, icmpCode: 0,
      quoted: { proto: 17, src: C, dst: '192.0.2.9', sport: 40000, dport: 33434 } },
  ]);
  assert.is(flows.length, 1);
  assert.is(flows[0]!.proto, 1);
  assert.is(flows[0]!.origP, 11); assert.is(flows[0]!.respP, 0);
  assert.is(flows[0]!.icmpErrors.length, 1);
  assert.is(anomalies.get('flow.icmp.quoted_flow_unknown'), 1);
});

test('ICMP echo request and reply are one flow: orig_p = type 8, resp_p = code 0', () => {
  const { flows } = run([
    { proto: 1, src: C, dst: S, icmpType: 8, icmpCode: 0, len: 56 },
    { proto: 1, src: S, dst: C, icmpType: 0, icmpCode: 0, len: 56 },
  ]);
  assert.is(flows.length, 1);
  const f = flows[0]!;
  assert.is(f.origH, C); assert.is(f.origP, 8); assert.is(f.respP, 0);
  assert.is(f.origPkts, 1); assert.is(f.respPkts, 1);
  assert.is(f.connState, 'OTH');
});

test('ICMP echo reply seen first: the requester is the originator', () => {
  const { flows } = run([{ proto: 1, src: S, dst: C, icmpType: 0, icmpCode: 0, len: 56 }]);
  assert.is(flows[0]!.origH, C); assert.is(flows[0]!.origP, 8);
  assert.ok(flows[0]!.directionInferred);
});

test('timeouts: UDP idle 61 s starts a new flow; 59 s does not', () => {
  const base = 1_700_000_000;
  const mk = (t: number): SynthPacket => ({ proto: 17, src: C, dst: S, sport: 40000, dport: 53, len: 10, t });
  assert.is(run([mk(base), mk(base + 59)]).flows.length, 1);
  const r = run([mk(base), mk(base + 61)]);
  assert.is(r.flows.length, 2);
  assert.is(r.table.expired, 1);
});

test('timeouts: a quiet established TCP session (30 min idle) is not split', () => {
  const base = 1_700_000_000;
  const pk = tcp(C, 50000, S, 389, [[true, F.SYN], [false, SA], [true, F.ACK], [true, PA, 10], [false, PA, 10]]);
  pk.forEach((p, i) => { p.t = base + i; });
  pk[4]!.t = base + 1800;
  const r = run(pk);
  assert.is(r.flows.length, 1);
  assert.is(r.flows[0]!.connState, 'S1');
});

test('timeouts: expire() sweeps by packet time and leaves live flows alone', () => {
  const base = 1_700_000_000;
  const r = run([
    { proto: 17, src: C, dst: S, sport: 40000, dport: 53, len: 10, t: base },
    ...tcp(C, 50000, S, 389, [[true, F.SYN], [false, SA], [true, F.ACK]]).map((p, i) => ({ ...p, t: base + i })),
  ], {}, false);
  assert.is(r.flows.length, 0);
  r.table.expire(base + 100, 0);
  assert.is(r.flows.length, 1, 'only the UDP flow expired');
  assert.is(r.flows[0]!.proto, 17);
  r.table.flush();
  assert.is(r.flows.length, 2);
});

test('timeouts: a sweep finishing many flows (several of the core\'s groups) gives each once, in flow-id order, and keeps the index whole', () => {
  const base = 1_700_000_000;
  // 83 UDP flows (idle past 60 s at the sweep) between 41 established TCP sessions (not idle past
  // 3600 s): ids alternate in runs, so the expired ones are not one block of ids
  const pk: SynthPacket[] = [];
  let udp = 0, tcpN = 0;
  for (let i = 0; udp < 83 || tcpN < 41; i++) {
    if (udp < 83 && (i % 3 !== 2 || tcpN >= 41)) { pk.push({ proto: 17, src: C, dst: S, sport: 20000 + udp, dport: 53, len: 10, t: base + i * 0.001 }); udp++; }
    else {
      pk.push(...tcp(C, 30000 + tcpN, S, 389, [[true, F.SYN], [false, SA], [true, F.ACK]]).map((p, k) => ({ ...p, t: base + i * 0.001 + k * 0.0001 })));
      tcpN++;
    }
  }
  const r = run(pk, {}, false);
  r.table.expire(base + 100, 0);
  assert.is(r.flows.length, 83);
  assert.ok(r.flows.every((f) => f.proto === 17));
  assert.equal(r.flows.map((f) => f.origP), Array.from({ length: 83 }, (_, i) => 20000 + i), 'in the order they were created (flow ids)');
  assert.is(r.table.size, 41);
  // the index still finds every live session, and no longer the expired flows
  const p = new DecodedPacket(), an = new Anomalies();
  for (let k = 0; k < 41; k++) {
    fill(p, { src: C, dst: S, sport: 30000 + k, dport: 389, flags: F.ACK, len: 5 });
    r.table.update(p, base + 101, 0, 0, 0, an, -1);
  }
  assert.is(r.table.size, 41, 'each packet found its session');
  fill(p, { proto: 17, src: C, dst: S, sport: 20000, dport: 53, len: 10 });
  r.table.update(p, base + 102, 0, 0, 0, an, -1);
  assert.is(r.table.size, 42, 'an expired flow\'s key starts a new flow');
  r.table.flush();
  assert.is(r.flows.length, 83 + 42);
  assert.ok(r.flows.slice(83).filter((f) => f.proto === 6).every((f) => f.origPkts === 3), 'the sessions kept their packets');
});

test('TCP port reuse after close: a new SYN starts a new record', () => {
  const pk = [
    ...tcp(C, 50000, S, 445, [[true, F.SYN], [false, SA], [true, F.ACK], [true, F.FIN | F.ACK], [false, F.FIN | F.ACK], [true, F.ACK]]),
    ...tcp(C, 50000, S, 445, [[true, F.SYN], [false, F.RST | F.ACK]]),
  ];
  const { flows, anomalies } = run(pk);
  assert.is(flows.length, 2);
  assert.equal(flows.map((f) => f.connState), ['SF', 'REJ']);
  assert.is(anomalies.get('flow.tcp.port_reuse'), 1);
});

test('maxFlows: every eviction is counted exactly and each evicted flow is still a record', () => {
  const pk: SynthPacket[] = [];
  for (let i = 0; i < 100; i++) pk.push({ proto: 17, src: C, dst: S, sport: 10000 + i, dport: 53, len: 10 });
  const r = run(pk, { maxFlows: 30 });
  assert.is(r.table.evictions, 70);
  assert.is(r.flows.length, 100);
  // the least recently updated go first
  assert.equal(r.flows.slice(0, 3).map((f) => f.origP), [10000, 10001, 10002]);
});

test('maxFlows: an evicted flow that resumes becomes two records', () => {
  const pk: SynthPacket[] = [
    { proto: 17, src: C, dst: S, sport: 1, dport: 53 }, { proto: 17, src: C, dst: S, sport: 2, dport: 53 },
    { proto: 17, src: C, dst: S, sport: 3, dport: 53 }, { proto: 17, src: C, dst: S, sport: 1, dport: 53 },
  ];
  const r = run(pk, { maxFlows: 2 });
  assert.is(r.table.evictions, 2);
  assert.is(r.flows.filter((f) => f.origP === 1).length, 2);
});

test('growth: 50 000 flows, then every one found again (index and columns rehash)', () => {
  const pk: SynthPacket[] = [];
  for (let i = 0; i < 50_000; i++) pk.push({ proto: 17, src: `10.${(i >> 8) & 255}.${i & 255}.1`, dst: S, sport: 40000, dport: 53 });
  for (let i = 0; i < 50_000; i++) pk.push({ proto: 17, dst: `10.${(i >> 8) & 255}.${i & 255}.1`, src: S, dport: 40000, sport: 53 });
  const r = run(pk, { initialFlows: 16 });
  assert.is(r.flows.length, 50_000);
  assert.ok(r.flows.every((f) => f.origPkts === 1 && f.respPkts === 1 && f.connState === 'SF'));
});

test('VLAN: one flow across VLANs by default, two with vlanInKey', () => {
  const pk: SynthPacket[] = [
    { proto: 17, src: C, dst: S, sport: 4000, dport: 53, vlan: 10 },
    { proto: 17, src: S, dst: C, sport: 53, dport: 4000, vlan: 20 },
  ];
  assert.is(run(pk).flows.length, 1);
  const two = run(pk, { vlanInKey: true }).flows;
  assert.is(two.length, 2);
  assert.equal(two.map((f) => f.vlan).sort(), [10, 20]);
});

test('later fragments add bytes, not packets; fragments without ports are counted anomalies', () => {
  const r = run([
    { proto: 17, src: C, dst: S, sport: 4000, dport: 53, len: 1472, fragment: 1 },
    { proto: 17, src: C, dst: S, sport: 4000, dport: 53, len: 100, fragment: 2 },
  ]);
  assert.is(r.flows[0]!.origPkts, 1);
  assert.is(r.flows[0]!.origIpBytes, 20 + 8 + 1472 + 20 + 8 + 100);
});

test.run();
