/**
 * Longest-prefix match over one 128-bit address space (IPv4 mapped as ::ffff:a.b.c.d, as in
 * src/core/ip.ts). A plain binary trie: a lookup walks at most 128 nodes, done once per flow side,
 * never per packet. Values are whatever the caller stores at a prefix (roles use a bitmask).
 */
import { formatV6, parseAddr } from '../core/ip.js';

interface Node<T> { c0: Node<T> | null; c1: Node<T> | null; value: T | undefined; len: number }

export type Words = readonly [number, number, number, number] | readonly number[];

export interface Prefix { words: [number, number, number, number]; len: number }

const bitAt = (w: Words, i: number): number => ((w[i >>> 5]! >>> (31 - (i & 31))) & 1);

export class PrefixTrie<T> {
  readonly #root: Node<T> = { c0: null, c1: null, value: undefined, len: 0 };
  #size = 0;

  get size(): number { return this.#size; }

  /** Set (or, with `merge`, combine into) the value stored at exactly this prefix. */
  insert(words: Words, len: number, value: T, merge?: (old: T, add: T) => T): void {
    let n = this.#root;
    for (let i = 0; i < len; i++) {
      const b = bitAt(words, i);
      let next = b === 0 ? n.c0 : n.c1;
      if (next === null) {
        next = { c0: null, c1: null, value: undefined, len: i + 1 };
        if (b === 0) n.c0 = next; else n.c1 = next;
      }
      n = next;
    }
    if (n.value === undefined) { this.#size++; n.value = value; }
    else n.value = merge ? merge(n.value, value) : value;
  }

  /** The value at the longest prefix containing the address, with that prefix's length. */
  lookupWords(words: Words): { value: T; len: number } | undefined {
    let n: Node<T> | null = this.#root;
    let best: Node<T> | undefined;
    for (let i = 0; n !== null; i++) {
      if (n.value !== undefined) best = n;
      if (i === 128) break;
      n = bitAt(words, i) === 0 ? n.c0 : n.c1;
    }
    return best === undefined ? undefined : { value: best.value!, len: best.len };
  }

  lookup(addr: string): { value: T; len: number } | undefined {
    const w = parseAddr(addr);
    return w === null ? undefined : this.lookupWords(w);
  }

  /** Every stored prefix whose range contains (or equals) the given prefix, shortest first. */
  covering(words: Words, len: number): Array<{ value: T; len: number }> {
    const out: Array<{ value: T; len: number }> = [];
    let n: Node<T> | null = this.#root;
    for (let i = 0; n !== null && i <= len; i++) {
      if (n.value !== undefined) out.push({ value: n.value, len: n.len });
      if (i === len) break;
      n = bitAt(words, i) === 0 ? n.c0 : n.c1;
    }
    return out;
  }
}

/** Mask words to the first `len` bits. */
export function maskWords(w: Words, len: number): [number, number, number, number] {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, len - k * 32));
    const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    out[k] = (w[k]! & mask) >>> 0;
  }
  return out;
}

/**
 * Parse "addr" or "addr/len" strictly (dotted quads only, RFC 4291 IPv6). IPv4 lengths are 0–32
 * and are mapped to 96+len. Returns null when the text is not an address or CIDR; throws a plain
 * Error with the reason when it is one but is wrong (bad length, host bits set).
 */
export function parseCidr(text: string): { prefix: Prefix; v4: boolean } | null {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const w = parseAddr(addrText);
  if (w === null) return null;
  const v4 = !addrText.includes(':');
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lt = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lt) || Number(lt) > max) throw new Error(`bad prefix length "/${lt}"; expected 0–${max} for ${v4 ? 'IPv4' : 'IPv6'}`);
    len = Number(lt);
  }
  const full = v4 ? 96 + len : len;
  const masked = maskWords(w, full);
  if (masked.some((x, k) => x !== (w[k]! >>> 0))) {
    throw new Error(`host bits are set in "${text}"; did you mean the network ${formatPrefix({ words: masked, len: full })}?`);
  }
  return { prefix: { words: masked, len: full }, v4 };
}

export function formatPrefix(p: Prefix): string {
  const w = p.words;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff && p.len >= 96) {
    const v = w[3];
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${p.len - 96}`;
  }
  const g: number[] = [];
  for (const x of w) g.push(x >>> 16, x & 0xffff);
  return `${formatV6(g)}/${p.len}`;
}

