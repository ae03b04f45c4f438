import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { Tunnel } from '../../../src/decode/packet.js';
import { addr, decodeOnce, eth, hex, ipv4, ipv6, LT, tcp, udp } from '../helpers/build.js';

// vxlan-http.pcap frame 1: outer 10.1.200.131 → 10.1.1.172 UDP 50000 → 4789, VNI 1, inner Ethernet,
// IPv4 172.16.11.201 → 54.86.237.188 TCP 40354 → 80 SYN (tshark row 1).
const VXLAN = hex(`
  1242cdc5e822 1242cdc5e822 0800
  4500006e 0000 0000 4011 9c4e 0a01c883 0a0101ac
  c350 12b5 005a 961f
  08 000000 000001 00
  74acb93fd27d 48f17fa3b6ff 0800
  4500003c 1998 4000 4006 4538 ac100bc9 3656edbc
  9da2 0050 5aafe1a8 00000000 a0 02 faf0 0892 0000 020405b40402`);

test('VXLAN (vxlan-http.pcap #1): inner packet audited, outer endpoints kept', () => {
  const { out, anomalies } = decodeOnce(LT.ETHERNET, VXLAN, 124);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.tunnel, Tunnel.VXLAN);
  assert.is(out.tunnelDepth, 1);
  assert.is(addr(out.outerSrc), '10.1.200.131');
  assert.is(addr(out.outerDst), '10.1.1.172');
  assert.is(addr(out.src), '172.16.11.201');
  assert.is(addr(out.dst), '54.86.237.188');
  assert.equal([out.proto, out.srcPort, out.dstPort, out.tcpFlags], [6, 40354, 80, 0x02]);
  assert.is(out.ipLen, 0x3c);
  assert.is(anomalies.size, 0);
});

// geneve-ssh.pcap frame 3: outer 20.0.0.2 → 20.0.0.1 UDP 43443 → 6081, Geneve proto 0x6558, VNI 11,
// inner 30.0.0.2 → 30.0.0.1 TCP 51225 → 22 SYN.
const GENEVE = hex(`
  001b213cab64 001b213cac30 0800
  4500006e 8806 4000 4011 8a76 14000002 14000001
  a9b3 17c1 005a 0000
  00 00 6558 00000b 00
  b69ed2495148 fe71d883724f 0800
  4500003c 5a11 4000 4006 a4a8 1e000002 1e000001
  c819 0016 17b30caf 00000000 a0 02 3908 e437 0000 020405b40402080aab6d56be00000000`);

test('Geneve (geneve-ssh.pcap #3)', () => {
  const { out } = decodeOnce(LT.ETHERNET, GENEVE, 124);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.tunnel, Tunnel.GENEVE);
  assert.is(addr(out.outerSrc), '20.0.0.2');
  assert.is(addr(out.src), '30.0.0.2');
  assert.equal([out.srcPort, out.dstPort], [51225, 22]);
});

test('Geneve with options and IPv4 / IPv6 payload types; unsupported protocol falls back to the outer UDP', () => {
  const opt = hex('0102 03 01 00000000'); // one option: class 0x0102, type 3, length 1 (4 bytes data)
  const inner4 = ipv4({ src: '30.0.0.9', proto: 17 }, udp(1, 53, Buffer.alloc(0)));
  const g4 = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(5000, 6081, Buffer.concat([hex('02 00 0800 000001 00'), opt, inner4]))));
  assert.equal([g4.out.tunnel, g4.out.dstPort], [Tunnel.GENEVE, 53]);
  assert.is(addr(g4.out.src), '30.0.0.9');
  const g6 = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(5000, 6081, Buffer.concat([hex('00 00 86dd 000001 00'), ipv6({}, tcp({ dport: 5985 }))]))));
  assert.equal([g6.out.tunnel, g6.out.ipVersion, g6.out.dstPort], [Tunnel.GENEVE, 6, 5985]);
  const gx = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(5000, 6081, Buffer.concat([hex('00 00 894f 000001 00'), Buffer.alloc(20)]))));
  assert.equal([gx.out.outcome, gx.out.tunnel, gx.out.dstPort], [Outcome.Ok, 0, 6081]);
  assert.is(gx.anomalies.get('decode.geneve.unsupported_protocol'), 1);
  const gt = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(5000, 6081, hex('3f00 6558'))));
  assert.equal([gt.out.outcome, gt.out.tunnel], [Outcome.Ok, 0]);
  assert.is(gt.anomalies.get('decode.geneve.truncated'), 1);
  const gv = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(5000, 6081, hex('40 00 6558 000001 00'))));
  assert.is(gv.anomalies.get('decode.geneve.bad_version'), 1);
});

