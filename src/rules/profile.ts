/**
 * The rule-profile model: which role may open which port toward which other role, at which level,
 * and how honest an absence can be (cadence, cache dependence). Profiles are JSON data
 * (src/rules/profiles/*.json, or a user file); this module validates them with located errors and
 * resolves `extends`. The JSON format is documented in /work/notes/audit.md ("Rule-profile format").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { ConfigContext, decodeConfigText, jsonType, parseLocated, ptr } from './json-locate.js';
import hybridIdentity from './profiles/hybrid-identity.json' with { type: 'json' };
import entraConnect2025 from './profiles/entra-connect-2025.json' with { type: 'json' };

export const LEVELS = ['required', 'optional', 'conditional', 'legacy'] as const;
export type Level = (typeof LEVELS)[number];
export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Proto = (typeof PROTOCOLS)[number];
export const PROTO_NUMBER: Record<Proto, number> = { tcp: 6, udp: 17 };

export interface RoleDef { description: string; cloud: boolean }

export interface Rule {
  id: string;
  /** Reference table ("1", "6a", ...). */
  table: string;
  /** The row as the reference names it (its Protocol column, e.g. "LDAP/SSL"). */
  row: string;
  initiator: string[];
  responder: string[];
  protocols: Proto[];
  /** Inclusive [lo, hi] port ranges, sorted. */
  ports: Array<[number, number]>;
  level: Level;
  /** Features of which any one makes a conditional rule apply ([] otherwise). */
  condition: string[];
  /** Minutes of capture needed before absence may be called missing; 0 = continuous; null = none given. */
  cadenceMinutes: number | null;
  /** Only happens on events (wizard runs, sign-ins): absence is never proof. */
  eventDriven: boolean;
  /** Answers are cached (DNS, Kerberos tickets, CRLs): absence in a window is not proof. */
  cacheDependent: boolean;
  /** Transports the reference lists but the wire never uses (allowed, reported as doc-only). */
  docOnly: Proto[];
  /** Dynamic RPC: link flows to a preceding endpoint-mapper (135) exchange between the same hosts. */
  rpcDynamic: boolean;
  /** Rule ids whose successful traffic makes this row's absence expected (LDAPS replaces LDAP imports). */
  satisfiedBy: string[];
  description: string;
  note: string;
}

export interface Profile {
  name: string;
  title: string;
  source: string;
  /** Where the profile came from: `builtin:<name>` or a file path. */
  origin: string;
  roles: Record<string, RoleDef>;
  features: Record<string, string>;
  tables: Record<string, string>;
  rules: Rule[];
}

const BUILTIN_RAW: Record<string, unknown> = {
  'hybrid-identity': hybridIdentity,
  'entra-connect-2025': entraConnect2025,
};
export const BUILTIN_PROFILES = Object.keys(BUILTIN_RAW);
export const DEFAULT_PROFILE = 'hybrid-identity';

const TOP_KEYS = ['$schema', 'name', 'title', 'source', 'extends', 'roles', 'features', 'tables', 'rules', 'remove'];
const RULE_KEYS = [
  'id', 'table', 'row', 'initiator', 'responder', 'protocols', 'ports', 'level', 'condition',
  'cadence_minutes', 'event_driven', 'cache_dependent', 'doc_only', 'rpc_dynamic', 'satisfied_by', 'description', 'note',
];

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function nearest(word: string, options: readonly string[]): string {
  let best = '', bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) { bestD = d; best = o; }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function checkKeys(cx: ConfigContext, obj: Raw, pointer: string, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw cx.error('ERR_CONFIG_UNKNOWN_FIELD', pointer + ptr(k), `unknown field "${k}" in ${what}${nearest(k, allowed)}; expected one of: ${allowed.join(', ')}`, true);
    }
  }
}

/**
 * Parse a port specification: a number, "a-b" (also "a–b" with any dash, and the seed's mangled
 * "10100â€“10120"), or an array of those. Returns sorted, merged inclusive ranges.
 */
