/**
 * Role sources referenced from an inventory: instead of listing a role's addresses by hand, an
 * entry of a role's list may name a published document.
 *
 * - `{"m365-endpoints": "endpoints.json", "serviceArea": "Common", "ids": [56, 59], "category": "Allow", "required": true}`
 *   Microsoft 365 "worldwide endpoints" web-service format (https://endpoints.office.com/endpoints/worldwide):
 *   a JSON array of `{id, serviceArea, urls?, ips?, tcpPorts?, udpPorts?, category, required, …}`.
 *   Items are filtered by serviceArea (string or list; case-insensitive), and optionally ids,
 *   category and required; `ips` give CIDRs, `urls` give hostnames (`*.example.com` wildcards kept).
 *   URL patterns the inventory cannot express (`*-admin.sharepoint.com`, `autodiscover.*.onmicrosoft.com`)
 *   are returned in `skipped`.
 * - `{"service-tag": "ServiceTags_Public.json", "name": "AzureActiveDirectory"}` (name: string or list)
 *   Azure service tags download format: `{values: [{name, id, properties: {addressPrefixes: […]}}]}`;
 *   the named values' addressPrefixes give CIDRs.
 *
 * Paths are relative to the inventory file's folder. The documents are streamed (service-tag
 * files are 4 MB and more): one array item is held at a time. Errors are ConfigErrors naming the
 * inventory file and the entry's JSON pointer (bad entry) or the source file and the item's
 * pointer (bad document).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { forEachArrayItem } from './json-items.js';

export interface RoleSourceResult {
  cidrs: string[];
  hostnames: string[];
  /** Source entries that were read but cannot be expressed as an inventory entry (URL patterns). */
  skipped: string[];
}

const M365_KEYS = ['m365-endpoints', 'serviceArea', 'ids', 'category', 'required'];
const TAG_KEYS = ['service-tag', 'name'];
const HOSTNAME_RE = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

export async function loadRoleSource(entry: Record<string, unknown>, baseDir: string, file: string, pointer: string): Promise<RoleSourceResult> {
  const err = (code: string, sub: string, msg: string): ConfigError => new ConfigError(code, file, pointer + sub, msg);
  if ('m365-endpoints' in entry) return loadM365(entry, baseDir, err);
  if ('service-tag' in entry) return loadServiceTag(entry, baseDir, err);
  throw err('ERR_CONFIG_ROLE_SOURCE', '', `unknown role source with keys ${JSON.stringify(Object.keys(entry))}; expected {"m365-endpoints": FILE, "serviceArea": ...} or {"service-tag": FILE, "name": ...}`);
}

type Err = (code: string, sub: string, msg: string) => ConfigError;

function checkKeys(entry: Record<string, unknown>, allowed: string[], err: Err): void {
  for (const k of Object.keys(entry)) {
    if (!allowed.includes(k)) throw err('ERR_CONFIG_UNKNOWN_FIELD', `/${esc(k)}`, `unknown field "${k}" in a ${allowed[0]} role source; allowed: ${allowed.join(', ')}`);
  }
}

function esc(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A string or a non-empty list of strings (optional). */
function stringList(entry: Record<string, unknown>, key: string, err: Err): string[] | null {
  const v = entry[key];
  if (v === undefined) return null;
  if (typeof v === 'string' && v !== '') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return v as string[];
  throw err('ERR_CONFIG_TYPE', `/${esc(key)}`, `"${key}" must be a non-empty string or a non-empty list of strings`);
}

async function sourcePath(entry: Record<string, unknown>, key: string, baseDir: string, err: Err): Promise<string> {
  const rel = entry[key];
  if (typeof rel !== 'string' || rel === '') throw err('ERR_CONFIG_TYPE', `/${esc(key)}`, `"${key}" must be a file path (relative to the inventory's folder)`);
  const abs = path.resolve(baseDir, rel);
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw err('ERR_CONFIG_SOURCE_READ', `/${esc(key)}`, `cannot read ${abs}: ${(e as Error).message}`);
  }
  return abs;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
}

function pushUnique(list: string[], seen: Set<string>, v: string): void {
  if (!seen.has(v)) { seen.add(v); list.push(v); }
}

