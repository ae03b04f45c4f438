/**
 * Hand-written packet builders for decoder tests. Each one lays out its header field by field
 * from the RFC (independently of src/decode), computing length fields from the payload unless a
 * test overrides them to make a broken packet.
 */
import { Anomalies } from '../../../src/core/anomalies.js';
import type { PacketRecord } from '../../../src/capture/types.js';
import { formatAddr, parseAddr } from '../../../src/core/ip.js';
import { Decoder } from '../../../src/decode/decoder.js';
import { DecodedPacket } from '../../../src/decode/packet.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex');
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(v & 0xffff); return b; };
const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };

function v4(a: string): Buffer { return Buffer.from(a.split('.').map(Number)); }
function v6(a: string): Buffer {
  const w = parseAddr(a);
  if (w === null) throw new Error(`bad v6 ${a}`);
  return cat(u32(w[0]), u32(w[1]), u32(w[2]), u32(w[3]));
}

export const MAC_A = '02000000000a', MAC_B = '02000000000b';

export function eth(type: number, payload: Buffer): Buffer {
  return cat(hex(MAC_B), hex(MAC_A), u16(type), payload);
}
/** A VLAN tag (TPID, VID) followed by the next EtherType. */
export function tag(tpid: number, vid: number, next: number): Buffer {
  return cat(u16(tpid), u16(vid), u16(next));
}
/** Ethernet with stacked tags: tags = [[tpid, vid], ...], then `type`. */
export function ethTagged(tags: [number, number][], type: number, payload: Buffer): Buffer {
  const parts: Buffer[] = [hex(MAC_B), hex(MAC_A)];
  for (const [tpid, vid] of tags) parts.push(u16(tpid), u16(vid));
  parts.push(u16(type), payload);
  return cat(...parts);
}

export interface V4Opts { src?: string; dst?: string; proto?: number; id?: number; mf?: boolean; fragOff8?: number; options?: Buffer; totalLen?: number; ihl?: number; version?: number }
export function ipv4(o: V4Opts, payload: Buffer): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const ihl = o.ihl ?? (20 + opts.length) / 4;
  const total = o.totalLen ?? 20 + opts.length + payload.length;
  const ff = (o.mf ? 0x2000 : 0) | (o.fragOff8 ?? 0);
  return cat(Buffer.from([((o.version ?? 4) << 4) | ihl, 0]), u16(total), u16(o.id ?? 0x1234), u16(ff),
    Buffer.from([64, o.proto ?? 6]), u16(0), v4(o.src ?? '192.0.2.1'), v4(o.dst ?? '198.51.100.2'), opts, payload);
}

export interface V6Opts { src?: string; dst?: string; nh?: number; plen?: number }
export function ipv6(o: V6Opts, payload: Buffer): Buffer {
  return cat(u32(0x60000000), u16(o.plen ?? payload.length), Buffer.from([o.nh ?? 6, 64]),
    v6(o.src ?? '2001:db8::1'), v6(o.dst ?? '2001:db8::2'), payload);
}
/** Generic extension header (hop-by-hop, routing, destination options): 8-byte units. */
export function ext6(nh: number, body6: Buffer = Buffer.alloc(6)): Buffer {
  if ((body6.length + 2) % 8 !== 0) throw new Error('ext header must be a multiple of 8 bytes');
  return cat(Buffer.from([nh, (body6.length + 2) / 8 - 1]), body6);
}
export function frag6(nh: number, offset8: number, more: boolean, id: number): Buffer {
  return cat(Buffer.from([nh, 0]), u16((offset8 << 3) | (more ? 1 : 0)), u32(id));
}

export interface TcpOpts { sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; doff?: number; options?: Buffer }
export function tcp(o: TcpOpts, payload: Buffer = Buffer.alloc(0)): Buffer {
  const opts = o.options ?? Buffer.alloc(0);
  const doff = o.doff ?? (20 + opts.length) / 4;
  return cat(u16(o.sport ?? 49152), u16(o.dport ?? 443), u32(o.seq ?? 1000), u32(o.ack ?? 0),
    Buffer.from([doff << 4, o.flags ?? 0x02]), u16(65535), u16(0), u16(0), opts, payload);
}
export function udp(sport: number, dport: number, payload: Buffer, len?: number): Buffer {
  return cat(u16(sport), u16(dport), u16(len ?? 8 + payload.length), u16(0), payload);
}
export function icmp(type: number, code: number, rest: Buffer, data: Buffer): Buffer {
  return cat(Buffer.from([type, code]), u16(0), rest.length === 4 ? rest : Buffer.alloc(4), data);
}

export function record(linkType: number, data: Buffer, origLen = data.length, index = 0): PacketRecord {
  return { index, fileIndex: 0, ifIndex: 0, linkType, tsSec: 0, tsNsec: 0, capLen: data.length, origLen, data, offset: 0, direction: 0, fileOffset: 0 };
}

/** A decoder with its registry and output, for tests that decode several packets in sequence. */
export class Harness {
  readonly anomalies = new Anomalies();
  readonly decoder: Decoder;
  readonly out = new DecodedPacket();
  #index = 0;
  constructor(maxFragments?: number) {
    this.decoder = new Decoder(this.anomalies, maxFragments === undefined ? {} : { maxFragments });
  }
  /** Decode data (placed at a non-zero offset inside a bigger buffer, like a reader's chunk). */
  decode(linkType: number, data: Buffer, origLen = data.length): DecodedPacket {
    const chunk = Buffer.concat([Buffer.alloc(7, 0xee), data, Buffer.alloc(5, 0xdd)]);
    const rec = record(linkType, chunk, origLen);
    rec.offset = 7; rec.capLen = data.length; rec.index = this.#index++;
    this.decoder.decode(rec, this.out);
    return this.out;
  }
}

export function decodeOnce(linkType: number, data: Buffer, origLen = data.length): { out: DecodedPacket; anomalies: Anomalies } {
  const h = new Harness();
  h.decode(linkType, data, origLen);
  return { out: h.out, anomalies: h.anomalies };
}

export const addr = (w: Uint32Array): string => formatAddr(w);
export const LT = { NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, SLL: 113, IPV4: 228, IPV6: 229, SLL2: 276 } as const;