export function parsePortSpec(cx: ConfigContext, spec: unknown, pointer: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const one = (v: unknown, p: string): void => {
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw cx.error('ERR_CONFIG_PORT', p, `port ${v} is out of range; expected an integer 0–65535`);
      out.push([v, v]);
      return;
    }
    if (typeof v === 'string') {
      const m = /^\s*(\d{1,5})\s*(?:(?:-|–|—|â€“|â€”)\s*(\d{1,5}))?\s*$/.exec(v);
      if (m === null) throw cx.error('ERR_CONFIG_PORT', p, `bad port "${v}"; expected a port number or a range like "49152-65535"`);
      const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
      for (const x of [lo, hi]) if (x > 65535) throw cx.error('ERR_CONFIG_PORT', p, `port ${x} in "${v}" is out of range; expected 0–65535`);
      if (hi < lo) throw cx.error('ERR_CONFIG_PORT', p, `port range "${v}" is reversed; expected low-high (${hi}-${lo})`);
      out.push([lo, hi]);
      return;
    }
    throw cx.error('ERR_CONFIG_PORT', p, `expected a port number or a range string, found ${jsonType(v)}`);
  };
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw cx.error('ERR_CONFIG_PORT', pointer, 'empty port list; expected at least one port');
    spec.forEach((v, i) => one(v, `${pointer}/${i}`));
  } else one(spec, pointer);
  out.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export function formatPorts(ranges: Array<[number, number]>): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(', ');
}

function str(cx: ConfigContext, o: Raw, key: string, pointer: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) throw cx.error('ERR_CONFIG_MISSING_FIELD', pointer, `missing field "${key}"; expected a string`);
    return undefined;
  }
  if (typeof v !== 'string') throw cx.error('ERR_CONFIG_TYPE', pointer + ptr(key), `expected a string, found ${jsonType(v)}`);
  if (required && v.trim() === '') throw cx.error('ERR_CONFIG_TYPE', pointer + ptr(key), 'expected a non-empty string, found an empty one');
  return v;
}
function bool(cx: ConfigContext, o: Raw, key: string, pointer: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw cx.error('ERR_CONFIG_TYPE', pointer + ptr(key), `expected true or false, found ${jsonType(v)}`);
  return v;
}
function strList(cx: ConfigContext, v: unknown, pointer: string, what: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0) throw cx.error('ERR_CONFIG_TYPE', pointer, `expected ${what} (a string or a non-empty array of strings), found ${jsonType(v)}`);
  return list.map((x, i) => {
    if (typeof x !== 'string' || x === '') throw cx.error('ERR_CONFIG_TYPE', `${pointer}/${i}`, `expected a string, found ${jsonType(x)}`);
    return x;
  });
}
function protoList(cx: ConfigContext, v: unknown, pointer: string): Proto[] {
  const raw = typeof v === 'string' ? v.toLowerCase().split('/') : v;
  const list = strList(cx, raw, pointer, 'protocols');
  const out: Proto[] = [];
  list.forEach((p, i) => {
    const q = p.toLowerCase();
    if (q !== 'tcp' && q !== 'udp') throw cx.error('ERR_CONFIG_PROTOCOL', typeof v === 'string' ? pointer : `${pointer}/${i}`, `unknown protocol "${p}"; expected "tcp" or "udp"`);
    if (!out.includes(q)) out.push(q);
  });
  return out.sort();
}

