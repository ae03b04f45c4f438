/**
 * Hosts, flows and the frame builder of the capture generator.
 *
 * A Flow is one bidirectional 5-tuple with a precomputed script of packets
 * (`ops`: triples [dtMicros, code, payloadLen]); `code` holds the TCP flags in the low byte,
 * DIR_S when the responder sends, ICMP_UNREACH for an ICMP port-unreachable answer.
 * emitFrame() writes one frame straight into the writer's batch buffer (no allocation).
 */
import type { CaptureWriter } from './writer.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const DIR_S = 0x100;
export const ICMP_UNREACH = 0x200;

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export interface Host {
  /** IPv4 address as uint32. */
  v4: number;
  /** IPv6 address (16 bytes) or null when the host has none. */
  v6: Uint8Array | null;
  mac: Uint8Array;
  ttl: number;
  /** 802.1Q VLAN id of the host's access port, 0 when untagged. */
  vlan: number;
  /** Next ephemeral port and the range it cycles through. */
  port: number;
  portLo: number;
  portHi: number;
  ipId: number;
  /** The address as four int32 words (IPv4 mapped ::ffff:a.b.c.d, and IPv6), for tuple counting. */
  w4: Int32Array;
  w6: Int32Array | null;
}

export const GATEWAY_MAC = Uint8Array.from([0x00, 0x00, 0x5e, 0x00, 0x01, 0x01]);

export function v4(s: string): number {
  const p = s.split('.').map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
}

export function v4str(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** fd00:<net>::<a>:<b> style address from 16-bit groups (only what the generator needs). */
export function v6(groups: number[]): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] ?? 0;
    b[i * 2] = g >> 8;
    b[i * 2 + 1] = g & 255;
  }
  return b;
}

export function v6str(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[i * 2]! << 8) | b[i * 2 + 1]!).toString(16));
  return g.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

export function makeHost(addr: string, opts: { v6?: Uint8Array | null; internal?: boolean; ttl?: number; vlan?: number; portLo?: number; portHi?: number; seed?: number } = {}): Host {
  const a = v4(addr);
  const internal = opts.internal ?? true;
  const mac = internal ? Uint8Array.from([0x00, 0x15, 0x5d, (a >>> 16) & 255, (a >>> 8) & 255, a & 255]) : GATEWAY_MAC;
  const lo = opts.portLo ?? 49152, hi = opts.portHi ?? 65535;
  const seed = opts.seed ?? a;
  return {
    v4: a, v6: opts.v6 ?? null, mac, ttl: opts.ttl ?? (internal ? 128 : 52), vlan: opts.vlan ?? 0,
    port: lo + (((seed * 2654435761) >>> 0) % (hi - lo + 1)), portLo: lo, portHi: hi, ipId: (seed * 40503) & 0xffff,
    w4: Int32Array.of(0, 0, 0xffff, a | 0), w6: opts.v6 ? words(opts.v6) : null,
  };
}