// gre-ppp-dns-6in4.pcap frame 1 (arkime): Ethernet, VLAN 100, IPv6 2402:f000:1:8e01::5555 → 2607:fcd0:100:2300::b108:2a6b
// (next header 4: IPv4-in-IPv6), IPv4 16.0.0.200 → 192.52.166.154 proto 47, enhanced GRE v1 (K, S, A; PPP 0x880b),
// PPP ff03 0021, IPv4 172.16.44.3 → 8.8.8.8 UDP 40768 → 53. tshark row 1.
const GRE_PPP = hex(`
  c500000082c4 00121ef2613d 8100 0064 86dd
  60000000 008b 04 f6 2402f00000018e010000000000005555 2607fcd00100230000000000b1082a6b
  4500008b 8caf 0000 402f 75fe 100000c8 c034a69a
  3081 880b 0067 1780 00068fb1 00083a76
  ff03 0021
  45000063 0000 4000 3c11 5667 ac102c03 08080808
  9f40 0035 004f 2d23 a62c010000010000000000003578`);

test('IPv4-in-IPv6 carrying PPTP enhanced GRE carrying PPP IPv4 (gre-ppp-dns-6in4.pcap #1)', () => {
  const { out, anomalies } = decodeOnce(LT.ETHERNET, GRE_PPP, 197);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.vlan, 100);
  assert.is(out.tunnel, Tunnel.GRE);
  assert.is(out.tunnelDepth, 2);
  assert.is(addr(out.outerSrc), '16.0.0.200');
  assert.is(addr(out.outerDst), '192.52.166.154');
  assert.is(addr(out.src), '172.16.44.3');
  assert.is(addr(out.dst), '8.8.8.8');
  assert.equal([out.proto, out.srcPort, out.dstPort], [17, 40768, 53]);
  assert.is(anomalies.size, 0);
});

const innerTcp = ipv4({ src: '172.16.0.1', dst: '172.16.0.2' }, tcp({ sport: 1111, dport: 445 }));

test('GRE v0 with checksum, key and sequence number flags; transparent Ethernet bridging', () => {
  for (const [flags, extra] of [[0x0000, ''], [0x8000, 'abcd0000'], [0x2000, '00000064'], [0xb000, 'abcd0000 00000064 00000001'], [0x1000, '00000009']] as const) {
    const gre = Buffer.concat([Buffer.from([flags >> 8, flags & 255]), hex('0800'), hex(extra), innerTcp]);
    const { out } = decodeOnce(LT.IPV4, ipv4({ proto: 47, src: '10.0.0.1', dst: '10.0.0.2' }, gre));
    assert.is(out.outcome, Outcome.Ok, `flags ${flags.toString(16)}`);
    assert.is(out.tunnel, Tunnel.GRE);
    assert.is(addr(out.outerSrc), '10.0.0.1');
    assert.is(addr(out.src), '172.16.0.1');
    assert.is(out.dstPort, 445);
  }
  const teb = decodeOnce(LT.IPV4, ipv4({ proto: 47 }, Buffer.concat([hex('2000 6558 00000001'), eth(0x0800, innerTcp)])));
  assert.equal([teb.out.tunnel, teb.out.dstPort], [Tunnel.GRE, 445]);
  const v6 = decodeOnce(LT.IPV6, ipv6({ nh: 47 }, Buffer.concat([hex('0000 86dd'), ipv6({ src: '2001:db8::99' }, tcp({ dport: 80 }))])));
  assert.equal([v6.out.tunnel, v6.out.dstPort], [Tunnel.GRE, 80]);
  assert.is(addr(v6.out.src), '2001:db8::99');
});

