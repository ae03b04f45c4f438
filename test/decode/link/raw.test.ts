import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, hex, ipv6, LT, tcp, udp } from '../helpers/build.js';

// rawip-tls.pcap frame 1 (LINKTYPE_RAW 101): IPv4 192.168.0.43 → 18.138.183.195, TCP 46135 → 443 SYN.
const RAW_V4 = hex(`
  4500003c e0f8 4000 3f06 cfa2 c0a8002b 128ab7c3
  b437 01bb 5deccba9 00000000 a0 02 3908 78fd 0000 020405b4`);
// linktype-ipv4-http.pcap frame 1 (LINKTYPE_IPV4 228): 172.24.133.205 → itself, TCP 43090 → 8000.
const LT228 = hex(`
  4500003c 44f8 4000 4006 91f8 ac1885cd ac1885cd
  a852 1f40 00b58bdb 00000000 a0 02 ffd7 b913 0000 0204ffd7`);

test('RAW (101, 12, 14): IP version from the first nibble (rawip-tls.pcap #1)', () => {
  for (const lt of [101, 12, 14]) {
    const { out } = decodeOnce(lt, RAW_V4, 60);
    assert.is(out.outcome, Outcome.Ok);
    assert.is(addr(out.dst), '18.138.183.195');
    assert.equal([out.srcPort, out.dstPort], [46135, 443]);
  }
  const v6 = decodeOnce(LT.RAW, ipv6({}, tcp({ dport: 3268 })));
  assert.is(v6.out.dstPort, 3268);
  const bad = decodeOnce(LT.RAW, hex('5000000000'));
  assert.is(bad.out.outcome, Outcome.Malformed);
  assert.is(bad.anomalies.get('decode.raw.bad_version'), 1);
  const empty = decodeOnce(LT.RAW, Buffer.alloc(0));
  assert.is(empty.out.outcome, Outcome.Truncated);
  assert.is(empty.anomalies.get('decode.link.empty'), 1);
});

test('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)', () => {
  const { out } = decodeOnce(LT.IPV4, LT228, 60);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(addr(out.src), '172.24.133.205');
  assert.equal([out.srcPort, out.dstPort], [43090, 8000]);
  const v6 = decodeOnce(LT.IPV6, ipv6({ nh: 17 }, udp(5353, 5353, Buffer.alloc(2))));
  assert.is(v6.out.outcome, Outcome.Ok);
  assert.is(v6.out.proto, 17);
  // IPv6 bytes under LINKTYPE_IPV4 are a bad IPv4 version
  assert.is(decodeOnce(LT.IPV4, ipv6({}, tcp({}))).anomalies.get('decode.ipv4.bad_version'), 1);
});

test('unknown link type: Unsupported decode.link.unsupported_linktype', () => {
  const { out, anomalies } = decodeOnce(147, RAW_V4);
  assert.is(out.outcome, Outcome.Unsupported);
  assert.is(anomalies.get('decode.link.unsupported_linktype'), 1);
});

test.run();
