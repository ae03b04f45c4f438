/**
 * A profile plus an inventory compiled for matching: roles become bits, addresses go into a
 * longest-prefix trie of role bitmasks, names seen in the capture (DNS answers, TLS SNI) bind
 * hostnames and wildcards to addresses, and each protocol gets a 65536-entry port → rule-class
 * table, so matching a flow is two trie walks and one array read.
 */
import { parseAddr, formatAddr } from '../core/ip.js';
import type { NameObservation } from '../flow/record.js';
import { PrefixTrie, formatPrefix, parseCidr, type Words } from './prefix-trie.js';
import type { Inventory, InventoryEntry } from './inventory.js';
import type { Profile, Rule } from './profile.js';

/** The (shared, frozen) empty result of match(): most flows match no rule or one. */
const NO_RULES: number[] = Object.freeze([]) as unknown as number[];

export const PROTO_INDEX: Record<number, number> = { 6: 0, 17: 1 };
export const PROTO_NAME: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6' };

/** Ranges that are not "internet": private, loopback, link-local, CGNAT, ULA, multicast, reserved. */
const NOT_PUBLIC = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fe80::/10', 'fc00::/7', 'ff00::/8',
];
const notPublic = new PrefixTrie<true>();
for (const c of NOT_PUBLIC) { const p = parseCidr(c)!.prefix; notPublic.insert(p.words, p.len, true); }

/** True for an address that is routable on the public internet (documentation ranges count as public). */
export function isPublicWords(w: Words): boolean {
  return notPublic.lookupWords(w) === undefined;
}
export function isMulticastOrBroadcast(addr: string): boolean {
  const w = parseAddr(addr);
  if (w === null) return false;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return (w[3] >>> 28) === 0xe || w[3] === 0xffffffff || (w[3] & 0xff) === 0xff;
  return (w[0] >>> 24) === 0xff;
}

export interface CompiledPolicy {
  profile: Profile;
  inventory: Inventory;
  roleNames: string[];
  /**
   * Bitmask of roles with at least one address: an address, CIDR or "internet" entry, or a
   * hostname/wildcard that a DNS answer or TLS SNI has bound so far.
   */
  readonly presentRoles: number;
  /** Roles given (also) by hostnames or wildcards. */
  namedRoles: number;
  cloudRoles: number;
  features: Set<string>;
  rules: Rule[];
  ruleInit: Uint32Array;
  ruleResp: Uint32Array;
  /** Rules whose responder is a cloud role (proxy-satisfiable). */
  ruleCloud: Uint8Array;
  /** Per protocol index (tcp 0, udp 1): port → class; classRules[class] → rule indices. */
  portClass: [Uint16Array, Uint16Array];
  classRules: number[][];
  warnings: string[];
  /** Role bitmask of an address (longest prefix; then names; then "internet"). */
  rolesOf(addr: string): number;
  /** rolesOf the address of these four words (IPv4 mapped), without its text. */
  rolesOfWords(w: Words): number;
  /**
   * Goes up whenever a name binding changes which roles an address has (rolesOf answers cached by
   * callers are then stale). A data property, not a getter: callers read it once per flow.
   */
  readonly rolesVersion: number;
  isProxy(addr: string): boolean;
  /** Whether any address can be a proxy yet (false: isProxy is false for every address). */
  anyProxy(): boolean;
  /** Bind a name seen in the capture to an address (adds role/proxy entries for matching hostnames). */
  addName(obs: NameObservation): void;
  /** Names that bound an address to a role, by address (for explanations). */
  namesOf(addr: string): string[];
  roleList(mask: number): string[];
  /** Rule indices allowing (proto, respPort) for these role masks (a shared frozen array: do not modify). */
  match(proto: number, respPort: number, origMask: number, respMask: number): number[];
  /** Rule indices for (proto, port) regardless of roles. */
  rulesOnPort(proto: number, port: number): number[];
}