test('GRE that cannot be opened: outer packet (proto 47) reported Ok, anomaly counted', () => {
  const cases: [Buffer, string][] = [
    [Buffer.concat([hex('0000 8847'), innerTcp]), 'decode.gre.unsupported_protocol'], // MPLS over GRE (ERSPAN: erspan.test.ts)
    [Buffer.concat([hex('4000 0800 00000000'), innerTcp]), 'decode.gre.routing_present'],
    [Buffer.concat([hex('0002 0800'), innerTcp]), 'decode.gre.unsupported_version'],
    [Buffer.concat([hex('0001 0800'), innerTcp]), 'decode.gre.unsupported_version'], // v1 without the K flag
    [hex('00'), 'decode.gre.truncated'],
    [hex('b000 0800 0000'), 'decode.gre.truncated'], // C+K+S need 16 bytes
  ];
  for (const [gre, name] of cases) {
    const { out, anomalies } = decodeOnce(LT.IPV4, ipv4({ proto: 47, src: '10.0.0.1' }, gre));
    assert.is(out.outcome, Outcome.Ok, name);
    assert.equal([out.tunnel, out.proto, out.hasPorts], [0, 47, false]);
    assert.is(addr(out.src), '10.0.0.1');
    assert.is(anomalies.get(name), 1, name);
  }
  // inner Ethernet carrying ARP: the outer packet stands, the non-IP inner frame is counted
  const arp = decodeOnce(LT.IPV4, ipv4({ proto: 47, src: '10.0.0.1' }, Buffer.concat([hex('0000 6558'), eth(0x0806, Buffer.alloc(28))])));
  assert.equal([arp.out.outcome, arp.out.tunnel, arp.out.proto], [Outcome.Ok, 0, 47]);
  assert.is(arp.anomalies.get('decode.ethernet.non_ip'), 1);
  // PPTP ack-only packet (no payload) is normal: no anomaly
  const ack = decodeOnce(LT.IPV4, ipv4({ proto: 47 }, hex('2081 880b 0000 0001 00000005')));
  assert.equal([ack.out.outcome, ack.out.tunnel], [Outcome.Ok, 0]);
  assert.is(ack.anomalies.size, 0);
});

test('IP-in-IP (4) and 6in4 (41), inner truncated by snaplen falls back to the outer packet', () => {
  const ipip = decodeOnce(LT.IPV4, ipv4({ proto: 4, src: '10.9.9.9' }, innerTcp));
  assert.equal([ipip.out.tunnel, ipip.out.dstPort], [Tunnel.IPIP, 445]);
  assert.is(addr(ipip.out.outerSrc), '10.9.9.9');
  const six = decodeOnce(LT.IPV4, ipv4({ proto: 41, src: '192.88.99.1' }, ipv6({ src: '2002:c058:6301::1' }, tcp({ dport: 443 }))));
  assert.equal([six.out.tunnel, six.out.ipVersion, six.out.dstPort], [Tunnel.SIXIN4, 6, 443]);
  assert.is(addr(six.out.outerSrc), '192.88.99.1');
  const full = ipv4({ proto: 4, src: '10.9.9.9' }, innerTcp);
  const cut = decodeOnce(LT.IPV4, full.subarray(0, 30), full.length);
  assert.equal([cut.out.outcome, cut.out.tunnel, cut.out.proto, cut.out.ipVersion], [Outcome.Ok, 0, 4, 4]);
  assert.is(addr(cut.out.src), '10.9.9.9');
  // inner IP header complete, inner TCP cut after the ports: the inner packet, Ok without flags
  const cut2 = decodeOnce(LT.IPV4, full.subarray(0, 20 + 20 + 6), full.length);
  assert.equal([cut2.out.outcome, cut2.out.tunnel, cut2.out.hasPorts, cut2.out.dstPort, cut2.out.tcpFlagsKnown], [Outcome.Ok, Tunnel.IPIP, true, 445, false]);
  // inner TCP cut before the ports: inner packet, Truncated, inner addresses valid
  const cut3 = decodeOnce(LT.IPV4, full.subarray(0, 20 + 20 + 2), full.length);
  assert.equal([cut3.out.outcome, cut3.out.tunnel, cut3.out.hasPorts, cut3.out.ipVersion], [Outcome.Truncated, Tunnel.IPIP, false, 4]);
  assert.is(addr(cut3.out.src), '172.16.0.1');
});

