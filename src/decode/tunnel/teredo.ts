/**
 * Teredo (RFC 4380) on UDP 3544: an IPv6 packet in UDP, optionally preceded by
 *   authentication:     | 0x0001 | id len | auth len | client id | auth value | nonce (8) | confirmation (1) |
 *   origin indication:  | 0x0000 | obfuscated port (2) | obfuscated IPv4 (4) |
 * (authentication first when both are present). Anything else on port 3544 (e.g. a short
 * control message) is left as plain UDP.
 */
import { u16 } from '../bytes.js';

export const TEREDO = { PORT: 3544, AUTH_TYPE: 0x0001, ORIGIN_TYPE: 0x0000, ORIGIN_LEN: 8, AUTH_FIXED_LEN: 13 } as const;

/**
 * Offset of the encapsulated IPv6 header after any Teredo headers, or -1 when the bytes
 * there cannot be the start of a captured IPv6 header (the payload is not Teredo data).
 */
export function teredoIpv6Offset(b: Buffer, off: number, end: number): number {
  let p = off;
  if (end - p >= 4 && u16(b, p) === TEREDO.AUTH_TYPE) {
    p += TEREDO.AUTH_FIXED_LEN + b[p + 2]! + b[p + 3]!;
  }
  if (end - p >= 2 && u16(b, p) === TEREDO.ORIGIN_TYPE) p += TEREDO.ORIGIN_LEN;
  if (end - p < 40 || b[p]! >> 4 !== 6) return -1;
  return p;
}
