/**
 * ERSPAN (a switch's or hypervisor's mirror in GRE): types I, II and III, the type III platform
 * subheader and IP frame type, an inner VLAN tag, a mirrored frame the switch cut; each packet's
 * inner 5-tuple also checked against tshark's dissection when tshark is installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Outcome } from '../../../src/core/outcome.js';
import { Tunnel } from '../../../src/decode/packet.js';
import { buildPcap } from '../../helpers/capture-builder.js';
import { runCliText } from '../../helpers/cli.js';
import { withTmpDir } from '../../helpers/tmp-dir.js';
import { addr, decodeOnce, eth, ethTagged, hex, ipv4, ipv6, LT, tcp, udp } from '../helpers/build.js';

const OUTER = { src: '10.9.0.1', dst: '10.9.0.200', proto: 47 };
/** An outer Ethernet/IPv4 packet carrying GRE (flags+version, protocol, optional sequence) and `rest`. */
const gre = (flags: number, ptype: number, rest: Buffer, seq = true): Buffer =>
  eth(0x0800, ipv4(OUTER, Buffer.concat([hex(`${flags.toString(16).padStart(4, '0')} ${ptype.toString(16).padStart(4, '0')}`), seq ? hex('0000002a') : Buffer.alloc(0), rest])));
/** ERSPAN II: version 1, VLAN 7, session 5, index 3. */
const HDR2 = hex('1007 0005 00000003');
/** ERSPAN III: version 2, VLAN 7, session 5, a timestamp, SGT 0, frame type `ft`, O as given. */
const hdr3 = (ft: number, o: boolean): Buffer => Buffer.concat([hex('2007 0005 01020304 0000'), Buffer.from([(ft << 2) & 0x7c, o ? 1 : 0])]);
const PLATFORM = hex('0c000001 05060708');

const innerTcp = eth(0x0800, ipv4({ src: '192.168.10.5', dst: '192.168.10.20' }, tcp({ sport: 50123, dport: 389, flags: 0x02 })));
const innerTagged = ethTagged([[0x8100, 100]], 0x86dd, ipv6({ src: '2001:db8::5', dst: '2001:db8::20', nh: 17 }, udp(53000, 53, hex('abcd0100 0001 0000 0000 0000'))));
const innerIp = ipv4({ src: '192.168.10.6', dst: '192.168.10.21' }, tcp({ sport: 50200, dport: 636, flags: 0x12 }));

interface Case { name: string; data: Buffer; src: string; dst: string; sport: number; dport: number; proto: number }
const CASES: Case[] = [
  { name: 'type I (GRE without a sequence number, the frame right away)', data: gre(0x0000, 0x88be, innerTcp, false), src: '192.168.10.5', dst: '192.168.10.20', sport: 50123, dport: 389, proto: 6 },
  { name: 'type II', data: gre(0x1000, 0x88be, Buffer.concat([HDR2, innerTcp])), src: '192.168.10.5', dst: '192.168.10.20', sport: 50123, dport: 389, proto: 6 },
  { name: 'type II, inner 802.1Q and IPv6/UDP', data: gre(0x1000, 0x88be, Buffer.concat([HDR2, innerTagged])), src: '2001:db8::5', dst: '2001:db8::20', sport: 53000, dport: 53, proto: 17 },
  { name: 'type III', data: gre(0x1000, 0x22eb, Buffer.concat([hdr3(0, false), innerTcp])), src: '192.168.10.5', dst: '192.168.10.20', sport: 50123, dport: 389, proto: 6 },
  { name: 'type III with the platform subheader', data: gre(0x1000, 0x22eb, Buffer.concat([hdr3(0, true), PLATFORM, innerTcp])), src: '192.168.10.5', dst: '192.168.10.20', sport: 50123, dport: 389, proto: 6 },
  { name: 'type III, frame type IP', data: gre(0x1000, 0x22eb, Buffer.concat([hdr3(2, false), innerIp])), src: '192.168.10.6', dst: '192.168.10.21', sport: 50200, dport: 636, proto: 6 },
];

for (const c of CASES) {
  test(`ERSPAN ${c.name}: the mirrored packet is audited, the GRE endpoints kept`, () => {
    const { out, anomalies } = decodeOnce(LT.ETHERNET, c.data);
    assert.is(out.outcome, Outcome.Ok);
    assert.is(out.tunnel, Tunnel.ERSPAN);
    assert.is(out.tunnelDepth, 1);
    assert.equal([addr(out.outerSrc), addr(out.outerDst)], [OUTER.src, OUTER.dst]);
    assert.equal([addr(out.src), addr(out.dst), out.proto, out.srcPort, out.dstPort], [c.src, c.dst, c.proto, c.sport, c.dport]);
    assert.is(anomalies.size, 0, [...anomalies.entries()].join());
  });
}

test('ERSPAN: the header\'s version says its type, as Wireshark reads it; the flow\'s VLAN is the outer packet\'s, as for every tunnel', () => {
  const swapped = decodeOnce(LT.ETHERNET, gre(0x1000, 0x22eb, Buffer.concat([HDR2, innerTcp]))).out;
  assert.equal([swapped.tunnel, swapped.dstPort], [Tunnel.ERSPAN, 389]);
  const three = decodeOnce(LT.ETHERNET, gre(0x1000, 0x88be, Buffer.concat([hdr3(0, true), PLATFORM, innerTcp]))).out;
  assert.equal([three.tunnel, three.dstPort], [Tunnel.ERSPAN, 389]);
  assert.is(decodeOnce(LT.ETHERNET, CASES[2]!.data).out.vlan, -1);
  const tagged = ethTagged([[0x8100, 30]], 0x0800, ipv4(OUTER, Buffer.concat([hex('1000 88be 0000002a'), HDR2, innerTagged])));
  const t = decodeOnce(LT.ETHERNET, tagged).out;
  assert.equal([t.tunnel, t.vlan, t.dstPort], [Tunnel.ERSPAN, 30, 53]);
});

