import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../src/core/outcome.js';
import { parseAddr } from '../../src/core/ip.js';
import { FragmentTable } from '../../src/decode/fragments.js';
import { frag6, Harness, ipv4, ipv6, LT, tcp, udp } from './helpers/build.js';

// A 3-fragment UDP datagram: 8-byte UDP header + 40 bytes of data, cut at 24-byte (3-unit) boundaries.
const dgram = udp(123, 137, Buffer.alloc(40, 7)); // 48 bytes, UDP length 48
const v4frag = (off8: number, mf: boolean, id = 0x4242) =>
  ipv4({ proto: 17, id, mf, fragOff8: off8, src: '164.1.123.163', dst: '164.1.123.61' }, dgram.subarray(off8 * 8, Math.min(48, off8 * 8 + 24)));

test('IPv4 fragments in order: first has ports, later ones get them from the table', () => {
  const h = new Harness();
  let out = h.decode(LT.IPV4, v4frag(0, true));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.fragment, 1);
  assert.equal([out.hasPorts, out.srcPort, out.dstPort], [true, 123, 137]);
  assert.is(out.payloadLen, 40); // the UDP length covers the whole datagram
  out = h.decode(LT.IPV4, v4frag(3, true));
  assert.is(out.fragment, 2);
  assert.is(out.proto, 17);
  assert.equal([out.hasPorts, out.srcPort, out.dstPort], [true, 123, 137]);
  assert.is(out.payloadLen, 24);
  out = h.decode(LT.IPV4, v4frag(6, false));
  assert.is(out.fragment, 2);
  assert.equal([out.hasPorts, out.srcPort, out.dstPort], [true, 123, 137]);
  assert.is(h.anomalies.size, 0);
});

test('IPv4 fragments out of order: a later fragment before its first has no ports and is counted', () => {
  const h = new Harness();
  let out = h.decode(LT.IPV4, v4frag(6, false));
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.fragment, 2);
  assert.not.ok(out.hasPorts);
  assert.is(h.anomalies.get('decode.fragments.first_not_seen'), 1);
  out = h.decode(LT.IPV4, v4frag(0, true));
  assert.is(out.fragment, 1);
  out = h.decode(LT.IPV4, v4frag(3, true));
  assert.equal([out.hasPorts, out.srcPort], [true, 123]);
  // another datagram id does not match
  out = h.decode(LT.IPV4, v4frag(3, true, 0x4343));
  assert.not.ok(out.hasPorts);
  assert.is(h.anomalies.get('decode.fragments.first_not_seen'), 2);
});

test('IPv4 TCP fragments (ipv4-fragments-tcp.pcap style) and non-port protocols', () => {
  const h = new Harness();
  const seg = tcp({ sport: 1265, dport: 21, flags: 0x18 }, Buffer.alloc(60));
  let out = h.decode(LT.IPV4, ipv4({ id: 9, mf: true }, seg.subarray(0, 40)));
  assert.equal([out.fragment, out.srcPort, out.dstPort, out.tcpFlags], [1, 1265, 21, 0x18]);
  out = h.decode(LT.IPV4, ipv4({ id: 9, fragOff8: 5 }, seg.subarray(40)));
  assert.equal([out.fragment, out.hasPorts, out.srcPort, out.dstPort, out.tcpFlags], [2, true, 1265, 21, 0]);
  // ICMP fragments never touch the table (no ports, no anomaly)
  out = h.decode(LT.IPV4, ipv4({ proto: 1, id: 10, fragOff8: 100 }, Buffer.alloc(16)));
  assert.equal([out.fragment, out.hasPorts, out.icmpType], [2, false, -1]);
  assert.is(h.anomalies.size, 0);
});

const frag6pkt = (off8: number, more: boolean, id: number, body: Buffer) =>
  ipv6({ nh: 44, src: '2607:f740:b::f93', dst: '2001:470:1f11:81f:d138:5f55:6d4:1fe2' }, Buffer.concat([frag6(17, off8, more, id), body]));