async function loadM365(entry: Record<string, unknown>, baseDir: string, err: Err): Promise<RoleSourceResult> {
  checkKeys(entry, M365_KEYS, err);
  const areas = stringList(entry, 'serviceArea', err)?.map((s) => s.toLowerCase()) ?? null;
  const categories = stringList(entry, 'category', err)?.map((s) => s.toLowerCase()) ?? null;
  let ids: number[] | null = null;
  if (entry['ids'] !== undefined) {
    const v = entry['ids'];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x))) throw err('ERR_CONFIG_TYPE', '/ids', '"ids" must be a non-empty list of endpoint set ids (integers)');
    ids = v as number[];
  }
  const required = entry['required'];
  if (required !== undefined && typeof required !== 'boolean') throw err('ERR_CONFIG_TYPE', '/required', '"required" must be true or false');
  const abs = await sourcePath(entry, 'm365-endpoints', baseDir, err);
  const out: RoleSourceResult = { cidrs: [], hostnames: [], skipped: [] };
  const seenC = new Set<string>(), seenH = new Set<string>(), seenS = new Set<string>();
  const seenAreas = new Set<string>();
  const seenIds = new Set<number>();
  let matched = 0;
  await forEachArrayItem(abs, null, 'a Microsoft 365 endpoints list', (v, i) => {
    const o = obj(v);
    if (o === null || typeof o['serviceArea'] !== 'string') {
      throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/${i}`, 'expected an endpoint set object with "serviceArea" (Microsoft 365 endpoints web-service format)');
    }
    const area = o['serviceArea'];
    seenAreas.add(area);
    if (typeof o['id'] === 'number') seenIds.add(o['id']);
    if (areas !== null && !areas.includes(area.toLowerCase())) return;
    if (ids !== null && !(typeof o['id'] === 'number' && ids.includes(o['id']))) return;
    if (categories !== null && !(typeof o['category'] === 'string' && categories.includes(o['category'].toLowerCase()))) return;
    if (required !== undefined && o['required'] !== required) return;
    matched++;
    const ips = o['ips'], urls = o['urls'];
    if (ips !== undefined) {
      if (!Array.isArray(ips)) throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/${i}/ips`, '"ips" must be an array of CIDRs');
      ips.forEach((c, k) => {
        if (typeof c !== 'string') throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/${i}/ips/${k}`, 'expected a CIDR string');
        pushUnique(out.cidrs, seenC, c);
      });
    }
    if (urls !== undefined) {
      if (!Array.isArray(urls)) throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/${i}/urls`, '"urls" must be an array of hostnames');
      urls.forEach((u, k) => {
        if (typeof u !== 'string') throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/${i}/urls/${k}`, 'expected a hostname string');
        if (HOSTNAME_RE.test(u)) pushUnique(out.hostnames, seenH, u.toLowerCase());
        else pushUnique(out.skipped, seenS, u);
      });
    }
  });
  if (areas !== null) {
    const known = [...seenAreas].map((a) => a.toLowerCase());
    const missing = areas.filter((a) => !known.includes(a));
    if (missing.length > 0) throw err('ERR_CONFIG_SOURCE_NO_MATCH', '/serviceArea', `service area ${missing.map((m) => `"${m}"`).join(', ')} not found in ${abs}; it has: ${[...seenAreas].join(', ')}`);
  }
  if (ids !== null) {
    const missing = ids.filter((x) => !seenIds.has(x));
    if (missing.length > 0) throw err('ERR_CONFIG_SOURCE_NO_MATCH', '/ids', `endpoint set id(s) ${missing.join(', ')} not found in ${abs}`);
  }
  if (matched === 0) throw err('ERR_CONFIG_SOURCE_NO_MATCH', '', `no endpoint set in ${abs} matches this entry's filters`);
  return out;
}

async function loadServiceTag(entry: Record<string, unknown>, baseDir: string, err: Err): Promise<RoleSourceResult> {
  checkKeys(entry, TAG_KEYS, err);
  const names = stringList(entry, 'name', err);
  if (names === null) throw err('ERR_CONFIG_MISSING_FIELD', '', 'missing field "name": the service tag value(s) to use, e.g. "AzureActiveDirectory"');
  const abs = await sourcePath(entry, 'service-tag', baseDir, err);
  const out: RoleSourceResult = { cidrs: [], hostnames: [], skipped: [] };
  const seenC = new Set<string>();
  const found = new Set<string>();
  const allNames: string[] = [];
  await forEachArrayItem(abs, 'values', 'an Azure service tags document ({"values": [...]})', (v, i) => {
    const o = obj(v);
    if (o === null || typeof o['name'] !== 'string') throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/values/${i}`, 'expected a service tag value {"name", "properties": {"addressPrefixes": [...]}}');
    const name = o['name'];
    allNames.push(name);
    if (!names.includes(name)) return;
    found.add(name);
    const props = obj(o['properties']);
    const prefixes = props?.['addressPrefixes'];
    if (!Array.isArray(prefixes)) throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/values/${i}/properties/addressPrefixes`, 'expected an array of CIDRs');
    prefixes.forEach((c, k) => {
      if (typeof c !== 'string') throw new ConfigError('ERR_CONFIG_SOURCE_FORMAT', abs, `/values/${i}/properties/addressPrefixes/${k}`, 'expected a CIDR string');
      pushUnique(out.cidrs, seenC, c);
    });
  });
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0) {
    const hints = missing.map((m) => {
      const ci = allNames.find((n) => n.toLowerCase() === m.toLowerCase());
      return ci !== undefined ? `"${m}" (did you mean "${ci}"?)` : `"${m}"`;
    });
    throw err('ERR_CONFIG_SOURCE_NO_MATCH', '/name', `service tag ${hints.join(', ')} not found in ${abs} (${allNames.length} values)`);
  }
  return out;
}