/** Validate one rule object (complete, or a partial override when `base` is given). */
function parseRule(cx: ConfigContext, o: unknown, pointer: string, profile: { roles: Record<string, RoleDef>; features: Record<string, string> }, base?: Rule): Rule {
  if (!isObj(o)) throw cx.error('ERR_CONFIG_TYPE', pointer, `expected a rule object, found ${jsonType(o)}`);
  checkKeys(cx, o, pointer, RULE_KEYS, 'a rule');
  const need = base === undefined;
  const id = str(cx, o, 'id', pointer, true)!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw cx.error('ERR_CONFIG_RULE_ID', pointer + '/id', `bad rule id "${id}"; expected letters, digits, '.', '_' or '-'`);
  const roleList = (key: string): string[] | undefined => {
    if (o[key] === undefined) {
      if (need) throw cx.error('ERR_CONFIG_MISSING_FIELD', pointer, `missing field "${key}"; expected a role name or a list of role names`);
      return undefined;
    }
    const list = strList(cx, o[key], pointer + '/' + key, 'role names');
    list.forEach((r, i) => {
      if (!(r in profile.roles)) {
        const p = typeof o[key] === 'string' ? `${pointer}/${key}` : `${pointer}/${key}/${i}`;
        throw cx.error('ERR_CONFIG_UNKNOWN_ROLE', p, `unknown role "${r}"${nearest(r, Object.keys(profile.roles))}; expected one of: ${Object.keys(profile.roles).join(', ')}`);
      }
    });
    return list;
  };
  const initiator = roleList('initiator') ?? base!.initiator;
  const responder = roleList('responder') ?? base!.responder;
  if (need && o.protocols === undefined) throw cx.error('ERR_CONFIG_MISSING_FIELD', pointer, 'missing field "protocols"; expected ["tcp"], ["udp"] or ["tcp", "udp"]');
  const protocols = o.protocols !== undefined ? protoList(cx, o.protocols, pointer + '/protocols') : base!.protocols;
  if (need && o.ports === undefined) throw cx.error('ERR_CONFIG_MISSING_FIELD', pointer, 'missing field "ports"; expected a port, a range "lo-hi" or a list');
  const ports = o.ports !== undefined ? parsePortSpec(cx, o.ports, pointer + '/ports') : base!.ports;
  let level: Level;
  if (o.level !== undefined) {
    const lv = o.level;
    if (typeof lv !== 'string' || !(LEVELS as readonly string[]).includes(lv)) {
      throw cx.error('ERR_CONFIG_LEVEL', pointer + '/level', `unknown level ${JSON.stringify(lv)}${typeof lv === 'string' ? nearest(lv, LEVELS) : ''}; expected one of: ${LEVELS.join(', ')}`);
    }
    level = lv as Level;
  } else if (need) throw cx.error('ERR_CONFIG_MISSING_FIELD', pointer, `missing field "level"; expected one of: ${LEVELS.join(', ')}`);
  else level = base!.level;
  let condition = base?.condition ?? [];
  if (o.condition !== undefined) {
    condition = strList(cx, o.condition, pointer + '/condition', 'feature names');
    condition.forEach((f, i) => {
      if (!(f in profile.features)) {
        const p = typeof o.condition === 'string' ? `${pointer}/condition` : `${pointer}/condition/${i}`;
        throw cx.error('ERR_CONFIG_UNKNOWN_FEATURE', p, `unknown feature "${f}"${nearest(f, Object.keys(profile.features))}; declare it under "features" or use one of: ${Object.keys(profile.features).join(', ')}`);
      }
    });
  }
  if (level === 'conditional' && condition.length === 0) throw cx.error('ERR_CONFIG_CONDITION', pointer + (o.level !== undefined ? '/level' : ''), 'a conditional rule needs "condition": the feature (or features) that make it apply');
  if (level !== 'conditional' && o.condition !== undefined) throw cx.error('ERR_CONFIG_CONDITION', pointer + '/condition', `"condition" only applies to level "conditional", not "${level}"`);
  if (level !== 'conditional') condition = [];
  let cadenceMinutes = base?.cadenceMinutes ?? null;
  if (o.cadence_minutes !== undefined) {
    const c = o.cadence_minutes;
    if (c !== null && (typeof c !== 'number' || !Number.isFinite(c) || c < 0)) throw cx.error('ERR_CONFIG_TYPE', pointer + '/cadence_minutes', `expected a number of minutes ≥ 0 (0 = continuous) or null, found ${JSON.stringify(c)}`);
    cadenceMinutes = c;
  }
  const docOnly = o.doc_only !== undefined ? protoList(cx, o.doc_only, pointer + '/doc_only') : (base?.docOnly ?? []).filter((p) => protocols.includes(p));
  docOnly.forEach((p) => {
    if (!protocols.includes(p)) throw cx.error('ERR_CONFIG_DOC_ONLY', pointer + '/doc_only', `doc_only transport "${p}" is not among the rule's protocols (${protocols.join(', ')})`);
  });
  if (docOnly.length === protocols.length) throw cx.error('ERR_CONFIG_DOC_ONLY', pointer + '/doc_only', 'every protocol of the rule is doc_only; at least one must be a real transport');
  return {
    id,
    table: str(cx, o, 'table', pointer, need) ?? base!.table,
    row: str(cx, o, 'row', pointer, need) ?? base!.row,
    initiator, responder, protocols, ports, level, condition, cadenceMinutes,
    eventDriven: bool(cx, o, 'event_driven', pointer) ?? base?.eventDriven ?? false,
    cacheDependent: bool(cx, o, 'cache_dependent', pointer) ?? base?.cacheDependent ?? false,
    docOnly,
    rpcDynamic: bool(cx, o, 'rpc_dynamic', pointer) ?? base?.rpcDynamic ?? false,
    satisfiedBy: o.satisfied_by === undefined ? (base?.satisfiedBy ?? [])
      : Array.isArray(o.satisfied_by) && o.satisfied_by.length === 0 ? [] : strList(cx, o.satisfied_by, pointer + '/satisfied_by', 'rule ids'),
    description: str(cx, o, 'description', pointer, false) ?? base?.description ?? '',
    note: str(cx, o, 'note', pointer, false) ?? base?.note ?? '',
  };
}

