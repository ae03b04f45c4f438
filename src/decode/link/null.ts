/**
 * BSD loopback: LINKTYPE_NULL (0) has a 4-byte address family in the capturing host's byte
 * order (so both orders are tried); LINKTYPE_LOOP (108) has it in network byte order.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
 */
import type { Check } from '../anomalies.js';
import { u32, u32le } from '../bytes.js';

export const NULL_LINK = { FAMILY: 0, HEADER_LEN: 4 } as const;
export const AddressFamily = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;

export function checkNull(_b: Buffer, off: number, end: number): Check {
  return end - off < NULL_LINK.HEADER_LEN ? 'decode.null.truncated' : null;
}

export function checkLoop(_b: Buffer, off: number, end: number): Check {
  return end - off < NULL_LINK.HEADER_LEN ? 'decode.loop.truncated' : null;
}

/** 4 for AF_INET, 6 for the AF_INET6 values, 0 for anything else. */
export function familyVersion(af: number): number {
  if (af === AddressFamily.INET) return 4;
  if (af === AddressFamily.INET6_BSD || af === AddressFamily.INET6_FREEBSD || af === AddressFamily.INET6_DARWIN) return 6;
  return 0;
}

/** NULL: the family in either byte order (little-endian tried first: most captures come from LE hosts). */
export function nullIpVersion(b: Buffer, off: number): number {
  const v = familyVersion(u32le(b, off));
  return v !== 0 ? v : familyVersion(u32(b, off));
}

/** LOOP: network byte order only. */
export function loopIpVersion(b: Buffer, off: number): number {
  return familyVersion(u32(b, off));
}
