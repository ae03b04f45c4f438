/**
 * The scheduler: flows arrive as a Poisson process (plus planted flows at fixed times), their
 * scripted packets are merged by a binary heap on the next packet time, so flows interleave and
 * timestamps never go backwards. Also the flow builders (TCP session, UDP exchange, noise).
 */
import { Prng } from './prng.js';
import { emitFrame, Flow, nextPort, DIR_S, ICMP_UNREACH, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, v4str, v6str } from './model.js';
import type { Host, EmitConfig } from './model.js';
import type { CaptureWriter } from './writer.js';
import { makeFiller } from './payloads.js';
import { TupleSet } from './tuple-set.js';

export interface GenOptions {
  seed: number;
  /** Worst-case profile: TCP payloads cut to 10 bytes, UDP to 22, no SYN options, 64-byte frames. */
  small: boolean;
  ipv6Share: number;
  vlanShare: number;
  noiseShare: number;
  /** New flows per second of capture time (Poisson arrivals). */
  rate: number;
  /** Capture start, µs since the Unix epoch. */
  startUs: number;
  /** Multiplier on TCP message sizes (the demo uses < 1 to stay small). */
  sizeScale: number;
}

export const DEFAULT_OPTIONS: GenOptions = {
  seed: 1, small: false, ipv6Share: 0.1, vlanShare: 0.1, noiseShare: 0.05, rate: 280, sizeScale: 1,
  startUs: Date.UTC(2026, 0, 15, 9, 0, 0) * 1000,
};

export interface GenLimits {
  packets?: number;
  bytes?: number;
  /** Number of random-mix flows to start (follow-up RPC flows and planted flows not included). */
  flows?: number;
  /** Stop starting new random-mix flows after this much capture time (µs). */
  durationUs?: number;
}

export interface TrafficClass {
  name: string;
  weight: number;
  noise: boolean;
  make(g: Generator, t: number): Flow;
}

export interface ClassStats { flows: number; packets: number }

export interface GenStats {
  packets: number;
  bytes: number;
  /** Flows (5-tuple scripts) that wrote at least one packet. */
  flows: number;
  /** Distinct bidirectional TCP/UDP 5-tuples, when counted (countTuples). */
  uniqueTcpUdpFlows: number | null;
  /** Distinct ICMP/ICMPv6 address pairs (a 5-tuple tool counts these as flows with ports 0), when counted. */
  uniqueIcmpPairs: number | null;
  tcpPackets: number;
  udpPackets: number;
  icmpPackets: number;
  ipv6Packets: number;
  vlanPackets: number;
  firstTsUs: number;
  lastTsUs: number;
  byClass: Record<string, ClassStats>;
}

export interface TcpParams {
  exMin: number;
  exMax: number;
  req: readonly [number, number, number];
  resp: readonly [number, number, number];
  /** Mean client think time between exchanges, µs. */
  think: number;
  rstP: number;
  wan: boolean;
  cPrefix?: Uint8Array | null;
  sPrefix?: Uint8Array | null;
}

export class Generator {
  readonly rng: Prng;
  readonly opts: GenOptions;
  private readonly classes: TrafficClass[] = [];
  private cum: number[] = [];
  private total = 0;
  private readonly classNames: string[] = [];
  private readonly classIdx = new Map<string, number>();
  private readonly heap: Flow[] = [];
  private ord = 0;
  private readonly planted: { at: number; make: (g: Generator, t: number) => Flow }[] = [];
  private readonly cfg: EmitConfig;

  constructor(opts: Partial<GenOptions> = {}) {
    this.opts = { ...DEFAULT_OPTIONS, ...opts };
    this.rng = new Prng(this.opts.seed);
    this.cfg = { small: this.opts.small, filler: makeFiller(this.opts.seed ^ 0x5eed, 1 << 16) };
  }

  /** Register a class of the random mix. Noise classes share `noiseShare`, the rest the remainder. */
  setMix(classes: TrafficClass[]): void {
    this.classes.length = 0;
    let wn = 0, wr = 0;
    for (const c of classes) if (c.noise) wn += c.weight; else wr += c.weight;
    this.cum = [];
    this.total = 0;
    for (const c of classes) {
      const share = c.noise ? (wn > 0 ? (c.weight / wn) * this.opts.noiseShare : 0) : (wr > 0 ? (c.weight / wr) * (1 - (wn > 0 ? this.opts.noiseShare : 0)) : 0);
      if (share <= 0) continue;
      this.classes.push(c);
      this.total += share;
      this.cum.push(this.total);
      this.cls(c.name);
    }
  }

