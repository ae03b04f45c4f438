import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/core/errors.js';
import { BUILTIN_PROFILES, builtinProfile, formatPorts, loadProfile, profileFromText } from '../../src/rules/profile.js';
import { parseLocated } from '../../src/rules/json-locate.js';

async function configError(text: string, file = 'p.json'): Promise<ConfigError> {
  try { await profileFromText(text, file); } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const base = (rules: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({
  name: 't', roles: { a: { description: '' }, b: { description: '', cloud: true } }, features: { f1: 'feature one' }, rules, ...extra,
}, null, 2);
const rule = (o: Record<string, unknown> = {}) => ({ id: 'R1', table: '1', row: 'X', initiator: 'a', responder: 'b', protocols: ['tcp'], ports: 443, level: 'required', ...o });

test('both built-in profiles load and validate', async () => {
  assert.equal(BUILTIN_PROFILES, ['hybrid-identity', 'entra-connect-2025']);
  for (const n of BUILTIN_PROFILES) {
    const p = await builtinProfile(n);
    assert.ok(p.rules.length > 20, n);
    assert.equal(Object.keys(p.roles).sort(), ['aadconnect', 'adfs', 'azuread', 'dc', 'health', 'pta', 'users', 'wap']);
  }
});

// Independent check against the seed itself: every row of every table, with its ports and
// transports as the seed writes them.
const SEED = fileURLToPath(new URL('../../../shared/reference/hybrid-identity-ports.md', import.meta.url));
test('hybrid-identity has every row of the seed\'s tables 1-7a with the seed\'s ports and transports', async () => {
  if (!existsSync(SEED)) { console.log('skip: ../shared/reference/hybrid-identity-ports.md not present'); return; }
  const md = readFileSync(SEED, 'utf8');
  const rows: Array<{ table: string; proto: string; ports: string }> = [];
  let table = '';
  for (const line of md.split('\n')) {
    const h = /^#+ .*Table (\d+[ab]?)\b/.exec(line) ?? /^### .*"(7b)/.exec(line);
    if (h) { table = h[1]!; continue; }
    if (/^#/.test(line) && /7b/.test(line)) table = '7b';
    const m = /^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (!m || !table || m[1] === 'Protocol' || m[1]!.startsWith('---')) continue;
    rows.push({ table, proto: m[1]!, ports: m[2]! });
  }
  const p = await builtinProfile('hybrid-identity');
  const byTable = (t: string) => p.rules.filter((r) => r.table === t);
  for (const t of ['1', '2', '3', '4', '5', '6a', '6b', '7a']) {
    const seedRows = rows.filter((r) => r.table === t);
    assert.ok(seedRows.length > 0, `seed table ${t} parsed`);
    assert.is(byTable(t).length, seedRows.length, `table ${t}: one rule per seed row`);
    seedRows.forEach((s, i) => {
      const r = byTable(t)[i]!;
      assert.is(r.row, s.proto, `table ${t} row ${i} protocol column`);
      // ports: every number the seed writes is in the rule; a dash between two numbers is a range
      const nums = [...s.ports.matchAll(/\d+/g)].map((x) => Number(x[0]));
      const range = /(\d+)\s*(?:-|â€“)\s*(\d+)/.exec(s.ports);
      const want = range ? `${range[1]}-${range[2]}` : [...new Set(nums.filter((n) => n > 0))].sort((a, b) => a - b).join(', ');
      assert.is(formatPorts(r.ports), want, `table ${t} row ${s.proto} ports "${s.ports}"`);
      const seedUdp = /TCP\/UDP/.test(s.ports);
      assert.is(r.protocols.includes('udp'), seedUdp, `table ${t} ${s.proto} ${s.ports}: UDP listed iff the seed says TCP/UDP`);
    });
  }
  const ldaps = p.rules.find((r) => r.id === 'T1-LDAPS')!;
  assert.is(ldaps.level, 'conditional');
  assert.equal(ldaps.docOnly, ['udp']);
  assert.is(p.rules.find((r) => r.id === 'T6a-9350')!.level, 'optional');
  assert.is(p.rules.find((r) => r.id === 'T5-CERTAUTH')!.level, 'conditional');
  assert.ok(p.rules.find((r) => r.id === 'T6a-CONNECTOR')!.note.includes('10100'));
});

test('entra-connect-2025: TCP-only corrections, new Table 1 rows, 6a reduced, 6b on 443, 7a 5671 optional', async () => {
  const p = await builtinProfile('entra-connect-2025');
  const r = (id: string) => p.rules.find((x) => x.id === id);
  assert.equal(r('T1-EPM')!.protocols, ['tcp']);
  assert.equal(r('T1-RPC')!.protocols, ['tcp']);
  assert.equal(r('T2-HTTPS')!.protocols, ['tcp']);
  assert.equal(r('T1-DNS')!.protocols, ['tcp', 'udp']);
  assert.is(formatPorts(r('T1-SMB')!.ports), '445');
  assert.is(formatPorts(r('T1-WINRM')!.ports), '5985');
  assert.is(formatPorts(r('T1-ADWS')!.ports), '9389');
  assert.equal(r('T1-GC')!.condition, ['seamless-sso']);
  assert.is(r('T6a-8080')!.level, 'optional');
  for (const id of ['T6a-CONNECTOR', 'T6a-SERVICEBUS', 'T6a-9350', 'T6a-REGISTRATION', 'T6a-RENEWAL']) assert.is(r(id)!.level, 'legacy', id);
  assert.is(r('T6a-BOOTSTRAP'), undefined);
  assert.is(formatPorts(r('T6b-REGISTRATION')!.ports), '443');
  assert.is(r('T7a-SERVICEBUS')!.level, 'optional');
  assert.is(r('T7a-HTTPS')!.level, 'required');
});

test('unknown field: pointer, line and column, and a suggestion', async () => {
  const text = base([rule({ protocol: ['tcp'] })]);
  const e = await configError(text);
  assert.is(e.pointer, '/rules/0/protocol');
  const line = text.split('\n').findIndex((l) => l.includes('"protocol"')) + 1;
  assert.is(e.line, line);
  assert.match(e.message, /unknown field "protocol".*did you mean "protocols"/);
  assert.match(e.message, new RegExp(`^p\\.json:${line}:\\d+: /rules/0/protocol: `));
});

test('bad ports: out of range, reversed range, wrong type, empty list', async () => {
  let e = await configError(base([rule({ ports: 70000 })]));
  assert.is(e.pointer, '/rules/0/ports');
  assert.match(e.message, /70000 is out of range; expected an integer 0–65535/);
  e = await configError(base([rule({ ports: [53, '65535-49152'] })]));
  assert.is(e.pointer, '/rules/0/ports/1');
  assert.match(e.message, /reversed/);
  e = await configError(base([rule({ ports: '80-65536' })]));
  assert.match(e.message, /65536/);
  e = await configError(base([rule({ ports: true })]));
  assert.match(e.message, /found a boolean/);
  e = await configError(base([rule({ ports: [] })]));
  assert.match(e.message, /empty port list/);
});

test('port specs: ranges with any dash (the seed\'s mangled one too), lists merged and sorted', async () => {
  const p = await profileFromText(base([rule({ ports: ['10100â€“10120', 9352, 5671, '0-1', '2'] })]), 'x.json');
  assert.equal(p.rules[0]!.ports, [[0, 2], [5671, 5671], [9352, 9352], [10100, 10120]]);
  const q = await profileFromText(base([rule({ ports: '49152 - 65535' })]), 'x.json');
  assert.equal(q.rules[0]!.ports, [[49152, 65535]]);
});

test('unknown level, unknown role, unknown feature, conditional without a condition', async () => {
  let e = await configError(base([rule({ level: 'requried' })]));
  assert.is(e.pointer, '/rules/0/level');
  assert.match(e.message, /unknown level "requried" \(did you mean "required"\?\); expected one of: required, optional, conditional, legacy/);
  e = await configError(base([rule({ responder: ['b', 'c'] })]));
  assert.is(e.pointer, '/rules/0/responder/1');
  assert.match(e.message, /unknown role "c"/);
  e = await configError(base([rule({ level: 'conditional', condition: 'f2' })]));
  assert.is(e.pointer, '/rules/0/condition');
  assert.match(e.message, /unknown feature "f2"/);
  e = await configError(base([rule({ level: 'conditional' })]));
  assert.match(e.message, /needs "condition"/);
  e = await configError(base([rule({ protocols: ['tcp', 'sctp'] })]));
  assert.is(e.pointer, '/rules/0/protocols/1');
  e = await configError(base([rule({ protocols: ['tcp'], doc_only: ['tcp'] })]));
  assert.match(e.message, /every protocol of the rule is doc_only/);
});

test('satisfied_by must name another rule of the profile', async () => {
  let e = await configError(base([rule({ satisfied_by: ['R2'] })]));
  assert.is(e.pointer, '/rules/0/satisfied_by/0');
  assert.match(e.message, /satisfied_by "R2", which is not a rule of this profile/);
  e = await configError(base([rule({ satisfied_by: 'R1' })]));
  assert.match(e.message, /cannot be satisfied by itself/);
  const ok = await profileFromText(base([rule({ satisfied_by: 'R2' }), rule({ id: 'R2', ports: 636 })]), 'x.json');
  assert.equal(ok.rules[0]!.satisfiedBy, ['R2']);
  const rm = await configError(JSON.stringify({ extends: 'hybrid-identity', remove: ['T1-LDAPS'] }));
  assert.match(rm.message, /"T1-LDAP" is satisfied_by "T1-LDAPS", which is not a rule of this profile/);
  const fixed = await profileFromText(JSON.stringify({ extends: 'hybrid-identity', remove: ['T1-LDAPS'], rules: [{ id: 'T1-LDAP', satisfied_by: [] }] }), 'y.json');
  assert.is(fixed.rules.find((r) => r.id === 'T1-LDAPS'), undefined);
});

test('invalid JSON: line and column of the mistake', async () => {
  const e = await configError('{\n  "name": "x",\n  "rules": [1, 2,]\n}');
  assert.is(e.line, 3);
  assert.is(e.column, 18);
  assert.match(e.message, /invalid JSON/);
  const d = await configError('{"name": "a", "name": "b"}');
  assert.match(d.message, /duplicate key "name"/);
});

test('json-locate: values located by pointer (escaped tokens too)', () => {
  const doc = parseLocated('{\n "a/b": {\n   "c~d": [10,\n     20]\n }\n}', 'x');
  assert.equal(doc.locate('/a~1b/c~0d/1'), { line: 4, column: 6 });
  assert.equal(doc.locate('/a~1b/nothing'), { line: 2, column: 9 });
});

test('extends: override a field, add a rule, remove a rule', async () => {
  const p = await profileFromText(JSON.stringify({
    name: 'mine', extends: 'hybrid-identity',
    features: { 'my-feature': 'something' },
    remove: ['T6a-9350'],
    rules: [
      { id: 'T1-LDAPS', level: 'required' },
      { id: 'X-NTP', table: '1', row: 'NTP', initiator: 'aadconnect', responder: 'dc', protocols: 'udp', ports: 123, level: 'conditional', condition: 'my-feature' },
    ],
  }), 'mine.json');
  const base = await builtinProfile('hybrid-identity');
  assert.is(p.name, 'mine');
  assert.is(p.rules.length, base.rules.length);
  const ldaps = p.rules.find((r) => r.id === 'T1-LDAPS')!;
  assert.is(ldaps.level, 'required');
  assert.equal(ldaps.condition, []);
  assert.equal(ldaps.ports, [[636, 636]]);
  assert.is(p.rules.find((r) => r.id === 'T6a-9350'), undefined);
  assert.equal(p.rules.find((r) => r.id === 'X-NTP')!.protocols, ['udp']);
  // the built-in is untouched
  assert.is(base.rules.find((r) => r.id === 'T1-LDAPS')!.level, 'conditional');
  const e = await configError(JSON.stringify({ extends: 'hybrid-identity', remove: ['T9-NOPE'] }));
  assert.is(e.pointer, '/remove/0');
  const e2 = await configError(JSON.stringify({ extends: 'no-such-profile' }), '/tmp/x.json');
  assert.match(e2.message, /cannot extend "no-such-profile"/);
});

test('the example user profile and inventory fixtures load', async () => {
  const file = fileURLToPath(new URL('../../fixtures/profiles/seed-plus-writeback.json', import.meta.url));
  const p = await loadProfile(file);
  const base = await builtinProfile('hybrid-identity');
  assert.is(p.name, 'seed-plus-writeback');
  assert.is(p.rules.length, base.rules.length - 1 + 3);
  assert.is(p.rules.find((r) => r.id === 'T1-LDAPS')!.level, 'required');
  assert.equal(p.rules.find((r) => r.id === 'X-NTP')!.initiator, ['aadconnect', 'pta']);
  const { loadInventory } = await import('../../src/rules/inventory.js');
  const inv = await loadInventory(fileURLToPath(new URL('../../fixtures/inventories/example.json', import.meta.url)), p);
  assert.equal(inv.features, ['phs', 'seamless-sso']);
  assert.is(inv.roles.get('azuread')!.filter((e) => e.kind === 'wildcard').length, 4);
});

test('loadProfile: built-in name, missing file', async () => {
  assert.is((await loadProfile(undefined)).name, 'hybrid-identity');
  assert.is((await loadProfile('entra-connect-2025')).name, 'entra-connect-2025');
  try { await loadProfile('/nonexistent/p.json'); assert.unreachable(); } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.match((e as Error).message, /no such profile file/);
  }
});

test.run();