function words(b: Uint8Array): Int32Array {
  const w = new Int32Array(4);
  for (let i = 0; i < 4; i++) w[i] = (b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!;
  return w;
}

export function nextPort(h: Host): number {
  const p = h.port;
  h.port = p >= h.portHi ? h.portLo : p + 1;
  return p;
}

export class Flow {
  /** Index of the traffic class (for statistics). */
  cls: number;
  proto: number;
  isV6: boolean;
  vlan: number;
  c: Host;
  s: Host;
  cPort: number;
  sPort: number;
  ops: number[] = [];
  idx = 0;
  /** Time (µs since epoch) of the next packet. */
  t = 0;
  isnC: number;
  isnS: number;
  seqC: number;
  seqS: number;
  cPrefix: Uint8Array | null = null;
  sPrefix: Uint8Array | null = null;
  cData = false;
  sData = false;
  /** DNS transaction id patched into the prefixes at dnsOff, -1 when none. */
  dnsId = -1;
  dnsOff = 0;
  /** Client's last UDP datagram (for the quote in an ICMP error). */
  lastIpId = 0;
  lastUdpLen = 0;
  lastUdpCsum = 0;
  /** A flow started when this one ends (RPC endpoint mapper → dynamic port). */
  follow: Flow | null = null;
  followDelay = 0;
  started = false;
  /** Scheduling order for equal timestamps. */
  ord = 0;

  constructor(cls: number, proto: number, c: Host, s: Host, cPort: number, sPort: number, isV6: boolean, isn: number) {
    this.cls = cls;
    this.proto = proto;
    this.c = c;
    this.s = s;
    this.cPort = cPort;
    this.sPort = sPort;
    this.isV6 = isV6;
    this.vlan = c.vlan || s.vlan;
    this.isnC = isn >>> 0;
    this.isnS = Math.imul(isn, 0x2c1b3c6d) >>> 0;
    this.seqC = this.isnC;
    this.seqS = this.isnS;
  }

  /** Append one scripted packet. */
  op(dt: number, code: number, len: number): void {
    this.ops.push(Math.round(dt), code, len);
  }
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 255; b[o + 2] = (v >>> 8) & 255; b[o + 3] = v & 255;
}

function cp(b: Uint8Array, o: number, src: Uint8Array, n: number, so = 0): void {
  for (let i = 0; i < n; i++) b[o + i] = src[so + i]!;
}

function sum16(b: Uint8Array, off: number, len: number, acc: number): number {
  let i = off;
  const end = off + (len & ~1);
  for (; i < end; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (len & 1) acc += b[end]! << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return ~acc & 0xffff;
}

export interface EmitConfig {
  small: boolean;
  filler: Buffer;
}

const SYN_OPTS = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x08, 0x04, 0x02, 0x01, 0x01];

/**
 * Write the flow's current packet (ops[idx..idx+3)) into the writer, timestamped f.t.
 * Returns the frame length.
 */
export function emitFrame(w: CaptureWriter, f: Flow, cfg: EmitConfig): number {
  const code = f.ops[f.idx + 1]!;
  const len0 = f.ops[f.idx + 2]!;
  const b = w.buf;
  const start = w.begin();
  let o = start;
  const fromS = (code & DIR_S) !== 0;
  const icmp = (code & ICMP_UNREACH) !== 0;
  const src = fromS ? f.s : f.c;
  const dst = fromS ? f.c : f.s;
  cp(b, o, dst.mac, 6);
  cp(b, o + 6, src.mac, 6);
  o += 12;
  if (f.vlan !== 0) {
    b[o] = 0x81; b[o + 1] = 0x00;
    b[o + 2] = (f.vlan >> 8) & 0x0f; b[o + 3] = f.vlan & 255;
    o += 4;
  }
  const v6 = f.isV6;
  b[o] = v6 ? 0x86 : 0x08; b[o + 1] = v6 ? 0xdd : 0x00;
  o += 2;
  const ipOff = o;
  const ipHl = v6 ? 40 : 20;
  const tcp = f.proto === PROTO_TCP;
  const flags = code & 0xff;
  let l4len: number;
  let pl = 0;
  let proto = f.proto;
  if (icmp) {
    proto = v6 ? 58 : 1;
    l4len = 8 + (v6 ? 48 : 28);
  } else if (tcp) {
    pl = cfg.small && len0 > 10 ? 10 : len0;
    l4len = ((flags & TCP_SYN) !== 0 && !cfg.small ? 32 : 20) + pl;
  } else {
    pl = cfg.small && len0 > 22 ? 22 : len0;
    l4len = 8 + pl;
  }
  const ipId = src.ipId;
  src.ipId = (ipId + 1) & 0xffff;
  if (v6) {
    b[o] = 0x60; b[o + 1] = 0; b[o + 2] = 0; b[o + 3] = 0;
    b[o + 4] = l4len >> 8; b[o + 5] = l4len & 255;
    b[o + 6] = proto; b[o + 7] = src.ttl;
    cp(b, o + 8, src.v6!, 16);
    cp(b, o + 24, dst.v6!, 16);
  } else {
    const tot = 20 + l4len;
    b[o] = 0x45; b[o + 1] = 0; b[o + 2] = tot >> 8; b[o + 3] = tot & 255;
    b[o + 4] = ipId >> 8; b[o + 5] = ipId & 255; b[o + 6] = tcp ? 0x40 : 0; b[o + 7] = 0;
    b[o + 8] = src.ttl; b[o + 9] = proto; b[o + 10] = 0; b[o + 11] = 0;
    w32(b, o + 12, src.v4);
    w32(b, o + 16, dst.v4);
    const ck = fold(sum16(b, o, 20, 0));
    b[o + 10] = ck >> 8; b[o + 11] = ck & 255;
  }
  o += ipHl;
  const l4 = o;
  if (icmp) {
    // ICMP(v6) destination/port unreachable quoting the client's last datagram header.
    b[o] = v6 ? 1 : 3; b[o + 1] = v6 ? 4 : 3; b[o + 2] = 0; b[o + 3] = 0;
    b[o + 4] = 0; b[o + 5] = 0; b[o + 6] = 0; b[o + 7] = 0;
    let q = o + 8;
    const ulen = 8 + f.lastUdpLen;
    if (v6) {
      b[q] = 0x60; b[q + 1] = 0; b[q + 2] = 0; b[q + 3] = 0;
      b[q + 4] = ulen >> 8; b[q + 5] = ulen & 255; b[q + 6] = PROTO_UDP; b[q + 7] = f.c.ttl;
      b.set(f.c.v6!, q + 8);
      b.set(f.s.v6!, q + 24);
      q += 40;
    } else {
      const tot = 20 + ulen;
      b[q] = 0x45; b[q + 1] = 0; b[q + 2] = tot >> 8; b[q + 3] = tot & 255;
      b[q + 4] = f.lastIpId >> 8; b[q + 5] = f.lastIpId & 255; b[q + 6] = 0; b[q + 7] = 0;
      b[q + 8] = f.c.ttl; b[q + 9] = PROTO_UDP; b[q + 10] = 0; b[q + 11] = 0;
      w32(b, q + 12, f.c.v4);
      w32(b, q + 16, f.s.v4);
      const ck = fold(sum16(b, q, 20, 0));
      b[q + 10] = ck >> 8; b[q + 11] = ck & 255;
      q += 20;
    }
    b[q] = f.cPort >> 8; b[q + 1] = f.cPort & 255; b[q + 2] = f.sPort >> 8; b[q + 3] = f.sPort & 255;
    b[q + 4] = ulen >> 8; b[q + 5] = ulen & 255; b[q + 6] = f.lastUdpCsum >> 8; b[q + 7] = f.lastUdpCsum & 255;
    o = q + 8;
    let acc = sum16(b, l4, l4len, 0);
    if (v6) acc = sum16(b, ipOff + 8, 32, acc) + l4len + 58;
    const ck = fold(acc);
    b[l4 + 2] = ck >> 8; b[l4 + 3] = ck & 255;
  } else {
    const sp = fromS ? f.sPort : f.cPort;
    const dp = fromS ? f.cPort : f.sPort;
    b[o] = sp >> 8; b[o + 1] = sp & 255; b[o + 2] = dp >> 8; b[o + 3] = dp & 255;
    if (tcp) {
      let seq: number;
      if ((flags & TCP_SYN) !== 0) {
        seq = fromS ? f.isnS : f.isnC;
        if (fromS) f.seqS = (f.isnS + 1) >>> 0; else f.seqC = (f.isnC + 1) >>> 0;
      } else {
        seq = fromS ? f.seqS : f.seqC;
      }
      const ack = (flags & TCP_ACK) !== 0 ? (fromS ? f.seqC : f.seqS) : 0;
      const adv = pl + ((flags & TCP_FIN) !== 0 ? 1 : 0);
      if (adv !== 0) {
        if (fromS) f.seqS = (f.seqS + adv) >>> 0; else f.seqC = (f.seqC + adv) >>> 0;
      }
      w32(b, o + 4, seq);
      w32(b, o + 8, ack);
      const hl = l4len - pl;
      b[o + 12] = (hl >> 2) << 4; b[o + 13] = flags;
      const win = (flags & TCP_RST) !== 0 ? 0 : (flags & TCP_SYN) !== 0 ? 64240 : 1026;
      b[o + 14] = win >> 8; b[o + 15] = win & 255;
      b[o + 16] = 0; b[o + 17] = 0; b[o + 18] = 0; b[o + 19] = 0; // checksum offloaded (0), urgent 0
      o += 20;
      if (hl === 32) {
        for (let i = 0; i < 12; i++) b[o + i] = SYN_OPTS[i]!;
        if (v6) { b[o + 2] = 0x05; b[o + 3] = 0xa0; }
        o += 12;
      }
    } else {
      b[o + 4] = l4len >> 8; b[o + 5] = l4len & 255; b[o + 6] = 0; b[o + 7] = 0;
      o += 8;
    }
    if (pl > 0) {
      const pre = fromS ? f.sPrefix : f.cPrefix;
      // TCP: the protocol bytes open the first segment of each direction; UDP: every datagram.
      const first = !tcp || (fromS ? !f.sData : !f.cData);
      let n = 0;
      if (pre !== null && first) {
        n = pre.length < pl ? pre.length : pl;
        b.set(pre.subarray(0, n), o);
        if (f.dnsId >= 0 && n >= f.dnsOff + 2) {
          b[o + f.dnsOff] = f.dnsId >> 8; b[o + f.dnsOff + 1] = f.dnsId & 255;
        }
      }
      if (fromS) f.sData = true; else f.cData = true;
      if (pl > n) {
        const fo = (w.packets * 97) & 0x7fff;
        if (pl - n <= 64) cp(b, o + n, cfg.filler, pl - n, fo);
        else cfg.filler.copy(b, o + n, fo, fo + pl - n);
      }
      o += pl;
    }
    if (!tcp) {
      let acc = sum16(b, l4, l4len, 0);
      if (v6) acc = sum16(b, ipOff + 8, 32, acc);
      else acc = sum16(b, ipOff + 12, 8, acc);
      acc += PROTO_UDP + l4len;
      let ck = fold(acc);
      if (ck === 0) ck = 0xffff;
      b[l4 + 6] = ck >> 8; b[l4 + 7] = ck & 255;
      if (!fromS) { f.lastIpId = ipId; f.lastUdpLen = pl; f.lastUdpCsum = ck; }
    }
  }
  const min = cfg.small ? 64 : 60;
  let len = o - start;
  if (len < min) {
    b.fill(0, o, start + min);
    len = min;
  }
  w.commit(f.t, len);
  return len;
}
