/**
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), 16 bytes:
 *   0            2         4          6           14
 *   | packet type | ARPHRD  | addr len | addr (8)  | protocol (EtherType)
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const SLL = { PACKET_TYPE: 0, ARPHRD: 2, ADDR_LEN: 4, ADDR: 6, PROTOCOL: 14, HEADER_LEN: 16 } as const;

export function checkSll(_b: Buffer, off: number, end: number): Check {
  return end - off < SLL.HEADER_LEN ? 'decode.sll.truncated' : null;
}

export function sllProtocol(b: Buffer, off: number): number {
  return u16(b, off + SLL.PROTOCOL);
}

export function sllPacketType(b: Buffer, off: number): number {
  return u16(b, off + SLL.PACKET_TYPE);
}