  /** Class index for statistics, by name. */
  cls(name: string): number {
    let i = this.classIdx.get(name);
    if (i === undefined) {
      i = this.classNames.length;
      this.classNames.push(name);
      this.classIdx.set(name, i);
    }
    return i;
  }

  /** A flow started at `atUs` (µs after the capture start) whatever the random mix does. */
  plant(atUs: number, make: (g: Generator, t: number) => Flow): void {
    this.planted.push({ at: this.opts.startUs + Math.round(atUs), make });
    this.planted.sort((a, b) => a.at - b.at);
  }

  useV6(c: Host, s: Host): boolean {
    return c.v6 !== null && s.v6 !== null && this.rng.chance(this.opts.ipv6Share);
  }

  private flow(cls: string, proto: number, c: Host, s: Host, sPort: number, t: number, v6?: boolean): Flow {
    const f = new Flow(this.cls(cls), proto, c, s, nextPort(c), sPort, v6 ?? this.useV6(c, s), this.rng.next());
    f.t = t;
    return f;
  }

  private rtt(wan: boolean): number {
    return wan ? this.rng.range(8000, 48000) : this.rng.range(150, 750);
  }

  private segs(f: Flow, dir: number, total: number, gap: number, rtt: number): void {
    const mss = f.isV6 ? 1440 : 1460;
    const n = total <= 0 ? 0 : Math.ceil(total / mss);
    for (let i = 0; i < n; i++) {
      const len = i === n - 1 ? total - i * mss : mss;
      f.op(i === 0 ? gap : this.rng.range(2, 30), dir | TCP_ACK | (i === n - 1 ? TCP_PSH : 0), len);
      if ((i & 1) === 1 && i !== n - 1) f.op(this.rng.range(Math.min(rtt >> 1, 200), rtt), (dir ^ DIR_S) | TCP_ACK, 0);
    }
  }

  /** A full TCP session: handshake, request/response exchanges, FIN/ACK close (or RST). */
  tcp(cls: string, c: Host, s: Host, dport: number, p: TcpParams, t: number, v6?: boolean): Flow {
    const f = this.flow(cls, PROTO_TCP, c, s, dport, t, v6);
    f.cPrefix = p.cPrefix ?? null;
    f.sPrefix = p.sPrefix ?? null;
    const r = this.rng;
    const rtt = this.rtt(p.wan);
    f.op(0, TCP_SYN, 0);
    f.op(rtt, DIR_S | TCP_SYN | TCP_ACK, 0);
    f.op(r.range(10, 60), TCP_ACK, 0);
    const n = r.range(p.exMin, p.exMax);
    for (let i = 0; i < n; i++) {
      const k = this.opts.sizeScale;
      const req = Math.max(1, Math.round(r.pareto(p.req[0], p.req[1], p.req[2]) * k));
      const resp = Math.round(r.pareto(p.resp[0], p.resp[1], p.resp[2]) * k);
      this.segs(f, 0, Math.max(req, Math.min(p.cPrefix?.length ?? 0, p.req[2])), i === 0 ? r.range(5, 80) : r.exp(p.think), rtt);
      this.segs(f, DIR_S, Math.max(resp, Math.min(p.sPrefix?.length ?? 0, p.resp[2])), (rtt >> 1) + r.exp(400), rtt);
    }
    if (r.chance(p.rstP)) {
      f.op(r.exp(p.think), TCP_RST | TCP_ACK, 0);
    } else {
      f.op(r.exp(p.think), TCP_FIN | TCP_ACK, 0);
      f.op(rtt, DIR_S | TCP_FIN | TCP_ACK, 0);
      f.op(r.range(10, 60), TCP_ACK, 0);
    }
    return f;
  }

