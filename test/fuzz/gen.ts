/**
 * fast-check arbitraries and mutators for hostile input: structured pcap/pcapng files (valid
 * skeletons that are then damaged), length-field lies (4 GiB records, zero-length blocks,
 * snaplen 0), truncation, bit flips, and hostile packets (deep VLAN/tunnel nesting, IPv6
 * extension-header chains, DNS compression loops, TLS length lies).
 */
import fc from 'fast-check';
import {
  pcapFile, shb, idb, epb, spb, ngBlock, eth, ethVlan, ipv4, ipv6, v6ext, v6frag, udp, tcp, u16, u32,
  goodUdpFrame, goodTcpFrame, goodV6Frame, dnsLoops, tlsLies, clientHello, goodDnsResponse, TCP_FLAGS,
} from './bytes.js';

// ---------------------------------------------------------------- absurd numbers

/** Values a hostile length field likes to hold. */
export const ABSURD_U32 = [0, 1, 3, 4, 7, 8, 11, 12, 13, 16, 28, 32, 0x7fff, 0xffff, 0x10000, 0x40000, 0x40001, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff] as const;

export const arbAbsurdU32 = fc.oneof(fc.constantFrom(...ABSURD_U32), fc.integer({ min: 0, max: 0xffffffff }));

// ---------------------------------------------------------------- frames

const arbPort = fc.integer({ min: 0, max: 65535 });
const arbV4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));

/** A mostly valid frame of one of several shapes (what real captures hold). */
export const arbGoodFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(arbV4, arbV4, arbPort, arbPort, fc.uint8Array({ maxLength: 64 })).map(([s, d, sp, dp, p]) => eth(0x0800, ipv4(s, d, 17, udp(sp, dp, p)))),
  fc.tuple(arbV4, arbV4, arbPort, arbPort, fc.nat(255)).map(([s, d, sp, dp, f]) => eth(0x0800, ipv4(s, d, 6, tcp(sp, dp, f)))),
  fc.constant(goodV6Frame()),
  fc.tuple(fc.array(fc.nat(4095), { minLength: 1, maxLength: 3 })).map(([tags]) => ethVlan(tags, 0x0800, ipv4('10.1.1.1', '10.1.1.2', 6, tcp(1234, 88, TCP_FLAGS.SYN)))),
);

/** Bytes that look a little like a frame (a valid frame, damaged) or are plain random. */
export const arbFrameBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 3, arbitrary: arbGoodFrame.chain((f) => mutate(f)) },
  { weight: 1, arbitrary: arbGoodFrame },
);

// ---------------------------------------------------------------- containers

export const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 65535] as const;

export const arbPcap: fc.Arbitrary<Buffer> = fc.record({
  le: fc.boolean(),
  nsec: fc.boolean(),
  linkType: fc.constantFrom(...LINK_TYPES),
  snaplen: fc.constantFrom(0, 1, 64, 65535, 262144, 0xffffffff),
  records: fc.array(fc.record({ data: arbFrameBytes, tsSec: fc.nat(), tsFrac: fc.oneof(fc.nat(999999), fc.constant(0xffffffff)) }), { maxLength: 6 }),
}).map((s) => pcapFile(s));

const arbOption = fc.record({ code: fc.nat(0xffff), value: fc.uint8Array({ maxLength: 12 }) });

const arbBlock = (le: boolean): fc.Arbitrary<Buffer> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ data: arbFrameBytes, ifId: fc.constantFrom(0, 0, 1, 7, 0xffffffff), opts: fc.array(arbOption, { maxLength: 2 }) }).map((e) => epb(e, le)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...LINK_TYPES), fc.constantFrom(0, 1, 65535), fc.array(arbOption, { maxLength: 2 })).map(([lt, sl, o]) => idb(lt, sl, le, o)) },
  { weight: 1, arbitrary: arbFrameBytes.map((d) => spb(d, d.length, le)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(2, 4, 5, 7, 9, 10, 0xbad, 0x40000bad, 0x80000001, 0x0a0d0d0a), fc.uint8Array({ maxLength: 40 })).map(([t, b]) => ngBlock(t, b, le)) },
);

const arbSection: fc.Arbitrary<Buffer> = fc.boolean().chain((le) =>
  fc.tuple(fc.array(arbOption, { maxLength: 2 }), fc.constantFrom(...LINK_TYPES), fc.array(arbBlock(le), { maxLength: 5 }))
    .map(([o, lt, blocks]) => Buffer.concat([shb(le, o), idb(lt, 0, le), ...blocks])));

export const arbPcapng: fc.Arbitrary<Buffer> = fc.array(arbSection, { minLength: 1, maxLength: 3 }).map((s) => Buffer.concat(s));

// ---------------------------------------------------------------- length-field maps

