/**
 * The inventory: which addresses, networks and names hold which roles, which features are on, and
 * which hosts are outbound proxies. Loaded from JSON with located errors (file, JSON pointer,
 * line/column). Format documented in /work/notes/audit.md ("Inventory format").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, UsageError } from '../core/errors.js';
import { ConfigContext, decodeConfigText, jsonType, parseLocated, ptr } from './json-locate.js';
import { parseCidr, type Prefix } from './prefix-trie.js';
import { checkKeys, type Profile } from './profile.js';
import { loadRoleSource } from './sources/index.js';

export type EntryKind = 'cidr' | 'host' | 'wildcard' | 'internet';

export interface InventoryEntry {
  kind: EntryKind;
  /** As written (or as the role source gave it). */
  text: string;
  /** JSON pointer of the entry in the inventory file. */
  pointer: string;
  /** For 'cidr'. */
  prefix?: Prefix;
  /** For 'host' (lower-case, no trailing dot) and 'wildcard' (the suffix after '*', e.g. ".servicebus.windows.net"). */
  name?: string;
}

export interface Inventory {
  file: string;
  roles: Map<string, InventoryEntry[]>;
  features: string[];
  proxy: InventoryEntry[];
  warnings: string[];
}

const TOP_KEYS = ['$schema', 'name', 'description', 'roles', 'features', 'proxy'];
const HOST_RE = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

/** Classify one address-ish string; throws a located error when it is malformed. */
export function parseEntry(cx: ConfigContext, text: string, pointer: string, allowInternet: boolean): InventoryEntry {
  const t = text.trim();
  if (t.toLowerCase() === 'internet') {
    if (!allowInternet) throw cx.error('ERR_CONFIG_ADDRESS', pointer, '"internet" is not allowed here; expected an address, CIDR or hostname');
    return { kind: 'internet', text: t, pointer };
  }
  const looksNumeric = t.includes(':') || t.includes('/') || /^[\d.]+$/.test(t);
  if (looksNumeric) {
    let c: ReturnType<typeof parseCidr>;
    try { c = parseCidr(t); } catch (e) { throw cx.error('ERR_CONFIG_CIDR', pointer, (e as Error).message); }
    if (c === null) throw cx.error('ERR_CONFIG_CIDR', pointer, `bad address or CIDR "${t}"; expected e.g. 10.0.0.5, 10.0.0.0/24, 2001:db8::/32`);
    return { kind: 'cidr', text: t, pointer, prefix: c.prefix };
  }
  if (!HOST_RE.test(t) || t.length > 253) throw cx.error('ERR_CONFIG_HOSTNAME', pointer, `bad hostname "${t}"; expected an address, a CIDR, a hostname, a wildcard like "*.servicebus.windows.net", or "internet"`);
  const lower = t.toLowerCase().replace(/\.$/, '');
  if (lower.startsWith('*.')) return { kind: 'wildcard', text: t, pointer, name: lower.slice(1) };
  return { kind: 'host', text: t, pointer, name: lower };
}

async function parseList(cx: ConfigContext, v: unknown, pointer: string, allowInternet: boolean, allowSources: boolean, warnings: string[] = []): Promise<InventoryEntry[]> {
  if (!Array.isArray(v)) throw cx.error('ERR_CONFIG_TYPE', pointer, `expected an array of addresses, CIDRs, hostnames${allowInternet ? ', "internet"' : ''}${allowSources ? ' or role-source objects' : ''}, found ${jsonType(v)}`);
  const out: InventoryEntry[] = [];
  for (let i = 0; i < v.length; i++) {
    const item = v[i];
    const p = `${pointer}/${i}`;
    if (typeof item === 'string') { out.push(parseEntry(cx, item, p, allowInternet)); continue; }
    if (allowSources && typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const src: { cidrs: string[]; hostnames: string[]; skipped?: string[] } = await loadRoleSource(item as Record<string, unknown>, path.dirname(cx.file), cx.file, p);
      if (src.skipped !== undefined && src.skipped.length > 0) {
        warnings.push(`${cx.file}: ${p}: ${src.skipped.length} entries of the role source cannot be written as inventory entries and were skipped (${src.skipped.slice(0, 3).join(', ')}${src.skipped.length > 3 ? ', …' : ''})`);
      }
      src.cidrs.forEach((c, k) => {
        let parsed: ReturnType<typeof parseCidr>;
        try { parsed = parseCidr(c); } catch (e) { throw cx.error('ERR_CONFIG_CIDR', p, `role source entry ${k} "${c}": ${(e as Error).message}`); }
        if (parsed === null) throw cx.error('ERR_CONFIG_CIDR', p, `role source entry ${k} "${c}" is not an address or CIDR`);
        out.push({ kind: 'cidr', text: c, pointer: p, prefix: parsed.prefix });
      });
      for (const h of src.hostnames) {
        const lower = h.toLowerCase().replace(/\.$/, '');
        if (lower.startsWith('*.')) out.push({ kind: 'wildcard', text: h, pointer: p, name: lower.slice(1) });
        else out.push({ kind: 'host', text: h, pointer: p, name: lower });
      }
      continue;
    }
    throw cx.error('ERR_CONFIG_TYPE', p, `expected an address, CIDR or hostname string${allowSources ? ' or a role-source object' : ''}, found ${jsonType(item)}`);
  }
  return out;
}

