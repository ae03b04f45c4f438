import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, eth, ethTagged, hex, ipv4, ipv6, LT, tcp, udp } from '../helpers/build.js';

// krb-tcp-vlan.pcap frame 1 (../shared/corpus/public, arkime): Ethernet, 802.1Q VID 50, IPv4, TCP SYN 57167 → 88.
// tshark: vlan.id 50, 10.10.10.10 → 11.11.11.11, tcp 57167 → 88, flags S.
const KRB_VLAN = hex(`
  0022833f17cc 0022833f17c5 8100 0032 0800
  45000034 1fbe 4000 7a06 dd90 0a0a0a0a 0b0b0b0b
  df4f 0058 8a8eb0e1 00000000 80 02 2000 3083 0000 0204`);

test('802.1Q: outermost VLAN id, IPv4/TCP inside (krb-tcp-vlan.pcap #1)', () => {
  const { out } = decodeOnce(LT.ETHERNET, KRB_VLAN, 70);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.vlan, 50);
  assert.is(out.innerVlan, -1);
  assert.is(out.ipVersion, 4);
  assert.is(addr(out.src), '10.10.10.10');
  assert.is(addr(out.dst), '11.11.11.11');
  assert.is(out.proto, 6);
  assert.ok(out.hasPorts);
  assert.is(out.srcPort, 57167);
  assert.is(out.dstPort, 88);
  assert.is(out.tcpFlags, 0x02);
  assert.is(out.tcpSeq, 0x8a8eb0e1);
  assert.is(out.ipLen, 0x34);
});

// pppoe-qinq-tls.pcap frame 1: 802.1Q 3704 / 802.1Q 2474 / PPPoE session / PPP IPv4 / TCP SYN 20394 → 443
// (tshark: vlan.id 3704,2474, 1.1.1.1 → 2.2.2.2).
const PPPOE_QINQ = hex(`
  000000000001 000000000000 8100 0e78 8100 09aa 8864
  11 00 000f 0700 0021
  45000040 0000 4000 3f06 35b3 01010101 02020202
  4faa 01bb d7a84155 00000000 b0 02 ffff eced 0000`);

test('QinQ + PPPoE session + PPP IPv4 (pppoe-qinq-tls.pcap #1)', () => {
  const { out } = decodeOnce(LT.ETHERNET, PPPOE_QINQ, 94);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.vlan, 3704);
  assert.is(out.innerVlan, 2474);
  assert.is(addr(out.src), '1.1.1.1');
  assert.is(addr(out.dst), '2.2.2.2');
  assert.is(out.srcPort, 20394);
  assert.is(out.dstPort, 443);
});

test('802.1ad (0x88a8) and 0x9100 outer tags, 802.1Q inner', () => {
  for (const outer of [0x88a8, 0x9100]) {
    const { out } = decodeOnce(LT.ETHERNET, ethTagged([[outer, 0x0123], [0x8100, 0x2064]], 0x0800, ipv4({ proto: 17 }, udp(53, 5353, Buffer.alloc(4)))));
    assert.is(out.outcome, Outcome.Ok);
    assert.is(out.vlan, 0x123); // PCP/DEI bits are masked off: VID is the low 12 bits
    assert.is(out.innerVlan, 0x064);
    assert.is(out.dstPort, 5353);
  }
});

test('three tags: vlan/innerVlan keep the two outermost', () => {
  const { out } = decodeOnce(LT.ETHERNET, ethTagged([[0x88a8, 10], [0x8100, 20], [0x8100, 30]], 0x86dd, ipv6({ nh: 6 }, tcp({}))));
  assert.is(out.outcome, Outcome.Ok);
  assert.equal([out.vlan, out.innerVlan], [10, 20]);
  assert.is(out.ipVersion, 6);
});

test('nine stacked tags: Malformed decode.vlan.too_many_tags', () => {
  const tags = Array.from({ length: 9 }, (_, i): [number, number] => [0x8100, i + 1]);
  const { out, anomalies } = decodeOnce(LT.ETHERNET, ethTagged(tags, 0x0800, ipv4({}, tcp({}))));
  assert.is(out.outcome, Outcome.Malformed);
  assert.is(anomalies.get('decode.vlan.too_many_tags'), 1);
});

