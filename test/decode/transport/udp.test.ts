import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { decodeOnce, ipv4, ipv6, LT, udp } from '../helpers/build.js';

test('UDP: ports and payload from the UDP length', () => {
  const { out } = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(389, 50000, Buffer.alloc(30))));
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.srcPort, out.dstPort, out.payloadLen, out.payloadCaptured], [389, 50000, 30, 30]);
});

test('UDP length 1..7: Malformed decode.udp.bad_length; 0 is allowed (jumbogram)', () => {
  const bad = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(4), 5)));
  assert.is(bad.out.outcome, Outcome.Malformed);
  assert.is(bad.anomalies.get('decode.udp.bad_length'), 1);
  assert.ok(bad.out.hasPorts);
  const zero = decodeOnce(LT.IPV6, ipv6({ nh: 17 }, udp(1, 2, Buffer.alloc(4), 0)));
  assert.is(zero.out.outcome, Outcome.Ok);
  assert.is(zero.out.payloadLen, 4);
  assert.is(zero.anomalies.size, 0);
});

test('UDP length beyond the IP payload: Ok with decode.udp.length_exceeds_ip', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(4), 100)));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.payloadLen, 4);
  assert.is(anomalies.get('decode.udp.length_exceeds_ip'), 1);
});

test('UDP header cut: by snaplen after the ports → Ok; before the ports or in a short frame → Truncated', () => {
  const p = ipv4({ proto: 17 }, udp(3000, 161, Buffer.alloc(10)));
  const a = decodeOnce(LT.IPV4, p.subarray(0, 26), p.length);
  assert.is(a.out.outcome, Outcome.Ok);
  assert.equal([a.out.hasPorts, a.out.dstPort, a.out.payloadLen, a.out.payloadCaptured], [true, 161, 10, 0]);
  assert.is(a.anomalies.size, 0);
  const s = decodeOnce(LT.IPV4, ipv4({ proto: 17, totalLen: 38 }, udp(3000, 161, Buffer.alloc(0))).subarray(0, 26));
  assert.is(s.out.outcome, Outcome.Truncated);
  assert.equal([s.out.hasPorts, s.out.dstPort], [true, 161]);
  assert.is(s.anomalies.get('decode.udp.truncated'), 1);
  const b = decodeOnce(LT.IPV4, p.subarray(0, 22), p.length);
  assert.is(b.out.outcome, Outcome.Truncated);
  assert.not.ok(b.out.hasPorts);
});

test('SCTP ports; UDP-Lite ports', () => {
  const sctp = Buffer.from('0b5913c40000000000000000', 'hex'); // 2905 → 5060
  const s = decodeOnce(LT.IPV4, ipv4({ proto: 132 }, sctp));
  assert.equal([s.out.outcome, s.out.hasPorts, s.out.srcPort, s.out.dstPort], [Outcome.Ok, true, 2905, 5060]);
  assert.is(decodeOnce(LT.IPV4, ipv4({ proto: 132 }, sctp.subarray(0, 3))).anomalies.get('decode.sctp.truncated'), 1);
  const l = decodeOnce(LT.IPV4, ipv4({ proto: 136 }, udp(7, 9, Buffer.alloc(2), 8)));
  assert.equal([l.out.outcome, l.out.srcPort, l.out.dstPort], [Outcome.Ok, 7, 9]);
});

test.run();
