/**
 * GRE (RFC 2784/2890) version 0 and PPTP enhanced GRE version 1 (RFC 2637):
 *   0                 2
 *   | C R K S s Recur A Flags Ver | protocol | [checksum+reserved] [key] [sequence] [ack (v1)]
 * v0: C (0x8000) or R (0x4000) adds 4 bytes (checksum/offset); routing (R) itself is not supported.
 *     K (0x2000) adds the key, S (0x1000) the sequence number.
 * v1: K is mandatory (payload length + call id), S adds the sequence, A (0x0080) the ack number;
 *     the payload is PPP (0x880b).
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const GRE = {
  FLAGS_VER: 0, PROTOCOL: 2, MIN_HEADER_LEN: 4,
  FLAG_C: 0x8000, FLAG_R: 0x4000, FLAG_K: 0x2000, FLAG_S: 0x1000, FLAG_A: 0x0080, VERSION_MASK: 7,
} as const;

export function checkGre(b: Buffer, off: number, avail: number): Check {
  if (avail < GRE.MIN_HEADER_LEN) return 'decode.gre.truncated';
  const fv = u16(b, off);
  const ver = fv & GRE.VERSION_MASK;
  if (ver === 0) {
    if ((fv & GRE.FLAG_R) !== 0) return 'decode.gre.routing_present';
  } else if (ver !== 1 || (fv & GRE.FLAG_K) === 0) return 'decode.gre.unsupported_version';
  if (avail < greHeaderLen(b, off)) return 'decode.gre.truncated';
  return null;
}

export function greHeaderLen(b: Buffer, off: number): number {
  const fv = u16(b, off);
  let n = 4;
  if ((fv & (GRE.FLAG_C | GRE.FLAG_R)) !== 0) n += 4;
  if ((fv & GRE.FLAG_K) !== 0) n += 4;
  if ((fv & GRE.FLAG_S) !== 0) n += 4;
  if ((fv & GRE.VERSION_MASK) === 1 && (fv & GRE.FLAG_A) !== 0) n += 4;
  return n;
}

export function greProtocol(b: Buffer, off: number): number { return u16(b, off + GRE.PROTOCOL); }
export function greVersion(b: Buffer, off: number): number { return u16(b, off) & GRE.VERSION_MASK; }
