/**
 * Small, independent byte builders for hostile-input tests: pcap and pcapng containers (with
 * the ability to lie in every length field), link/network/transport headers, DNS messages and
 * TLS records. Everything is built by hand from the format specifications so that the tests do
 * not depend on the code they test (RFC 791, RFC 8200, RFC 768, RFC 9293, RFC 1035 §4.1.4,
 * RFC 8446 §4/§5, draft-ietf-opsawg-pcap / draft-ietf-opsawg-pcapng).
 */

// ---------------------------------------------------------------- pcap

export interface PcapRecordSpec {
  tsSec?: number;
  tsFrac?: number;
  data: Uint8Array;
  /** orig_len (defaults to data.length). */
  origLen?: number;
  /** Lie about incl_len (defaults to data.length). */
  inclLen?: number;
}

export interface PcapSpec {
  le?: boolean;
  nsec?: boolean;
  linkType?: number;
  snaplen?: number;
  major?: number;
  minor?: number;
  records: PcapRecordSpec[];
}

export function pcapHeader(s: Omit<PcapSpec, 'records'> = {}): Buffer {
  const le = s.le ?? true;
  const b = Buffer.alloc(24);
  const magic = s.nsec ? 0xa1b23c4d : 0xa1b2c3d4;
  if (le) {
    b.writeUInt32LE(magic, 0); b.writeUInt16LE(s.major ?? 2, 4); b.writeUInt16LE(s.minor ?? 4, 6);
    b.writeUInt32LE((s.snaplen ?? 65535) >>> 0, 16); b.writeUInt32LE((s.linkType ?? 1) >>> 0, 20);
  } else {
    b.writeUInt32BE(magic, 0); b.writeUInt16BE(s.major ?? 2, 4); b.writeUInt16BE(s.minor ?? 4, 6);
    b.writeUInt32BE((s.snaplen ?? 65535) >>> 0, 16); b.writeUInt32BE((s.linkType ?? 1) >>> 0, 20);
  }
  return b;
}

export function pcapRecord(r: PcapRecordSpec, le = true): Buffer {
  const h = Buffer.alloc(16);
  const w = (v: number, o: number) => (le ? h.writeUInt32LE(v >>> 0, o) : h.writeUInt32BE(v >>> 0, o));
  w(r.tsSec ?? 1700000000, 0); w(r.tsFrac ?? 0, 4); w(r.inclLen ?? r.data.length, 8); w(r.origLen ?? r.data.length, 12);
  return Buffer.concat([h, r.data]);
}

export function pcapFile(s: PcapSpec): Buffer {
  const le = s.le ?? true;
  return Buffer.concat([pcapHeader(s), ...s.records.map((r) => pcapRecord(r, le))]);
}

// ---------------------------------------------------------------- pcapng

const pad4 = (n: number) => (4 - (n % 4)) % 4;

export interface BlockLies {
  /** Leading total length (defaults to the true length). */
  lead?: number;
  /** Trailing total length (defaults to the true length). */
  trail?: number;
}