/** Offsets of the length fields of a pcap file built by bytes.ts (and of its header's snaplen/version). */
export function pcapLengthFields(b: Buffer): number[] {
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const out = [4, 16, 20];
  for (let off = 24; off + 16 <= b.length;) {
    out.push(off + 8, off + 12);
    const incl = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    off += 16 + incl;
  }
  return out;
}

/** Offsets of every block's leading and trailing length (and SHB byte-order mark) in a pcapng file. */
export function pcapngLengthFields(b: Buffer): number[] {
  const out: number[] = [];
  let le = true;
  for (let off = 0; off + 12 <= b.length;) {
    const typeLE = b.readUInt32LE(off);
    if (typeLE === 0x0a0d0d0a && off + 12 <= b.length) { le = b.readUInt32LE(off + 8) === 0x1a2b3c4d; out.push(off + 8); }
    const len = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
    out.push(off + 4);
    if (len < 12 || off + len > b.length) break;
    out.push(off + len - 4);
    const type = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    if (type === 6 && len >= 32) out.push(off + 20, off + 24); // EPB cap/orig len
    if (type === 3 && len >= 16) out.push(off + 8);           // SPB orig len
    off += len;
  }
  return out;
}

// ---------------------------------------------------------------- mutators

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bit: number }
  | { kind: 'setU32'; at: number; value: number; le: boolean }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'zeroBlock'; at: number };

export function applyMutation(b: Uint8Array, m: Mutation): Buffer {
  const out = Buffer.from(b);
  switch (m.kind) {
    case 'truncate': return out.subarray(0, Math.min(m.at, out.length));
    case 'flip': if (out.length) out[(m.bit >>> 3) % out.length]! ^= 1 << (m.bit & 7); return out;
    case 'setU32': {
      if (out.length < 4) return out;
      const at = Math.min(m.at, out.length - 4);
      if (m.le) out.writeUInt32LE(m.value >>> 0, at); else out.writeUInt32BE(m.value >>> 0, at);
      return out;
    }
    case 'splice': { const at = Math.min(m.at, out.length); return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]); }
    case 'zeroBlock': {
      // a block whose length field says 0 / 12 inserted at a block boundary-ish place
      const at = Math.min(m.at, out.length);
      const blk = Buffer.alloc(12); blk.writeUInt32LE(6, 0); blk.writeUInt32LE(m.at % 2 ? 0 : 12, 4); blk.writeUInt32LE(12, 8);
      return Buffer.concat([out.subarray(0, at), blk, out.subarray(at)]);
    }
  }
}

/** Mutations of `b` that favour its length fields (when `fields` is given) and its header bytes. */
export function arbMutation(len: number, fields: number[] = []): fc.Arbitrary<Mutation> {
  const at = fc.nat(Math.max(0, len));
  const arbs: fc.Arbitrary<Mutation>[] = [
    at.map((a) => ({ kind: 'truncate' as const, at: a })),
    fc.nat(Math.max(0, len * 8 - 1)).map((bit) => ({ kind: 'flip' as const, bit })),
    fc.nat(Math.min(len * 8, 64 * 8)).map((bit) => ({ kind: 'flip' as const, bit })), // header bits
    fc.tuple(at, arbAbsurdU32, fc.boolean()).map(([a, value, le]) => ({ kind: 'setU32' as const, at: a, value, le })),
    fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([a, bytes]) => ({ kind: 'splice' as const, at: a, bytes })),
    at.map((a) => ({ kind: 'zeroBlock' as const, at: a })),
  ];
  if (fields.length) {
    arbs.push(fc.tuple(fc.constantFrom(...fields), arbAbsurdU32, fc.boolean()).map(([a, value, le]) => ({ kind: 'setU32' as const, at: a, value, le })));
    arbs.push(fc.tuple(fc.constantFrom(...fields), arbAbsurdU32, fc.boolean()).map(([a, value, le]) => ({ kind: 'setU32' as const, at: a, value, le })));
  }
  return fc.oneof(...arbs);
}

/** A buffer with one to three mutations applied. */
export function mutate(b: Uint8Array, fields: number[] = []): fc.Arbitrary<Buffer> {
  return fc.array(arbMutation(b.length, fields), { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce<Buffer>((acc, m) => applyMutation(acc, m), Buffer.from(b)));
}

/** A damaged pcap: a generated file with mutations aimed at its length fields. */
export const arbDamagedPcap: fc.Arbitrary<Buffer> = arbPcap.chain((b) => mutate(b, pcapLengthFields(b)));
export const arbDamagedPcapng: fc.Arbitrary<Buffer> = arbPcapng.chain((b) => mutate(b, pcapngLengthFields(b)));

/** Ways to cut a buffer into chunks: sizes to cycle through. */
export const arbChunking: fc.Arbitrary<number[]> = fc.oneof(fc.constant<number[]>([1 << 22]), fc.constant<number[]>([1]), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 5 }));

// ---------------------------------------------------------------- hostile packets

