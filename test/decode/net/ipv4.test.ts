import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, eth, hex, Harness, ipv4, LT, tcp, udp } from '../helpers/build.js';

test('IPv4 with options: IHL 6 skips 4 option bytes (router alert)', () => {
  const { out } = decodeOnce(LT.ETHERNET, eth(0x0800, ipv4({ proto: 17, options: hex('94040000') }, udp(1234, 389, hex('30 05')))));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.dstPort, 389);
  assert.is(out.ipLen, 24 + 8 + 2);
  assert.is(out.payloadLen, 2);
  assert.is(out.payloadCaptured, 2);
});

test('IHL below 5: Malformed decode.ipv4.bad_header_length, no address', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ ihl: 4 }, tcp({})));
  assert.is(out.outcome, Outcome.Malformed);
  assert.is(out.ipVersion, 0);
  assert.is(anomalies.get('decode.ipv4.bad_header_length'), 1);
});

test('IHL beyond the captured bytes: Truncated decode.ipv4.truncated', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ ihl: 15 }, Buffer.alloc(10)));
  assert.is(out.outcome, Outcome.Truncated);
  assert.is(out.ipVersion, 0);
  assert.is(anomalies.get('decode.ipv4.truncated'), 1);
  assert.is(decodeOnce(LT.IPV4, hex('4500003c e0f8')).anomalies.get('decode.ipv4.truncated'), 1);
});

test('total length below the header: Malformed decode.ipv4.bad_total_length', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ totalLen: 19 }, tcp({})));
  assert.is(out.outcome, Outcome.Malformed);
  assert.is(anomalies.get('decode.ipv4.bad_total_length'), 1);
});

test('total length 0 (TSO capture): decoded from the frame length, oddity counted', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ totalLen: 0 }, tcp({ dport: 445 }, Buffer.alloc(100))));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.ipLen, 140);
  assert.is(out.payloadLen, 100);
  assert.is(anomalies.get('decode.ipv4.zero_total_length'), 1);
});

test('total length beyond the frame (not snaplen): Ok, decode.ipv4.length_exceeds_frame', () => {
  const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ totalLen: 1000 }, tcp({ dport: 88 })));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.dstPort, 88);
  assert.is(out.ipLen, 1000);
  assert.is(anomalies.get('decode.ipv4.length_exceeds_frame'), 1);
});

test('snaplen 68 (snaplen68-smtp style): headers complete, payload cut → Ok, no anomaly, payloadCut counted', () => {
  const full = eth(0x0800, ipv4({}, tcp({ sport: 25, dport: 40000, flags: 0x18 }, Buffer.alloc(500, 0x41))));
  const h = new Harness();
  const out = h.decode(LT.ETHERNET, full.subarray(0, 68), full.length);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.srcPort, 25);
  assert.is(out.tcpFlags, 0x18);
  assert.is(out.payloadLen, 500);
  assert.is(out.payloadCaptured, 68 - 54);
  assert.is(out.ipLen, 540);
  assert.is(h.anomalies.size, 0);
  assert.is(h.decoder.stats.payloadCut, 1);
});

test('unknown transport protocols are Ok without ports (ESP, OSPF, IGMP)', () => {
  for (const p of [50, 89, 2]) {
    const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ proto: p }, Buffer.alloc(16)));
    assert.is(out.outcome, Outcome.Ok);
    assert.is(out.proto, p);
    assert.not.ok(out.hasPorts);
    assert.is(out.payloadLen, 16);
    assert.is(anomalies.size, 0);
  }
});

test('addresses are IPv4-mapped words', () => {
  const { out } = decodeOnce(LT.IPV4, ipv4({ src: '10.1.2.3', dst: '255.255.255.255', proto: 17 }, udp(68, 67, Buffer.alloc(0))));
  assert.equal([...out.src], [0, 0, 0xffff, 0x0a010203]);
  assert.equal([...out.dst], [0, 0, 0xffff, 0xffffffff]);
  assert.is(addr(out.dst), '255.255.255.255');
});

test.run();