test('ERSPAN: a mirrored frame the switch cut (T bit) keeps its lengths as on the wire', () => {
  const full = Buffer.concat([hex('1007 0405 00000003'), eth(0x0800, ipv4({ src: '192.168.10.5', dst: '192.168.10.20' }, tcp({ sport: 50123, dport: 443, flags: 0x18 }, Buffer.alloc(400, 7))))]);
  const cut = full.subarray(0, full.length - 300);
  const { out } = decodeOnce(LT.ETHERNET, gre(0x1000, 0x88be, cut));
  assert.is(out.tunnel, Tunnel.ERSPAN);
  assert.equal([out.srcPort, out.dstPort, out.payloadLen, out.payloadCaptured], [50123, 443, 400, 100]);
});

test('ERSPAN: a bad header falls back to the outer GRE packet with a named anomaly', () => {
  const bad = (d: Buffer): { outcome: number; tunnel: number; proto: number; names: string[] } => {
    const { out, anomalies } = decodeOnce(LT.ETHERNET, d);
    return { outcome: out.outcome, tunnel: out.tunnel, proto: out.proto, names: anomalies.entries().map((e) => e.name) };
  };
  assert.equal(bad(gre(0x1000, 0x88be, hex('1007 00'))), { outcome: Outcome.Ok, tunnel: 0, proto: 47, names: ['decode.erspan.truncated'] });
  assert.equal(bad(gre(0x1000, 0x88be, Buffer.concat([hex('3007 0005 00000003'), innerTcp]))), { outcome: Outcome.Ok, tunnel: 0, proto: 47, names: ['decode.erspan.bad_version'] });
  assert.equal(bad(gre(0x1000, 0x22eb, Buffer.concat([hex('0007 0005 00000003 00000000'), innerTcp]))).names, ['decode.erspan.bad_version']);
  assert.equal(bad(gre(0x1000, 0x22eb, Buffer.concat([hdr3(0, true), hex('0c00')]))), { outcome: Outcome.Ok, tunnel: 0, proto: 47, names: ['decode.erspan.truncated'] });
  assert.equal(bad(gre(0x1000, 0x22eb, Buffer.concat([hdr3(1, false), innerTcp]))), { outcome: Outcome.Ok, tunnel: 0, proto: 47, names: ['decode.erspan.unsupported_frame_type'] });
  assert.equal(bad(gre(0x1000, 0x88be, HDR2)), { outcome: Outcome.Ok, tunnel: 0, proto: 47, names: ['decode.erspan.truncated'] });
  // PPTP's enhanced GRE (version 1) does not carry ERSPAN
  assert.equal(bad(gre(0x3001, 0x88be, Buffer.concat([hex('00000000'), HDR2, innerTcp]))).names, ['decode.gre.unsupported_protocol']);
});

const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

test('ERSPAN: every case\'s inner addresses and ports are tshark\'s', async () => {
  if (!tshark) { console.log('skip: tshark is not installed (the cases above still run)'); return; }
  await withTmpDir('fa-erspan-', (dir) => {
    const file = path.join(dir, 'erspan.pcap');
    // (Wireshark shows a type III frame of the IP frame type as data)
    const cases = CASES.filter((c) => !c.name.includes('frame type IP'));
    writeFileSync(file, buildPcap({ packets: cases.map((c, i) => ({ tsSec: 1700000000 + i, data: c.data })) }));
    const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
      '-e', 'tcp.srcport', '-e', 'udp.srcport', '-e', 'tcp.dstport', '-e', 'udp.dstport'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.is(rows.length, cases.length);
    rows.forEach((row, i) => {
      const [s4, s6, d4, d6, ts, us, td, ud] = row.split('\t').map((v) => v.split(',').at(-1) ?? '');
      const c = cases[i]!;
      const { out } = decodeOnce(LT.ETHERNET, c.data);
      assert.equal([addr(out.src), addr(out.dst), String(out.srcPort), String(out.dstPort)],
        [s6 || s4, d6 || d4, ts || us, td || ud], `${c.name}: tshark row ${row}`);
    });
  });
});

test('flowaudit flows: an ERSPAN capture\'s flows are the mirrored traffic\'s, with the tunnel kind and GRE endpoints', async () => {
  await withTmpDir('fa-erspan-flows-', (dir) => {
    const file = path.join(dir, 'erspan.pcap');
    writeFileSync(file, buildPcap({ packets: CASES.map((c, i) => ({ tsSec: 1700000000 + i, data: c.data })) }));
    const r = runCliText(['flows', file, '--format', 'ndjson']);
    assert.is(r.status, 0, r.stderr);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { orig_h: string; orig_p: number; resp_h: string; resp_p: number; tunnel: unknown });
    const got = flows.map((f) => `${f.orig_h}:${f.orig_p}>${f.resp_h}:${f.resp_p}`).sort();
    // (the type III IP frame is a SYN-ACK alone: its sender is taken for the responder)
    assert.equal(got, ['192.168.10.21:636>192.168.10.6:50200', '192.168.10.5:50123>192.168.10.20:389', '2001:db8::5:53000>2001:db8::20:53']);
    for (const f of flows) assert.equal(f.tunnel, { kind: 'erspan', outer_src: OUTER.src, outer_dst: OUTER.dst });
  });
});

test.run();
