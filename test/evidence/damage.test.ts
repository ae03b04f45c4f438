/**
 * Damaged input: a flow-log JSON cut mid-document, garbage inside the document, split multi-MB
 * documents (tokenizer pieces and read chunks cut through tuples), and format sniffing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIX, byPort, collect } from './helpers/collect.js';
import { detectEvidence, EVIDENCE_FORMATS, isEvidenceFormat } from '../../src/evidence/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fa-evd-'));

test('VNet JSON cut mid-document: named end state at the cut, the tuples before it are kept', async () => {
  const full = readFileSync(path.join(FIX, 'vnet-v4/PT1H.json'));
  // cut just after the second record's first tuple (the C row of the 389 flow)
  const marker = Buffer.from('"1663146010,10.0.0.6,10.0.0.4,50000,389,6,O,C,X,10,2000,8,4000",');
  const cutAt = full.indexOf(marker) + marker.length;
  assert.ok(cutAt > marker.length);
  const f = path.join(tmp, 'cut.json');
  writeFileSync(f, full.subarray(0, cutAt));
  const { flows, info } = await collect(f, 'azure-vnet');
  assert.is(info.end.clean, false);
  assert.is(info.end.code, 'ERR_EVIDENCE_JSON_CUT');
  assert.is(info.end.offset, cutAt);
  assert.match(info.end.reason ?? '', /flowTuples/);
  assert.is(info.anomalies['evidence.input.cut']?.count, 1);
  assert.is(flows.length, 3);
  const ldap = byPort(flows, 389);
  assert.equal([ldap.origPkts, ldap.origIpBytes, ldap.respPkts, ldap.respIpBytes], [10, 2000, 8, 4000]); // E row lost with the cut
  assert.is(byPort(flows, 443).origPkts, 3);
});

test('garbage inside the document: exact byte offset; everything before it kept, nothing after', async () => {
  const full = readFileSync(path.join(FIX, 'vnet-v4/PT1H.json'), 'utf8');
  const at = full.indexOf('"1663146020,');
  const bad = full.slice(0, at) + '@@' + full.slice(at);
  const f = path.join(tmp, 'garbage.json');
  writeFileSync(f, bad);
  const { flows, info } = await collect(f, 'azure-vnet');
  assert.is(info.end.code, 'ERR_EVIDENCE_JSON');
  assert.is(info.end.offset, Buffer.byteLength(full.slice(0, at)));
  const ldap = byPort(flows, 389);
  assert.is(ldap.origPkts, 10); // the C row before the garbage is kept, the E row after it is not
  assert.is(flows.length, 3);
});

/** An NSG v2 document of many records, and the flows expected from it computed with JSON.parse. */
function bigNsg(nFlows: number, rows: number): { text: string; expect: Map<string, number[]> } {
  const recs: unknown[] = [];
  const expect = new Map<string, number[]>();
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  let t = 1542110400;
  for (let r = 0; r < rows; r++) {
    const tuples: string[] = [];
    for (let k = 0; k < 40; k++) {
      const id = rnd(nFlows);
      const sp = 49152 + id, pk = rnd(50) + 1, by = pk * 100 + rnd(60);
      tuples.push(`${t},10.1.${id >> 8}.${id & 255},10.0.0.4,${sp},445,T,O,A,C,${pk},${by},${pk},${by * 2}`);
      const key = `${sp}`;
      const e = expect.get(key) ?? [0, 0, 0, 0];
      e[0]! += pk; e[1]! += by; e[2]! += pk; e[3]! += by * 2;
      expect.set(key, e);
      t++;
    }
    recs.push({ time: 'x', category: 'NetworkSecurityGroupFlowEvent', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: 'm', flowTuples: tuples }] }] } });
  }
  return { text: '\ufeff' + JSON.stringify({ records: recs }, null, 1), expect };
}

