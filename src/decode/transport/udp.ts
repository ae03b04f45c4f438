/**
 * UDP header (RFC 768):  | sport | dport | length | checksum |  (8 bytes)
 * Length 0 is allowed (IPv6 jumbograms); 1..7 is malformed; a length beyond the IP payload is an
 * oddity (counted, packet still decoded); a length beyond the captured bytes is snaplen, not an anomaly.
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const UDP = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6, HEADER_LEN: 8 } as const;

export function checkUdp(b: Buffer, off: number, avail: number): Check {
  if (avail < UDP.HEADER_LEN) return 'decode.udp.truncated';
  const len = u16(b, off + UDP.LENGTH);
  if (len !== 0 && len < UDP.HEADER_LEN) return 'decode.udp.bad_length';
  return null;
}

export function udpSrcPort(b: Buffer, off: number): number { return u16(b, off + UDP.SRC_PORT); }
export function udpDstPort(b: Buffer, off: number): number { return u16(b, off + UDP.DST_PORT); }
export function udpLength(b: Buffer, off: number): number { return u16(b, off + UDP.LENGTH); }
