/**
 * PPP framing as carried by PPPoE and by PPTP's enhanced GRE (RFC 1661, RFC 2637):
 * optional address/control 0xff 0x03, then the protocol in 2 bytes, or 1 byte when
 * protocol-field compression is on (the first byte is odd).
 */
import type { Check } from '../anomalies.js';

export const PPP = { ADDRESS: 0xff, CONTROL: 0x03, PROTO_IPV4: 0x0021, PROTO_IPV6: 0x0057 } as const;

/** Offset of the protocol field (after an optional address/control pair). */
function protoAt(b: Buffer, off: number, end: number): number {
  return end - off >= 2 && b[off] === PPP.ADDRESS && b[off + 1] === PPP.CONTROL ? off + 2 : off;
}

/** Length of the PPP header at off (address/control + protocol), or -1 when cut short. */
export function pppHeaderLen(b: Buffer, off: number, end: number): number {
  const p = protoAt(b, off, end);
  if (end - p < 1) return -1;
  if ((b[p]! & 1) === 1) return p + 1 - off;
  if (end - p < 2) return -1;
  return p + 2 - off;
}

export function checkPpp(b: Buffer, off: number, end: number): Check {
  return pppHeaderLen(b, off, end) < 0 ? 'decode.ppp.truncated' : null;
}

/** The PPP protocol number (after a passed check). */
export function pppProtocol(b: Buffer, off: number, end: number): number {
  const p = protoAt(b, off, end);
  return (b[p]! & 1) === 1 ? b[p]! : (b[p]! << 8) | b[p + 1]!;
}