/** Validate an inventory document against a profile's roles and features. */
export async function parseInventory(cx: ConfigContext, profile: Profile): Promise<Inventory> {
  const doc = cx.doc.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw cx.error('ERR_CONFIG_TYPE', '', `expected an inventory object {"roles": {...}}, found ${jsonType(doc)}`);
  const o = doc as Record<string, unknown>;
  checkKeys(cx, o, '', TOP_KEYS, 'the inventory');
  if (o.roles === undefined) throw cx.error('ERR_CONFIG_MISSING_FIELD', '', 'missing field "roles"; expected {"<role>": ["<address>", ...]}');
  if (typeof o.roles !== 'object' || o.roles === null || Array.isArray(o.roles)) throw cx.error('ERR_CONFIG_TYPE', '/roles', `expected an object of role → address list, found ${jsonType(o.roles)}`);
  const known = Object.keys(profile.roles);
  const roles = new Map<string, InventoryEntry[]>();
  const warnings: string[] = [];
  for (const [role, list] of Object.entries(o.roles as Record<string, unknown>)) {
    const p = '/roles' + ptr(role);
    if (!known.includes(role)) throw cx.error('ERR_CONFIG_UNKNOWN_ROLE', p, `unknown role "${role}"; the profile "${profile.name}" has: ${known.join(', ')}`, true);
    roles.set(role, await parseList(cx, list, p, true, true, warnings));
  }
  const features: string[] = [];
  if (o.features !== undefined) {
    if (!Array.isArray(o.features)) throw cx.error('ERR_CONFIG_TYPE', '/features', `expected an array of feature names, found ${jsonType(o.features)}`);
    o.features.forEach((f, i) => {
      if (typeof f !== 'string') throw cx.error('ERR_CONFIG_TYPE', `/features/${i}`, `expected a feature name, found ${jsonType(f)}`);
      if (!(f in profile.features)) throw cx.error('ERR_CONFIG_UNKNOWN_FEATURE', `/features/${i}`, `unknown feature "${f}"; the profile "${profile.name}" knows: ${Object.keys(profile.features).join(', ')}`);
      if (!features.includes(f)) features.push(f);
    });
  }
  const proxy = o.proxy === undefined ? [] : await parseList(cx, o.proxy, '/proxy', false, false);
  return { file: cx.file, roles, features, proxy, warnings };
}

export async function inventoryFromText(text: string, file: string, profile: Profile): Promise<Inventory> {
  return parseInventory(new ConfigContext(file, parseLocated(text, file)), profile);
}

export async function loadInventory(file: string, profile: Profile): Promise<Inventory> {
  let text: string;
  try { text = decodeConfigText(await readFile(file), file); } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('ERR_CONFIG_INVENTORY', file, '', `cannot read the inventory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return inventoryFromText(text, file, profile);
}

/** Validate `--features` names against the profile. */
export function checkFeatures(names: string[], profile: Profile): void {
  for (const f of names) {
    if (!(f in profile.features)) throw new UsageError('ERR_USAGE_FEATURE', `--features: unknown feature "${f}"; the profile "${profile.name}" knows: ${Object.keys(profile.features).join(', ')}`);
  }
}
