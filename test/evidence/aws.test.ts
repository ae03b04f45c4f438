/**
 * AWS VPC flow logs. Lines in fixtures/evidence/aws are the AWS documentation samples
 * (flow-log-records / flow-logs-records-examples) plus their reverse directions; expected
 * values are the sums of the listed per-direction records, done by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIX, byPort, collect, core } from './helpers/collect.js';
import { AwsVpcReader, originatorByFlags } from '../../src/evidence/aws.js';
import { Anomalies } from '../../src/core/anomalies.js';
import type { FlowRecord } from '../../src/flow/record.js';

for (const name of ['default.log', 'default.log.gz']) {
  test(`default format (${name}): the two directions merge into one flow; REJECT = denied; NODATA counted`, async () => {
    const { flows, info, kind } = await collect(path.join(FIX, 'aws', name));
    assert.is(kind, 'aws-vpc');
    assert.is(info.compressed, name.endsWith('.gz') ? 'gzip' : null);
    assert.is(info.bytes, 741); // decompressed size
    assert.is(flows.length, 3);
    assert.is(info.anomalies['evidence.aws.nodata']?.count, 1);
    // 172.31.16.139:20641 → :22 (20 pkts, 4249 B) and the reply (18 pkts, 3180 B): 22 is the service port
    assert.equal(core(byPort(flows, 22)), {
      proto: 6, origH: '172.31.16.139', origP: 20641, respH: '172.31.16.21', respP: 22,
      origPkts: 20, origIpBytes: 4249, respPkts: 18, respIpBytes: 3180,
      first: [1418530010, 0], last: [1418530070, 0], verdict: 'allowed',
      connState: '', history: '', directionInferred: true, evidence: 'aws-vpc',
    });
    const rdp = byPort(flows, 3389);
    assert.equal([rdp.origH, rdp.verdict, rdp.origPkts, rdp.respPkts], ['172.31.9.69', 'denied', 20, 0]);
    // the server→client record comes first in the file; 389 still makes 10.0.1.5 the originator;
    // two windows of client records (6+2 pkts, 700+104 B)
    const ldap = byPort(flows, 389);
    assert.equal([ldap.origH, ldap.origP, ldap.origPkts, ldap.origIpBytes, ldap.respPkts, ldap.respIpBytes, ldap.firstSec, ldap.lastSec],
      ['10.0.1.5', 51000, 8, 804, 5, 900, 1418530090, 1418530220]);
  });
}

test('custom format with a header line: field order from the header; tcp-flags decide the originator', async () => {
  const { flows, info } = await collect(path.join(FIX, 'aws/custom-v3.log'));
  assert.is(flows.length, 2);
  // AWS doc tcp-flag sequence: 2 (SYN) from 52.213.180.42:43416, 18 (SYN-ACK) back, then 0 and 1 (FIN).
  // packets/bytes columns are swapped in this header (bytes first): 568+100701 B / 8+70 pkts one way
  assert.equal(core(byPort(flows, 5001)), {
    proto: 6, origH: '52.213.180.42', origP: 43416, respH: '10.0.0.62', respP: 5001,
    origPkts: 78, origIpBytes: 101269, respPkts: 20, respIpBytes: 1060,
    first: [1566848875, 0], last: [1566848933, 0], verdict: 'allowed',
    connState: '', history: '', directionInferred: false, evidence: 'aws-vpc',
  });
  const rpc = flows.find((f) => f.proto === 6 && (f.origP === 49200 || f.respP === 49200))!;
  // the lower-port heuristic would call 49200 the service; the SYN says 49200 is the client
  assert.equal([rpc.origH, rpc.origP, rpc.respH, rpc.respP, rpc.directionInferred, rpc.origFlags, rpc.respFlags],
    ['10.0.0.62', 49200, '10.0.0.4', 49690, false, 2, 18]);
  assert.is(info.anomalies['evidence.aws.field_count_mismatch']?.count, 1);
  assert.is(info.anomalies['evidence.aws.field_count_mismatch']?.first_packet, 7);
});

test('pkt-srcaddr / pkt-dstaddr (the packet\'s addresses) win over srcaddr / dstaddr (a NAT gateway ENI\'s view)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-aws-'));
  const f = path.join(dir, 'nat.log');
  writeFileSync(f, [
    'version interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end action log-status',
    '5 eni-nat 10.0.1.5 10.20.0.10 10.0.2.20 10.20.0.10 50000 389 6 4 300 1795600000 1795600060 ACCEPT OK',
    '5 eni-nat 10.20.0.10 10.0.1.5 10.20.0.10 10.0.2.20 389 50000 6 3 500 1795600000 1795600060 ACCEPT OK',
    '5 eni-nat 10.0.1.5 10.20.0.10 - - 50001 389 6 1 60 1795600000 1795600060 ACCEPT OK',
  ].join('\n') + '\n');
  const { flows } = await collect(f, 'aws-vpc');
  assert.is(flows.length, 2);
  const nat = byPort(flows, 389, 50000);
  assert.equal([nat.origH, nat.respH, nat.origPkts, nat.respPkts, nat.origIpBytes, nat.respIpBytes], ['10.0.2.20', '10.20.0.10', 4, 3, 300, 500]);
  assert.is(byPort(flows, 389, 50001).origH, '10.0.1.5'); // '-': falls back to srcaddr
});

test('originatorByFlags: SYN without ACK starts, SYN-ACK answers, ambiguous → null', () => {
  assert.is(originatorByFlags(2, 18), true);
  assert.is(originatorByFlags(19, 3), false);
  assert.is(originatorByFlags(0, 18), true);
  assert.is(originatorByFlags(0, 0), null);
  assert.is(originatorByFlags(3, 3), null);
});

test('records from separate files of one directory merge (one file per direction), damaged gzip keeps what came before', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-aws-'));
  const lines = readFileSync(path.join(FIX, 'aws/default.log'), 'utf8').split('\n');
  writeFileSync(path.join(dir, 'a.log'), lines[0] + '\n');
  writeFileSync(path.join(dir, 'b.log'), lines[1] + '\n');
  const { flows, info } = await collect(dir);
  assert.is(info.files, 2);
  assert.is(flows.length, 1);
  assert.equal([flows[0]!.origPkts, flows[0]!.respPkts], [20, 18]);

  const gz = readFileSync(path.join(FIX, 'aws/default.log.gz'));
  const cut = path.join(dir, 'cut.log.gz');
  writeFileSync(cut, gz.subarray(0, gz.length - 12)); // trailer and last deflate bytes gone
  const r = await collect(cut, 'aws-vpc');
  assert.is(r.info.end.clean, false);
  assert.is(r.info.end.code, 'ERR_EVIDENCE_GZIP');
  assert.ok(r.flows.length >= 2, `kept ${r.flows.length} flows`);
});

test('bad lines are counted with their byte offset and skipped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-aws-'));
  const good = '2 123456789010 eni-1 10.0.0.1 10.0.0.2 50000 445 6 1 60 1418530010 1418530070 ACCEPT OK\n';
  const bad = '2 123456789010 eni-1 10.0.0.1 10.0.0.2 50000 445 6 1 60 1418530010 1418530070 MAYBE OK\n';
  const f = path.join(dir, 'x.log');
  writeFileSync(f, good + bad + 'hello world\n' + good);
  const { flows, info } = await collect(f, 'aws-vpc');
  assert.is(flows.length, 1);
  assert.is(flows[0]!.origPkts, 2);
  assert.equal(info.anomalies['evidence.aws.bad_record'], { count: 1, first_packet: 1 });
  assert.is(info.anomalies['evidence.aws.bad_line']?.count, 1);
});

test('pairs idle for 30 min of log time are handed on during the read; a later record starts a new flow', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-aws-'));
  const rec = (sp: number, dp: number, start: number, act = 'ACCEPT') => `2 1 eni-1 10.0.0.1 10.0.0.2 ${sp} ${dp} 6 1 60 ${start} ${start + 60} ${act} OK`;
  const lines = [rec(50000, 445, 1000), rec(50001, 389, 1000, 'REJECT')];
  for (let i = 0; i < 10; i++) lines.push(rec(51000 + i, 53, 1000 + 400 * i));
  lines.push(rec(50000, 445, 5000)); // same 5-tuple after 4000 s: a new flow
  const f = path.join(dir, 'x.log');
  writeFileSync(f, lines.join('\n') + '\n');
  const flows: FlowRecord[] = [];
  const rd = new AwsVpcReader(new Anomalies(), (x) => flows.push(x), { sweepEvery: 4 });
  await rd.readFile(f);
  const early = flows.map((x) => x.respP);
  rd.finish();
  assert.ok(early.includes(445) && early.includes(389), JSON.stringify(early));
  assert.is(flows.filter((x) => x.respP === 445).length, 2);
  assert.equal(flows.filter((x) => x.respP === 445).map((x) => x.firstSec), [1000, 5000]);
  assert.is(flows.find((x) => x.respP === 389)!.verdict, 'denied');
});

test.run();
