/**
 * Capture fixture builder: writes small pcap / pcapng files of every flavour from readable
 * descriptions, so tests need no external files. Shared by the capture, decode, flow and fuzz tests.
 *
 *   buildPcap({ linkType: 1, nanos: true, bigEndian: true, snaplen: 96,
 *               packets: [{ tsSec: 1700000000, tsNsec: 123456789, data: frame }] })
 *   buildPcapng({ sections: [{ bigEndian: false,
 *                              interfaces: [{ linkType: 1, snaplen: 0, tsresol: 9, name: 'eth0' }],
 *                              blocks: [{ type: 'epb', if: 0, tsSec: 1, tsNsec: 5, data: frame, flags: 1 },
 *                                       { type: 'spb', data: frame }, { type: 'nrb' }, { type: 'custom' }] }] })
 *
 * Timestamps are encoded with BigInt here on purpose: an implementation independent of the
 * reader's limb arithmetic. Every length field can be overridden to build damaged files.
 */

// ---------------------------------------------------------------- primitives

export class Writer {
  readonly #parts: Buffer[] = [];
  readonly le: boolean;
  constructor(le = true) { this.le = le; }
  u8(v: number): this { this.#parts.push(Buffer.from([v & 255])); return this; }
  u16(v: number): this { const b = Buffer.alloc(2); if (this.le) b.writeUInt16LE(v & 0xffff); else b.writeUInt16BE(v & 0xffff); this.#parts.push(b); return this; }
  u32(v: number): this { const b = Buffer.alloc(4); if (this.le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); this.#parts.push(b); return this; }
  i32(v: number): this { const b = Buffer.alloc(4); if (this.le) b.writeInt32LE(v | 0); else b.writeInt32BE(v | 0); this.#parts.push(b); return this; }
  u64(v: bigint): this { const b = Buffer.alloc(8); if (this.le) b.writeBigUInt64LE(BigInt.asUintN(64, v)); else b.writeBigUInt64BE(BigInt.asUintN(64, v)); this.#parts.push(b); return this; }
  i64(v: bigint): this { const b = Buffer.alloc(8); if (this.le) b.writeBigInt64LE(v); else b.writeBigInt64BE(v); this.#parts.push(b); return this; }
  bytes(b: Uint8Array): this { this.#parts.push(Buffer.from(b)); return this; }
  pad4(n: number): this { const r = (4 - (n % 4)) % 4; if (r) this.#parts.push(Buffer.alloc(r)); return this; }
  build(): Buffer { return Buffer.concat(this.#parts); }
}

// ---------------------------------------------------------------- packets

/** Deterministic filler bytes: n bytes derived from seed (not a valid frame; for container tests). */
export function filler(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** An IPv4/UDP packet (no link header; checksums zero). */
export function ipv4Udp(o: { src?: string; dst?: string; sport?: number; dport?: number; payload?: Buffer | number } = {}): Buffer {
  return ethIpv4Udp(o).subarray(14);
}

/**
 * Wrap an IP packet in the link-layer header of `linkType` (values as in src/capture/types.ts
 * LinkType): ETHERNET 1, NULL 0 (host-order AF, little-endian here), LOOP 108 (AF big-endian),
 * LINUX_SLL 113, LINUX_SLL2 276, RAW 101/12/14, IPV4 228, IPV6 229 (no header).
 */
export function linkFrame(linkType: number, ip: Buffer): Buffer {
  const v6 = ip.length > 0 && ip[0]! >> 4 === 6;
  const etherType = v6 ? 0x86dd : 0x0800;
  switch (linkType) {
    case 1: return Buffer.concat([Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), new Writer(false).u16(etherType).build(), ip]);
    case 0: return Buffer.concat([new Writer(true).u32(v6 ? 30 : 2).build(), ip]);
    case 108: return Buffer.concat([new Writer(false).u32(v6 ? 30 : 2).build(), ip]);
    case 113: return Buffer.concat([new Writer(false).u16(0).u16(1).u16(6).bytes(Buffer.from([0, 1, 2, 3, 4, 5, 0, 0])).u16(etherType).build(), ip]);
    case 276: return Buffer.concat([new Writer(false).u16(etherType).u16(0).u32(1).u16(1).u8(0).u8(6).bytes(Buffer.from([0, 1, 2, 3, 4, 5, 0, 0])).build(), ip]);
    case 101: case 12: case 14: case 228: case 229: return Buffer.from(ip);
    default: throw new Error(`linkFrame: no header recipe for link type ${linkType}`);
  }
}

/** A valid Ethernet/IPv4/UDP frame (checksums zero). */
export function ethIpv4Udp(o: { src?: string; dst?: string; sport?: number; dport?: number; payload?: Buffer | number; vlan?: number } = {}): Buffer {
  const payload = typeof o.payload === 'number' ? filler(o.payload, 7) : o.payload ?? Buffer.from('hello');
  const ip = (s: string) => Buffer.from(s.split('.').map(Number));
  const udp = new Writer(false).u16(o.sport ?? 12345).u16(o.dport ?? 53).u16(8 + payload.length).u16(0).bytes(payload).build();
  const ipHdr = new Writer(false).u8(0x45).u8(0).u16(20 + udp.length).u16(1).u16(0x4000).u8(64).u8(17).u16(0)
    .bytes(ip(o.src ?? '10.0.0.1')).bytes(ip(o.dst ?? '10.0.0.2')).build();
  const eth = new Writer(false).bytes(Buffer.from([0, 1, 2, 3, 4, 5])).bytes(Buffer.from([6, 7, 8, 9, 10, 11]));
  if (o.vlan !== undefined) eth.u16(0x8100).u16(o.vlan);
  eth.u16(0x0800);
  return Buffer.concat([eth.build(), ipHdr, udp]);
}

// ---------------------------------------------------------------- classic pcap

export interface PcapPacket {
  tsSec: number;
  /** Nanoseconds; written as µs (floor) in microsecond files. */
  tsNsec?: number;
  /** Raw ts fraction field (overrides tsNsec). */
  tsFrac?: number;
  data: Buffer;
  origLen?: number;
  /** Override incl_len (damage); the data written is still `data`. */
  inclLen?: number;
}

export interface PcapOptions {
  linkType?: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
  versionMajor?: number;
  versionMinor?: number;
  packets: PcapPacket[];
}

export function pcapHeader(o: Omit<PcapOptions, 'packets'> = {}): Buffer {
  const w = new Writer(!o.bigEndian);
  return w.u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.versionMajor ?? 2).u16(o.versionMinor ?? 4).i32(0).u32(0)
    .u32(o.snaplen ?? 262144).u32(o.linkType ?? 1).build();
}

export function pcapRecord(p: PcapPacket, o: { nanos?: boolean; bigEndian?: boolean } = {}): Buffer {
  const ns = p.tsNsec ?? 0;
  const frac = p.tsFrac ?? (o.nanos ? ns : Math.floor(ns / 1000));
  return new Writer(!o.bigEndian).u32(p.tsSec).u32(frac).u32(p.inclLen ?? p.data.length).u32(p.origLen ?? p.data.length).bytes(p.data).build();
}

export function buildPcap(o: PcapOptions): Buffer {
  return Buffer.concat([pcapHeader(o), ...o.packets.map((p) => pcapRecord(p, o))]);
}

// ---------------------------------------------------------------- pcapng

export interface NgOption { code: number; value: Buffer | string | number; /** Override the length field (damage). */ len?: number }

export interface NgInterface {
  linkType: number;
  snaplen?: number;
  name?: string;
  /** if_tsresol byte: n = 10^-n s; 0x80|n = 2^-n s. Default 6 (not written when undefined). */
  tsresol?: number;
  /** if_tsoffset seconds. */
  tsoffset?: number;
  options?: NgOption[];
}

interface PacketBase {
  /** Interface id within the section (default 0). */
  if?: number;
  tsSec?: number;
  tsNsec?: number;
  /** Raw 64-bit timestamp units (overrides tsSec/tsNsec). */
  units?: bigint;
  data: Buffer;
  origLen?: number;
  capLen?: number;
  options?: NgOption[];
}

export type NgBlock =
  | (PacketBase & { type: 'epb'; flags?: number })
  | (PacketBase & { type: 'opb'; flags?: number; drops?: number })
  | { type: 'spb'; data: Buffer; origLen?: number }
  | ({ type: 'idb' } & NgInterface)
  | { type: 'nrb'; records?: { ip: string; names: string[] }[] }
  | { type: 'isb'; if?: number }
  | { type: 'dsb'; data?: Buffer }
  | { type: 'custom'; copy?: boolean; pen?: number; data?: Buffer }
  /** Anything: a block type and body (framing is added), or `raw` bytes written as they are. */
  | { type: 'block'; blockType: number; body: Buffer; totalLen?: number; trailerLen?: number }
  | { type: 'raw'; bytes: Buffer };

export interface NgSection {
  bigEndian?: boolean;
  version?: [number, number];
  shbOptions?: NgOption[];
  interfaces?: NgInterface[];
  blocks?: NgBlock[];
}

export function ngOptions(opts: NgOption[] | undefined, le: boolean, endOfOpt = true): Buffer {
  if (!opts || opts.length === 0) return Buffer.alloc(0);
  const w = new Writer(le);
  for (const o of opts) {
    let v: Buffer;
    if (typeof o.value === 'string') v = Buffer.from(o.value, 'utf8');
    else if (typeof o.value === 'number') v = new Writer(le).u32(o.value).build();
    else v = o.value;
    w.u16(o.code).u16(o.len ?? v.length).bytes(v).pad4(v.length);
  }
  if (endOfOpt) w.u16(0).u16(0);
  return w.build();
}

/** Frame a block: type, total length, body (padded to 4), total length. */
export function ngBlock(type: number, body: Buffer, le: boolean, override: { totalLen?: number; trailerLen?: number } = {}): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const len = 12 + padded.length;
  return new Writer(le).u32(type).u32(override.totalLen ?? len).bytes(padded).u32(override.trailerLen ?? override.totalLen ?? len).build();
}

export function shbBlock(s: NgSection): Buffer {
  const le = !s.bigEndian;
  const [maj, min] = s.version ?? [1, 0];
  const body = new Writer(le).u32(0x1a2b3c4d).u16(maj).u16(min).i64(-1n).bytes(ngOptions(s.shbOptions, le)).build();
  return ngBlock(0x0a0d0d0a, body, le);
}

export function idbBlock(i: NgInterface, le: boolean): Buffer {
  const opts: NgOption[] = [...(i.options ?? [])];
  if (i.name !== undefined) opts.push({ code: 2, value: i.name });
  if (i.tsresol !== undefined) opts.push({ code: 9, value: Buffer.from([i.tsresol]) });
  if (i.tsoffset !== undefined) opts.push({ code: 14, value: new Writer(le).i64(BigInt(i.tsoffset)).build() });
  const body = new Writer(le).u16(i.linkType).u16(0).u32(i.snaplen ?? 0).bytes(ngOptions(opts, le)).build();
  return ngBlock(1, body, le);
}

/** Encode (sec, nsec) in an interface's units (BigInt, independent of the reader's arithmetic). */
export function tsUnits(tsresol: number | undefined, sec: number, nsec: number): bigint {
  const r = tsresol ?? 6;
  if (r & 0x80) {
    const n = BigInt(r & 0x7f);
    return (BigInt(sec) << n) + ((BigInt(nsec) << n) / 1000000000n);
  }
  const n = r;
  const unitsPerSec = 10n ** BigInt(n);
  const frac = n >= 9 ? BigInt(nsec) * 10n ** BigInt(n - 9) : BigInt(nsec) / 10n ** BigInt(9 - n);
  return BigInt(sec) * unitsPerSec + frac;
}

export function buildPcapng(o: { sections: NgSection[] }): Buffer {
  const out: Buffer[] = [];
  for (const s of o.sections) {
    const le = !s.bigEndian;
    out.push(shbBlock(s));
    const ifs: NgInterface[] = [...(s.interfaces ?? [])];
    for (const i of ifs) out.push(idbBlock(i, le));
    for (const b of s.blocks ?? []) {
      switch (b.type) {
        case 'idb': ifs.push(b); out.push(idbBlock(b, le)); break;
        case 'epb': case 'opb': {
          const ifc = ifs[b.if ?? 0];
          const units = b.units ?? tsUnits(ifc?.tsresol, b.tsSec ?? 0, b.tsNsec ?? 0);
          const w = new Writer(le);
          if (b.type === 'epb') w.u32(b.if ?? 0); else w.u16(b.if ?? 0).u16(b.drops ?? 0);
          w.u32(Number(units >> 32n)).u32(Number(units & 0xffffffffn)).u32(b.capLen ?? b.data.length).u32(b.origLen ?? b.data.length)
            .bytes(b.data).pad4(b.data.length);
          const opts = [...(b.options ?? [])];
          if (b.flags !== undefined) opts.unshift({ code: 2, value: b.flags });
          w.bytes(ngOptions(opts, le));
          out.push(ngBlock(b.type === 'epb' ? 6 : 2, w.build(), le));
          break;
        }
        case 'spb':
          out.push(ngBlock(3, new Writer(le).u32(b.origLen ?? b.data.length).bytes(b.data).build(), le));
          break;
        case 'nrb': {
          const w = new Writer(le);
          for (const r of b.records ?? [{ ip: '10.0.0.1', names: ['dc1.example.test'] }]) {
            const v = Buffer.concat([Buffer.from(r.ip.split('.').map(Number)), ...r.names.map((n) => Buffer.from(n + '\0'))]);
            w.u16(1).u16(v.length).bytes(v).pad4(v.length);
          }
          w.u16(0).u16(0);
          out.push(ngBlock(4, w.build(), le));
          break;
        }
        case 'isb':
          out.push(ngBlock(5, new Writer(le).u32(b.if ?? 0).u32(0).u32(0).build(), le));
          break;
        case 'dsb':
          out.push(ngBlock(0x0a, new Writer(le).u32(0x544c534b).u32((b.data ?? Buffer.alloc(8)).length).bytes(b.data ?? Buffer.alloc(8)).build(), le));
          break;
        case 'custom':
          out.push(ngBlock(b.copy === false ? 0x40000bad : 0x0bad, new Writer(le).u32(b.pen ?? 32473).bytes(b.data ?? Buffer.from('custom data')).build(), le));
          break;
        case 'block':
          out.push(ngBlock(b.blockType, b.body, le, { ...(b.totalLen !== undefined ? { totalLen: b.totalLen } : {}), ...(b.trailerLen !== undefined ? { trailerLen: b.trailerLen } : {}) }));
          break;
        case 'raw':
          out.push(b.bytes);
          break;
      }
    }
  }
  return Buffer.concat(out);
}