/** A generic block: type, body (padded to 32 bits), and optionally lying length fields. */
export function ngBlock(type: number, body: Uint8Array, le = true, lies: BlockLies = {}): Buffer {
  const p = pad4(body.length);
  const total = 12 + body.length + p;
  const b = Buffer.alloc(total);
  const w = (v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  w(type, 0); w(lies.lead ?? total, 4);
  b.set(body, 8);
  w(lies.trail ?? total, total - 4);
  return b;
}

export interface NgOption { code: number; value: Uint8Array; /** lie about the option length */ len?: number }

export function ngOptions(opts: NgOption[], le = true): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const o of opts) {
    const h = Buffer.alloc(4);
    if (le) { h.writeUInt16LE(o.code, 0); h.writeUInt16LE(o.len ?? o.value.length, 2); } else { h.writeUInt16BE(o.code, 0); h.writeUInt16BE(o.len ?? o.value.length, 2); }
    parts.push(h, Buffer.from(o.value), Buffer.alloc(pad4(o.value.length)));
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

export function shb(le = true, opts: NgOption[] = [], lies: BlockLies = {}, version: [number, number] = [1, 0]): Buffer {
  const body = Buffer.alloc(16);
  if (le) { body.writeUInt32LE(0x1a2b3c4d, 0); body.writeUInt16LE(version[0], 4); body.writeUInt16LE(version[1], 6); }
  else { body.writeUInt32BE(0x1a2b3c4d, 0); body.writeUInt16BE(version[0], 4); body.writeUInt16BE(version[1], 6); }
  body.writeInt32LE(-1, 8); body.writeInt32LE(-1, 12); // section length -1 (unknown)
  return ngBlock(0x0a0d0d0a, Buffer.concat([body, ngOptions(opts, le)]), le, lies);
}

export function idb(linkType = 1, snaplen = 0, le = true, opts: NgOption[] = [], lies: BlockLies = {}): Buffer {
  const body = Buffer.alloc(8);
  if (le) { body.writeUInt16LE(linkType, 0); body.writeUInt32LE(snaplen >>> 0, 4); } else { body.writeUInt16BE(linkType, 0); body.writeUInt32BE(snaplen >>> 0, 4); }
  return ngBlock(1, Buffer.concat([body, ngOptions(opts, le)]), le, lies);
}

export interface EpbSpec {
  ifId?: number;
  /** Timestamp in interface units (µs by default). */
  ts?: number;
  data: Uint8Array;
  capLen?: number;
  origLen?: number;
  opts?: NgOption[];
}

export function epb(e: EpbSpec, le = true, lies: BlockLies = {}): Buffer {
  const body = Buffer.alloc(20);
  const ts = e.ts ?? 1700000000_000000;
  const hi = Math.floor(ts / 2 ** 32), lo = ts % 2 ** 32;
  const w = (v: number, o: number) => (le ? body.writeUInt32LE(v >>> 0, o) : body.writeUInt32BE(v >>> 0, o));
  w(e.ifId ?? 0, 0); w(hi, 4); w(lo, 8); w(e.capLen ?? e.data.length, 12); w(e.origLen ?? e.data.length, 16);
  const data = Buffer.concat([Buffer.from(e.data), Buffer.alloc(pad4(e.data.length))]);
  return ngBlock(6, Buffer.concat([body, data, ngOptions(e.opts ?? [], le)]), le, lies);
}

export function spb(data: Uint8Array, origLen = data.length, le = true, lies: BlockLies = {}): Buffer {
  const body = Buffer.alloc(4);
  if (le) body.writeUInt32LE(origLen >>> 0, 0); else body.writeUInt32BE(origLen >>> 0, 0);
  return ngBlock(3, Buffer.concat([body, Buffer.from(data)]), le, lies);
}

// ---------------------------------------------------------------- packets

export function u16(v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(v & 0xffff, 0); return b; }
export function u32(v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0, 0); return b; }

export const MAC_A = Buffer.from('020000000001', 'hex');
export const MAC_B = Buffer.from('020000000002', 'hex');

export function eth(etherType: number, payload: Uint8Array, dst = MAC_B, src = MAC_A): Buffer {
  return Buffer.concat([dst, src, u16(etherType), payload]);
}

/** An Ethernet frame with `tags` 802.1Q/802.1ad tags (TPIDs alternate 0x88a8/0x8100) before the payload. */
export function ethVlan(tags: number[], etherType: number, payload: Uint8Array): Buffer {
  const parts: Buffer[] = [MAC_B, MAC_A];
  tags.forEach((vid, i) => { parts.push(u16(i === tags.length - 1 ? 0x8100 : 0x88a8), u16(vid & 0x0fff)); });
  parts.push(u16(etherType), Buffer.from(payload));
  return Buffer.concat(parts);
}