/** Ethernet frames with absurd VLAN nesting (up to 2000 tags). */
export const arbDeepVlan = fc.integer({ min: 2, max: 2000 }).map((n) => ethVlan(Array.from({ length: n }, (_, i) => i & 0xfff), 0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 53, Buffer.alloc(4)))));

function nestTunnel(kind: number, depth: number, inner: Buffer): Buffer {
  let p = inner; // an IPv4 packet
  for (let i = 0; i < depth; i++) {
    switch (kind % 5) {
      case 0: p = ipv4('192.0.2.1', '192.0.2.2', 4, p); break;                                               // IPIP
      case 1: p = ipv4('192.0.2.1', '192.0.2.2', 47, Buffer.concat([u16(0), u16(0x0800), p])); break;         // GRE
      case 2: p = ipv4('192.0.2.1', '192.0.2.2', 17, udp(40000, 4789, Buffer.concat([u32(0x08000000), u32(0x00000100), eth(0x0800, p)]))); break; // VXLAN
      case 3: p = ipv4('192.0.2.1', '192.0.2.2', 17, udp(40000, 6081, Buffer.concat([u16(0), u16(0x6558), u32(0), eth(0x0800, p)]))); break;     // Geneve
      default: p = ipv4('192.0.2.1', '192.0.2.2', 41, ipv6('2001:db8::1', '2001:db8::2', 4, p)).subarray(0); break; // 6in4 carrying IPIP
    }
    kind = Math.floor(kind / 5) + i;
  }
  return eth(0x0800, p);
}

/** Tunnels inside tunnels (IPIP, GRE, VXLAN, Geneve, 6in4), up to 200 deep. */
export const arbDeepTunnel = fc.tuple(fc.nat(10000), fc.integer({ min: 2, max: 200 })).map(([k, d]) => nestTunnel(k, d, ipv4('10.9.9.1', '10.9.9.2', 6, tcp(50000, 636, TCP_FLAGS.SYN))));

/** IPv6 extension-header chains: long chains, hdrExtLen lies, fragment headers in the chain, next-header loops. */
export const arbV6Chain = fc.tuple(
  fc.array(fc.tuple(fc.constantFrom(0, 43, 60, 44, 51, 135, 139, 140, 253), fc.nat(255)), { minLength: 1, maxLength: 300 }),
  fc.constantFrom(6, 17, 58, 59, 0, 60),
  fc.boolean(),
).map(([chain, last, lie]) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < chain.length; i++) {
    const [t] = chain[i]!;
    const next = i + 1 < chain.length ? chain[i + 1]![0] : last;
    if (t === 44) parts.push(v6frag(next, i & 1 ? 0 : chain[i]![1], (i & 2) === 0));
    else if (t === 51) { const b = Buffer.alloc(12); b[0] = next; b[1] = lie ? chain[i]![1] : 1; parts.push(b); }
    else parts.push(v6ext(next, lie ? chain[i]![1] & 3 : 0));
  }
  parts.push(last === 17 ? udp(1, 2, Buffer.alloc(2)) : last === 6 ? tcp(1, 2, 2) : Buffer.alloc(8));
  const first = chain[0]![0];
  const payload = Buffer.concat(parts);
  return eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', first, payload, lie ? 0xffff : payload.length));
});

/** DNS payloads over UDP 53 with compression loops and count/length lies. */
export const DNS_HOSTILE = dnsLoops();
export const TLS_HOSTILE = tlsLies();

export function dnsFrame(msg: Uint8Array, sport = 53, dport = 40000): Buffer {
  return eth(0x0800, ipv4('10.0.0.53', '10.0.0.1', 17, udp(sport, dport, msg)));
}

export function tlsFrame(msg: Uint8Array, seq = 1000): Buffer {
  return eth(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(50000, 443, TCP_FLAGS.PSH | TCP_FLAGS.ACK, msg, 5, seq, 1)));
}

export const arbDnsPayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(...DNS_HOSTILE.map((d) => d.msg)),
  fc.constantFrom(...DNS_HOSTILE.map((d) => d.msg)).chain((m) => mutate(m)),
  mutate(goodDnsResponse()),
  fc.uint8Array({ maxLength: 300 }),
);

export const arbTlsPayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(...TLS_HOSTILE.map((d) => d.msg)),
  mutate(clientHello()),
  fc.uint8Array({ maxLength: 300 }),
);

/** Every hostile frame kind, for decoder fuzzing. */
export const arbHostileFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: arbFrameBytes },
  { weight: 1, arbitrary: arbDeepVlan },
  { weight: 1, arbitrary: arbDeepTunnel },
  { weight: 2, arbitrary: arbV6Chain },
  { weight: 1, arbitrary: arbDnsPayload.map((m) => dnsFrame(m)) },
  { weight: 1, arbitrary: arbTlsPayload.map((m) => tlsFrame(m)) },
  { weight: 1, arbitrary: fc.constantFrom(goodUdpFrame(), goodTcpFrame(), goodV6Frame()).chain((f) => mutate(f)) },
);
