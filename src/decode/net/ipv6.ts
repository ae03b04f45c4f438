/**
 * IPv6 fixed header (RFC 8200) and the extension headers the decoder walks through:
 *   0            4             6        7           8     24    40
 *   | ver|tc|flow | payload len | next hdr | hop limit | src | dst | extension headers...
 * Extension headers: hop-by-hop (0), routing (43), fragment (44), destination options (60),
 * AH (51, length in 4-byte units + 2), mobility (135), HIP (139), shim6 (140).
 */
import type { Check } from '../anomalies.js';
import { u16, u32 } from '../bytes.js';

export const IPV6 = { VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXT_HEADER: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HEADER_LEN: 40 } as const;

export const Ipv6Ext = { HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, AH: 51, NO_NEXT: 59, DEST_OPTS: 60, MOBILITY: 135, HIP: 139, SHIM6: 140 } as const;

/** Fragment extension header: next header, reserved, offset (13 bits) | res | M, identification. */
export const IPV6_FRAG = { NEXT_HEADER: 0, OFFSET_FLAGS: 2, ID: 4, HEADER_LEN: 8, FLAG_M: 1 } as const;

/**
 * Extension-header chains longer than IPV6_MAX_EXT_HEADERS are an oddity (counted as
 * decode.ipv6.too_many_ext_headers, decoding goes on, so a transport hidden behind a long chain
 * is still seen); past IPV6_EXT_CHAIN_LIMIT the packet is Malformed (decode.ipv6.ext_chain_limit).
 * The walk always advances by at least 8 bytes, so it cannot loop; the limit bounds the work.
 */
export const IPV6_MAX_EXT_HEADERS = 16;
export const IPV6_EXT_CHAIN_LIMIT = 256;

export function checkIpv6(b: Buffer, off: number, end: number): Check {
  if (end - off < 1) return 'decode.ipv6.truncated';
  if (b[off]! >> 4 !== 6) return 'decode.ipv6.bad_version';
  if (end - off < IPV6.HEADER_LEN) return 'decode.ipv6.truncated';
  return null;
}

export function ipv6PayloadLen(b: Buffer, off: number): number {
  return u16(b, off + IPV6.PAYLOAD_LEN);
}
export function ipv6NextHeader(b: Buffer, off: number): number {
  return b[off + IPV6.NEXT_HEADER]!;
}

export function isIpv6ExtHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51 || nh === 135 || nh === 139 || nh === 140;
}

/**
 * Length of the extension header `nh` at off, or -1 when its length field is not captured.
 * The fragment header is always 8 bytes; AH counts 4-byte units (+2); the others 8-byte units (+1).
 */
export function ipv6ExtLen(b: Buffer, off: number, end: number, nh: number): number {
  if (nh === Ipv6Ext.FRAGMENT) return IPV6_FRAG.HEADER_LEN;
  if (end - off < 2) return -1;
  return nh === Ipv6Ext.AH ? (b[off + 1]! + 2) << 2 : (b[off + 1]! + 1) << 3;
}

export function ipv6FragOffset(b: Buffer, off: number): number {
  return u16(b, off + IPV6_FRAG.OFFSET_FLAGS) >> 3;
}
export function ipv6FragMore(b: Buffer, off: number): boolean {
  return (u16(b, off + IPV6_FRAG.OFFSET_FLAGS) & IPV6_FRAG.FLAG_M) !== 0;
}
export function ipv6FragId(b: Buffer, off: number): number {
  return u32(b, off + IPV6_FRAG.ID);
}
