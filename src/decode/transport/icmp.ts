/**
 * ICMP (RFC 792):  | type | code | checksum | rest of header (4) | data
 * Error messages (destination unreachable 3, source quench 4, time exceeded 11, parameter
 * problem 12) quote the original IP header plus at least 8 bytes of its payload from offset 8.
 */
import type { Check } from '../anomalies.js';

export const ICMP = { TYPE: 0, CODE: 1, CHECKSUM: 2, REST: 4, HEADER_LEN: 8, QUOTED: 8 } as const;
export const IcmpType = { ECHO_REPLY: 0, DEST_UNREACH: 3, SOURCE_QUENCH: 4, REDIRECT: 5, ECHO: 8, TIME_EXCEEDED: 11, PARAM_PROBLEM: 12 } as const;

export function checkIcmp(_b: Buffer, _off: number, avail: number): Check {
  return avail < 2 ? 'decode.icmp.truncated' : null;
}

export function icmpType(b: Buffer, off: number): number { return b[off + ICMP.TYPE]!; }
export function icmpCode(b: Buffer, off: number): number { return b[off + ICMP.CODE]!; }

export function icmpIsError(type: number): boolean {
  return type === 3 || type === 4 || type === 11 || type === 12;
}
