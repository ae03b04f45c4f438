/**
 * Azure NSG v1/v2 and VNet v4 flow logs. Expected values are worked out by hand from the tuples
 * in fixtures/evidence (tuple layout per the Azure docs quoted in
 * shared/reference/ports-history-semantics-and-formats.md §3.1–3.2).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIX, byPort, collect, core } from './helpers/collect.js';
import { AzureFlowLogReader, IDLE_SECONDS } from '../../src/evidence/azure.js';
import { Anomalies } from '../../src/core/anomalies.js';
import type { FlowRecord } from '../../src/flow/record.js';

test('NSG v1: one flow per 5-tuple, D = denied, no counters, the tuple source is the originator', async () => {
  const { flows, info, kind } = await collect(path.join(FIX, 'nsg-v1/PT1H.json'));
  assert.is(kind, 'azure-nsg');
  assert.is(flows.length, 3);
  assert.is(info.records, 4); // 4 tuples, two of them the same 389 flow
  assert.ok(info.end.clean);
  assert.equal(core(byPort(flows, 5358)), {
    proto: 6, origH: '192.0.2.95', origP: 51529, respH: '10.1.0.4', respP: 5358,
    origPkts: 0, origIpBytes: 0, respPkts: 0, respIpBytes: 0,
    first: [1487282421, 0], last: [1487282421, 0], verdict: 'denied',
    connState: '', history: '', directionInferred: false, evidence: 'azure-nsg',
  });
  const ldap = byPort(flows, 389);
  assert.equal([ldap.firstSec, ldap.lastSec, ldap.verdict], [1487282492, 1487282500, 'allowed']);
  assert.is(byPort(flows, 445).verdict, 'allowed');
});

test('NSG v2 directory: hourly blobs walked in order, deltas summed, B/C/E handled, non-log files skipped', async () => {
  const { flows, info } = await collect(path.join(FIX, 'nsg-v2'));
  assert.is(info.kind, 'azure-nsg');
  assert.is(info.files, 2);
  assert.is(info.anomalies['evidence.dir.skipped_file']?.count, 1); // README.txt
  assert.is(flows.length, 4);
  // 59831: B (12:00:37, empty counters) + C (10,1000,8,6000) + E in the next hour's blob (5,400,4,300)
  assert.equal(core(byPort(flows, 443, 59831)), {
    proto: 6, origH: '10.5.16.4', origP: 59831, respH: '203.0.113.118', respP: 443,
    origPkts: 15, origIpBytes: 1400, respPkts: 12, respIpBytes: 6300,
    first: [1542110377, 0], last: [1542114000, 0], verdict: 'allowed',
    connState: '', history: '', directionInferred: false, evidence: 'azure-nsg',
  });
  // 44931: only a C row (the flow began before this log): kept open, handed on at the end
  const c = byPort(flows, 443, 44931);
  assert.equal([c.origPkts, c.origIpBytes, c.respPkts, c.respIpBytes], [30, 16978, 24, 14008]);
  const krb = byPort(flows, 88);
  assert.equal([krb.proto, krb.origPkts, krb.origIpBytes, krb.respPkts, krb.respIpBytes, krb.firstSec, krb.lastSec], [17, 1, 1500, 1, 1420, 1542110400, 1542110401]);
  const smb = byPort(flows, 445);
  assert.equal([smb.verdict, smb.origPkts, smb.respPkts], ['denied', 0, 0]);
  // E rows hand the flow on at once: the 88 flow (E in the second record) comes before the still-open ones
  assert.is(flows[0]!.respP, 88);
  assert.is(flows[1]!.origP, 59831);
});

test('NSG v2, one record per line without the "records" wrapper (elastic test-file shape)', async () => {
  const { flows, kind } = await collect(path.join(FIX, 'nsg-v2-lines.json'));
  assert.is(kind, 'azure-nsg');
  assert.equal(flows.map(core), [{
    proto: 6, origH: '1.128.0.0', origP: 59932, respH: '1.128.0.1', respP: 443,
    origPkts: 1, origIpBytes: 66, respPkts: 1, respIpBytes: 66,
    first: [1542110379, 0], last: [1542110379, 0], verdict: 'allowed',
    connState: '', history: '', directionInferred: false, evidence: 'azure-nsg',
  }]);
});

test('VNet v4: millisecond and second timestamps, D state = denied, numeric protocol', async () => {
  const { flows, info, kind } = await collect(path.join(FIX, 'vnet-v4/PT1H.json'));
  assert.is(kind, 'azure-vnet');
  assert.is(info.kind, 'azure-vnet');
  assert.is(flows.length, 3);
  const https = byPort(flows, 443);
  assert.equal(core(https), {
    proto: 6, origH: '10.0.0.6', origP: 23956, respH: '52.239.184.180', respP: 443,
    origPkts: 3, origIpBytes: 767, respPkts: 2, respIpBytes: 1580,
    first: [1663146003, 599000000], last: [1663146003, 606000000], verdict: 'allowed',
    connState: '', history: '', directionInferred: false, evidence: 'azure-vnet',
  });
  const ssh = byPort(flows, 22);
  assert.equal([ssh.origH, ssh.verdict, ssh.firstSec, ssh.firstNsec], ['101.33.218.153', 'denied', 1663145998, 65000000]);
  const ldap = byPort(flows, 389);
  assert.equal([ldap.firstSec, ldap.lastSec, ldap.origPkts, ldap.origIpBytes, ldap.respPkts, ldap.respIpBytes], [1663146010, 1663146020, 12, 2120, 10, 4120]);
});

test('the same 5-tuple logged inbound and outbound (two NICs) stays two records; a new B after traffic starts a new flow', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-nsg-'));
  const rec = (tuples: string[]) => ({ time: '2018-11-13T12:00:00Z', category: 'NetworkSecurityGroupFlowEvent', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: tuples }] }] } });
  const doc = { records: [rec([
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,O,A,B,,,,',
    '1542110401,10.5.16.4,10.5.0.4,50200,389,T,I,A,B,,,,',
    '1542110402,10.5.16.4,10.5.0.4,50200,389,T,O,A,C,2,120,2,140',
    '1542110403,10.5.16.4,10.5.0.4,50200,389,T,I,A,C,2,120,2,140',
    '1542110500,10.5.16.4,10.5.0.4,50200,389,T,O,A,B,,,,',
    '1542110501,10.5.16.4,10.5.0.4,50200,389,T,O,A,E,1,60,1,60',
  ])] };
  const f = path.join(dir, 'PT1H.json');
  writeFileSync(f, JSON.stringify(doc));
  const { flows, info } = await collect(f);
  assert.is(flows.length, 3);
  assert.is(info.anomalies['evidence.azure.begin_without_end']?.count, 1);
  const sums = flows.map((x) => [x.firstSec, x.lastSec, x.origPkts, x.respIpBytes]);
  assert.equal(sums, [[1542110400, 1542110402, 2, 140], [1542110500, 1542110501, 1, 60], [1542110401, 1542110403, 2, 140]]);
});

test('bad tuples are named anomalies; the good ones around them are kept', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-nsg-'));
  const doc = { records: [{ properties: { Version: 3, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: [
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,O,A,B,,,,',
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,O,A',          // 8 fields but the 8th is the decision: valid v1 shape
    '1542110400,10.5.16.400,10.5.0.4,50200,389,T,O,A,B,,,,',  // bad address
    '1542110400,10.5.16.4,10.5.0.4,70000,389,T,O,A,B,,,,',    // bad port
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,X,A,B,,,,',    // bad direction
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,O,A,Q,,,,',    // bad state
    '1542110400,10.5.16.4,10.5.0.4,50200,389,T,O,A,C,x,1,1,1', // bad counter (flow kept, counter dropped)
    'garbage',
  ] }] }] } }] };
  const f = path.join(dir, 'PT1H.json');
  writeFileSync(f, JSON.stringify(doc));
  const { flows, info } = await collect(f);
  for (const n of ['bad_address', 'bad_port', 'bad_direction', 'bad_flow_state', 'bad_counter', 'bad_tuple_fields', 'unknown_version']) {
    assert.is(info.anomalies[`evidence.azure.${n}`]?.count, 1, n);
  }
  assert.is(info.records, 8);
  assert.is(flows.length, 1);
  assert.equal([flows[0]!.origPkts, flows[0]!.origIpBytes], [0, 1]);
});

test('flows with no tuple for 30 min of log time are handed on during the read (D rows never get an E)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-nsg-'));
  const t0 = 1542110400;
  const tuples = [
    `${t0},10.5.16.4,10.5.0.4,40001,445,T,O,D,B,,,,`,       // denied: no E ever
    `${t0},10.5.16.4,10.5.0.4,40002,389,T,O,A,B,,,,`,       // open, no E
  ];
  for (let i = 0; i < 14; i++) tuples.push(`${t0 + 300 * i},10.5.16.9,10.5.0.4,${1024 + i},53,U,O,A,E,1,70,1,90`);
  tuples.push(`${t0 + 4700},10.5.16.4,10.5.0.4,40003,88,T,O,A,B,,,,`); // open at the end
  const f = path.join(dir, 'PT1H.json');
  writeFileSync(f, JSON.stringify({ records: [{ properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: tuples }] }] } }] }));
  const flows: FlowRecord[] = [];
  const rd = new AzureFlowLogReader(new Anomalies(), (x) => flows.push(x), { sweepEvery: 4 });
  await rd.readFile(f);
  const beforeFinish = flows.map((x) => x.respP);
  rd.finish();
  // sweeps at tuples 4, 8, 12, 16: at tuple 8 log time is t0+1800, at 12 t0+3000 > t0+1800 → 445 and 389 go
  assert.ok(beforeFinish.includes(445) && beforeFinish.includes(389), JSON.stringify(beforeFinish));
  assert.not.ok(beforeFinish.includes(88));
  assert.is(flows[flows.length - 1]!.respP, 88);
  assert.is(byPort(flows, 445).verdict, 'denied');
  assert.is(IDLE_SECONDS, 1800);
});

test.run();
