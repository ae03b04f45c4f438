/**
 * Raw IP (LINKTYPE_RAW 101, and the historical 12 and 14): no link header; the IP version
 * is the first nibble. LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) fix the version.
 */
import type { Check } from '../anomalies.js';

export function checkRaw(_b: Buffer, off: number, end: number): Check {
  return end - off < 1 ? 'decode.link.empty' : null;
}

export function rawIpVersion(b: Buffer, off: number): number {
  return b[off]! >> 4;
}
