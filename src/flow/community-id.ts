/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): base64(sha1(seed(2, BE) ‖
 * saddr ‖ daddr ‖ proto(1) ‖ 0(1) ‖ sport(2) ‖ dport(2))) with the endpoints ordered (smaller
 * address first, then smaller port), prefixed "1:". ICMP/ICMPv6 use type and code as ports, and
 * for request/response types the counterpart type as the destination port; "one-way" ICMP types
 * are hashed as given (no reordering). Computed once per flow record, not per packet.
 *
 * The input (12, 16, 36 or 40 bytes) is built in one preallocated buffer and hashed with a small
 * SHA-1 (FIPS 180-4) over one reused 80-word schedule: the input always fits one 64-byte block,
 * so this is one compression and a base64 of 20 bytes, about 5× cheaper than node:crypto per
 * flow (which pays for a native call and a Buffer per hash). `sha1Base64` is tested against
 * node:crypto on random inputs of every length 0..55 and the spec's vectors.
 */
import { isV4Mapped } from '../core/ip.js';

const ICMP4_PAIRS: Readonly<Record<number, number>> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIRS: Readonly<Record<number, number>> = {
  128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144,
};

/** The counterpart type of an ICMP request/response type, or -1 when the type is one-way. */
export function icmpCounterpart(proto: number, type: number): number {
  const m = proto === 1 ? ICMP4_PAIRS : proto === 58 ? ICMP6_PAIRS : null;
  const v = m?.[type];
  return v === undefined ? -1 : v;
}

const block = new Uint8Array(64);
const W = new Int32Array(80);
const B64 = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));

/**
 * SHA-1 of bytes[0, n) (n ≤ 55: one block) as base64 (28 characters with the '=' pad), after
 * "1:" with `idPrefix` (a Community ID: one flat string, not "1:" + digest, which would be a rope
 * that every reader of its characters has to flatten first).
 * `bytes` is used as the padded block: its contents from n on are overwritten.
 */
export function sha1Base64(bytes: Uint8Array, n: number, idPrefix = false): string {
  if (n < 0 || n > 55 || bytes.length < 64) throw new RangeError(`sha1Base64: one-block input only (n=${n})`);
  bytes[n] = 0x80;
  bytes.fill(0, n + 1, 60);
  const bits = n * 8;
  bytes[60] = bits >>> 24; bytes[61] = (bits >>> 16) & 255; bytes[62] = (bits >>> 8) & 255; bytes[63] = bits & 255;
  const w = W;
  for (let i = 0; i < 16; i++) {
    const j = i * 4;
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476, e = 0xc3d2e1f0 | 0, t = 0;
  for (let i = 0; i < 20; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 20; i < 40; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 40; i < 60; i++) {
    t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e - 0x70e44324 + w[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  for (let i = 60; i < 80; i++) {
    t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  const h0 = (a + 0x67452301) | 0, h1 = (b + (0xefcdab89 | 0)) | 0, h2 = (c + (0x98badcfe | 0)) | 0;
  const h3 = (d + 0x10325476) | 0, h4 = (e + (0xc3d2e1f0 | 0)) | 0;
  // 20 bytes = six 3-byte groups + 2 bytes; base64 via 24-bit groups
  const g0 = h0 >>> 8, g1 = ((h0 & 255) << 16) | (h1 >>> 16), g2 = ((h1 & 0xffff) << 8) | (h2 >>> 24);
  const g3 = h2 & 0xffffff, g4 = h3 >>> 8, g5 = ((h3 & 255) << 16) | (h4 >>> 16), g6 = (h4 & 0xffff) << 8;
  const tb = B64;
  // always built with the "1:" of a Community ID in front: one flat string (the digest alone is
  // the tail of it, a cheap slice, for the callers that want only the digest)
  const id = String.fromCharCode(49, 58,
    tb[g0 >>> 18]!, tb[(g0 >>> 12) & 63]!, tb[(g0 >>> 6) & 63]!, tb[g0 & 63]!,
    tb[g1 >>> 18]!, tb[(g1 >>> 12) & 63]!, tb[(g1 >>> 6) & 63]!, tb[g1 & 63]!,
    tb[g2 >>> 18]!, tb[(g2 >>> 12) & 63]!, tb[(g2 >>> 6) & 63]!, tb[g2 & 63]!,
    tb[g3 >>> 18]!, tb[(g3 >>> 12) & 63]!, tb[(g3 >>> 6) & 63]!, tb[g3 & 63]!,
    tb[g4 >>> 18]!, tb[(g4 >>> 12) & 63]!, tb[(g4 >>> 6) & 63]!, tb[g4 & 63]!,
    tb[g5 >>> 18]!, tb[(g5 >>> 12) & 63]!, tb[(g5 >>> 6) & 63]!, tb[g5 & 63]!,
    tb[g6 >>> 18]!, tb[(g6 >>> 12) & 63]!, tb[(g6 >>> 6) & 63]!, 61,
  );
  return idPrefix ? id : id.slice(2);
}

function cmpAddr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < 4; i++) {
    const x = a[i]! >>> 0, y = b[i]! >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function putWord(off: number, v: number): number {
  block[off] = (v >>> 24) & 255; block[off + 1] = (v >>> 16) & 255; block[off + 2] = (v >>> 8) & 255; block[off + 3] = v & 255;
  return off + 4;
}

function putAddr(off: number, w: ArrayLike<number>, v4: boolean): number {
  if (v4) return putWord(off, w[3]! >>> 0);
  for (let i = 0; i < 4; i++) off = putWord(off, w[i]! >>> 0);
  return off;
}

/**
 * Community ID v1 of a flow given as src → dst (addresses as four words, IPv4 mapped). For ICMP
 * pass the type as sport and the code as dport. Returns '' when the two addresses are of
 * different families.
 */
export function communityId(src: ArrayLike<number>, dst: ArrayLike<number>, proto: number, sport: number, dport: number, seed = 0): string {
  const v4 = isV4Mapped(src[0]! >>> 0, src[1]! >>> 0, src[2]! >>> 0);
  if (v4 !== isV4Mapped(dst[0]! >>> 0, dst[1]! >>> 0, dst[2]! >>> 0)) return '';
  const hasPorts = proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58;
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const c = icmpCounterpart(proto, sport);
    if (c < 0) oneWay = true;
    else dport = c;
  }
  let s = src, d = dst, sp = sport, dp = dport;
  if (!oneWay) {
    const c = cmpAddr(src, dst);
    if (c > 0 || (c === 0 && sport > dport)) { s = dst; d = src; sp = dport; dp = sport; }
  }
  block[0] = (seed >>> 8) & 255; block[1] = seed & 255;
  let off = putAddr(2, s, v4);
  off = putAddr(off, d, v4);
  block[off++] = proto & 255;
  block[off++] = 0;
  if (hasPorts) {
    block[off] = (sp >>> 8) & 255; block[off + 1] = sp & 255; block[off + 2] = (dp >>> 8) & 255; block[off + 3] = dp & 255;
    off += 4;
  }
  return sha1Base64(block, off, true);
}