export interface ProfileResolver { (name: string, from: string): Promise<Profile> }

/** Validate a parsed profile document. `resolveBase` loads the profile named by "extends". */
export async function parseProfile(cx: ConfigContext, origin: string, resolveBase: ProfileResolver): Promise<Profile> {
  const doc = cx.doc.value;
  if (!isObj(doc)) throw cx.error('ERR_CONFIG_TYPE', '', `expected a profile object, found ${jsonType(doc)}`);
  checkKeys(cx, doc, '', TOP_KEYS, 'a profile');
  let base: Profile | undefined;
  const ext = str(cx, doc, 'extends', '', false);
  if (ext !== undefined) base = await resolveBase(ext, cx.file);
  if (base === undefined && doc.remove !== undefined) throw cx.error('ERR_CONFIG_REMOVE', '/remove', '"remove" only applies to a profile that "extends" another');

  const roles: Record<string, RoleDef> = { ...(base?.roles ?? {}) };
  if (doc.roles !== undefined) {
    if (!isObj(doc.roles)) throw cx.error('ERR_CONFIG_TYPE', '/roles', `expected an object of role definitions, found ${jsonType(doc.roles)}`);
    for (const [name, def] of Object.entries(doc.roles)) {
      const p = '/roles' + ptr(name);
      if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw cx.error('ERR_CONFIG_ROLE_NAME', p, `bad role name "${name}"; expected lower-case letters, digits, '-' or '_'`);
      if (name === 'internet') throw cx.error('ERR_CONFIG_ROLE_NAME', p, '"internet" is an address keyword, not a role name');
      if (!isObj(def)) throw cx.error('ERR_CONFIG_TYPE', p, `expected {"description": …, "cloud": …}, found ${jsonType(def)}`);
      checkKeys(cx, def, p, ['description', 'cloud'], 'a role definition');
      roles[name] = { description: str(cx, def, 'description', p, false) ?? '', cloud: bool(cx, def, 'cloud', p) ?? false };
    }
  }
  if (Object.keys(roles).length === 0) throw cx.error('ERR_CONFIG_MISSING_FIELD', '', 'missing field "roles"; expected at least one role definition');
  if (Object.keys(roles).length > 30) throw cx.error('ERR_CONFIG_ROLES', '/roles', `too many roles (${Object.keys(roles).length}); at most 30`);
  const features: Record<string, string> = { ...(base?.features ?? {}) };
  if (doc.features !== undefined) {
    if (!isObj(doc.features)) throw cx.error('ERR_CONFIG_TYPE', '/features', `expected an object of feature descriptions, found ${jsonType(doc.features)}`);
    for (const [name, d] of Object.entries(doc.features)) {
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw cx.error('ERR_CONFIG_FEATURE_NAME', '/features' + ptr(name), `bad feature name "${name}"; expected lower-case letters, digits or '-'`);
      if (typeof d !== 'string') throw cx.error('ERR_CONFIG_TYPE', '/features' + ptr(name), `expected a description string, found ${jsonType(d)}`);
      features[name] = d;
    }
  }
  const tables: Record<string, string> = { ...(base?.tables ?? {}) };
  if (doc.tables !== undefined) {
    if (!isObj(doc.tables)) throw cx.error('ERR_CONFIG_TYPE', '/tables', `expected an object of table titles, found ${jsonType(doc.tables)}`);
    for (const [name, d] of Object.entries(doc.tables)) {
      if (typeof d !== 'string') throw cx.error('ERR_CONFIG_TYPE', '/tables' + ptr(name), `expected a title string, found ${jsonType(d)}`);
      tables[name] = d;
    }
  }
  const rules: Rule[] = base ? base.rules.map((r) => ({ ...r })) : [];
  if (doc.remove !== undefined) {
    const ids = strList(cx, doc.remove, '/remove', 'rule ids');
    ids.forEach((id, i) => {
      const k = rules.findIndex((r) => r.id === id);
      if (k < 0) throw cx.error('ERR_CONFIG_UNKNOWN_RULE', `/remove/${i}`, `no rule "${id}" in "${base!.name}" to remove${nearest(id, rules.map((r) => r.id))}`);
      rules.splice(k, 1);
    });
  }
  if (doc.rules === undefined && base === undefined) throw cx.error('ERR_CONFIG_MISSING_FIELD', '', 'missing field "rules"; expected an array of rules');
  if (doc.rules !== undefined) {
    if (!Array.isArray(doc.rules)) throw cx.error('ERR_CONFIG_TYPE', '/rules', `expected an array of rules, found ${jsonType(doc.rules)}`);
    const seen = new Set<string>();
    doc.rules.forEach((ro, i) => {
      const p = `/rules/${i}`;
      const id = isObj(ro) && typeof ro.id === 'string' ? ro.id : undefined;
      if (id !== undefined && seen.has(id)) throw cx.error('ERR_CONFIG_DUPLICATE_RULE', p + '/id', `duplicate rule id "${id}"`);
      if (id !== undefined) seen.add(id);
      const k = id === undefined ? -1 : rules.findIndex((r) => r.id === id);
      const rule = parseRule(cx, ro, p, { roles, features }, k >= 0 ? rules[k] : undefined);
      if (!(rule.table in tables)) tables[rule.table] = `Table ${rule.table}`;
      if (k >= 0) rules[k] = rule;
      else rules.push(rule);
    });
  }
  if (rules.length === 0) throw cx.error('ERR_CONFIG_MISSING_FIELD', '/rules', 'the profile has no rules');
  const ids = rules.map((r) => r.id);
  for (const r of rules) {
    r.satisfiedBy.forEach((id, j) => {
      if (ids.includes(id) && id !== r.id) return;
      const k = Array.isArray(doc.rules) ? doc.rules.findIndex((x) => isObj(x) && x.id === r.id) : -1;
      const p = k >= 0 ? `/rules/${k}/satisfied_by${Array.isArray((doc.rules as Raw[])[k]!.satisfied_by) ? `/${j}` : ''}` : '/remove';
      throw cx.error('ERR_CONFIG_UNKNOWN_RULE', p, id === r.id ? `rule "${r.id}" cannot be satisfied by itself` : `rule "${r.id}" is satisfied_by "${id}", which is not a rule of this profile${nearest(id, ids)}${k < 0 ? ` (override "${r.id}" with "satisfied_by": [] to remove it)` : ''}`);
    });
  }
  return {
    name: str(cx, doc, 'name', '', base === undefined) ?? `${base!.name}+${path.basename(origin)}`,
    title: str(cx, doc, 'title', '', false) ?? base?.title ?? '',
    source: str(cx, doc, 'source', '', false) ?? base?.source ?? '',
    origin,
    roles, features, tables, rules,
  };
}

