import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, hex, ipv4, ipv6, LT, tcp, udp } from '../helpers/build.js';

// null-bsd-tls.pcap frame 1: NULL with AF 2 little-endian (02000000), IPv4 10.180.152.137 → itself, TCP 60101 → 4443.
const NULL_V4_LE = hex(`
  02000000
  45000040 2e72 4000 4006 0000 0ab49889 0ab49889
  eac5 115b c3228cce 00000000 b0 02 ffff 46ad 0000 02043fd80103`);
// null-bsd-ipv6-http.pcap frame 1: NULL AF 30 (macOS AF_INET6) little-endian, ::1 → ::1, TCP 55717 → 8000.
const NULL_V6_LE = hex(`
  1e000000
  6000c57a 002c 06 40 00000000000000000000000000000001 00000000000000000000000000000001
  d9a5 1f40 11b0c540 00000000 b0 02 ffff 0034 0000 02043fc40103`);

test('NULL, AF_INET little-endian (null-bsd-tls.pcap #1)', () => {
  const { out } = decodeOnce(LT.NULL, NULL_V4_LE, 68);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(addr(out.src), '10.180.152.137');
  assert.equal([out.srcPort, out.dstPort], [60101, 4443]);
});

test('NULL, AF_INET6 = 30 little-endian (null-bsd-ipv6-http.pcap #1)', () => {
  const { out } = decodeOnce(LT.NULL, NULL_V6_LE, 88);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.ipVersion, 6);
  assert.is(addr(out.src), '::1');
  assert.equal([out.srcPort, out.dstPort], [55717, 8000]);
});

test('NULL in big-endian host order, every AF_INET6 value', () => {
  const v4 = decodeOnce(LT.NULL, Buffer.concat([hex('00000002'), ipv4({ proto: 17 }, udp(1000, 53, Buffer.alloc(0)))]));
  assert.is(v4.out.outcome, Outcome.Ok);
  assert.is(v4.out.dstPort, 53);
  for (const af of ['00000018', '0000001c', '0000001e', '18000000', '1c000000']) {
    const r = decodeOnce(LT.NULL, Buffer.concat([hex(af), ipv6({}, tcp({ dport: 636 }))]));
    assert.is(r.out.outcome, Outcome.Ok, af);
    assert.is(r.out.ipVersion, 6, af);
    assert.is(r.out.dstPort, 636);
  }
});

test('LOOP is network byte order only', () => {
  const ok4 = decodeOnce(LT.LOOP, Buffer.concat([hex('00000002'), ipv4({}, tcp({ dport: 389 }))]));
  assert.is(ok4.out.outcome, Outcome.Ok);
  assert.is(ok4.out.dstPort, 389);
  const ok6 = decodeOnce(LT.LOOP, Buffer.concat([hex('0000001c'), ipv6({}, tcp({ dport: 389 }))]));
  assert.is(ok6.out.ipVersion, 6);
  const le = decodeOnce(LT.LOOP, Buffer.concat([hex('02000000'), ipv4({}, tcp({}))]));
  assert.is(le.out.outcome, Outcome.Unsupported);
  assert.is(le.anomalies.get('decode.loop.unknown_family'), 1);
});

test('NULL/LOOP unknown family and truncation', () => {
  const u = decodeOnce(LT.NULL, Buffer.concat([hex('07000000'), ipv4({}, tcp({}))]));
  assert.is(u.out.outcome, Outcome.Unsupported);
  assert.is(u.anomalies.get('decode.null.unknown_family'), 1);
  assert.is(decodeOnce(LT.NULL, hex('020000')).anomalies.get('decode.null.truncated'), 1);
  assert.is(decodeOnce(LT.LOOP, hex('00')).anomalies.get('decode.loop.truncated'), 1);
});

test.run();
