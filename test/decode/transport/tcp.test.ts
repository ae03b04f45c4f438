import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { decodeOnce, eth, Harness, ipv4, ipv6, LT, tcp } from '../helpers/build.js';

test('TCP: ports, flags, seq/ack, payload after options', () => {
  const seg = tcp({ sport: 51000, dport: 636, seq: 0xfffffff0, ack: 0x01020304, flags: 0x12, options: Buffer.from('020405b40103030801010402', 'hex') }, Buffer.alloc(10, 1));
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({}, seg));
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.srcPort, out.dstPort, out.tcpFlags, out.tcpSeq, out.tcpAck], [51000, 636, 0x12, 0xfffffff0, 0x01020304]);
  assert.is(out.payloadOffset, 7 + 20 + 32); // the harness puts the packet at offset 7
  assert.is(out.payloadLen, 10);
  assert.is(out.payloadCaptured, 10);
  assert.is(anomalies.size, 0);
});

test('data offset below 5 or beyond the segment: Malformed decode.tcp.bad_data_offset (ports kept)', () => {
  for (const doff of [0, 4, 15]) {
    const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({}, tcp({ doff, dport: 3389 })));
    assert.is(out.outcome, Outcome.Malformed, `doff ${doff}`);
    assert.is(anomalies.get('decode.tcp.bad_data_offset'), 1);
    assert.ok(out.hasPorts);
    assert.is(out.dstPort, 3389);
  }
});

test('TCP cut by snaplen after the ports: Ok with tcpFlagsKnown = false; before the ports: Truncated', () => {
  const full = eth(0x86dd, ipv6({}, tcp({ sport: 40000, dport: 88, flags: 0x02 }, Buffer.alloc(100))));
  const h = new Harness();
  // snaplen 64 on Ethernet/IPv6: 10 bytes of TCP (ports, seq, half the ack)
  let out = h.decode(LT.ETHERNET, full.subarray(0, 14 + 40 + 10), full.length);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.ipVersion, 6);
  assert.equal([out.hasPorts, out.srcPort, out.dstPort, out.proto], [true, 40000, 88, 6]);
  assert.equal([out.tcpFlagsKnown, out.tcpFlags], [false, 0]);
  assert.equal([out.payloadLen, out.payloadCaptured], [100, 0]);
  assert.is(h.anomalies.size, 0);
  assert.is(h.decoder.stats.headerCut, 1);
  out = h.decode(LT.ETHERNET, full.subarray(0, 14 + 40 + 3), full.length);
  assert.is(out.outcome, Outcome.Truncated);
  assert.not.ok(out.hasPorts);
  assert.is(out.ipVersion, 6);
  assert.is(h.anomalies.get('decode.tcp.truncated'), 1);
  out = h.decode(LT.ETHERNET, full.subarray(0, 14 + 40 + 14), full.length); // snaplen 68 on IPv6: flags are there
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.srcPort, out.dstPort, out.tcpFlags, out.tcpFlagsKnown], [40000, 88, 0x02, true]);
  assert.is(out.payloadCaptured, 0);
  assert.is(out.payloadLen, 100);
});

test('a frame shorter than its IP length (no snaplen) that ends inside the TCP header: Truncated with ports', () => {
  const p = ipv4({ totalLen: 60 }, tcp({ sport: 5000, dport: 389 })).subarray(0, 30);
  const { out, anomalies } = decodeOnce(LT.IPV4, p);
  assert.is(out.outcome, Outcome.Truncated);
  assert.equal([out.hasPorts, out.dstPort], [true, 389]);
  assert.is(anomalies.get('decode.tcp.truncated'), 1);
  assert.is(anomalies.get('decode.ipv4.length_exceeds_frame'), 1);
});

test.run();
