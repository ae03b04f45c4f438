/**
 * TCP header (RFC 9293):
 *   0        2        4     8     12            13      14       16      18    20
 *   | sport  | dport  | seq | ack | doff|res     | flags | window | cksum | urg | options
 * Partial headers are normal under a small snaplen: 4 bytes give the ports, 14 the flags.
 */
import type { Check } from '../anomalies.js';
import { u16, u32 } from '../bytes.js';

export const TCP = { SRC_PORT: 0, DST_PORT: 2, SEQ: 4, ACK: 8, DATA_OFFSET: 12, FLAGS: 13, WINDOW: 14, CHECKSUM: 16, URGENT: 18, MIN_HEADER_LEN: 20, PORTS_LEN: 4, FLAGS_LEN: 14 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/**
 * avail = captured bytes of the segment; segLen = segment length per the IP header.
 * Truncated when fewer than 14 bytes (ports + flags) were captured; Malformed when the data
 * offset is below 5 or points past the segment. A header whose options were cut is fine.
 */
export function checkTcp(b: Buffer, off: number, avail: number, segLen: number): Check {
  if (avail < TCP.FLAGS_LEN) return 'decode.tcp.truncated';
  const hl = (b[off + TCP.DATA_OFFSET]! >> 4) << 2;
  if (hl < TCP.MIN_HEADER_LEN || hl > segLen) return 'decode.tcp.bad_data_offset';
  return null;
}

export function tcpSrcPort(b: Buffer, off: number): number { return u16(b, off + TCP.SRC_PORT); }
export function tcpDstPort(b: Buffer, off: number): number { return u16(b, off + TCP.DST_PORT); }
export function tcpSeq(b: Buffer, off: number): number { return u32(b, off + TCP.SEQ); }
export function tcpAck(b: Buffer, off: number): number { return u32(b, off + TCP.ACK); }
export function tcpHeaderLen(b: Buffer, off: number): number { return (b[off + TCP.DATA_OFFSET]! >> 4) << 2; }
export function tcpFlags(b: Buffer, off: number): number { return b[off + TCP.FLAGS]!; }
