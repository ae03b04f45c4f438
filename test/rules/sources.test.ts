/**
 * Role sources: Microsoft 365 endpoints (web-service format) and Azure service tags. The sample
 * documents in fixtures/evidence/sources are abridged copies of the documented formats; expected
 * lists are read off those files by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRoleSource } from '../../src/rules/sources/index.js';
import { ConfigError } from '../../src/core/errors.js';

const DIR = fileURLToPath(new URL('../../fixtures/evidence/sources/', import.meta.url));
const INV = path.join(DIR, 'inventory.json'); // the (virtual) inventory file the entries sit in
const P = '/roles/azuread/0';

async function rejects(p: Promise<unknown>): Promise<ConfigError> {
  try { await p; } catch (e) { if (e instanceof ConfigError) return e; throw e; }
  throw new Error('expected a ConfigError');
}

test('m365-endpoints: serviceArea Common gives its ips and urls; URL patterns it cannot express are reported', async () => {
  const r = await loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: 'Common' }, DIR, INV, P);
  assert.equal(r.cidrs, ['20.20.32.0/19', '20.190.128.0/18', '20.231.128.0/19', '40.126.0.0/18', '2603:1006:2000::/48', '2603:1007:200::/48']);
  assert.ok(r.hostnames.includes('*.msftidentity.com'));
  assert.ok(r.hostnames.includes('login.microsoftonline.com'));
  assert.ok(r.hostnames.includes('*.officeapps.live.com'));
  assert.not.ok(r.hostnames.includes('outlook.office.com'));
  assert.is(r.hostnames.length, 10 + 10 + 1);
  assert.equal(r.skipped, ['autodiscover.*.onmicrosoft.com']);
});

test('m365-endpoints: ids, category and required filters; list of service areas', async () => {
  const byId = await loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: 'Common', ids: [56] }, DIR, INV, P);
  assert.is(byId.hostnames.length, 10);
  const cat = await loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: ['common', 'Exchange'], category: ['Optimize'] }, DIR, INV, P);
  assert.equal(cat.cidrs, ['13.107.6.152/31', '13.107.18.10/31', '40.96.0.0/13', '2603:1006::/40']);
  const req = await loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: 'Common', required: false }, DIR, INV, P);
  assert.equal(req.cidrs, []);
  assert.equal(req.hostnames, ['*.officeapps.live.com']);
  const sp = await loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: 'SharePoint' }, DIR, INV, P);
  assert.equal(sp.skipped, ['<tenant>.sharepoint.com', '<tenant>-my.sharepoint.com']);
});

test('service-tag: addressPrefixes of the named value(s)', async () => {
  const r = await loadRoleSource({ 'service-tag': 'ServiceTags_Public.json', name: 'AzureActiveDirectory' }, DIR, INV, P);
  assert.equal(r.cidrs, ['4.150.240.0/22', '20.20.32.0/19', '20.190.128.0/18', '40.126.0.0/18', '2603:1006:2000::/48', '2603:1007:200::/48']);
  assert.equal(r.hostnames, []);
  const two = await loadRoleSource({ 'service-tag': 'ServiceTags_Public.json', name: ['AzureActiveDirectory', 'AzureActiveDirectoryDomainServices'] }, DIR, INV, P);
  assert.is(two.cidrs.length, 8);
});

test('errors are ConfigErrors with the inventory file and the entry pointer (or the source file and item pointer)', async () => {
  let e = await rejects(loadRoleSource({ 'service-tag': 'ServiceTags_Public.json', name: 'azureactivedirectory' }, DIR, INV, P));
  assert.is(e.file, INV);
  assert.is(e.pointer, `${P}/name`);
  assert.match(e.message, /did you mean "AzureActiveDirectory"/);
  e = await rejects(loadRoleSource({ 'm365-endpoints': 'nope.json', serviceArea: 'Common' }, DIR, INV, P));
  assert.is(e.pointer, `${P}/m365-endpoints`);
  assert.is(e.code, 'ERR_CONFIG_SOURCE_READ');
  e = await rejects(loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceAreaa: 'Common' }, DIR, INV, P));
  assert.is(e.pointer, `${P}/serviceAreaa`);
  e = await rejects(loadRoleSource({ 'm365-endpoints': 'm365-worldwide.json', serviceArea: 'Teams' }, DIR, INV, P));
  assert.is(e.pointer, `${P}/serviceArea`);
  assert.match(e.message, /Exchange, SharePoint, Common/);
  e = await rejects(loadRoleSource({ 'service-tag': 'ServiceTags_Public.json' }, DIR, INV, P));
  assert.is(e.code, 'ERR_CONFIG_MISSING_FIELD');
  e = await rejects(loadRoleSource({ 'dns-zone': 'x' }, DIR, INV, P));
  assert.is(e.code, 'ERR_CONFIG_ROLE_SOURCE');
  // bad source documents: located in the source file
  const tmp = mkdtempSync(path.join(tmpdir(), 'fa-src-'));
  writeFileSync(path.join(tmp, 'bad.json'), '{"values":[{"name":"A","properties":{"addressPrefixes":["1.2.3.0/24"]}},{"name":"B","properties":{"addressPrefixes":[1]}}]}');
  e = await rejects(loadRoleSource({ 'service-tag': 'bad.json', name: 'B' }, tmp, INV, P));
  assert.is(e.file, path.join(tmp, 'bad.json'));
  assert.is(e.pointer, '/values/1/properties/addressPrefixes/0');
  writeFileSync(path.join(tmp, 'cut.json'), '[{"id":1,"serviceArea":"Common","ips":["1.2.3.0/24"]},{"id":2,"serv');
  e = await rejects(loadRoleSource({ 'm365-endpoints': 'cut.json', serviceArea: 'Common' }, tmp, INV, P));
  assert.is(e.code, 'ERR_CONFIG_SOURCE_JSON');
  assert.is(e.file, path.join(tmp, 'cut.json'));
  writeFileSync(path.join(tmp, 'obj.json'), '{"values": []}');
  e = await rejects(loadRoleSource({ 'm365-endpoints': 'obj.json', serviceArea: 'Common' }, tmp, INV, P));
  assert.is(e.code, 'ERR_CONFIG_SOURCE_FORMAT');
});

test('a multi-MB service tags file streams (one value at a time) and finds a value near the end', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'fa-src-'));
  const values: unknown[] = [];
  for (let i = 0; i < 3000; i++) {
    const prefixes: string[] = [];
    for (let k = 0; k < 60; k++) prefixes.push(`10.${i % 250}.${k}.0/24`);
    values.push({ name: `Tag${i}`, id: `Tag${i}`, properties: { changeNumber: 1, region: '', addressPrefixes: prefixes, networkFeatures: ['NSG'] } });
  }
  values.push({ name: 'AzureActiveDirectory', id: 'AzureActiveDirectory', properties: { addressPrefixes: ['20.190.128.0/18'] } });
  const f = path.join(tmp, 'ServiceTags_Public.json');
  writeFileSync(f, JSON.stringify({ changeNumber: 1, cloud: 'Public', values }, null, 2));
  const r = await loadRoleSource({ 'service-tag': 'ServiceTags_Public.json', name: 'AzureActiveDirectory' }, tmp, INV, P);
  assert.equal(r.cidrs, ['20.190.128.0/18']);
});

test('through the inventory loader: role-source entries expand into the role (paths relative to the inventory)', async () => {
  const { builtinProfile } = await import('../../src/rules/profile.js');
  const { loadInventory } = await import('../../src/rules/inventory.js');
  const tmp = mkdtempSync(path.join(tmpdir(), 'fa-src-inv-'));
  const inv = path.join(tmp, 'inventory.json');
  writeFileSync(inv, JSON.stringify({ roles: {
    dc: ['10.20.0.10'],
    azuread: [
      { 'service-tag': path.relative(tmp, path.join(DIR, 'ServiceTags_Public.json')), name: 'AzureActiveDirectory' },
      { 'm365-endpoints': path.relative(tmp, path.join(DIR, 'm365-worldwide.json')), serviceArea: 'Common', ids: [56] },
    ],
  } }));
  const r = await loadInventory(inv, await builtinProfile('hybrid-identity'));
  const entries = r.roles.get('azuread')!;
  const texts = entries.map((e) => e.text);
  assert.ok(texts.includes('4.150.240.0/22'));          // only in the service tag
  assert.ok(texts.includes('20.231.128.0/19'));         // only in endpoint set 56
  assert.ok(texts.includes('*.msftidentity.com'));
  assert.is(entries.find((e) => e.text === '*.msftidentity.com')!.kind, 'wildcard');
  assert.is(entries.find((e) => e.text === '4.150.240.0/22')!.pointer, '/roles/azuread/0');
  // a bad entry is located in the inventory
  writeFileSync(inv, JSON.stringify({ roles: { azuread: ['login.microsoftonline.com', { 'service-tag': 'missing.json', name: 'X' }] } }));
  const e = await rejects(loadInventory(inv, await builtinProfile('hybrid-identity')));
  assert.is(e.file, inv);
  assert.is(e.pointer, '/roles/azuread/1/service-tag');
});

test.run();
