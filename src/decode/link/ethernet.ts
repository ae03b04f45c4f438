/**
 * Ethernet II (and 802.3 length frames, which are never IP here).
 *   0      6      12         14
 *   | dst  | src  | EtherType | payload
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const ETHERNET = { DST: 0, SRC: 6, ETHERTYPE: 12, HEADER_LEN: 14 } as const;

/** EtherType values the decoder dispatches on (anything else is non-IP: counted and Unsupported). */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  IPV6: 0x86dd,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  TEB: 0x6558,
  MPLS_UNICAST: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPP: 0x880b,
} as const;

export function checkEthernet(_b: Buffer, off: number, end: number): Check {
  return end - off < ETHERNET.HEADER_LEN ? 'decode.ethernet.truncated' : null;
}

export function ethernetType(b: Buffer, off: number): number {
  return u16(b, off + ETHERNET.ETHERTYPE);
}

/** True for the tag protocol identifiers the decoder walks through (802.1Q, 802.1ad, old QinQ 0x9100). */
export function isVlanTpid(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_OLD;
}