test('tunnels nested more than 8 deep: decode.tunnel.too_deep', () => {
  let p = innerTcp;
  for (let i = 0; i < 10; i++) p = ipv4({ proto: 4, src: `10.0.0.${i + 1}` }, p);
  const { out, anomalies } = decodeOnce(LT.IPV4, p);
  assert.is(out.outcome, Outcome.Malformed);
  assert.is(anomalies.get('decode.tunnel.too_deep'), 1);
  assert.is(out.tunnelDepth, 8);
  let q = innerTcp;
  for (let i = 0; i < 8; i++) q = ipv4({ proto: 4 }, q);
  const ok = decodeOnce(LT.IPV4, q);
  assert.equal([ok.out.outcome, ok.out.tunnelDepth, ok.out.dstPort], [Outcome.Ok, 8, 445]);
});

// teredo.pcap frame 7: 65.55.158.81:3544 → 192.168.2.16:3797, Teredo authentication header (id/auth length 0,
// nonce cd5669400b22df88, confirmation 0), origin indication, IPv6 fe80::8000:f227:bec8:61af →
// fe80::8000:ffff:ffff:fffd ICMPv6 router advertisement (134).
const TEREDO = hex(`
  0016cf419c20 001d5adccff1 0800
  45000089 39b0 0000 7011 6e73 41379e51 c0a80210
  0dd8 0ed5 0075 5065
  0001 00 00 cd5669400b22df88 00
  0000 f12a b9c82815
  60000000 0030 3a ff fe800000000000008000f227bec861af fe800000000000008000fffffffffffd
  86 00 1f57 00000000 00000000 00000000`);

test('Teredo with authentication and origin indication (teredo.pcap #7)', () => {
  const { out } = decodeOnce(LT.ETHERNET, TEREDO, 151);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.tunnel, Tunnel.TEREDO);
  assert.is(addr(out.outerSrc), '65.55.158.81');
  assert.is(addr(out.src), 'fe80::8000:f227:bec8:61af');
  assert.is(addr(out.dst), 'fe80::8000:ffff:ffff:fffd');
  assert.equal([out.proto, out.icmpType], [58, 134]);
});

test('Teredo: plain, bubble, and non-IPv6 payload on port 3544 stays UDP', () => {
  const plain = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(3544, 40000, ipv6({ src: '2001:0:4137:9e50::1' }, tcp({ dport: 443 })))));
  assert.equal([plain.out.tunnel, plain.out.dstPort], [Tunnel.TEREDO, 443]);
  const bubble = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(40000, 3544, ipv6({ nh: 59 }, Buffer.alloc(0)))));
  assert.equal([bubble.out.outcome, bubble.out.tunnel, bubble.out.proto], [Outcome.Ok, Tunnel.TEREDO, 59]);
  const other = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(40000, 3544, Buffer.alloc(12))));
  assert.equal([other.out.outcome, other.out.tunnel, other.out.proto, other.out.dstPort], [Outcome.Ok, 0, 17, 3544]);
  assert.is(other.anomalies.size, 0);
});

test('VXLAN: bad flags and truncation leave plain UDP; inner ARP falls back to the outer packet', () => {
  const inner = eth(0x0800, innerTcp);
  const bad = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(1, 4789, Buffer.concat([hex('00 000000 000001 00'), inner]))));
  assert.equal([bad.out.outcome, bad.out.tunnel, bad.out.dstPort], [Outcome.Ok, 0, 4789]);
  assert.is(bad.anomalies.get('decode.vxlan.bad_flags'), 1);
  const tr = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(1, 4789, hex('0800'))));
  assert.is(tr.anomalies.get('decode.vxlan.truncated'), 1);
  const arp = decodeOnce(LT.IPV4, ipv4({ proto: 17 }, udp(1, 4789, Buffer.concat([hex('08 000000 000001 00'), eth(0x0806, Buffer.alloc(28))]))));
  assert.equal([arp.out.outcome, arp.out.tunnel, arp.out.dstPort, arp.out.hasPorts], [Outcome.Ok, 0, 4789, true]);
  assert.is(arp.anomalies.get('decode.ethernet.non_ip'), 1);
});

test.run();
