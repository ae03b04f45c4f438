/** SCTP common header (RFC 9260): | sport | dport | verification tag | checksum | (12 bytes). */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const SCTP = { SRC_PORT: 0, DST_PORT: 2, VTAG: 4, CHECKSUM: 8, HEADER_LEN: 12 } as const;

/** Only the ports are needed for flows, so 4 captured bytes suffice. */
export function checkSctp(_b: Buffer, _off: number, avail: number): Check {
  return avail < 4 ? 'decode.sctp.truncated' : null;
}

export function sctpSrcPort(b: Buffer, off: number): number { return u16(b, off + SCTP.SRC_PORT); }
export function sctpDstPort(b: Buffer, off: number): number { return u16(b, off + SCTP.DST_PORT); }
