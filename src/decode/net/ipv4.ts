/**
 * IPv4 header (RFC 791):
 *   0        1      2            4      6              8     9        10        12    16    20
 *   | ver|ihl | tos  | total len  | id   | flags|frag off | ttl | proto  | cksum   | src | dst | options
 * check() validates the captured length, the version, IHL (>= 5 and fully captured) and
 * that the total length is 0 (TSO) or at least IHL*4.
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const IPV4 = {
  VER_IHL: 0, TOS: 1, TOTAL_LEN: 2, ID: 4, FLAGS_FRAG: 6, TTL: 8, PROTOCOL: 9, CHECKSUM: 10, SRC: 12, DST: 16,
  MIN_HEADER_LEN: 20, FLAG_MF: 0x2000, FLAG_DF: 0x4000, FRAG_OFFSET_MASK: 0x1fff,
} as const;

export function checkIpv4(b: Buffer, off: number, end: number): Check {
  if (end - off < 1) return 'decode.ipv4.truncated';
  const vi = b[off]!;
  if (vi >> 4 !== 4) return 'decode.ipv4.bad_version';
  const hl = (vi & 15) << 2;
  if (hl < IPV4.MIN_HEADER_LEN) return 'decode.ipv4.bad_header_length';
  if (end - off < hl) return 'decode.ipv4.truncated';
  const total = u16(b, off + IPV4.TOTAL_LEN);
  if (total !== 0 && total < hl) return 'decode.ipv4.bad_total_length';
  return null;
}

export function ipv4HeaderLen(b: Buffer, off: number): number {
  return (b[off]! & 15) << 2;
}
export function ipv4TotalLen(b: Buffer, off: number): number {
  return u16(b, off + IPV4.TOTAL_LEN);
}
export function ipv4Id(b: Buffer, off: number): number {
  return u16(b, off + IPV4.ID);
}
export function ipv4FlagsFrag(b: Buffer, off: number): number {
  return u16(b, off + IPV4.FLAGS_FRAG);
}
export function ipv4Protocol(b: Buffer, off: number): number {
  return b[off + IPV4.PROTOCOL]!;
}
