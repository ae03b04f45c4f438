import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, hex, icmp, ipv4, ipv6, LT, tcp, udp } from '../helpers/build.js';

// ../shared/corpus/pilot/pilot-full.pcap frame 828: 10.20.0.10 → 10.20.0.20 ICMP port unreachable (3/3)
// quoting UDP 10.20.0.20:34448 → 10.20.0.10:161 (SNMP). tshark: icmp.type 3 code 3, udp 34448 → 161.
const PORT_UNREACH = hex(`
  024850000020 024850000010 0800
  45c00063 1f66 0000 4001 462f 0a14000a 0a140014
  03 03 5a35 00000000
  45000047 22fb 4000 4011 0366 0a140014 0a14000a
  8690 00a1 0033 148a 302902010104067075626c6963`);

test('ICMP port unreachable quoting UDP (pilot-full.pcap #828)', () => {
  const { out } = decodeOnce(LT.ETHERNET, PORT_UNREACH);
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.proto, out.icmpType, out.icmpCode, out.hasPorts], [1, 3, 3, false]);
  assert.is(addr(out.src), '10.20.0.10');
  assert.ok(out.hasQuoted);
  assert.is(out.quotedProto, 17);
  assert.is(addr(out.quotedSrc), '10.20.0.20');
  assert.is(addr(out.quotedDst), '10.20.0.10');
  assert.ok(out.quotedHasPorts);
  assert.equal([out.quotedSrcPort, out.quotedDstPort], [34448, 161]);
});

test('ICMP errors quote TCP: time exceeded, source quench, parameter problem, with quoted IP options', () => {
  const orig = ipv4({ src: '192.0.2.7', dst: '203.0.113.9', options: hex('01010100') }, tcp({ sport: 50123, dport: 3268 })).subarray(0, 24 + 8);
  for (const t of [11, 4, 12]) {
    const { out } = decodeOnce(LT.IPV4, ipv4({ proto: 1, src: '198.51.100.1', dst: '192.0.2.7' }, icmp(t, 0, Buffer.alloc(4), orig)));
    assert.is(out.icmpType, t);
    assert.ok(out.hasQuoted);
    assert.equal([out.quotedProto, out.quotedSrcPort, out.quotedDstPort], [6, 50123, 3268]);
    assert.is(addr(out.quotedDst), '203.0.113.9');
  }
});

test('ICMP echo: type/code, no ports, no quote', () => {
  const { out } = decodeOnce(LT.IPV4, ipv4({ proto: 1 }, icmp(8, 0, hex('00010002'), Buffer.alloc(32))));
  assert.equal([out.outcome, out.icmpType, out.icmpCode, out.hasPorts, out.hasQuoted], [Outcome.Ok, 8, 0, false, false]);
});

test('ICMP quote cut short: addresses without ports, or nothing; counted', () => {
  const orig = ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(0)));
  const a = decodeOnce(LT.IPV4, ipv4({ proto: 1 }, icmp(3, 1, Buffer.alloc(4), orig.subarray(0, 22))));
  assert.is(a.out.outcome, Outcome.Ok);
  assert.ok(a.out.hasQuoted);
  assert.not.ok(a.out.quotedHasPorts);
  assert.is(a.anomalies.get('decode.icmp.quoted_truncated'), 1);
  const b = decodeOnce(LT.IPV4, ipv4({ proto: 1 }, icmp(3, 1, Buffer.alloc(4), orig.subarray(0, 12))));
  assert.not.ok(b.out.hasQuoted);
  assert.is(b.anomalies.get('decode.icmp.quoted_truncated'), 1);
  const c = decodeOnce(LT.IPV4, ipv4({ proto: 1 }, icmp(3, 1, Buffer.alloc(4), ipv6({}, tcp({})))));
  assert.not.ok(c.out.hasQuoted);
  assert.is(c.anomalies.get('decode.icmp.quoted_malformed'), 1);
  const d = decodeOnce(LT.IPV4, ipv4({ proto: 1 }, hex('03')));
  assert.is(d.out.outcome, Outcome.Truncated);
  assert.is(d.anomalies.get('decode.icmp.truncated'), 1);
});

test('ICMPv6 errors quote TCP and UDP (destination unreachable, packet too big, time exceeded, parameter problem)', () => {
  const origUdp = ipv6({ nh: 17, src: '2001:db8::10', dst: '2001:db8::53' }, udp(40000, 53, Buffer.alloc(20)));
  const origTcp = ipv6({ nh: 0, src: '2001:db8::10', dst: '2001:db8::389' }, Buffer.concat([hex('06 00 0104 00000000'), tcp({ sport: 40001, dport: 389 })]));
  for (const t of [1, 2, 3, 4]) {
    const u = decodeOnce(LT.IPV6, ipv6({ nh: 58, src: '2001:db8::1' }, icmp(t, 0, Buffer.alloc(4), origUdp)));
    assert.equal([u.out.outcome, u.out.proto, u.out.icmpType, u.out.hasQuoted, u.out.quotedProto], [Outcome.Ok, 58, t, true, 17]);
    assert.equal([u.out.quotedSrcPort, u.out.quotedDstPort], [40000, 53]);
    assert.is(addr(u.out.quotedDst), '2001:db8::53');
    const tc = decodeOnce(LT.IPV6, ipv6({ nh: 58 }, icmp(t, 0, Buffer.alloc(4), origTcp)));
    assert.equal([tc.out.quotedProto, tc.out.quotedSrcPort, tc.out.quotedDstPort], [6, 40001, 389]);
  }
  const echo = decodeOnce(LT.IPV6, ipv6({ nh: 58 }, icmp(128, 0, Buffer.alloc(4), Buffer.alloc(8))));
  assert.equal([echo.out.icmpType, echo.out.hasQuoted, echo.out.hasPorts], [128, false, false]);
  const short = decodeOnce(LT.IPV6, ipv6({ nh: 58 }, icmp(1, 4, Buffer.alloc(4), origUdp.subarray(0, 30))));
  assert.not.ok(short.out.hasQuoted);
  assert.is(short.anomalies.get('decode.icmpv6.quoted_truncated'), 1);
  const bad = decodeOnce(LT.IPV6, ipv6({ nh: 58 }, icmp(1, 4, Buffer.alloc(4), Buffer.alloc(48))));
  assert.is(bad.anomalies.get('decode.icmpv6.quoted_malformed'), 1);
  assert.is(decodeOnce(LT.IPV6, ipv6({ nh: 58 }, hex('01'))).anomalies.get('decode.icmpv6.truncated'), 1);
});

test.run();
