/**
 * ERSPAN (draft-foschiano-erspan-03): a switch's or hypervisor's mirrored frames carried in GRE.
 * The GRE protocol type says which kind:
 *   0x88be without GRE's sequence number (S): type I, no ERSPAN header, the Ethernet frame follows;
 *   0x88be with S: type II, an 8-byte header, then the Ethernet frame:
 *     0                 2                 4                  8
 *     | ver(4)=1 vlan(12) | cos(3) en(2) t(1) session(10) | reserved(12) index(20) |
 *   0x22eb: type III, a 12-byte header (an 8-byte platform subheader follows when O is set), then
 *     the frame: an Ethernet frame (frame type 0) or an IP packet (frame type 2):
 *     0                 2                            4           8       10
 *     | ver(4)=2 vlan(12) | cos(3) bso(2) t(1) session(10) | timestamp | sgt | p(1) ft(5) hw(6) d(1) gra(2) o(1) |
 * Wireshark shows frame types other than Ethernet as data; the draft's IP frame type is decoded here.
 * The T bit says the switch cut the mirrored frame to its MTU: the inner packet is then shorter
 * than its IP length says, as when a snaplen cut it.
 */
import type { Check } from '../anomalies.js';

export const ERSPAN = {
  /** GRE protocol types: 0x88be carries types I (no sequence number in GRE) and II, 0x22eb type III. */
  TYPE_II: 0x88be, TYPE_III: 0x22eb,
  TYPE_II_HEADER_LEN: 8, TYPE_III_HEADER_LEN: 12, PLATFORM_SUBHEADER_LEN: 8,
  /** Versions in the header's first 4 bits. */
  VERSION_II: 1, VERSION_III: 2,
  /** Type III frame types. */
  FRAME_ETHERNET: 0, FRAME_IP: 2,
} as const;

/**
 * The ERSPAN header at off (after a GRE header of protocol 0x88be with S, or 0x22eb). Its version,
 * not the GRE protocol type, says which header it is, as Wireshark reads it.
 */
export function checkErspan(b: Buffer, off: number, avail: number): Check {
  if (avail < ERSPAN.TYPE_II_HEADER_LEN) return 'decode.erspan.truncated';
  const v = b[off]! >> 4;
  if (v === ERSPAN.VERSION_II) return null;
  if (v !== ERSPAN.VERSION_III) return 'decode.erspan.bad_version';
  if (avail < ERSPAN.TYPE_III_HEADER_LEN || avail < erspanHeaderLen(b, off)) return 'decode.erspan.truncated';
  const ft = erspanFrameType(b, off);
  if (ft !== ERSPAN.FRAME_ETHERNET && ft !== ERSPAN.FRAME_IP) return 'decode.erspan.unsupported_frame_type';
  return null;
}

/** Bytes from a checked ERSPAN header (type II or III; type I has none) to the mirrored frame. */
export function erspanHeaderLen(b: Buffer, off: number): number {
  if (b[off]! >> 4 !== ERSPAN.VERSION_III) return ERSPAN.TYPE_II_HEADER_LEN;
  return ERSPAN.TYPE_III_HEADER_LEN + ((b[off + 11]! & 1) !== 0 ? ERSPAN.PLATFORM_SUBHEADER_LEN : 0);
}

/** A type III header's frame type (ERSPAN.FRAME_*): the mirrored frame is Ethernet or an IP packet. */
export function erspanFrameType(b: Buffer, off: number): number {
  return b[off]! >> 4 === ERSPAN.VERSION_III ? (b[off + 10]! >> 2) & 0x1f : ERSPAN.FRAME_ETHERNET;
}
