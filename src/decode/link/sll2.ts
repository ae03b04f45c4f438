/**
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), 20 bytes:
 *   0          2          4            8         10           11         12
 *   | protocol | reserved | if index   | ARPHRD  | packet type | addr len | addr (8)
 */
import type { Check } from '../anomalies.js';
import { u16, u32 } from '../bytes.js';

export const SLL2 = { PROTOCOL: 0, RESERVED: 2, IFINDEX: 4, ARPHRD: 8, PACKET_TYPE: 10, ADDR_LEN: 11, ADDR: 12, HEADER_LEN: 20 } as const;

export function checkSll2(_b: Buffer, off: number, end: number): Check {
  return end - off < SLL2.HEADER_LEN ? 'decode.sll2.truncated' : null;
}

export function sll2Protocol(b: Buffer, off: number): number {
  return u16(b, off + SLL2.PROTOCOL);
}

export function sll2IfIndex(b: Buffer, off: number): number {
  return u32(b, off + SLL2.IFINDEX);
}
