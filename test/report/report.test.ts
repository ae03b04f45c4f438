import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { audit } from '../../src/audit/auditor.js';
import { FINDING_KINDS } from '../../src/audit/types.js';
import { renderReport } from '../../src/report/reporter.js';
import { failOnOf, useColor } from '../../src/cli/options/audit-output.js';
import { profileJson, profileText } from '../../src/report/profile.js';
import { builtinProfile, profileFromText } from '../../src/rules/profile.js';
import { BASIC_INVENTORY, evidence, flow, input, policyFor } from '../audit/helpers.js';

const AADC = '10.0.0.20', DC = '10.0.0.10', AZ = '203.0.113.5';

async function sample() {
  const flows = [
    flow({ o: AADC, r: DC, p: 389, t: 1_700_000_000 }), flow({ o: AADC, r: DC, p: 445, t: 1_700_000_001 }),
    flow({ o: AADC, r: AZ, p: 443, state: 'S0', t: 1_700_000_002 }), flow({ o: AADC, r: '52.1.1.1', p: 443, t: 1_700_000_003 }),
  ];
  const damaged = { ...input(1_700_000_000, 1_700_000_010, 'cut.pcap'), end: { clean: false, code: 'capture.pcap.truncated_record', offset: 4242, reason: 'record header says 1500 bytes, 12 remain' } };
  return audit(evidence(flows, { inputs: [input(1_700_000_000, 1_700_000_010), damaged] }), await policyFor(BASIC_INVENTORY));
}

test('json: one document with the documented top-level keys, finding and coverage fields', async () => {
  const doc = JSON.parse(renderReport(await sample(), 'json')) as Record<string, any>;
  assert.equal(Object.keys(doc), ['schema', 'tool', 'version', 'profile', 'inventory', 'features', 'inputs', 'window', 'summary', 'findings', 'coverage', 'warnings']);
  assert.is(doc.tool, 'flowaudit');
  assert.is(doc.profile.name, 'hybrid-identity');
  assert.equal(Object.keys(doc.inputs[0]), ['file', 'format', 'compressed', 'packets', 'records', 'bytes', 'first', 'last', 'seconds', 'anomalies', 'end']);
  assert.equal(doc.inputs[1].end, { clean: false, code: 'capture.pcap.truncated_record', offset: 4242, reason: 'record header says 1500 bytes, 12 remain' });
  assert.equal(Object.keys(doc.summary.counts), [...FINDING_KINDS]);
  assert.is(doc.summary.damaged_inputs, 1);
  assert.is(doc.summary.verdict, 'FAIL');
  const f = doc.findings[0];
  for (const k of ['id', 'kind', 'severity', 'rule', 'table', 'proto', 'orig_h', 'orig_role', 'resp_h', 'resp_role', 'resp_p', 'flows', 'first', 'last', 'evidence', 'explanation']) assert.ok(k in f, k);
  assert.is(f.kind, 'unexpected');
  assert.is(f.resp_p, 445);
  assert.is(f.first, '2023-11-14T22:13:21.000Z');
  const blocked = doc.findings.find((x: any) => x.kind === 'blocked');
  assert.is(blocked.rule, 'T2-HTTPS');
  assert.is(blocked.table, '2');
  assert.equal(blocked.evidence.conn_states, { S0: 1 });
  for (const c of doc.coverage) for (const k of ['rule', 'table', 'status', 'flows']) assert.ok(k in c, k);
  assert.is(doc.findings.length, Object.values(doc.summary.counts as Record<string, number>).reduce((a, b) => a + b, 0));
});

test('json and every format are byte-identical across runs', async () => {
  for (const fmt of ['json', 'ndjson', 'text', 'markdown'] as const) {
    const a = renderReport(await sample(), fmt), b = renderReport(await sample(), fmt);
    assert.is(a, b, fmt);
  }
});

test('json with no findings is still valid', async () => {
  const r = audit(evidence([flow({ o: AADC, r: DC, p: 389 })]), await policyFor({ roles: { aadconnect: [AADC], dc: [DC] } }), { failOn: [] });
  const doc = JSON.parse(renderReport({ ...r, findings: [] }, 'json'));
  assert.equal(doc.findings, []);
});

test('ndjson: one finding per line, same objects as the json document', async () => {
  const r = await sample();
  const lines = renderReport(r, 'ndjson').trimEnd().split('\n');
  assert.is(lines.length, r.findings.length);
  const doc = JSON.parse(renderReport(r, 'json'));
  assert.equal(lines.map((l) => JSON.parse(l)), doc.findings);
});

