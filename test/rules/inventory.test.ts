import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError } from '../../src/core/errors.js';
import { builtinProfile } from '../../src/rules/profile.js';
import { checkFeatures, inventoryFromText, loadInventory } from '../../src/rules/inventory.js';
import { compilePolicy } from '../../src/rules/policy.js';
import { policyFor } from '../audit/helpers.js';

async function invError(text: string): Promise<ConfigError> {
  const p = await builtinProfile('hybrid-identity');
  try { await inventoryFromText(text, 'inv.json', p); } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

test('roles by address, CIDR and IPv6; several roles on one host', async () => {
  const pol = await policyFor({ roles: { aadconnect: ['10.0.0.20', '2001:db8:10::20'], pta: ['10.0.0.20'], dc: ['10.0.0.0/28', '2001:db8:10::/64'] } });
  assert.equal(pol.roleList(pol.rolesOf('10.0.0.20')), ['aadconnect', 'pta']);
  assert.equal(pol.roleList(pol.rolesOf('10.0.0.5')), ['dc']);
  assert.equal(pol.roleList(pol.rolesOf('10.0.0.16')), []);
  assert.equal(pol.roleList(pol.rolesOf('2001:db8:10::20')), ['aadconnect']);
  assert.equal(pol.roleList(pol.rolesOf('2001:db8:10::99')), ['dc']);
  assert.equal(pol.roleList(pol.rolesOf('2001:db8:11::1')), []);
});

test('hostnames and wildcards bind through DNS answers and TLS SNI seen in the capture', async () => {
  const pol = await policyFor({ roles: { aadconnect: ['10.0.0.20'], azuread: ['login.microsoftonline.com', '*.servicebus.windows.net'] } });
  assert.is(pol.rolesOf('40.126.1.1'), 0);
  pol.addName({ name: 'login.microsoftonline.com', address: '40.126.1.1', via: 'dns' });
  pol.addName({ name: 'pilot-sb.ServiceBus.windows.net.', address: '2603:1000::5', via: 'sni' });
  pol.addName({ name: 'servicebus.windows.net', address: '40.126.9.9', via: 'dns' });
  pol.addName({ name: 'evil-login.microsoftonline.com', address: '40.126.7.7', via: 'dns' });
  assert.equal(pol.roleList(pol.rolesOf('40.126.1.1')), ['azuread']);
  assert.equal(pol.roleList(pol.rolesOf('2603:1000::5')), ['azuread'], 'wildcard via SNI, case and trailing dot ignored');
  assert.is(pol.rolesOf('40.126.9.9'), 0, '*.x does not match the apex x');
  assert.is(pol.rolesOf('40.126.7.7'), 0, 'exact names are exact');
  assert.equal(pol.namesOf('40.126.1.1'), ['login.microsoftonline.com (dns)']);
});

test('a bound address is the most specific entry: inside a CIDR it holds the name\'s roles; with an exact entry, both', async () => {
  const pol = await policyFor({ roles: { users: ['10.20.0.0/16'], dc: ['10.10.0.10'], azuread: ['login.microsoftonline.com'] } });
  pol.addName({ name: 'login.microsoftonline.com', address: '10.20.1.5', via: 'dns' });
  pol.addName({ name: 'login.microsoftonline.com', address: '10.10.0.10', via: 'dns' });
  assert.equal(pol.roleList(pol.rolesOf('10.20.1.5')), ['azuread']);
  assert.equal(pol.roleList(pol.rolesOf('10.20.1.6')), ['users'], 'the rest of the CIDR keeps its role');
  assert.equal(pol.roleList(pol.rolesOf('10.10.0.10')), ['dc', 'azuread']);
});

test('"internet" means any public address not in a more specific prefix', async () => {
  const pol = await policyFor({ roles: { users: ['internet'], azuread: ['203.0.113.0/24'], dc: ['10.0.0.10'] } });
  assert.equal(pol.roleList(pol.rolesOf('198.51.100.60')), ['users']);
  assert.equal(pol.roleList(pol.rolesOf('2a00:1450::1')), ['users']);
  assert.equal(pol.roleList(pol.rolesOf('203.0.113.9')), ['azuread']);
  for (const a of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', 'fd00::1', 'fe80::1', '::1', '224.0.0.251', '255.255.255.255']) {
    assert.is(pol.rolesOf(a), 0, a);
  }
});

test('proxy by address and by name', async () => {
  const pol = await policyFor({ roles: { aadconnect: ['10.0.0.20'] }, proxy: ['10.0.0.99', 'proxy.corp.example.com'] });
  assert.ok(pol.isProxy('10.0.0.99'));
  assert.not.ok(pol.isProxy('10.0.0.98'));
  pol.addName({ name: 'proxy.corp.example.com', address: '10.0.0.98', via: 'dns' });
  assert.ok(pol.isProxy('10.0.0.98'));
});

test('overlapping role prefixes are allowed but warned about, with both pointers', async () => {
  const pol = await policyFor({ roles: { users: ['10.0.0.0/8'], dc: ['10.0.0.10'], aadconnect: ['10.0.0.20'], pta: ['10.0.0.20'] } });
  assert.is(pol.warnings.length, 2);
  assert.match(pol.warnings[0]!, /\/roles\/dc\/0: 10\.0\.0\.10 \(dc\) lies inside 10\.0\.0\.0\/8 \(users, \/roles\/users\/0\)/);
  assert.equal(pol.roleList(pol.rolesOf('10.0.0.10')), ['dc']);
  const none = await policyFor({ roles: { dc: ['10.0.0.0/24', '10.0.0.10'] } });
  assert.is(none.warnings.length, 0, 'nesting inside the same role is no overlap');
});

test('validation errors: unknown role, bad CIDR, bad hostname, unknown field, unknown feature, JSON syntax', async () => {
  let e = await invError('{"roles": {"sync": ["10.0.0.1"]}}');
  assert.is(e.pointer, '/roles/sync');
  assert.match(e.message, /unknown role "sync"; the profile "hybrid-identity" has: aadconnect, dc/);
  e = await invError('{\n  "roles": {\n    "dc": ["10.0.0.1", "10.0.0.300"]\n  }\n}');
  assert.is(e.pointer, '/roles/dc/1');
  assert.is(e.line, 3);
  assert.is(e.column, 24);
  assert.match(e.message, /bad address or CIDR "10\.0\.0\.300"/);
  e = await invError('{"roles": {"dc": ["10.0.0.0/40"]}}');
  assert.match(e.message, /expected 0–32/);
  e = await invError('{"roles": {"dc": ["10.0.0.5/24"]}}');
  assert.match(e.message, /host bits/);
  e = await invError('{"roles": {"dc": ["dc 1.corp"]}}');
  assert.match(e.message, /bad hostname/);
  e = await invError('{"roles": {"dc": [42]}}');
  assert.match(e.message, /found a number/);
  e = await invError('{"roles": {}, "featurs": []}');
  assert.is(e.pointer, '/featurs');
  assert.match(e.message, /did you mean "features"/);
  e = await invError('{"roles": {}, "features": ["ldap"]}');
  assert.is(e.pointer, '/features/0');
  assert.match(e.message, /unknown feature "ldap"/);
  e = await invError('{"roles": {"dc": ["10.0.0.1"],}}');
  assert.match(e.message, /^inv\.json:1:31: \/: invalid JSON/);
  e = await invError('{"roles": {"dc": ["internet"]}, "proxy": ["internet"]}');
  assert.is(e.pointer, '/proxy/0');
  e = await invError('{"roles": {"azuread": [{"service-tag": "x.json"}]}}');
  assert.is(e.pointer, '/roles/azuread/0', 'role-source objects go to src/rules/sources with their pointer');
  const p = await builtinProfile('hybrid-identity');
  assert.throws(() => checkFeatures(['ldaps', 'nope'], p), /--features: unknown feature "nope"/);
});

test('UTF-16 inventories (PowerShell) are read; UTF-16 without a BOM is refused clearly', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/fa-inv-`);
  const p = await builtinProfile('hybrid-identity');
  const text = '{"roles": {"dc": ["192.168.0.0/16"]}}';
  try {
    writeFileSync(`${dir}/le.json`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const le = await loadInventory(`${dir}/le.json`, p);
    assert.is(le.roles.get('dc')![0]!.text, '192.168.0.0/16');
    const be = Buffer.from(text, 'utf16le'); be.swap16();
    writeFileSync(`${dir}/be.json`, Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    assert.is((await loadInventory(`${dir}/be.json`, p)).roles.get('dc')!.length, 1);
    writeFileSync(`${dir}/nobom.json`, Buffer.from(text, 'utf16le'));
    try { await loadInventory(`${dir}/nobom.json`, p); assert.unreachable(); } catch (e) {
      assert.match((e as Error).message, /UTF-16 without a byte-order mark.*save it as UTF-8/);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('features from the inventory and from --features combine', async () => {
  const p = await builtinProfile('hybrid-identity');
  const inv = await inventoryFromText('{"roles": {}, "features": ["ldaps"]}', 'inv.json', p);
  const pol = compilePolicy(p, inv, ['phs']);
  assert.equal([...pol.features].sort(), ['ldaps', 'phs']);
});

test.run();
