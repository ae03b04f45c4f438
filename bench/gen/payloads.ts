/**
 * Protocol-typical payload bytes for generated flows: real DNS queries/answers (A, AAAA, SRV),
 * a TLS ClientHello with SNI, and the first bytes of LDAP, Kerberos, DCE-RPC, SMB2, RDP, SSH,
 * HTTP, WinRM, NTP and SNMP. Built once per generator, copied into frames.
 */

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.')) {
    const l = Buffer.from(label, 'ascii');
    parts.push(Buffer.from([l.length]), l);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const DnsType = { A: 1, AAAA: 28, SRV: 33 } as const;

export interface DnsAnswer {
  type: number;
  /** A: 4 bytes, AAAA: 16 bytes, SRV: target host name. */
  data: Uint8Array | string;
  port?: number;
}

export function dnsQuery(id: number, name: string, qtype: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([h, encodeName(name), q]);
}

export function dnsResponse(id: number, name: string, qtype: number, answers: readonly DnsAnswer[], rcode = 0): Buffer {
  const query = dnsQuery(id, name, qtype);
  query.writeUInt16BE(0x8180 | rcode, 2); // QR RD RA
  query.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [query];
  for (const a of answers) {
    let rdata: Buffer;
    if (a.type === DnsType.SRV) {
      const target = encodeName(a.data as string);
      rdata = Buffer.alloc(6 + target.length);
      rdata.writeUInt16BE(0, 0); // priority
      rdata.writeUInt16BE(100, 2); // weight
      rdata.writeUInt16BE(a.port ?? 389, 4);
      target.copy(rdata, 6);
    } else {
      rdata = Buffer.from(a.data as Uint8Array);
    }
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(a.type === DnsType.SRV ? 600 : 3600, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

/** DNS over TCP: two-byte length prefix. */
export function tcpFramed(msg: Buffer): Buffer {
  const l = Buffer.alloc(2);
  l.writeUInt16BE(msg.length, 0);
  return Buffer.concat([l, msg]);
}

function bytesFrom(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

/** A TLS 1.2-record ClientHello carrying server_name and supported_versions. */
export function tlsClientHello(sni: string, seed: number): Buffer {
  const host = Buffer.from(sni, 'ascii');
  const sniExt = Buffer.alloc(9 + host.length);
  sniExt.writeUInt16BE(0x0000, 0);
  sniExt.writeUInt16BE(host.length + 5, 2);
  sniExt.writeUInt16BE(host.length + 3, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(host.length, 7);
  host.copy(sniExt, 9);
  const sv = Buffer.from([0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
  const exts = Buffer.concat([sniExt, sv]);
  const suites = Buffer.from([0x00, 0x06, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), bytesFrom(seed, 32), Buffer.from([32]), bytesFrom(seed ^ 0x5555, 32),
    suites, Buffer.from([0x01, 0x00]), Buffer.from([exts.length >> 8, exts.length & 255]), exts,
  ]);
  const hs = Buffer.concat([Buffer.from([0x01, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 255]), hs]);
}

export function tlsServerHello(seed: number): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), bytesFrom(seed, 32), Buffer.from([32]), bytesFrom(seed ^ 0xaaaa, 32),
    Buffer.from([0x13, 0x01, 0x00, 0x00, 0x06, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]),
  ]);
  const hs = Buffer.concat([Buffer.from([0x02, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x03, hs.length >> 8, hs.length & 255]), hs]);
}

const ascii = (s: string): Buffer => Buffer.from(s, 'ascii');

/** First bytes of the first client (c) and server (s) message per application protocol. */
export const PREFIX = {
  ldapC: Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]),
  ldapS: Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]),
  krbTcpC: Buffer.from([0x00, 0x00, 0x01, 0x20, 0x6a, 0x82, 0x01, 0x1c, 0x30, 0x82, 0x01, 0x18, 0xa1, 0x03, 0x02, 0x01, 0x05]),
  krbTcpS: Buffer.from([0x00, 0x00, 0x05, 0x80, 0x6b, 0x82, 0x05, 0x7c, 0x30, 0x82, 0x05, 0x78, 0xa0, 0x03, 0x02, 0x01, 0x05]),
  krbUdpC: Buffer.from([0x6a, 0x81, 0xf0, 0x30, 0x81, 0xed, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2, 0x03, 0x02, 0x01, 0x0a]),
  krbUdpS: Buffer.from([0x6b, 0x82, 0x05, 0x20, 0x30, 0x82, 0x05, 0x1c, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x0b]),
  rpcC: Buffer.from([0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]),
  rpcS: Buffer.from([0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]),
  smbC: Buffer.from([0x00, 0x00, 0x00, 0x66, 0xfe, 0x53, 0x4d, 0x42, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
  smbS: Buffer.from([0x00, 0x00, 0x00, 0xf8, 0xfe, 0x53, 0x4d, 0x42, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]),
  rdpC: Buffer.from([0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00]),
  rdpS: Buffer.from([0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00]),
  sshC: ascii('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'),
  sshS: ascii('SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n'),
  crlC: ascii('GET /pki/crl/products/MicRooCerAut2011_2011_03_22.crl HTTP/1.1\r\nHost: crl.microsoft.com\r\nUser-Agent: Microsoft-CryptoAPI/10.0\r\n\r\n'),
  crlS: ascii('HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 1036\r\n\r\n'),
  winrmC: ascii('POST /wsman HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Type: multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted"\r\n'),
  winrmS: ascii('HTTP/1.1 200 \r\nContent-Type: multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted"\r\n'),
  tdsC: Buffer.from([0x12, 0x01, 0x00, 0x2f, 0x00, 0x00, 0x01, 0x00]),
  amqpC: Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x02, 0x01, 0x00, 0x00]),
  amqpS: Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x02, 0x01, 0x00, 0x00]),
  ntpC: Buffer.concat([Buffer.from([0x23, 0x00, 0x06, 0x20]), Buffer.alloc(44)]),
  ntpS: Buffer.concat([Buffer.from([0x24, 0x02, 0x06, 0xe9]), Buffer.alloc(44)]),
  snmpC: Buffer.from([0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa0, 0x19, 0x02, 0x01, 0x01,
    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00]),
  cldapC: Buffer.from([0x30, 0x84, 0x00, 0x00, 0x00, 0x50, 0x02, 0x01, 0x01, 0x63, 0x84, 0x00, 0x00, 0x00, 0x47, 0x04, 0x00, 0x0a, 0x01, 0x00]),
  cldapS: Buffer.from([0x30, 0x84, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x01, 0x01, 0x64, 0x84, 0x00, 0x00, 0x00, 0x97, 0x04, 0x00, 0x30, 0x84, 0x00]),
} as const;

/** Deterministic filler for the rest of every payload. */
export function makeFiller(seed: number, n = 1 << 16): Buffer {
  return bytesFrom(seed, n);
}
