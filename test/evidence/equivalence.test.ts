/**
 * Equivalence: the pilot capture's flows, written by flowaudit itself as Zeek conn.log JSON
 * (`flowaudit flows --format zeek-json`, here through the same writer function), read back through
 * the Zeek reader, must give the same audit as the capture — except what needs packets:
 *  - ICMP error attribution: a flow answered by an ICMP unreachable in the capture is, in conn.log,
 *    an unanswered flow (the finding stays, its outcome moves from icmp_unreachable to no_answer);
 *  - hostname roles: DNS answers / TLS SNI bind names to addresses only in packet evidence, so an
 *    inventory that names a role only by hostname matches nothing in conn.log.
 * Skips (and says so) when ../shared/corpus is absent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherEvidence } from '../../src/cli/gather.js';
import { flowWriter } from '../../src/report/flows/writer.js';
import { audit } from '../../src/audit/auditor.js';
import { builtinProfile } from '../../src/rules/profile.js';
import { loadInventory } from '../../src/rules/inventory.js';
import { compilePolicy } from '../../src/rules/policy.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import type { Evidence } from '../../src/flow/record.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const PCAP = path.join(CORPUS, 'pilot/pilot-full.pcap');
const INVENTORY = fileURLToPath(new URL('../../fixtures/inventories/pilot.json', import.meta.url));
const have = existsSync(PCAP);
if (!have) console.log(`skip: ${PCAP} not found; the pcap ↔ Zeek conn.log equivalence test did not run`);

const tmp = mkdtempSync(path.join(tmpdir(), 'fa-eqv-'));

async function auditWith(ev: Evidence, inventoryFile: string): Promise<AuditReport> {
  const profile = await builtinProfile('hybrid-identity');
  const inv = await loadInventory(inventoryFile, profile);
  return audit(ev, compilePolicy(profile, inv));
}

function toZeekJson(ev: Evidence, file: string): void {
  const w = flowWriter('zeek-json');
  let s = w.prolog();
  ev.flows.forEach((f, i) => { s += w.record(f, i); });
  s += w.epilog(ev.flows.length);
  writeFileSync(file, s);
}

function byId(r: AuditReport): Map<string, Finding> {
  return new Map(r.findings.map((f) => [f.id, f]));
}

test('pilot-full.pcap vs its own Zeek conn.log JSON: same findings and coverage, ICMP attribution aside', async () => {
  if (!have) return;
  const pcapEv = await gatherEvidence([PCAP]);
  const conn = path.join(tmp, 'conn.json');
  toZeekJson(pcapEv, conn);
  const zeekEv = await gatherEvidence([conn]);
  assert.is(zeekEv.inputs[0]!.format, 'zeek');
  assert.ok(zeekEv.inputs[0]!.end.clean);
  assert.is(zeekEv.flows.length, pcapEv.flows.length);
  assert.is(zeekEv.names.length, 0);

  const a = await auditWith(pcapEv, INVENTORY);
  const b = await auditWith(zeekEv, INVENTORY);
  assert.equal(b.summary.counts, a.summary.counts);
  assert.equal(b.summary.flows, a.summary.flows);
  assert.ok(a.summary.counts.unexpected >= 6, 'the pilot has 6 violations (GROUND-TRUTH.md)');
  const fa = byId(a), fb = byId(b);
  assert.equal([...fb.keys()].sort(), [...fa.keys()].sort());
  let icmpAttributed = 0;
  for (const [id, x] of fa) {
    const y = fb.get(id)!;
    assert.equal([y.kind, y.severity, y.rule, y.flows, y.orig_h, y.resp_h, y.resp_p], [x.kind, x.severity, x.rule, x.flows, x.orig_h, x.resp_h, x.resp_p], id);
    const ex = x.evidence, ey = y.evidence;
    assert.equal([ey.orig_pkts, ey.resp_pkts, ey.orig_bytes, ey.resp_bytes, ey.answered, ey.refused, ey.denied, ey.direction_inferred],
      [ex.orig_pkts, ex.resp_pkts, ex.orig_bytes, ex.resp_bytes, ex.answered, ex.refused, ex.denied, ex.direction_inferred], id);
    if (ex.icmp.length > 0) {
      // packet-only evidence: the ICMP unreachable that answered the flow is not in conn.log
      icmpAttributed++;
      assert.equal(ey.icmp, []);
      assert.is(ey.icmp_unreachable, 0);
      assert.is(ey.no_answer, ex.no_answer + ex.icmp_unreachable);
    } else {
      assert.equal([ey.no_answer, ey.icmp_unreachable], [ex.no_answer, ex.icmp_unreachable], id);
    }
  }
  assert.ok(icmpAttributed >= 1, 'the pilot has a UDP probe answered by ICMP port unreachable');
  assert.equal(b.coverage.map((c) => [c.rule, c.status, c.flows, c.blocked]), a.coverage.map((c) => [c.rule, c.status, c.flows, c.blocked]));
});

test('hostname-only roles: resolved from DNS/SNI in the capture, not in conn.log (packet-only evidence)', async () => {
  if (!have) return;
  const inv = JSON.parse(readFileSync(INVENTORY, 'utf8')) as { roles: Record<string, string[]> };
  inv.roles['azuread'] = inv.roles['azuread']!.filter((e) => !/^\d/.test(e)); // names and wildcards only
  const invFile = path.join(tmp, 'names-only.json');
  writeFileSync(invFile, JSON.stringify(inv));
  const pcapEv = await gatherEvidence([PCAP]);
  const conn = path.join(tmp, 'conn2.json');
  toZeekJson(pcapEv, conn);
  const zeekEv = await gatherEvidence([conn]);
  assert.ok(pcapEv.names.length > 0, 'the capture carries DNS answers / SNI');
  const a = await auditWith(pcapEv, invFile);
  const b = await auditWith(zeekEv, invFile);
  const unknown = (r: AuditReport) => new Set(r.findings.filter((f) => f.kind === 'unknown-host').map((f) => `${f.resp_h} ${f.proto}/${f.resp_p}`));
  const ua = unknown(a), ub = unknown(b);
  // the capture's SNI / DNS put 203.0.113.50 (login.microsoftonline.com) in azuread; conn.log cannot
  assert.not.ok(ua.has('203.0.113.50 tcp/443'));
  assert.ok(ub.has('203.0.113.50 tcp/443'));
  for (const k of ua) assert.ok(ub.has(k), `${k} unknown in both`);
  assert.ok(ub.size > ua.size);
  // the unexpected (violation) findings do not depend on names
  assert.is(b.summary.counts.unexpected, a.summary.counts.unexpected);
});

test.run();
