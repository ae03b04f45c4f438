/**
 * Zeek conn.log (TSV with and without ip_proto, any column order, JSON) and Suricata eve.json
 * flow events. Sample rows come from the formats' documented samples (brimdata/zed Zeek TSV
 * sample, elastic/integrations test-conn.log and test-eve-small.log, the Suricata user guide's
 * flow example) plus hand-made rows; expected values are read off the rows by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { FIX, byPort, collect, core } from './helpers/collect.js';
import { tcpState } from '../../src/evidence/suricata.js';

test('Zeek TSV without ip_proto (classic 21 columns): `-` unset, `(empty)`, a short line counted', async () => {
  const { flows, info, kind } = await collect(path.join(FIX, 'zeek/conn-classic.log'));
  assert.is(kind, 'zeek');
  assert.is(flows.length, 4);
  assert.equal(core(byPort(flows, 3389)), {
    proto: 6, origH: '10.164.94.120', origP: 39681, respH: '10.47.3.155', respP: 3389,
    origPkts: 10, origIpBytes: 730, respPkts: 6, respIpBytes: 342,
    first: [1521911721, 255387000], last: [1521911721, 259653000], verdict: null, // ts + 0.004266
    connState: 'RSTR', history: 'ShADTdtr', directionInferred: false, evidence: 'zeek',
  });
  const s0 = byPort(flows, 445);
  assert.equal([s0.connState, s0.history, s0.origPkts, s0.respPkts, s0.lastSec, s0.lastNsec], ['S0', 'S', 1, 0, 1521911721, 411148000]);
  assert.is(s0.origFlags, 0x02);
  const dns = byPort(flows, 53);
  assert.equal([dns.proto, dns.connState, dns.firstNsec, dns.lastNsec, dns.directionInferred], [17, 'SF', 1000, 501000, true]);
  assert.is(byPort(flows, 3389).directionInferred, false); // history starts with S
  const mid = byPort(flows, 389);
  assert.is(mid.directionInferred, true); // history '^…': Zeek flipped the direction
  assert.equal(info.anomalies['evidence.zeek.column_count_mismatch'], { count: 1, first_packet: 4 });
});

test('Zeek TSV with ip_proto, another column order and CRLF line ends', async () => {
  const { flows, info } = await collect(path.join(FIX, 'zeek/conn-ip-proto.log'));
  assert.equal(info.anomalies, {});
  assert.is(flows.length, 4);
  const icmp6 = flows.find((f) => f.proto === 58)!;
  assert.equal([icmp6.origH, icmp6.origP, icmp6.respH, icmp6.respP], ['fd00::10', 128, 'fd00::1', 129]);
  const krb = byPort(flows, 88);
  assert.equal([krb.firstSec, krb.firstNsec, krb.lastNsec, krb.connState, krb.origFlags, krb.respFlags],
    [1735689601, 123456000, 173456000, 'SF', 0x02 | 0x10 | 0x01, 0x12 | 0x01]);
  assert.is(byPort(flows, 445).connState, 'REJ');
  const gre = flows.find((f) => f.proto === 47)!; // unknown_transport, told by ip_proto
  assert.equal([gre.origPkts, gre.lastSec, gre.lastNsec], [3, 1735689603, 0]);
});

test('Zeek JSON: float and ISO ts, nested id object, community_id kept, a cut line counted', async () => {
  const { flows, info } = await collect(path.join(FIX, 'zeek/conn.json'));
  assert.is(flows.length, 3);
  assert.equal(core(byPort(flows, 53)), {
    proto: 17, origH: '192.168.86.167', origP: 38339, respH: '192.168.86.1', respP: 53,
    origPkts: 1, origIpBytes: 103, respPkts: 1, respIpBytes: 206,
    first: [1547188415, 857497000], last: [1547188415, 934464000], verdict: null,
    connState: 'SF', history: 'Dd', directionInferred: true, evidence: 'zeek', // UDP: no handshake names the originator
  });
  const iso = byPort(flows, 636);
  assert.equal([iso.firstSec, iso.firstNsec], [Date.UTC(2019, 0, 11, 6, 33, 36) / 1000, 123456000]);
  const v6 = byPort(flows, 3268);
  assert.equal([v6.origH, v6.respH, v6.communityId, v6.lastSec, v6.lastNsec], ['2001:db8::5', '2001:db8::4', '1:fakeButKept=', 1547188422, 0]);
  assert.equal(info.anomalies['evidence.zeek.bad_json_line'], { count: 1, first_packet: 3 });
});

test('Suricata eve.json: flow events only, offsets in timestamps, bypassed counters added, conn_state derived', async () => {
  const { flows, info, kind } = await collect(path.join(FIX, 'suricata/eve.json'));
  assert.is(kind, 'suricata');
  assert.is(flows.length, 5);
  assert.equal(info.anomalies['evidence.suricata.skipped_non_flow_event'], { count: 1, first_packet: 2 });
  assert.equal(info.anomalies['evidence.suricata.bad_json_line'], { count: 1, first_packet: 5 });
  // elastic test-eve-small.log: DHCPv6 solicit, no answer; 15:51:23.453468-0400 = 19:51:23.453468Z
  assert.equal(core(byPort(flows, 547)), {
    proto: 17, origH: 'fe80::fada:cff:fedc:87f1', origP: 546, respH: 'ff02::1:2', respP: 547,
    origPkts: 1, origIpBytes: 110, respPkts: 0, respIpBytes: 0,
    first: [Date.UTC(2018, 6, 5, 19, 51, 23) / 1000, 453468000], last: [Date.UTC(2018, 6, 5, 19, 51, 23) / 1000, 453468000],
    verdict: null, connState: 'S0', history: '', directionInferred: true, evidence: 'suricata',
  });
  // the user guide's example: 23+10 / 21+8 packets, 4884+1305 / 7392+984 bytes, +0200
  const ldap = byPort(flows, 389);
  assert.equal([ldap.origPkts, ldap.respPkts, ldap.origIpBytes, ldap.respIpBytes, ldap.connState, ldap.communityId],
    [33, 29, 6189, 8376, 'SF', '1:suricataGaveThis=']);
  assert.equal([ldap.firstSec, ldap.firstNsec, ldap.lastSec], [Date.UTC(2019, 4, 28, 21, 32, 29) / 1000, 25256000, Date.UTC(2019, 4, 28, 21, 35, 28) / 1000]);
  assert.is(byPort(flows, 445).connState, 'REJ'); // ts 02 (SYN), tc 14 (RST+ACK)
  assert.is(byPort(flows, 135).connState, 'S0');
  const icmp = flows.find((f) => f.proto === 1)!;
  assert.equal([icmp.origP, icmp.respP, icmp.connState, icmp.directionInferred], [8, 0, 'OTH', false]); // echo request: not a guess
  assert.is(ldap.directionInferred, false); // SYN from the toserver side
});

test('tcpState: Zeek conn_state from ORed flags', () => {
  assert.is(tcpState(0x02, 0, 0), 'S0');
  assert.is(tcpState(0x02, 0x14, 1), 'REJ');
  assert.is(tcpState(0x1b, 0x1b, 5), 'SF');
  assert.is(tcpState(0x16, 0x12, 2), 'RSTO');
  assert.is(tcpState(0x12, 0x16, 2), 'RSTR');
  assert.is(tcpState(0x12, 0x12, 2), 'S1');
  assert.is(tcpState(0x10, 0x10, 2), 'OTH');
});

test.run();