test('multi-MB document (BOM, gzip): pieces and chunks split tuples anywhere, sums equal JSON.parse-based sums', async () => {
  const { text, expect } = bigNsg(3000, 1500); // ~5 MB: several 1 MiB reads, ~80 tokenizer pieces
  assert.ok(Buffer.byteLength(text) > 3 * 1024 * 1024);
  const f = path.join(tmp, 'big.json');
  writeFileSync(f, text);
  const g = path.join(tmp, 'big.json.gz');
  writeFileSync(g, gzipSync(text));
  for (const file of [f, g]) {
    const { flows, info } = await collect(file);
    assert.ok(info.end.clean, JSON.stringify(info.end));
    assert.is(info.records, 60000);
    assert.is(flows.length, expect.size);
    for (const fl of flows) {
      assert.equal([fl.origPkts, fl.origIpBytes, fl.respPkts, fl.respIpBytes], expect.get(String(fl.origP)));
    }
  }
});

test('garbage deep inside a multi-MB document: offset exact, flows from earlier pieces kept', async () => {
  const { text } = bigNsg(3000, 1500);
  const at = Math.floor(text.length * 0.6);
  const pos = text.indexOf('"1542', at); // at the start of a tuple
  const bad = text.slice(0, pos) + '}' + text.slice(pos);
  const f = path.join(tmp, 'big-bad.json');
  writeFileSync(f, bad);
  const { flows, info } = await collect(f, 'azure-nsg');
  assert.is(info.end.code, 'ERR_EVIDENCE_JSON');
  assert.is(info.end.offset, Buffer.byteLength(text.slice(0, pos)));
  // every tuple before the damage was read
  const before = text.slice(0, pos).split('"1542').length - 1;
  assert.is(info.records, before);
  assert.ok(flows.length > 0);
});

test('detectEvidence: each format from its first bytes (gzip too); pcap and unrelated text are not evidence', () => {
  const head = (p: string) => readFileSync(path.join(FIX, p)).subarray(0, 65536);
  assert.is(detectEvidence(head('nsg-v1/PT1H.json'), 'PT1H.json'), 'azure-nsg');
  assert.is(detectEvidence(head('nsg-v2-lines.json'), 'x'), 'azure-nsg');
  assert.is(detectEvidence(head('vnet-v4/PT1H.json'), 'PT1H.json'), 'azure-vnet');
  assert.is(detectEvidence(head('aws/default.log'), 'x.log'), 'aws-vpc');
  assert.is(detectEvidence(head('aws/default.log.gz'), 'x.log.gz'), 'aws-vpc');
  assert.is(detectEvidence(head('aws/custom-v3.log'), 'x.log'), 'aws-vpc');
  assert.is(detectEvidence(head('zeek/conn-classic.log'), 'conn.log'), 'zeek');
  assert.is(detectEvidence(head('zeek/conn-ip-proto.log'), 'conn.log'), 'zeek');
  assert.is(detectEvidence(head('zeek/conn.json'), 'conn.log'), 'zeek');
  assert.is(detectEvidence(head('suricata/eve.json'), 'eve.json'), 'suricata');
  // a prefix of a gzip member (only the first bytes handed over) still sniffs
  const gz = gzipSync(readFileSync(path.join(FIX, 'suricata/eve.json')));
  assert.is(detectEvidence(gz.subarray(0, 200), 'eve.json.gz'), 'suricata');
  const pcapHeader = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
  assert.is(detectEvidence(pcapHeader, 'x.pcap'), null);
  assert.is(detectEvidence(Buffer.from('hello world\n'), 'x.txt'), null);
  assert.is(detectEvidence(Buffer.from('{"a":1}\n'), 'x.json'), null);
  assert.is(detectEvidence(Buffer.alloc(0), 'empty'), null);
});

test('EVIDENCE_FORMATS lists the --input-format names', () => {
  assert.equal([...EVIDENCE_FORMATS], ['azure-nsg', 'azure-vnet', 'aws-vpc', 'zeek', 'suricata']);
  assert.ok(isEvidenceFormat('zeek'));
  assert.not.ok(isEvidenceFormat('pcap'));
});

test.run();