test('IPv6 fragments in and out of order', () => {
  const big = udp(53, 51851, Buffer.alloc(100, 1));
  const h = new Harness();
  let out = h.decode(LT.IPV6, frag6pkt(0, true, 0xdeadbeef, big.subarray(0, 56)));
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.fragment, out.proto, out.srcPort, out.dstPort], [1, 17, 53, 51851]);
  out = h.decode(LT.IPV6, frag6pkt(7, false, 0xdeadbeef, big.subarray(56)));
  assert.equal([out.fragment, out.proto, out.hasPorts, out.srcPort, out.dstPort], [2, 17, true, 53, 51851]);
  assert.is(out.payloadLen, 108 - 56);
  // out of order: a later fragment of another datagram first
  out = h.decode(LT.IPV6, frag6pkt(7, false, 77, big.subarray(56)));
  assert.equal([out.fragment, out.hasPorts], [2, false]);
  assert.is(h.anomalies.get('decode.fragments.first_not_seen'), 1);
  h.decode(LT.IPV6, frag6pkt(0, true, 77, big.subarray(0, 56)));
  out = h.decode(LT.IPV6, frag6pkt(7, false, 77, big.subarray(56)));
  assert.equal([out.hasPorts, out.srcPort], [true, 53]);
  // an atomic fragment (offset 0, M clear) is simply not a fragment in flow terms
  out = h.decode(LT.IPV6, frag6pkt(0, false, 78, big));
  assert.equal([out.fragment, out.srcPort], [0, 53]);
});

test('table bound: oldest evicted and counted decode.fragments.table_full', () => {
  const h = new Harness(2);
  for (const id of [1, 2, 3]) h.decode(LT.IPV4, v4frag(0, true, id));
  assert.is(h.anomalies.get('decode.fragments.table_full'), 1);
  assert.is(h.decoder.fragments.size, 2);
  let out = h.decode(LT.IPV4, v4frag(3, true, 1)); // evicted
  assert.not.ok(out.hasPorts);
  out = h.decode(LT.IPV4, v4frag(3, true, 2));
  assert.ok(out.hasPorts);
  out = h.decode(LT.IPV4, v4frag(3, true, 3));
  assert.ok(out.hasPorts);
});

test('FragmentTable: FIFO eviction, update in place, keys include addresses, id and protocol', () => {
  const t = new FragmentTable(3);
  const a = Uint32Array.from(parseAddr('10.0.0.1')!), b = Uint32Array.from(parseAddr('10.0.0.2')!);
  const c = Uint32Array.from(parseAddr('2001:db8::1')!);
  assert.not.ok(t.insert(a, b, 1, 6, 1000, 80));
  assert.not.ok(t.insert(a, b, 1, 17, 1001, 53));
  assert.not.ok(t.insert(c, b, 1, 6, 1002, 80));
  assert.is(t.lookup(a, b, 1, 6), (1000 << 16) | 80);
  assert.is(t.lookup(a, b, 1, 17), (1001 << 16) | 53);
  assert.is(t.lookup(b, a, 1, 6), -1);
  assert.not.ok(t.insert(a, b, 1, 6, 2000, 80)); // same key: update, no eviction
  assert.is(t.lookup(a, b, 1, 6), (2000 << 16) | 80);
  assert.ok(t.insert(a, b, 2, 6, 3000, 80)); // full: evicts the oldest (a,b,1,6)
  assert.is(t.lookup(a, b, 1, 6), -1);
  assert.is(t.lookup(a, b, 2, 6), (3000 << 16) | 80);
  assert.is(t.size, 3);
  for (let i = 0; i < 1000; i++) t.insert(a, b, 100 + i, 6, i, i);
  assert.is(t.size, 3);
  assert.is(t.lookup(a, b, 1099, 6), (999 << 16) | 999);
  assert.is(t.lookup(a, b, 1096, 6), -1);
});

test.run();