const builtinCache = new Map<string, Profile>();

/** A built-in profile by name (validated on first use). */
export async function builtinProfile(name: string): Promise<Profile> {
  const hit = builtinCache.get(name);
  if (hit !== undefined) return hit;
  const raw = BUILTIN_RAW[name];
  if (raw === undefined) throw new ConfigError('ERR_CONFIG_UNKNOWN_PROFILE', `builtin:${name}`, '', `no built-in profile "${name}"; expected one of: ${BUILTIN_PROFILES.join(', ')}, or a profile file path`);
  const file = `builtin:${name}`;
  const cx = new ConfigContext(file, { value: raw, locate: () => undefined });
  const p = await parseProfile(cx, file, (n) => builtinProfile(n));
  builtinCache.set(name, p);
  return p;
}

/** Parse a profile from text (a user file). */
export async function profileFromText(text: string, file: string, depth = 0): Promise<Profile> {
  const cx = new ConfigContext(file, parseLocated(text, file));
  return parseProfile(cx, file, async (name, from) => {
    if (name in BUILTIN_RAW) return builtinProfile(name);
    if (depth > 8) throw new ConfigError('ERR_CONFIG_EXTENDS', from, '/extends', 'profiles extend each other too deeply (more than 8 levels); is there a cycle?');
    const target = path.resolve(path.dirname(from), name);
    let t: string;
    try { t = decodeConfigText(await readFile(target), target); } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw cx.error('ERR_CONFIG_EXTENDS', '/extends', `cannot extend "${name}": not a built-in profile (${BUILTIN_PROFILES.join(', ')}) and no such file ${target}`);
    }
    return profileFromText(t, target, depth + 1);
  });
}

/** `--profile NAME|FILE`: a built-in name, or a path to a JSON profile. */
export async function loadProfile(spec: string | undefined): Promise<Profile> {
  const s = spec ?? DEFAULT_PROFILE;
  if (s in BUILTIN_RAW) return builtinProfile(s);
  let text: string;
  try { text = decodeConfigText(await readFile(s), s); } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError('ERR_CONFIG_PROFILE', s, '', code === 'ENOENT'
      ? `no such profile file, and not a built-in profile name (${BUILTIN_PROFILES.join(', ')})`
      : `cannot read the profile (${code ?? String(e)})`);
  }
  return profileFromText(text, s);
}
