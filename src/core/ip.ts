/**
 * IP addresses in one 128-bit space: four big-endian uint32 words, IPv4 mapped as ::ffff:a.b.c.d.
 * Hot paths keep addresses in typed arrays (4 words each); strings are made only at the edges.
 */

export const V4_MAPPED_W2 = 0x0000ffff;

export function isV4Mapped(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === V4_MAPPED_W2;
}

export function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Format the address held in words[off..off+4). IPv4-mapped addresses print as dotted quads. */
export function formatAddr(words: ArrayLike<number>, off = 0): string {
  const w0 = words[off]! >>> 0, w1 = words[off + 1]! >>> 0, w2 = words[off + 2]! >>> 0, w3 = words[off + 3]! >>> 0;
  if (isV4Mapped(w0, w1, w2)) return formatV4(w3);
  return formatV6([w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff]);
}

/** RFC 5952 text form of eight 16-bit groups. */
export function formatV6(g: number[]): string {
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/**
 * Parse a dotted quad strictly (four parts of one to three ASCII digits, each 0–255). Returns the
 * uint32 or -1. One pass over the characters, nothing allocated: records of flow logs and of
 * flows with ICMP errors come as text, an address or two each.
 */
export function parseV4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let v = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      part = part * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || part > 255 || ++dots > 3) return -1;
      v = v * 256 + part; part = 0; digits = 0;
    } else return -1;
  }
  if (digits === 0 || part > 255 || dots !== 3) return -1;
  return (v * 256 + part) >>> 0;
}

/** Parse an IPv6 address (with optional embedded IPv4 tail, no zone). Returns 8 groups or null. */
export function parseV6Groups(s: string): number[] | null {
  if (s.includes('%')) s = s.slice(0, s.indexOf('%'));
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 < 0) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    s = s.slice(0, lastColon + 1) + (s[lastColon - 1] === ':' ? '' : '0');
    if (s.endsWith(':0')) { s = s.slice(0, -2); if (s.endsWith(':')) s += ':'; }
  }
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const parseList = (x: string): number[] | null => {
    if (x === '') return [];
    const out: number[] = [];
    for (const h of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const a = parseList(s.slice(0, dbl)), b = parseList(s.slice(dbl + 2));
    if (a === null || b === null) return null;
    const fill = 8 - tail.length - a.length - b.length;
    if (fill < 1) return null;
    groups = [...a, ...new Array<number>(fill).fill(0), ...b, ...tail];
  } else {
    const a = parseList(s);
    if (a === null) return null;
    groups = [...a, ...tail];
  }
  return groups.length === 8 ? groups : null;
}

/** Parse an IPv4 or IPv6 address into four words (IPv4 mapped). Returns null when invalid. */
export function parseAddr(s: string): [number, number, number, number] | null {
  const v4 = parseV4(s);
  if (v4 >= 0) return [0, 0, V4_MAPPED_W2, v4];
  if (!s.includes(':')) return null;
  const g = parseV6Groups(s);
  if (g === null) return null;
  return [
    ((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0,
    ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0,
  ];
}

/** Canonical text of an address string (e.g. `::FFFF:10.0.0.1` → `10.0.0.1`), or null. */
export function canonicalAddr(s: string): string | null {
  const w = parseAddr(s);
  return w === null ? null : formatAddr(w);
}