test('text: verdict first, then coverage per reference table, then findings; damaged input named', async () => {
  const t = renderReport(await sample(), 'text');
  const lines = t.split('\n');
  assert.match(lines[0]!, /^FAIL {2}1 unexpected, 1 blocked, 0 missing/);
  assert.not.match(t, /\u001b\[/, 'no colour unless asked');
  const iCov = t.indexOf('Table 1 - Azure AD Connect and On-premises AD'), iFind = t.indexOf('Findings (');
  assert.ok(iCov > 0 && iFind > iCov);
  assert.match(t, /T1-LDAP +LDAP +tcp\/udp|T1-LDAP +LDAP +TCP\/UDP +389 +required +seen +1/);
  assert.match(t, /DAMAGED at byte 4242: record header says 1500 bytes, 12 remain/);
  assert.match(t, /Damaged input: cut\.pcap at byte 4242/);
  const col = renderReport(await sample(), 'text', { color: true });
  assert.match(col.split('\n')[0]!, /\u001b\[31m/);
});

test('markdown: verdict heading, findings table, coverage per table', async () => {
  const m = renderReport(await sample(), 'markdown');
  assert.match(m, /^# flowaudit: FAIL\n/);
  assert.match(m, /\| 1 \| unexpected \| high \| — \| tcp\/445 aadconnect 10\.0\.0\.20 → dc 10\.0\.0\.10 \| 1 \|/);
  assert.match(m, /### Table 2 - Azure AD Connect and Azure AD/);
  assert.match(m, /cut\.pcap.*DAMAGED at byte 4242/);
});

test('text and markdown escape control characters that come from the evidence', async () => {
  const pol = await policyFor({ roles: { aadconnect: [AADC], azuread: ['*.login'] } });
  const names = [{ name: 'x\u001b[2J\nPASS   FAKE\r\tline.login', address: '10.0.0.99', via: 'dns' as const }];
  const inputs = [{ ...input(1_700_000_000, 1_700_000_010, 'evil\u001b]0;t\u0007.pcap'), end: { clean: false, code: 'x', offset: 1, reason: 'bad\nFAKE' } }];
  const r = audit(evidence([flow({ o: AADC, r: '10.0.0.99', p: 9999 })], { names, inputs }), pol);
  for (const fmt of ['text', 'markdown'] as const) {
    const out = renderReport(r, fmt);
    assert.not.match(out, /[\u0000-\u0009\u000b-\u001f\u007f]/, fmt);
    assert.not.match(out, /^PASS {3}FAKE/m, fmt);
    assert.not.match(out, /^FAKE/m, fmt);
  }
  assert.match(renderReport(r, 'text'), /x\\x1b\[2j\\npass {3}fake\\r\\tline\.login \(dns\)/);
});

test('colour only on a TTY without NO_COLOR; --fail-on parsing', () => {
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    assert.is(useColor({ isTTY: true } as NodeJS.WriteStream, false), true);
    assert.is(useColor({ isTTY: true } as NodeJS.WriteStream, true), false, 'never into a file');
    assert.is(useColor({ isTTY: false } as NodeJS.WriteStream, false), false);
    process.env.NO_COLOR = '1';
    assert.is(useColor({ isTTY: true } as NodeJS.WriteStream, false), false);
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR; else process.env.NO_COLOR = saved;
  }
  assert.equal(failOnOf({ 'fail-on': ['unexpected', 'blocked', 'unexpected'] }), ['unexpected', 'blocked']);
  assert.equal(failOnOf({ 'fail-on': ['none'] }), []);
  assert.throws(() => failOnOf({ 'fail-on': ['unexpectd'] }), /unknown finding kind "unexpectd"/);
});

test('rules printout: every rule of the profile under its table; json round-trips the rule ids', async () => {
  const p = await builtinProfile('hybrid-identity');
  const t = profileText(p);
  for (const r of p.rules) assert.ok(t.includes(r.id), r.id);
  assert.match(t, /Table 6a - Pass-through Authentication with SSO/);
  assert.match(t, /T6a-CONNECTOR +HTTPS +10100-10120 +TCP/);
  assert.match(t, /T1-LDAPS +LDAP\/SSL +636 +TCP\/UDP\* +aadconnect → dc +conditional \(ldaps\)/);
  const j = JSON.parse(profileJson(p));
  assert.equal(j.rules.map((r: { id: string }) => r.id), p.rules.map((r) => r.id));
  // `rules --format json` is a valid profile file: loading it back gives the same rules and roles
  for (const name of ['hybrid-identity', 'entra-connect-2025']) {
    const q = await builtinProfile(name);
    const back = await profileFromText(profileJson(q), `${name}.json`);
    assert.equal(back.rules, q.rules, name);
    assert.equal(back.roles, q.roles, name);
    assert.equal(back.tables, q.tables, name);
  }
});

test.run();
