/**
 * Flows with ICMP errors leave the flow table as records (their evidence travels with them). The
 * early audit keys their addresses as it keys the rows' (the lane's address ids), so that roles,
 * peers and the names' check go by number; `--two-pass` audits the same records by their texts.
 * The report must be the same either way, with one thread or two: blocked flows (port and
 * administratively prohibited unreachables from the server or a router, ICMPv6 too), allowed and
 * unexpected, hosts in a role and in none.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPcap, type PcapPacket } from '../helpers/capture-builder.js';
import { eth, icmp, ipv4, ipv6, udp } from '../decode/helpers/build.js';
import { cliSync, sameAudit } from '../helpers/same-audit.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

/** `n` UDP flows: a quarter answered, the rest answered by ICMP(v6) errors of several kinds. */
function icmpCapture(n: number): Buffer {
  const packets: PcapPacket[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_700_000_000 + Math.floor(i / 10), ns = (i % 10) * 1000;
    const c = `10.20.${(i >> 8) & 255}.${i & 255}`, sport = 40000 + (i % 5000);
    switch (i % 4) {
      case 0: { // answered DNS to a DC: a row
        packets.push({ tsSec: t, tsNsec: ns, data: eth(0x0800, ipv4({ src: c, dst: '10.10.0.10', proto: 17 }, udp(sport, 53, Buffer.alloc(30)))) });
        packets.push({ tsSec: t, tsNsec: ns + 500, data: eth(0x0800, ipv4({ src: '10.10.0.10', dst: c, proto: 17 }, udp(53, sport, Buffer.alloc(46)))) });
        break;
      }
      case 1: { // an unexpected port on a DC, refused by the DC itself
        const q = eth(0x0800, ipv4({ src: c, dst: '10.10.0.11', proto: 17 }, udp(sport, 5000 + (i % 7), Buffer.alloc(20))));
        packets.push({ tsSec: t, tsNsec: ns, data: q });
        packets.push({ tsSec: t, tsNsec: ns + 500, data: eth(0x0800, ipv4({ src: '10.10.0.11', dst: c, proto: 1 }, icmp(3, 3, Buffer.alloc(4), q.subarray(14, 14 + 48)))) });
        break;
      }
      case 2: { // Kerberos to a host in no role (and to a DC every 6th), prohibited by a router
        const dst = i % 6 === 2 ? '10.10.0.10' : `10.99.0.${i % 20}`;
        const q = eth(0x0800, ipv4({ src: c, dst, proto: 17 }, udp(sport, 88, Buffer.alloc(20))));
        packets.push({ tsSec: t, tsNsec: ns, data: q });
        packets.push({ tsSec: t, tsNsec: ns + 500, data: eth(0x0800, ipv4({ src: '10.20.255.254', dst: c, proto: 1 }, icmp(3, 13, Buffer.alloc(4), q.subarray(14, 14 + 48)))) });
        break;
      }
      default: { // LDAP over UDP to a DC on IPv6, port unreachable (ICMPv6 1/4)
        const c6 = `fd00:20::${(i & 0xffff).toString(16)}`;
        const q = eth(0x86dd, ipv6({ src: c6, dst: 'fd00:10::10', nh: 17 }, udp(sport, 389, Buffer.alloc(20))));
        packets.push({ tsSec: t, tsNsec: ns, data: q });
        packets.push({ tsSec: t, tsNsec: ns + 500, data: eth(0x86dd, ipv6({ src: 'fd00:10::10', dst: c6, nh: 58 }, icmp(1, 4, Buffer.alloc(4), q.subarray(14, 14 + 68)))) });
      }
    }
  }
  return buildPcap({ packets });
}

test('flows with ICMP errors: the same report keyed (one thread, two) as audited by their texts (--two-pass)', async () => {
  await withTmpDir('fa-icmp-', async (dir) => {
    const file = path.join(dir, 'icmp.pcap'), inv = path.join(dir, 'inv.json');
    // (more flows than a batch of rows: the audit thread starts)
    writeFileSync(file, icmpCapture(12_000));
    writeFileSync(inv, JSON.stringify({ roles: { dc: ['10.10.0.10', '10.10.0.11', 'fd00:10::10'], users: ['10.20.0.0/16', 'fd00:20::/64'] } }));
    sameAudit([file], inv, ['--threads', '1'], ['--two-pass']);
    sameAudit([file], inv, ['--threads', '1'], ['--threads', '2']);
    // what the report says of them
    const r = cliSync(['audit', file, '--inventory', inv, '--format', 'json', '--threads', '1']);
    const report = JSON.parse(r.out) as { findings: { kind: string; evidence: { icmp_unreachable: number; icmp: { from: string; type: number; code: number }[] }; peers?: unknown }[] };
    const blocked = report.findings.filter((f) => f.evidence.icmp_unreachable > 0);
    assert.ok(blocked.length >= 3, `${blocked.length} findings with ICMP-unreachable flows`);
    const icmp = blocked.flatMap((f) => f.evidence.icmp.map((e) => `${e.from} ${e.type}/${e.code}`));
    for (const want of ['10.10.0.11 3/3', '10.20.255.254 3/13', 'fd00:10::10 1/4']) assert.ok(icmp.includes(want), `${want} in ${[...new Set(icmp)].join(', ')}`);
    assert.is(blocked.reduce((s, f) => s + f.evidence.icmp_unreachable, 0), 9000, 'every flow answered by an ICMP error counted as such');
  });
});

test.run();
