import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, ext6, hex, ipv6, LT, tcp, udp } from '../helpers/build.js';

// ipv6-hbh-routing0.pcap frame 1 (zeek): IPv6 → hop-by-hop (8 bytes, PadN) → routing type 0 (40 bytes,
// 2 addresses) → UDP 53 → 53. tshark: 2001:4f8:4:7:2e0:81ff:fe52:ffff → 2001:4f8:4:7:2e0:81ff:fe52:9a6b, udp 53 → 53.
const HBH_RT0 = hex(`
  ffffffffffff 000000000000 86dd
  60000000 003b 00 40 200104f80004000702e081fffe52ffff 200104f80004000702e081fffe529a6b
  2b 00 0104 00000000
  11 04 00 02 00000000 20010078000100320000000000000001 20010078000100320000000000000002
  0035 0035 000b 8631 585858`);

test('hop-by-hop + routing header → UDP (ipv6-hbh-routing0.pcap #1)', () => {
  const { out, anomalies } = decodeOnce(LT.ETHERNET, HBH_RT0);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.ipVersion, 6);
  assert.is(addr(out.src), '2001:4f8:4:7:2e0:81ff:fe52:ffff');
  assert.is(addr(out.dst), '2001:4f8:4:7:2e0:81ff:fe52:9a6b');
  assert.is(out.proto, 17);
  assert.equal([out.srcPort, out.dstPort], [53, 53]);
  assert.is(out.ipLen, 40 + 0x3b);
  assert.is(out.payloadLen, 3);
  assert.is(anomalies.size, 0);
});

test('destination options and AH (length in 4-byte units + 2) are skipped', () => {
  const ah = Buffer.concat([hex('06 04 0000'), Buffer.alloc(20)]); // next TCP, payload len 4 → (4+2)*4 = 24 bytes
  const pkt = ipv6({ nh: 60 }, Buffer.concat([ext6(51), ah, tcp({ dport: 9389 })]));
  const { out } = decodeOnce(LT.IPV6, pkt);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.proto, 6);
  assert.is(out.dstPort, 9389);
});

test('extension header cut short: Truncated with addresses, proto = where it stopped', () => {
  const pkt = ipv6({ nh: 0 }, Buffer.concat([hex('3c 02 0000'), Buffer.alloc(4)])); // claims 24 bytes, 8 present
  const { out, anomalies } = decodeOnce(LT.IPV6, pkt);
  assert.is(out.outcome, Outcome.Truncated);
  assert.is(out.ipVersion, 6);
  assert.is(addr(out.src), '2001:db8::1');
  assert.is(out.proto, 0);
  assert.is(anomalies.get('decode.ipv6.ext_header_truncated'), 1);
});

test('more than 16 extension headers: still decoded, decode.ipv6.too_many_ext_headers counted', () => {
  let inner = udp(12345, 54321, Buffer.alloc(4));
  let nh = 17;
  for (let i = 0; i < 20; i++) { inner = Buffer.concat([ext6(nh), inner]); nh = 60; }
  const { out, anomalies } = decodeOnce(LT.IPV6, ipv6({ nh: 60 }, inner));
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.proto, out.srcPort, out.dstPort], [17, 12345, 54321]);
  assert.is(anomalies.get('decode.ipv6.too_many_ext_headers'), 1);
});

test('more than 256 extension headers: Malformed decode.ipv6.ext_chain_limit', () => {
  let inner = udp(1, 2, Buffer.alloc(0));
  let nh = 17;
  for (let i = 0; i < 260; i++) { inner = Buffer.concat([ext6(nh), inner]); nh = 60; }
  const { out, anomalies } = decodeOnce(LT.IPV6, ipv6({ nh: 60 }, inner));
  assert.is(out.outcome, Outcome.Malformed);
  assert.is(out.ipVersion, 6);
  assert.is(anomalies.get('decode.ipv6.ext_chain_limit'), 1);
});

test('bad version, short header, zero payload length, length beyond frame', () => {
  assert.is(decodeOnce(LT.IPV6, hex('45000000')).anomalies.get('decode.ipv6.bad_version'), 1);
  const t = decodeOnce(LT.IPV6, ipv6({}, tcp({})).subarray(0, 39));
  assert.is(t.out.outcome, Outcome.Truncated);
  assert.is(t.anomalies.get('decode.ipv6.truncated'), 1);
  const z = decodeOnce(LT.IPV6, ipv6({ plen: 0 }, tcp({ dport: 135 })));
  assert.is(z.out.outcome, Outcome.Ok);
  assert.is(z.out.dstPort, 135);
  assert.is(z.out.ipLen, 60);
  assert.is(z.anomalies.get('decode.ipv6.zero_payload_length'), 1);
  const x = decodeOnce(LT.IPV6, ipv6({ plen: 2000 }, tcp({ dport: 135 })));
  assert.is(x.out.outcome, Outcome.Ok);
  assert.is(x.anomalies.get('decode.ipv6.length_exceeds_frame'), 1);
  // no next header (59) with payload length 0 is normal (e.g. a Teredo bubble)
  const nn = decodeOnce(LT.IPV6, ipv6({ nh: 59 }, Buffer.alloc(0)));
  assert.is(nn.out.outcome, Outcome.Ok);
  assert.is(nn.out.proto, 59);
  assert.is(nn.anomalies.size, 0);
});

test.run();
