/**
 * ICMPv6 (RFC 4443):  | type | code | checksum | rest of header (4) | data
 * Error messages (types 1 destination unreachable, 2 packet too big, 3 time exceeded,
 * 4 parameter problem) quote as much of the original IPv6 packet as fits, from offset 8.
 */
import type { Check } from '../anomalies.js';

export const ICMPV6 = { TYPE: 0, CODE: 1, CHECKSUM: 2, REST: 4, HEADER_LEN: 8, QUOTED: 8 } as const;
export const Icmpv6Type = { DEST_UNREACH: 1, PACKET_TOO_BIG: 2, TIME_EXCEEDED: 3, PARAM_PROBLEM: 4, ECHO_REQUEST: 128, ECHO_REPLY: 129 } as const;

export function checkIcmpv6(_b: Buffer, _off: number, avail: number): Check {
  return avail < 2 ? 'decode.icmpv6.truncated' : null;
}

export function icmpv6Type(b: Buffer, off: number): number { return b[off + ICMPV6.TYPE]!; }
export function icmpv6Code(b: Buffer, off: number): number { return b[off + ICMPV6.CODE]!; }

export function icmpv6IsError(type: number): boolean {
  return type >= 1 && type <= 4;
}
