/**
 * Every anomaly name in DECODE_ANOMALIES has a trigger here, and decoding the trigger counts that
 * name (with the packet's index) and gives the expected outcome: the table's outcome for
 * packet-level results; Ok for oddities and for tunnel-payload anomalies (the outer packet stands).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../src/core/outcome.js';
import { DECODE_ANOMALIES, type DecodeAnomaly } from '../../src/decode/anomalies.js';
import { eth, ethTagged, ext6, frag6, Harness, hex, icmp, ipv4, ipv6, LT, tcp, udp } from './helpers/build.js';

interface Trigger { lt: number; data: Buffer; origLen?: number; outcome: Outcome; before?: () => Buffer }
const O = Outcome;
const v4 = (proto: number, p: Buffer) => ipv4({ proto }, p);
const chain = (n: number) => { let b = udp(1, 2, Buffer.alloc(0)); let nh = 17; for (let i = 0; i < n; i++) { b = Buffer.concat([ext6(nh), b]); nh = 60; } return ipv6({ nh: 60 }, b); };
const nest = (n: number) => { let b = ipv4({}, tcp({})); for (let i = 0; i < n; i++) b = ipv4({ proto: 4 }, b); return b; };
const longTcp = ipv4({}, tcp({}, Buffer.alloc(50)));

const TRIGGERS: Record<Exclude<DecodeAnomaly, 'decode.internal_error'>, Trigger> = {
  'decode.link.unsupported_linktype': { lt: 9999, data: ipv4({}, tcp({})), outcome: O.Unsupported },
  'decode.link.empty': { lt: LT.RAW, data: Buffer.alloc(0), outcome: O.Truncated },
  'decode.ethernet.truncated': { lt: LT.ETHERNET, data: hex('00112233445566778899aabb08'), outcome: O.Truncated },
  'decode.ethernet.non_ip': { lt: LT.ETHERNET, data: eth(0x0806, Buffer.alloc(28)), outcome: O.Unsupported },
  'decode.vlan.truncated': { lt: LT.ETHERNET, data: eth(0x8100, hex('00')), outcome: O.Truncated },
  'decode.vlan.too_many_tags': { lt: LT.ETHERNET, data: ethTagged(Array.from({ length: 9 }, (): [number, number] => [0x8100, 1]), 0x0800, ipv4({}, tcp({}))), outcome: O.Malformed },
  'decode.pppoe.truncated': { lt: LT.ETHERNET, data: eth(0x8864, hex('1100')), outcome: O.Truncated },
  'decode.pppoe.bad_version': { lt: LT.ETHERNET, data: eth(0x8864, hex('120000010002 0021')), outcome: O.Malformed },
  'decode.mpls.truncated': { lt: LT.ETHERNET, data: eth(0x8847, hex('000010')), outcome: O.Truncated },
  'decode.mpls.too_many_labels': { lt: LT.ETHERNET, data: eth(0x8847, Buffer.alloc(40)), outcome: O.Malformed },
  'decode.mpls.non_ip': { lt: LT.ETHERNET, data: eth(0x8847, hex('00010140 0000 0000 0000')), outcome: O.Unsupported },
  'decode.ppp.truncated': { lt: LT.ETHERNET, data: eth(0x8864, hex('110000010000')), outcome: O.Truncated },
  'decode.ppp.non_ip': { lt: LT.ETHERNET, data: eth(0x8864, hex('110000010002 c021')), outcome: O.Unsupported },
  'decode.sll.truncated': { lt: LT.SLL, data: Buffer.alloc(15), outcome: O.Truncated },
  'decode.sll.non_ip': { lt: LT.SLL, data: Buffer.concat([Buffer.alloc(14), hex('0806'), Buffer.alloc(28)]), outcome: O.Unsupported },
  'decode.sll2.truncated': { lt: LT.SLL2, data: Buffer.alloc(19), outcome: O.Truncated },
  'decode.null.truncated': { lt: LT.NULL, data: hex('02'), outcome: O.Truncated },
  'decode.null.unknown_family': { lt: LT.NULL, data: Buffer.concat([hex('11000000'), ipv4({}, tcp({}))]), outcome: O.Unsupported },
  'decode.loop.truncated': { lt: LT.LOOP, data: hex('0000'), outcome: O.Truncated },
  'decode.loop.unknown_family': { lt: LT.LOOP, data: Buffer.concat([hex('02000000'), ipv4({}, tcp({}))]), outcome: O.Unsupported },
  'decode.raw.bad_version': { lt: LT.RAW, data: hex('7000'), outcome: O.Malformed },
  'decode.ipv4.truncated': { lt: LT.IPV4, data: ipv4({}, tcp({})).subarray(0, 19), outcome: O.Truncated },
  'decode.ipv4.bad_version': { lt: LT.IPV4, data: ipv4({ version: 5 }, tcp({})), outcome: O.Malformed },
  'decode.ipv4.bad_header_length': { lt: LT.IPV4, data: ipv4({ ihl: 2 }, tcp({})), outcome: O.Malformed },
  'decode.ipv4.bad_total_length': { lt: LT.IPV4, data: ipv4({ totalLen: 10 }, tcp({})), outcome: O.Malformed },
  'decode.ipv4.zero_total_length': { lt: LT.IPV4, data: ipv4({ totalLen: 0 }, tcp({})), outcome: O.Ok },
  'decode.ipv4.length_exceeds_frame': { lt: LT.IPV4, data: ipv4({ totalLen: 100 }, tcp({})), outcome: O.Ok },
  'decode.ipv6.truncated': { lt: LT.IPV6, data: ipv6({}, tcp({})).subarray(0, 30), outcome: O.Truncated },
  'decode.ipv6.bad_version': { lt: LT.IPV6, data: ipv4({}, tcp({})), outcome: O.Malformed },
  'decode.ipv6.ext_header_truncated': { lt: LT.IPV6, data: ipv6({ nh: 0 }, hex('0601000000000000')), outcome: O.Truncated },
  'decode.ipv6.too_many_ext_headers': { lt: LT.IPV6, data: chain(17), outcome: O.Ok },
  'decode.ipv6.ext_chain_limit': { lt: LT.IPV6, data: chain(257), outcome: O.Malformed },
  'decode.ipv6.zero_payload_length': { lt: LT.IPV6, data: ipv6({ plen: 0 }, tcp({})), outcome: O.Ok },
  'decode.ipv6.length_exceeds_frame': { lt: LT.IPV6, data: ipv6({ plen: 500 }, tcp({})), outcome: O.Ok },
  'decode.fragments.table_full': {
    lt: LT.IPV4, data: ipv4({ id: 3, mf: true }, tcp({})), outcome: O.Ok,
    before: () => ipv4({ id: 2, mf: true }, tcp({})), // the harness below has a 1-entry table
  },
  'decode.fragments.first_not_seen': { lt: LT.IPV6, data: ipv6({ nh: 44 }, Buffer.concat([frag6(6, 10, false, 5), Buffer.alloc(16)])), outcome: O.Ok },
  // the frame itself is short (not a snaplen cut): the TCP header really is missing
  'decode.tcp.truncated': { lt: LT.IPV4, data: longTcp.subarray(0, 30), outcome: O.Truncated },
  'decode.tcp.bad_data_offset': { lt: LT.IPV4, data: ipv4({}, tcp({ doff: 3 })), outcome: O.Malformed },
  'decode.udp.truncated': { lt: LT.IPV4, data: v4(17, hex('0035 0035 00')), outcome: O.Truncated },
  'decode.udp.bad_length': { lt: LT.IPV4, data: v4(17, udp(1, 2, Buffer.alloc(0), 3)), outcome: O.Malformed },
  'decode.udp.length_exceeds_ip': { lt: LT.IPV4, data: v4(17, udp(1, 2, Buffer.alloc(0), 80)), outcome: O.Ok },
  'decode.sctp.truncated': { lt: LT.IPV4, data: v4(132, hex('0001')), outcome: O.Truncated },
  'decode.icmp.truncated': { lt: LT.IPV4, data: v4(1, hex('03')), outcome: O.Truncated },
  'decode.icmp.quoted_truncated': { lt: LT.IPV4, data: v4(1, icmp(3, 3, Buffer.alloc(4), hex('4500'))), outcome: O.Ok },
  'decode.icmp.quoted_malformed': { lt: LT.IPV4, data: v4(1, icmp(11, 0, Buffer.alloc(4), Buffer.alloc(28))), outcome: O.Ok },
  'decode.icmpv6.truncated': { lt: LT.IPV6, data: ipv6({ nh: 58 }, hex('01')), outcome: O.Truncated },
  'decode.icmpv6.quoted_truncated': { lt: LT.IPV6, data: ipv6({ nh: 58 }, icmp(1, 0, Buffer.alloc(4), hex('6000'))), outcome: O.Ok },
  'decode.icmpv6.quoted_malformed': { lt: LT.IPV6, data: ipv6({ nh: 58 }, icmp(1, 0, Buffer.alloc(4), Buffer.alloc(48))), outcome: O.Ok },
  'decode.tunnel.too_deep': { lt: LT.IPV4, data: nest(9), outcome: O.Malformed },
  'decode.gre.truncated': { lt: LT.IPV4, data: v4(47, hex('20')), outcome: O.Ok },
  'decode.gre.unsupported_version': { lt: LT.IPV4, data: v4(47, hex('0007 0800 00')), outcome: O.Ok },
  'decode.gre.routing_present': { lt: LT.IPV4, data: v4(47, hex('4000 0800 00000000 00')), outcome: O.Ok },
  'decode.gre.unsupported_protocol': { lt: LT.IPV4, data: v4(47, hex('0000 0806 00')), outcome: O.Ok },
  'decode.vxlan.truncated': { lt: LT.IPV4, data: v4(17, udp(1, 4789, hex('08'))), outcome: O.Ok },
  'decode.vxlan.bad_flags': { lt: LT.IPV4, data: v4(17, udp(1, 4789, Buffer.alloc(30))), outcome: O.Ok },
  'decode.geneve.truncated': { lt: LT.IPV4, data: v4(17, udp(1, 6081, hex('00'))), outcome: O.Ok },
  'decode.geneve.bad_version': { lt: LT.IPV4, data: v4(17, udp(1, 6081, hex('c0 00 6558 00000000'))), outcome: O.Ok },
  'decode.geneve.unsupported_protocol': { lt: LT.IPV4, data: v4(17, udp(1, 6081, hex('00 00 0806 00000000 00'))), outcome: O.Ok },
  'decode.erspan.truncated': { lt: LT.IPV4, data: v4(47, hex('1000 88be 00000001 10')), outcome: O.Ok },
  'decode.erspan.bad_version': { lt: LT.IPV4, data: v4(47, hex('1000 88be 00000001 30000000 00000000 00')), outcome: O.Ok },
  'decode.erspan.unsupported_frame_type': { lt: LT.IPV4, data: v4(47, hex('0000 22eb 20000000 00000000 0000 0400 00')), outcome: O.Ok },
};

test('every anomaly name has a trigger', () => {
  const names = Object.keys(DECODE_ANOMALIES).filter((n) => n !== 'decode.internal_error').sort();
  assert.equal(Object.keys(TRIGGERS).sort(), names);
});

for (const [name, t] of Object.entries(TRIGGERS)) {
  test(`${name} → ${['Ok', 'Truncated', 'Malformed', 'Unsupported'][t.outcome]}`, () => {
    const h = new Harness(name === 'decode.fragments.table_full' ? 1 : undefined);
    if (t.before) h.decode(t.lt, t.before());
    const out = h.decode(t.lt, t.data, t.origLen ?? t.data.length);
    assert.is(out.outcome, t.outcome);
    assert.ok(h.anomalies.get(name) >= 1, `${name} counted: ${JSON.stringify(h.anomalies.toJSON())}`);
    const e = h.anomalies.entries().find((x) => x.name === name)!;
    assert.is(e.firstPacket, t.before ? 1 : 0);
    if (DECODE_ANOMALIES[name as DecodeAnomaly] !== Outcome.Ok && t.outcome !== Outcome.Ok) assert.is(DECODE_ANOMALIES[name as DecodeAnomaly], t.outcome);
  });
}

test('a short payload on the Teredo port is plain UDP, not an anomaly', () => {
  const h = new Harness();
  const out = h.decode(LT.IPV4, v4(17, udp(1, 3544, Buffer.alloc(4))));
  assert.equal([out.outcome, out.tunnel, out.dstPort], [Outcome.Ok, 0, 3544]);
  assert.is(h.anomalies.size, 0);
});

test.run();