  /** UDP request/response exchanges with fixed payloads (prefixes are the whole payloads). */
  udp(cls: string, c: Host, s: Host, dport: number, q: Uint8Array, a: Uint8Array | null, t: number, opts: { wan?: boolean; exchanges?: number; dnsId?: boolean; v6?: boolean } = {}): Flow {
    const f = this.flow(cls, PROTO_UDP, c, s, dport, t, opts.v6);
    f.cPrefix = q;
    f.sPrefix = a;
    if (opts.dnsId) f.dnsId = this.rng.int(65536);
    const rtt = this.rtt(opts.wan ?? false);
    const n = opts.exchanges ?? 1;
    for (let i = 0; i < n; i++) {
      f.op(i === 0 ? 0 : this.rng.exp(2_000_000), 0, q.length);
      if (a !== null) f.op(rtt + this.rng.exp(300), DIR_S, a.length);
    }
    return f;
  }

  /** DNS over TCP with a framed query/answer. */
  tcpDns(cls: string, c: Host, s: Host, q: Uint8Array, a: Uint8Array, t: number): Flow {
    const f = this.tcp(cls, c, s, 53, { exMin: 1, exMax: 1, req: [q.length, 100, q.length], resp: [a.length, 100, a.length], think: 100, rstP: 0, wan: false, cPrefix: q, sPrefix: a }, t);
    f.dnsId = this.rng.int(65536);
    f.dnsOff = 2;
    return f;
  }

  /** SYN and retransmissions with no answer (dropped by a firewall). */
  synOnly(cls: string, c: Host, s: Host, dport: number, t: number, tries = 3, v6?: boolean): Flow {
    const f = this.flow(cls, PROTO_TCP, c, s, dport, t, v6);
    let dt = 0;
    for (let i = 0; i < tries; i++) {
      f.op(dt, TCP_SYN, 0);
      dt = dt === 0 ? 1_000_000 : dt * 2;
    }
    return f;
  }

  /** SYN answered by RST/ACK (port closed). */
  refused(cls: string, c: Host, s: Host, dport: number, t: number, wan = false, v6?: boolean): Flow {
    const f = this.flow(cls, PROTO_TCP, c, s, dport, t, v6);
    f.op(0, TCP_SYN, 0);
    f.op(this.rtt(wan), DIR_S | TCP_RST | TCP_ACK, 0);
    return f;
  }

  /** UDP datagram(s) answered by ICMP port unreachable. */
  udpUnreachable(cls: string, c: Host, s: Host, dport: number, q: Uint8Array, t: number, tries = 1, v6?: boolean): Flow {
    const f = this.flow(cls, PROTO_UDP, c, s, dport, t, v6);
    f.cPrefix = q;
    for (let i = 0; i < tries; i++) {
      f.op(i === 0 ? 0 : 1_000_000, 0, q.length);
      f.op(this.rtt(false), DIR_S | ICMP_UNREACH, 0);
    }
    return f;
  }

