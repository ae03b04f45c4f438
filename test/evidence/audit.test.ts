/**
 * Flow-log evidence through the audit, against the pilot inventory (fixtures/inventories/pilot.json:
 * sync 10.20.0.20 = aadconnect+pta, dc 10.20.0.10). The hybrid-identity profile allows
 * aadconnect → dc on tcp/389 (LDAP) and has no rule for tcp/445 between these roles (the pilot's
 * ground truth lists sync → dc 445 as a violation), so:
 *  - a denied flow-log record (NSG `D`, VNet `D`, AWS REJECT) on 389 → blocked (outcome denied)
 *  - an allowed record on 445 → unexpected
 *  - Zeek S0 / Suricata REJ on 389 → blocked (no-answer / refused)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherEvidence } from '../../src/cli/gather.js';
import { audit } from '../../src/audit/auditor.js';
import { builtinProfile } from '../../src/rules/profile.js';
import { loadInventory } from '../../src/rules/inventory.js';
import { compilePolicy } from '../../src/rules/policy.js';
import type { AuditReport } from '../../src/audit/types.js';

const INVENTORY = fileURLToPath(new URL('../../fixtures/inventories/pilot.json', import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), 'fa-evaudit-'));

async function auditFile(file: string): Promise<AuditReport> {
  const profile = await builtinProfile('hybrid-identity');
  const policy = compilePolicy(profile, await loadInventory(INVENTORY, profile));
  const ev = await gatherEvidence([file]);
  assert.ok(ev.inputs[0]!.end.clean, JSON.stringify(ev.inputs[0]!.end));
  return audit(ev, policy);
}

function kinds(r: AuditReport, port: number): string[] {
  return r.findings.filter((f) => f.resp_p === port && f.resp_h === '10.20.0.10').map((f) => f.kind).sort();
}

const nsg = (tuples: string[]) => JSON.stringify({ records: [{ time: '2026-11-25T13:00:00Z', category: 'NetworkSecurityGroupFlowEvent', properties: { Version: 2, flows: [{ rule: 'r', flows: [{ mac: '00', flowTuples: tuples }] }] } }] });

test('NSG v2: D on an allowed port → blocked (denied); A on 445 → unexpected; A on 389 → no finding', async () => {
  const f = path.join(tmp, 'nsg.json');
  writeFileSync(f, nsg([
    '1795600000,10.20.0.20,10.20.0.10,50001,389,T,O,D,B,,,,',
    '1795600001,10.20.0.20,10.20.0.10,50002,445,T,O,A,B,,,,',
    '1795600002,10.20.0.20,10.20.0.10,50002,445,T,O,A,E,10,1000,9,2000',
  ]));
  const r = await auditFile(f);
  assert.equal(kinds(r, 389), ['blocked']);
  const b = r.findings.find((x) => x.kind === 'blocked')!;
  assert.is(b.evidence.denied, 1);
  assert.equal(b.orig_role, ['aadconnect', 'pta']);
  assert.equal(kinds(r, 445), ['unexpected']);

  const ok = path.join(tmp, 'nsg-ok.json');
  writeFileSync(ok, nsg(['1795600000,10.20.0.20,10.20.0.10,50001,389,T,O,A,E,3,180,3,400']));
  assert.equal(kinds(await auditFile(ok), 389), []);
});

test('VNet v4 D state and AWS REJECT on 389 → blocked; AWS ACCEPT pair on 445 → unexpected', async () => {
  const v = path.join(tmp, 'vnet.json');
  writeFileSync(v, JSON.stringify({ records: [{ flowLogVersion: 4, category: 'FlowLogFlowEvent', flowRecords: { flows: [{ aclID: 'x', flowGroups: [{ rule: 'r', flowTuples: ['1795600000123,10.20.0.20,10.20.0.10,50001,389,6,O,D,NX,0,0,0,0'] }] }] } }] }));
  assert.equal(kinds(await auditFile(v), 389), ['blocked']);
  const a = path.join(tmp, 'vpc.log');
  writeFileSync(a, [
    '2 123456789010 eni-1 10.20.0.20 10.20.0.10 50001 389 6 3 180 1795600000 1795600060 REJECT OK',
    '2 123456789010 eni-1 10.20.0.20 10.20.0.10 50002 445 6 10 1000 1795600000 1795600060 ACCEPT OK',
    '2 123456789010 eni-1 10.20.0.10 10.20.0.20 445 50002 6 9 2000 1795600000 1795600060 ACCEPT OK',
  ].join('\n') + '\n');
  const r = await auditFile(a);
  assert.equal(kinds(r, 389), ['blocked']);
  assert.equal(kinds(r, 445), ['unexpected']);
});

test('Zeek S0 and Suricata REJ on 389 → blocked', async () => {
  const z = path.join(tmp, 'conn.json');
  writeFileSync(z, '{"ts":1795600000.5,"id.orig_h":"10.20.0.20","id.orig_p":50001,"id.resp_h":"10.20.0.10","id.resp_p":389,"proto":"tcp","conn_state":"S0","history":"S","orig_pkts":3,"orig_ip_bytes":180,"resp_pkts":0,"resp_ip_bytes":0}\n');
  const rz = await auditFile(z);
  assert.equal(kinds(rz, 389), ['blocked']);
  assert.is(rz.findings.find((x) => x.kind === 'blocked')!.evidence.no_answer, 1);
  const s = path.join(tmp, 'eve.json');
  writeFileSync(s, '{"timestamp":"2026-11-25T13:00:00.000000+0000","event_type":"flow","src_ip":"10.20.0.20","src_port":50001,"dest_ip":"10.20.0.10","dest_port":389,"proto":"TCP","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":60,"bytes_toclient":40,"start":"2026-11-25T13:00:00.000000+0000","end":"2026-11-25T13:00:00.000300+0000","state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"16","tcp_flags_ts":"02","tcp_flags_tc":"14","state":"closed"}}\n');
  const rs = await auditFile(s);
  assert.equal(kinds(rs, 389), ['blocked']);
  assert.is(rs.findings.find((x) => x.kind === 'blocked')!.evidence.refused, 1);
});

test.run();