test('ARP and LLDP are non-IP: Unsupported, counted as decode.ethernet.non_ip', () => {
  // ARP request who-has 192.0.2.2 tell 192.0.2.1 (RFC 826 layout)
  const arp = hex('0001 0800 06 04 0001 02000000000a c0000201 000000000000 c0000202');
  const a = decodeOnce(LT.ETHERNET, eth(0x0806, arp));
  assert.is(a.out.outcome, Outcome.Unsupported);
  assert.is(a.out.ipVersion, 0);
  assert.is(a.anomalies.get('decode.ethernet.non_ip'), 1);
  const l = decodeOnce(LT.ETHERNET, eth(0x88cc, hex('0207 04 02000000000a')));
  assert.is(l.out.outcome, Outcome.Unsupported);
  // 802.3 length frame (STP over LLC)
  const s = decodeOnce(LT.ETHERNET, eth(0x0026, hex('424203 0000 00')));
  assert.is(s.out.outcome, Outcome.Unsupported);
  assert.is(s.anomalies.get('decode.ethernet.non_ip'), 1);
});

test('MPLS label stack (0x8847 / 0x8848) → IPv4 / IPv6 by first nibble', () => {
  // two labels: 16 (S=0), 17 (S=1); label = top 20 bits, S = bit 8 of the third byte
  const stack = hex('00010040 00011140');
  const a = decodeOnce(LT.ETHERNET, eth(0x8847, Buffer.concat([stack, ipv4({ proto: 17 }, udp(1, 88, Buffer.alloc(0)))])));
  assert.equal([a.out.outcome, a.out.ipVersion, a.out.dstPort], [Outcome.Ok, 4, 88]);
  const b = decodeOnce(LT.ETHERNET, ethTagged([[0x8100, 9]], 0x8848, Buffer.concat([hex('00011140'), ipv6({}, tcp({ dport: 464 }))])));
  assert.equal([b.out.outcome, b.out.ipVersion, b.out.dstPort, b.out.vlan], [Outcome.Ok, 6, 464, 9]);
});

test('truncated Ethernet and VLAN headers', () => {
  const e = decodeOnce(LT.ETHERNET, hex('0022833f17cc0022833f17c581'));
  assert.is(e.out.outcome, Outcome.Truncated);
  assert.is(e.anomalies.get('decode.ethernet.truncated'), 1);
  const v = decodeOnce(LT.ETHERNET, hex('0022833f17cc0022833f17c5 8100 00'));
  assert.is(v.out.outcome, Outcome.Truncated);
  assert.is(v.anomalies.get('decode.vlan.truncated'), 1);
});

test('PPPoE: bad version, truncated, LCP (non-IP)', () => {
  const bad = decodeOnce(LT.ETHERNET, eth(0x8864, hex('21 00 000f 0002 0021 45')));
  assert.is(bad.out.outcome, Outcome.Malformed);
  assert.is(bad.anomalies.get('decode.pppoe.bad_version'), 1);
  const tr = decodeOnce(LT.ETHERNET, eth(0x8864, hex('11 00 000f')));
  assert.is(tr.anomalies.get('decode.pppoe.truncated'), 1);
  const lcp = decodeOnce(LT.ETHERNET, eth(0x8864, hex('11 00 000f 0006 c021 0101 0004')));
  assert.is(lcp.out.outcome, Outcome.Unsupported);
  assert.is(lcp.anomalies.get('decode.ppp.non_ip'), 1);
  const v6 = decodeOnce(LT.ETHERNET, eth(0x8864, Buffer.concat([hex('11 00 000f 0000 0057'), ipv6({ nh: 17 }, udp(546, 547, Buffer.alloc(0)))])));
  assert.is(v6.out.outcome, Outcome.Ok);
  assert.is(v6.out.dstPort, 547);
  const disc = decodeOnce(LT.ETHERNET, eth(0x8863, hex('11 09 0000 0000')));
  assert.is(disc.out.outcome, Outcome.Unsupported);
});

test('Ethernet padding after a short IPv4 packet is not payload', () => {
  // 20 + 8 bytes of IPv4/UDP, padded to the 60-byte Ethernet minimum
  const frame = Buffer.concat([eth(0x0800, ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(0)))), Buffer.alloc(18)]);
  const { out } = decodeOnce(LT.ETHERNET, frame);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.ipLen, 28);
  assert.is(out.payloadLen, 0);
  assert.is(out.payloadCaptured, 0);
});

test.run();
