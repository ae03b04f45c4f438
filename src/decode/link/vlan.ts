/**
 * 802.1Q / 802.1ad tag, as it follows the tag protocol identifier:
 *   0           2
 *   | PCP DEI VID | EtherType
 */
import type { Check } from '../anomalies.js';
import { u16 } from '../bytes.js';

export const VLAN = { TCI: 0, ETHERTYPE: 2, HEADER_LEN: 4, VID_MASK: 0x0fff, MAX_TAGS: 8 } as const;

export function checkVlan(_b: Buffer, off: number, end: number): Check {
  return end - off < VLAN.HEADER_LEN ? 'decode.vlan.truncated' : null;
}

export function vlanId(b: Buffer, off: number): number {
  return u16(b, off + VLAN.TCI) & VLAN.VID_MASK;
}

export function vlanEthertype(b: Buffer, off: number): number {
  return u16(b, off + VLAN.ETHERTYPE);
}