  private push(f: Flow): void {
    f.ord = this.ord++;
    const h = this.heap;
    let i = h.length;
    h.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pf = h[p]!;
      if (pf.t < f.t || (pf.t === f.t && pf.ord < f.ord)) break;
      h[i] = pf;
      i = p;
    }
    h[i] = f;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const f = h[i]!;
    for (;;) {
      let m = 2 * i + 1;
      if (m >= n) break;
      const r = m + 1;
      if (r < n) {
        const a = h[m]!, b = h[r]!;
        if (b.t < a.t || (b.t === a.t && b.ord < a.ord)) m = r;
      }
      const c = h[m]!;
      if (f.t < c.t || (f.t === c.t && f.ord < c.ord)) break;
      h[i] = c;
      i = m;
    }
    h[i] = f;
  }

  private pickClass(): TrafficClass {
    const x = this.rng.float() * this.total;
    const cum = this.cum;
    let lo = 0, hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid; else lo = mid + 1;
    }
    return this.classes[lo]!;
  }

  /** Generate into the writer until a limit is reached. */
  run(w: CaptureWriter, limits: GenLimits, countTuples = false): GenStats {
    const maxPk = limits.packets ?? Infinity;
    const maxBytes = limits.bytes ?? Infinity;
    const maxFlows = limits.flows ?? Infinity;
    const endSpawn = limits.durationUs === undefined ? Infinity : this.opts.startUs + limits.durationUs;
    if (maxPk === Infinity && maxBytes === Infinity && maxFlows === Infinity && endSpawn === Infinity) {
      throw new Error('generator: give at least one limit (packets, bytes, flows or duration)');
    }
    const perClass: ClassStats[] = [];
    const st: GenStats = {
      packets: 0, bytes: 0, flows: 0, uniqueTcpUdpFlows: null, uniqueIcmpPairs: null, tcpPackets: 0, udpPackets: 0, icmpPackets: 0,
      ipv6Packets: 0, vlanPackets: 0, firstTsUs: 0, lastTsUs: 0, byClass: {},
    };
    const tuples = countTuples ? new TupleSet() : null;
    const icmpPairs = countTuples ? new Set<string>() : null;
    const meanGap = 1e6 / this.opts.rate;
    let nextArrival = this.classes.length > 0 ? this.opts.startUs + Math.round(this.rng.exp(meanGap)) : Infinity;
    let spawned = 0;
    let pi = 0;
    const planted = this.planted;
    const heap = this.heap;
    const startBytes = w.bytes;
    const startPk = w.packets;
    while (w.packets - startPk < maxPk && w.bytes - startBytes < maxBytes) {
      const top = heap[0];
      const topT = top === undefined ? Infinity : top.t;
      const canSpawn = spawned < maxFlows && nextArrival <= endSpawn;
      const pl = planted[pi];
      if (pl !== undefined && pl.at <= topT && (!canSpawn || pl.at <= nextArrival)) {
        this.push(pl.make(this, pl.at));
        pi++;
        continue;
      }
      if (canSpawn && nextArrival <= topT) {
        this.push(this.pickClass().make(this, nextArrival));
        spawned++;
        nextArrival += Math.max(1, Math.round(this.rng.exp(meanGap)));
        continue;
      }
      if (top === undefined) break;
      const f = top;
      if (!f.started) {
        f.started = true;
        st.flows++;
        cs(perClass, f.cls).flows++;
        if (tuples !== null) {
          if (f.isV6) tuples.add(f.proto, f.c.w6!, f.cPort, f.s.w6!, f.sPort);
          else tuples.add(f.proto, f.c.w4, f.cPort, f.s.w4, f.sPort);
        }
      }
      const code = f.ops[f.idx + 1]!;
      emitFrame(w, f, this.cfg);
      cs(perClass, f.cls).packets++;
      if ((code & ICMP_UNREACH) !== 0) {
        st.icmpPackets++;
        if (icmpPairs !== null) icmpPairs.add(`${addrStr(f.c, f.isV6)} ${addrStr(f.s, f.isV6)}`);
      }
      else if (f.proto === PROTO_TCP) st.tcpPackets++;
      else st.udpPackets++;
      if (f.isV6) st.ipv6Packets++;
      if (f.vlan !== 0) st.vlanPackets++;
      if (st.firstTsUs === 0) st.firstTsUs = f.t;
      st.lastTsUs = f.t;
      f.idx += 3;
      if (f.idx < f.ops.length) {
        f.t += f.ops[f.idx]!;
        this.siftDown(0);
      } else {
        const nf = f.follow;
        const last = heap.pop()!;
        if (heap.length > 0 && last !== f) {
          heap[0] = last;
          this.siftDown(0);
        }
        if (nf !== null) {
          nf.t = f.t + Math.round(f.followDelay);
          this.push(nf);
        }
      }
    }
    st.packets = w.packets - startPk;
    st.bytes = w.bytes;
    st.uniqueTcpUdpFlows = tuples === null ? null : tuples.size;
    st.uniqueIcmpPairs = icmpPairs === null ? null : icmpPairs.size;
    for (let i = 0; i < this.classNames.length; i++) {
      const c = perClass[i];
      if (c !== undefined && (c.flows > 0 || c.packets > 0)) st.byClass[this.classNames[i]!] = c;
    }
    return st;
  }
}

function cs(a: ClassStats[], i: number): ClassStats {
  let c = a[i];
  if (c === undefined) {
    for (let j = a.length; j <= i; j++) a.push({ flows: 0, packets: 0 });
    c = a[i]!;
  }
  return c;
}

function addrStr(h: Host, v6: boolean): string {
  return v6 ? v6str(h.v6!) : v4str(h.v4);
}

