/**
 * MPLS label stack (EtherType 0x8847 unicast, 0x8848 multicast; RFC 3032), 4 bytes per entry:
 *   | label (20) | TC (3) | S (1) | TTL (8) |
 * After the entry with S (bottom of stack) set, the payload is IPv4 or IPv6 by its first nibble
 * (anything else, e.g. an Ethernet pseudowire control word, is unsupported).
 */
import type { Check } from '../anomalies.js';

export const MPLS = { ENTRY_LEN: 4, BOS_BYTE: 2, BOS_BIT: 0x01, MAX_LABELS: 8 } as const;

/** Length of the label stack at off (up to and including the bottom-of-stack entry), or -1 / -2. */
export function mplsStackLen(b: Buffer, off: number, end: number): number {
  for (let n = 1; n <= MPLS.MAX_LABELS; n++) {
    const e = off + (n - 1) * MPLS.ENTRY_LEN;
    if (end - e < MPLS.ENTRY_LEN) return -1;
    if ((b[e + MPLS.BOS_BYTE]! & MPLS.BOS_BIT) !== 0) return n * MPLS.ENTRY_LEN;
  }
  return -2;
}

export function checkMpls(b: Buffer, off: number, end: number): Check {
  const n = mplsStackLen(b, off, end);
  if (n === -1) return 'decode.mpls.truncated';
  if (n === -2) return 'decode.mpls.too_many_labels';
  if (end - off - n < 1) return 'decode.mpls.truncated';
  return null;
}

/** The payload's IP version (4, 6, or something else) after a passed check. */
export function mplsPayloadVersion(b: Buffer, off: number, end: number): number {
  return b[off + mplsStackLen(b, off, end)]! >> 4;
}
