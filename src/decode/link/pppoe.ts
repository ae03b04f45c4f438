/**
 * PPPoE session stage (EtherType 0x8864, RFC 2516), followed by a 2-byte PPP protocol:
 *   0        1      2           4        6
 *   | ver|type | code | session id | length | PPP protocol
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const PPPOE = { VER_TYPE: 0, CODE: 1, SESSION: 2, LENGTH: 4, HEADER_LEN: 6 } as const;

export function checkPppoe(b: Buffer, off: number, end: number): Check {
  if (end - off < PPPOE.HEADER_LEN) return 'decode.pppoe.truncated';
  if (b[off + PPPOE.VER_TYPE] !== 0x11) return 'decode.pppoe.bad_version';
  return null;
}

export function pppoeSession(b: Buffer, off: number): number {
  return u16(b, off + PPPOE.SESSION);
}

export function pppoeLength(b: Buffer, off: number): number {
  return u16(b, off + PPPOE.LENGTH);
}