function csum16(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ipv4Opts { id?: number; flags?: number; fragOff?: number; ttl?: number; totalLen?: number; ihl?: number; options?: Uint8Array }

/** IPv4 header + payload. `src`/`dst` are dotted quads. */
export function ipv4(src: string, dst: string, proto: number, payload: Uint8Array, o: Ipv4Opts = {}): Buffer {
  const opt = o.options ? Buffer.concat([Buffer.from(o.options), Buffer.alloc(pad4(o.options.length))]) : Buffer.alloc(0);
  const h = Buffer.alloc(20 + opt.length);
  const ihl = o.ihl ?? (20 + opt.length) / 4;
  h[0] = 0x40 | (ihl & 15);
  h.writeUInt16BE((o.totalLen ?? h.length + payload.length) & 0xffff, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(((o.flags ?? 0) << 13) | ((o.fragOff ?? 0) & 0x1fff), 6);
  h[8] = o.ttl ?? 64; h[9] = proto;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  opt.copy(h, 20);
  h.writeUInt16BE(csum16(h), 10);
  return Buffer.concat([h, payload]);
}

function v6bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...hs, ...new Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

/** IPv6 header + payload (payload length may lie). */
export function ipv6(src: string, dst: string, nextHeader: number, payload: Uint8Array, payloadLen?: number): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE((payloadLen ?? payload.length) & 0xffff, 4);
  h[6] = nextHeader; h[7] = 64;
  v6bytes(src).copy(h, 8); v6bytes(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

/** A generic IPv6 extension header (hop-by-hop 0, routing 43, destination options 60): hdrExtLen in 8-octet units. */
export function v6ext(next: number, hdrExtLen: number, fill = 0): Buffer {
  const b = Buffer.alloc(8 + hdrExtLen * 8, fill);
  b[0] = next; b[1] = hdrExtLen & 255;
  if (fill === 0 && b.length >= 4) { b[2] = 1; b[3] = b.length - 4; } // one PadN covering the rest
  return b;
}

/** IPv6 fragment header (next header 44). */
export function v6frag(next: number, offset8: number, more: boolean, id = 0x1234): Buffer {
  const b = Buffer.alloc(8);
  b[0] = next; b.writeUInt16BE(((offset8 & 0x1fff) << 3) | (more ? 1 : 0), 2); b.writeUInt32BE(id >>> 0, 4);
  return b;
}

export function udp(sport: number, dport: number, payload: Uint8Array, lenLie?: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt16BE((lenLie ?? 8 + payload.length) & 0xffff, 4);
  return Buffer.concat([h, payload]);
}

export const TCP_FLAGS = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export function tcp(sport: number, dport: number, flags: number, payload: Uint8Array = Buffer.alloc(0), dataOffsetWords = 5, seq = 1000, ack = 0): Buffer {
  const optLen = Math.max(0, dataOffsetWords * 4 - 20);
  const h = Buffer.alloc(20 + optLen);
  h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt32BE(seq >>> 0, 4); h.writeUInt32BE(ack >>> 0, 8);
  h[12] = (dataOffsetWords & 15) << 4; h[13] = flags; h.writeUInt16BE(65535, 14);
  if (optLen) h.fill(1, 20); // NOPs
  return Buffer.concat([h, payload]);
}

/** A plain, valid Ethernet/IPv4/UDP packet (the "good packet" used to show a decoder is still usable). */
export function goodUdpFrame(sport = 40000, dport = 53, payload: Uint8Array = Buffer.from('hello')): Buffer {
  return eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(sport, dport, payload)));
}

export function goodTcpFrame(sport = 50000, dport = 389, flags = TCP_FLAGS.SYN): Buffer {
  return eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(sport, dport, flags)));
}

export function goodV6Frame(): Buffer {
  return eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 17, udp(5353, 53, Buffer.from('x'))));
}

// ---------------------------------------------------------------- DNS (RFC 1035)

export function dnsName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

export interface DnsSpec {
  id?: number;
  flags?: number;
  /** Raw question section bytes (name + type + class). */
  question?: Buffer;
  /** Raw answer records. */
  answers?: Buffer[];
  /** Lie about counts. */
  qd?: number; an?: number;
}

export function dnsMessage(s: DnsSpec): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(s.id ?? 0x1234, 0); h.writeUInt16BE(s.flags ?? 0x8180, 2);
  h.writeUInt16BE(s.qd ?? (s.question ? 1 : 0), 4); h.writeUInt16BE(s.an ?? (s.answers?.length ?? 0), 6);
  return Buffer.concat([h, s.question ?? Buffer.alloc(0), ...(s.answers ?? [])]);
}

/** An A record whose owner name is `nameBytes` (possibly a compression pointer). */
export function dnsA(nameBytes: Buffer, addr: string, rdlenLie?: number): Buffer {
  const f = Buffer.alloc(10);
  f.writeUInt16BE(1, 0); f.writeUInt16BE(1, 2); f.writeUInt32BE(60, 4); f.writeUInt16BE(rdlenLie ?? 4, 8);
  return Buffer.concat([nameBytes, f, Buffer.from(addr.split('.').map(Number))]);
}

export const dnsPtr = (off: number) => Buffer.from([0xc0 | ((off >> 8) & 0x3f), off & 255]);

/** A well-formed response: question `name` A, one answer `name` → addr via a pointer to offset 12. */
export function goodDnsResponse(name = 'dc1.corp.example', addr = '10.0.0.10'): Buffer {
  const q = Buffer.concat([dnsName(name), u16(1), u16(1)]);
  return dnsMessage({ question: q, answers: [dnsA(dnsPtr(12), addr)] });
}

