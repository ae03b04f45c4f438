/**
 * Geneve (RFC 8926) on UDP 6081:
 *   0             1        2               4     7
 *   | ver(2)|optlen(6) | O C rsvd | protocol type | VNI | reserved | options (optlen * 4 bytes)
 * protocol type: 0x6558 Ethernet, 0x0800 IPv4, 0x86dd IPv6.
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const GENEVE = { VER_OPTLEN: 0, FLAGS: 1, PROTOCOL: 2, VNI: 4, MIN_HEADER_LEN: 8, PORT: 6081 } as const;

export function checkGeneve(b: Buffer, off: number, avail: number): Check {
  if (avail < GENEVE.MIN_HEADER_LEN) return 'decode.geneve.truncated';
  if (b[off]! >> 6 !== 0) return 'decode.geneve.bad_version';
  if (avail < geneveHeaderLen(b, off)) return 'decode.geneve.truncated';
  return null;
}

export function geneveHeaderLen(b: Buffer, off: number): number {
  return GENEVE.MIN_HEADER_LEN + ((b[off + GENEVE.VER_OPTLEN]! & 0x3f) << 2);
}

export function geneveProtocol(b: Buffer, off: number): number { return u16(b, off + GENEVE.PROTOCOL); }
