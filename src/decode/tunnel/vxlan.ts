/**
 * VXLAN (RFC 7348) on UDP 4789, followed by an Ethernet frame:
 *   0       1          4     7
 *   | flags | reserved | VNI | reserved |   (8 bytes; flag I = 0x08 must be set)
 */
import type { Check } from '../anomalies.js';
import { u32 } from '../bytes.js';

export const VXLAN = { FLAGS: 0, VNI: 4, HEADER_LEN: 8, FLAG_I: 0x08, PORT: 4789 } as const;

export function checkVxlan(b: Buffer, off: number, avail: number): Check {
  if (avail < VXLAN.HEADER_LEN) return 'decode.vxlan.truncated';
  if ((b[off + VXLAN.FLAGS]! & VXLAN.FLAG_I) === 0) return 'decode.vxlan.bad_flags';
  return null;
}

export function vxlanVni(b: Buffer, off: number): number { return u32(b, off + VXLAN.VNI) >>> 8; }
