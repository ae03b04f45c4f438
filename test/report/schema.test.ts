/**
 * The JSON report against its published JSON Schema (src/report/report.schema.json), with a small
 * validator for the subset the schema uses (type, const, enum, required, properties,
 * additionalProperties, items, pattern, $ref) — written here so the check does not depend on
 * flowaudit's own code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { audit } from '../../src/audit/auditor.js';
import { renderReport } from '../../src/report/reporter.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { loadProfile } from '../../src/rules/profile.js';
import { loadInventory } from '../../src/rules/inventory.js';
import { compilePolicy } from '../../src/rules/policy.js';
import { BASIC_INVENTORY, evidence, flow, policyFor } from '../audit/helpers.js';

type Schema = Record<string, any>;
const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../../src/report/report.schema.json', import.meta.url)), 'utf8')) as Schema;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(v: unknown, s: Schema, at: string, errors: string[]): void {
  if (s.$ref) { validate(v, s.$ref.split('/').slice(1).reduce((o: Schema, k: string) => o[k], SCHEMA), at, errors); return; }
  if ('const' in s && v !== s.const) errors.push(`${at}: expected ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(v)) errors.push(`${at}: ${JSON.stringify(v)} not in ${JSON.stringify(s.enum)}`);
  if (s.type) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) errors.push(`${at}: ${t}, expected ${types.join('|')}`);
  }
  if (typeof v === 'string' && s.pattern && !new RegExp(s.pattern).test(v)) errors.push(`${at}: ${v} !~ ${s.pattern}`);
  if (Array.isArray(v) && s.items) v.forEach((x, i) => validate(x, s.items, `${at}/${i}`, errors));
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of s.required ?? []) if (!(k in o)) errors.push(`${at}: missing ${k}`);
    for (const [k, x] of Object.entries(o)) {
      if (s.properties?.[k]) validate(x, s.properties[k], `${at}/${k}`, errors);
      else if (s.additionalProperties === false) errors.push(`${at}: unexpected key ${k}`);
      else if (typeof s.additionalProperties === 'object') validate(x, s.additionalProperties, `${at}/${k}`, errors);
    }
  }
}

function check(doc: unknown): string[] {
  const errors: string[] = [];
  validate(doc, SCHEMA, '', errors);
  return errors;
}

test('the validator catches a wrong document', () => {
  assert.ok(check({ tool: 'x' }).length > 5);
});

test('synthetic report with every kind validates', async () => {
  const AADC = '10.0.0.20', DC = '10.0.0.10';
  const r = audit(evidence([
    flow({ o: AADC, r: DC, p: 445 }), flow({ o: AADC, r: '203.0.113.5', p: 443, state: 'S0' }), flow({ o: AADC, r: '52.1.1.1', p: 443 }),
    flow({ o: AADC, r: '203.0.113.5', p: 443, proto: 'udp' }), flow({ o: AADC, r: DC, p: 161, proto: 'udp', respPkts: 0, icmp: [{ proto: 'icmp', type: 3, code: 3, count: 1, from: DC }] }),
  ], { span: [1_700_000_000, 1_700_009_000] }), await policyFor(BASIC_INVENTORY));
  const doc = JSON.parse(renderReport(r, 'json'));
  assert.equal(check(doc), []);
  const kinds = new Set(doc.findings.map((f: { kind: string }) => f.kind));
  for (const k of ['unexpected', 'blocked', 'missing', 'not-observed', 'unknown-host', 'doc-only']) assert.ok(kinds.has(k), k);
});

const PILOT = fileURLToPath(new URL('../../../shared/corpus/pilot/pilot-full.pcapng', import.meta.url));
test('the pilot report validates', async () => {
  if (!existsSync(PILOT)) { console.log('skip: ../shared/corpus/pilot not present'); return; }
  const p = await loadProfile('entra-connect-2025');
  const pol = compilePolicy(p, await loadInventory(fileURLToPath(new URL('../../fixtures/inventories/pilot.json', import.meta.url)), p));
  const doc = JSON.parse(renderReport(audit(await gatherEvidence([PILOT]), pol), 'json'));
  assert.equal(check(doc), []);
  assert.ok(doc.findings.some((f: { kind: string }) => f.kind === 'legacy'));
});

test.run();
