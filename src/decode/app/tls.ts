/**
 * TLS ClientHello server_name (RFC 8446 §4.1.2, RFC 6066 §3). Not on the per-packet hot path:
 * the flow stage calls it for the first client payload of TCP 443 flows. Every length is
 * bounds-checked against the captured bytes; returns null when there is no complete SNI.
 *
 *   record:    | type 0x16 | version (2) | length (2) |
 *   handshake: | type 1 | length (3) | version (2) | random (32) | session id <1> | cipher suites <2> |
 *              | compression <1> | extensions <2>: { type (2) | length (2) | data } ...
 *   server_name (type 0): | list length (2) | name type 0 | host name <2> |
 */
export const TLS = { CONTENT_HANDSHAKE: 0x16, HANDSHAKE_CLIENT_HELLO: 1, EXT_SERVER_NAME: 0, SNI_HOST_NAME: 0, RECORD_HEADER_LEN: 5 } as const;

export function parseTlsSni(buf: Buffer, off: number, len: number): string | null {
  const span = SPAN;
  if (!locateTlsSni(buf, off, len, span)) return null;
  const name = buf.toString('latin1', span[0]!, span[0]! + span[1]!);
  // RFC 6066: ASCII host name, no trailing dot; reject anything that could not be a DNS name
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return null;
  return name.toLowerCase().replace(/\.$/, '');
}

const SPAN = new Int32Array(2);

/**
 * Where parseTlsSni's host name is: its bytes are buf[span[0], span[0] + span[1]) (not yet checked
 * to be a DNS name). False when parseTlsSni finds no name. Makes no string: a caller can
 * recognise a ClientHello's name by its bytes before asking for the text.
 */
export function locateTlsSni(buf: Buffer, off: number, len: number, span: Int32Array): boolean {
  const end = Math.min(buf.length, off + len);
  if (off < 0 || end - off < TLS.RECORD_HEADER_LEN + 4) return false;
  if (buf[off] !== TLS.CONTENT_HANDSHAKE || buf[off + 1] !== 3) return false;
  const recEnd = Math.min(end, off + TLS.RECORD_HEADER_LEN + buf.readUInt16BE(off + 3));
  let p = off + TLS.RECORD_HEADER_LEN;
  if (buf[p] !== TLS.HANDSHAKE_CLIENT_HELLO) return false;
  const hsEnd = Math.min(recEnd, p + 4 + ((buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!));
  p += 4 + 2 + 32; // handshake header, client version, random
  if (p + 1 > hsEnd) return false;
  p += 1 + buf[p]!; // session id
  if (p + 2 > hsEnd) return false;
  p += 2 + buf.readUInt16BE(p); // cipher suites
  if (p + 1 > hsEnd) return false;
  p += 1 + buf[p]!; // compression methods
  if (p + 2 > hsEnd) return false;
  const extEnd = Math.min(hsEnd, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const elen = buf.readUInt16BE(p + 2);
    const d = p + 4;
    if (d + elen > extEnd) return false;
    if (type === TLS.EXT_SERVER_NAME) {
      if (elen < 2) return false;
      const listEnd = Math.min(d + elen, d + 2 + buf.readUInt16BE(d));
      let q = d + 2;
      while (q + 3 <= listEnd) {
        const nt = buf[q]!;
        const nlen = buf.readUInt16BE(q + 1);
        if (q + 3 + nlen > listEnd) return false;
        if (nt === TLS.SNI_HOST_NAME && nlen > 0) { span[0] = q + 3; span[1] = nlen; return true; }
        q += 3 + nlen;
      }
      return false;
    }
    p = d + elen;
  }
  return false;
}

/**
 * For a flow stage that reassembles: how many bytes from off the first TLS record holds
 * (5 + record length) when buf[off..] starts a handshake record, else -1. A ClientHello with a
 * post-quantum key share (~1.8 KB) spans two TCP segments and browsers randomise the extension
 * order, so the server_name may only be in the second segment: concatenate the client's first
 * segments up to this length, then call parseTlsSni on the copy.
 */
export function tlsRecordLength(buf: Buffer, off: number, len: number): number {
  const end = Math.min(buf.length, off + len);
  if (off < 0 || end - off < TLS.RECORD_HEADER_LEN || buf[off] !== TLS.CONTENT_HANDSHAKE || buf[off + 1] !== 3) return -1;
  return TLS.RECORD_HEADER_LEN + buf.readUInt16BE(off + 3);
}