export function compilePolicy(profile: Profile, inventory: Inventory, extraFeatures: string[] = []): CompiledPolicy {
  const roleNames = Object.keys(profile.roles);
  const bit = (r: string): number => {
    const i = roleNames.indexOf(r);
    return i < 0 ? 0 : (1 << i) >>> 0;
  };
  const maskOf = (rs: string[]): number => rs.reduce((m, r) => (m | bit(r)) >>> 0, 0);
  const roleList = (mask: number): string[] => roleNames.filter((_, i) => (mask >>> i) & 1);

  const trie = new PrefixTrie<number>();
  const proxyTrie = new PrefixTrie<true>();
  const exactNames = new Map<string, number>();
  const wildcards: Array<{ suffix: string; mask: number }> = [];
  const proxyNames: Array<InventoryEntry> = [];
  let internetMask = 0;
  let presentRoles = 0;
  let namedRoles = 0;
  const or = (a: number, b: number): number => (a | b) >>> 0;
  const origins = new Map<string, Array<{ role: string; entry: InventoryEntry }>>();

  for (const [role, entries] of inventory.roles) {
    const b = bit(role);
    for (const e of entries) {
      if (e.kind === 'host' || e.kind === 'wildcard') namedRoles = or(namedRoles, b);
      else presentRoles = or(presentRoles, b);
      if (e.kind === 'internet') internetMask = or(internetMask, b);
      else if (e.kind === 'cidr') {
        trie.insert(e.prefix!.words, e.prefix!.len, b, or);
        const key = formatPrefix(e.prefix!);
        const list = origins.get(key) ?? [];
        list.push({ role, entry: e });
        origins.set(key, list);
      } else if (e.kind === 'host') exactNames.set(e.name!, or(exactNames.get(e.name!) ?? 0, b));
      else wildcards.push({ suffix: e.name!, mask: b });
    }
  }
  for (const e of inventory.proxy) {
    if (e.kind === 'cidr') proxyTrie.insert(e.prefix!.words, e.prefix!.len, true);
    else proxyNames.push(e);
  }

  // Overlap warnings: a prefix strictly inside a shorter prefix that holds other roles.
  const warnings = [...inventory.warnings];
  const keyTrie = new PrefixTrie<string>();
  const roleMaskAt = new Map<string, number>();
  for (const [key, list] of origins) {
    const p = list[0]!.entry.prefix!;
    keyTrie.insert(p.words, p.len, key);
    roleMaskAt.set(key, maskOf(list.map((x) => x.role)));
  }
  let overlaps = 0;
  for (const [key, list] of origins) {
    const p = list[0]!.entry.prefix!;
    const mine = roleMaskAt.get(key)!;
    for (const outer of keyTrie.covering(p.words, p.len)) {
      if (outer.value === key) continue;
      const theirs = roleMaskAt.get(outer.value)!;
      if (theirs === mine) continue;
      overlaps++;
      if (overlaps <= 20) {
        const ol = origins.get(outer.value)!;
        warnings.push(`${inventory.file}: ${list[0]!.entry.pointer}: ${list[0]!.entry.text} (${roleList(mine).join('+')}) lies inside ${ol[0]!.entry.text} (${roleList(theirs).join('+')}, ${ol[0]!.entry.pointer}); the longest prefix wins, so its addresses hold only ${roleList(mine).join('+')}`);
      }
    }
  }
  if (overlaps > 20) warnings.push(`${inventory.file}: ${overlaps - 20} more overlapping role prefixes`);

  const features = new Set<string>([...inventory.features, ...extraFeatures]);
  const rules = profile.rules;
  const ruleInit = new Uint32Array(rules.length);
  const ruleResp = new Uint32Array(rules.length);
  const ruleCloud = new Uint8Array(rules.length);
  let cloudRoles = 0;
  roleNames.forEach((r, i) => { if (profile.roles[r]!.cloud) cloudRoles = or(cloudRoles, (1 << i) >>> 0); });
  rules.forEach((r, i) => {
    ruleInit[i] = maskOf(r.initiator);
    ruleResp[i] = maskOf(r.responder);
    ruleCloud[i] = (ruleResp[i]! & cloudRoles) !== 0 ? 1 : 0;
  });

  // Port classes: every port maps to the (deduplicated) list of rules covering it.
  const classRules: number[][] = [[]];
  /** match() answers by (port class, originator mask, responder mask); frozen arrays. */
  const matchMemo = new Map<number, Map<number, number[]>>();
  const classIndex = new Map<string, number>([['', 0]]);
  const portClass: [Uint16Array, Uint16Array] = [new Uint16Array(65536), new Uint16Array(65536)];
  (['tcp', 'udp'] as const).forEach((proto, pi) => {
    // Sweep the boundaries of all ranges once instead of touching each port per rule.
    const bounds = new Set<number>([0]);
    rules.forEach((r) => { if (r.protocols.includes(proto)) for (const [a, b] of r.ports) { bounds.add(a); if (b < 65535) bounds.add(b + 1); } });
    const sorted = [...bounds].sort((a, b) => a - b);
    for (let k = 0; k < sorted.length; k++) {
      const lo = sorted[k]!, hi = (sorted[k + 1] ?? 65536) - 1;
      const ids: number[] = [];
      rules.forEach((r, i) => { if (r.protocols.includes(proto) && r.ports.some(([a, b]) => lo >= a && lo <= b)) ids.push(i); });
      const key = ids.join(',');
      let c = classIndex.get(key);
      if (c === undefined) { c = classRules.length; classRules.push(ids); classIndex.set(key, c); }
      portClass[pi as 0 | 1].fill(c, lo, hi + 1);
    }
  });

  const nameBound = new Map<string, Set<string>>();
  // Addresses repeat across flows: remember each address's roles until a name binding changes the trie.
  const roleCache = new Map<string, number>();
  // The proxy's addresses (inventory CIDRs, then addresses its names resolve to): none is the common case.
  let proxyAny = inventory.proxy.some((e) => e.kind === 'cidr');
  const proxyCache = new Map<string, boolean>();
  const maskForName = (name: string): number => {
    const n = name.toLowerCase().replace(/\.$/, '');
    let m = exactNames.get(n) ?? 0;
    for (const w of wildcards) if (n.endsWith(w.suffix) && n.length > w.suffix.length) m = or(m, w.mask);
    return m;
  };
  const nameIsProxy = (name: string): boolean => {
    const n = name.toLowerCase().replace(/\.$/, '');
    return proxyNames.some((e) => (e.kind === 'host' ? e.name === n : n.endsWith(e.name!) && n.length > e.name!.length));
  };

  const rolesOfWords = (w: Words): number => {
    const hit = trie.lookupWords(w);
    return hit !== undefined ? hit.value : internetMask !== 0 && isPublicWords(w) ? internetMask : 0;
  };
  const compiled: Omit<CompiledPolicy, 'rolesVersion'> & { rolesVersion: number } = {
    profile, inventory, roleNames, namedRoles, cloudRoles,
    get presentRoles() { return presentRoles; }, rolesVersion: 0, features, rules, ruleInit, ruleResp, ruleCloud,
    portClass, classRules, warnings,
    rolesOf(addr) {
      const cached = roleCache.get(addr);
      if (cached !== undefined) return cached;
      const w = parseAddr(addr);
      const m = w !== null ? rolesOfWords(w) : 0;
      if (roleCache.size >= 1 << 20) roleCache.clear();
      roleCache.set(addr, m);
      return m;
    },
    rolesOfWords,
    anyProxy: () => proxyAny,
    isProxy(addr) {
      if (!proxyAny) return false;
      const cached = proxyCache.get(addr);
      if (cached !== undefined) return cached;
      const w = parseAddr(addr);
      const is = w !== null && proxyTrie.lookupWords(w) !== undefined;
      if (proxyCache.size >= 1 << 16) proxyCache.clear();
      proxyCache.set(addr, is);
      return is;
    },
    addName(obs) {
      const w = parseAddr(obs.address);
      if (w === null) return;
      const m = maskForName(obs.name);
      if (m !== 0) {
        presentRoles = or(presentRoles, m);
        trie.insert(w, 128, m, or);
        roleCache.clear();
        compiled.rolesVersion++;
        const key = formatAddr(w);
        const set = nameBound.get(key) ?? new Set<string>();
        set.add(`${obs.name.toLowerCase().replace(/\.$/, '')} (${obs.via})`);
        nameBound.set(key, set);
      }
      if (proxyNames.length > 0 && nameIsProxy(obs.name)) { proxyTrie.insert(w, 128, true); proxyAny = true; proxyCache.clear(); }
    },
    namesOf(addr) {
      return [...(nameBound.get(addr) ?? [])].sort();
    },
    roleList,
    match(proto, respPort, origMask, respMask) {
      const pi = PROTO_INDEX[proto];
      if (pi === undefined || origMask === 0 || respMask === 0) return NO_RULES;
      const cls = portClass[pi as 0 | 1][respPort]!;
      const ids = classRules[cls]!;
      if (ids.length === 0) return NO_RULES;
      // the answer depends on (port class, masks) only: remembered (small-integer keys), so a flow allocates nothing
      const small = cls < 0x400 && origMask < 0x100000 && respMask < 0x40000000;
      let byResp: Map<number, number[]> | undefined;
      if (small) {
        const k1 = cls * 0x100000 + origMask;
        byResp = matchMemo.get(k1);
        if (byResp === undefined) { if (matchMemo.size >= 1 << 12) matchMemo.clear(); byResp = new Map(); matchMemo.set(k1, byResp); }
        const hit = byResp.get(respMask);
        if (hit !== undefined) return hit;
      }
      let out: number[] = NO_RULES;
      for (const i of ids) {
        if ((ruleInit[i]! & origMask) === 0 || (ruleResp[i]! & respMask) === 0) continue;
        if (out === NO_RULES) out = [];
        out.push(i);
      }
      if (out !== NO_RULES) Object.freeze(out);
      if (byResp !== undefined && byResp.size < 1 << 12) byResp.set(respMask, out);
      return out;
    },
    rulesOnPort(proto, port) {
      const pi = PROTO_INDEX[proto];
      if (pi === undefined) return [];
      return classRules[portClass[pi as 0 | 1][port]!]!;
    },
  };
  return compiled;
}