/** Compression loops: a name that points at itself, two names pointing at each other, and a forward chain. */
export function dnsLoops(): { name: string; msg: Buffer }[] {
  const out: { name: string; msg: Buffer }[] = [];
  // question name at 12 is a pointer to 12 (itself)
  out.push({ name: 'self-pointer', msg: dnsMessage({ question: Buffer.concat([dnsPtr(12), u16(1), u16(1)]) }) });
  // label "a" then pointer back to 12 (loop through a label)
  out.push({ name: 'label-loop', msg: dnsMessage({ question: Buffer.concat([Buffer.from([1, 0x61]), dnsPtr(12), u16(1), u16(1)]) }) });
  // answer name points at the answer's own name, question fine
  const q = Buffer.concat([dnsName('x.example'), u16(1), u16(1)]);
  const ansOff = 12 + q.length;
  out.push({ name: 'answer-self', msg: dnsMessage({ question: q, answers: [dnsA(dnsPtr(ansOff), '10.0.0.1')] }) });
  // two pointers pointing at each other: 12 → 14 → 12
  out.push({ name: 'ping-pong', msg: dnsMessage({ question: Buffer.concat([dnsPtr(14), dnsPtr(12), u16(1), u16(1)]) }) });
  // pointer beyond the end
  out.push({ name: 'pointer-past-end', msg: dnsMessage({ question: Buffer.concat([dnsPtr(0x3fff), u16(1), u16(1)]) }) });
  // a very long chain of labels that exceeds 255 bytes of name
  const long = Buffer.concat([...Array.from({ length: 200 }, () => Buffer.from([1, 0x61])), Buffer.from([0]), u16(1), u16(1)]);
  out.push({ name: 'name-too-long', msg: dnsMessage({ question: long }) });
  // a chain of 120 pointers each to the previous (no cycle, but deep)
  const chain: Buffer[] = [Buffer.from([1, 0x62, 0])];
  let off = 12 + 3;
  const ptrs: Buffer[] = [];
  let prev = 12;
  for (let i = 0; i < 120; i++) { ptrs.push(Buffer.concat([Buffer.from([1, 0x63]), dnsPtr(prev)])); prev = off; off += 4; }
  out.push({ name: 'deep-chain', msg: dnsMessage({ question: Buffer.concat([...chain, ...ptrs, dnsPtr(prev), u16(1), u16(1)]), qd: 1 }) });
  // counts that lie: 65535 answers announced, none present
  out.push({ name: 'count-lie', msg: dnsMessage({ question: Buffer.concat([dnsName('a.b'), u16(1), u16(1)]), an: 65535 }) });
  // rdlength lie: says 65535 bytes
  out.push({ name: 'rdlength-lie', msg: dnsMessage({ question: q, answers: [dnsA(dnsPtr(12), '10.0.0.1', 65535)] }) });
  // reserved label types 0x40/0x80
  out.push({ name: 'reserved-label', msg: dnsMessage({ question: Buffer.concat([Buffer.from([0x41, 0x61]), Buffer.from([0]), u16(1), u16(1)]) }) });
  return out;
}

// ---------------------------------------------------------------- TLS (RFC 8446)

export interface ClientHelloLies {
  recordLen?: number;
  handshakeLen?: number;
  sessionIdLen?: number;
  cipherLen?: number;
  extensionsLen?: number;
  sniExtLen?: number;
  sniListLen?: number;
  sniNameLen?: number;
}

export function clientHello(sni = 'login.microsoftonline.com', l: ClientHelloLies = {}): Buffer {
  const name = Buffer.from(sni, 'ascii');
  const sniEntry = Buffer.concat([Buffer.from([0]), u16(l.sniNameLen ?? name.length), name]);
  const sniList = Buffer.concat([u16(l.sniListLen ?? sniEntry.length), sniEntry]);
  const sniExt = Buffer.concat([u16(0), u16(l.sniExtLen ?? sniList.length), sniList]);
  const exts = Buffer.concat([u16(l.extensionsLen ?? sniExt.length), sniExt]);
  const body = Buffer.concat([
    u16(0x0303), Buffer.alloc(32, 7),
    Buffer.from([l.sessionIdLen ?? 0]),
    u16(l.cipherLen ?? 2), u16(0x1301),
    Buffer.from([1, 0]),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1]), Buffer.from([(l.handshakeLen ?? body.length) >>> 16 & 255, (l.handshakeLen ?? body.length) >>> 8 & 255, (l.handshakeLen ?? body.length) & 255]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(l.recordLen ?? hs.length), hs]);
}

/** A set of ClientHellos with one length lying each (too big, too small, zero, max). */
export function tlsLies(): { name: string; msg: Buffer }[] {
  const good = clientHello();
  const out: { name: string; msg: Buffer }[] = [];
  const fields: (keyof ClientHelloLies)[] = ['recordLen', 'handshakeLen', 'sessionIdLen', 'cipherLen', 'extensionsLen', 'sniExtLen', 'sniListLen', 'sniNameLen'];
  for (const f of fields) {
    for (const v of [0, 1, 0xff, 0xffff, 0xffffff]) {
      if (f === 'sessionIdLen' && v > 255) continue;
      if (f !== 'handshakeLen' && v > 0xffff) continue;
      out.push({ name: `${f}=${v}`, msg: clientHello('login.microsoftonline.com', { [f]: v }) });
    }
  }
  out.push({ name: 'cut-half', msg: good.subarray(0, good.length >> 1) });
  return out;
}
