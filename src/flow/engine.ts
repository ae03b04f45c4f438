/**
 * FlowEngine: Decoder + FlowTable + name observations, fed one borrowed PacketRecord at a time.
 * Used by the offline gatherer (src/cli/gather.ts) and by live capture.
 *
 *   const eng = new FlowEngine({ onFlow: (f) => flows.push(f) });
 *   eng.addSource(0, 'x.pcap', 'pcap');
 *   readCaptures(['x.pcap'], {}, (rec) => eng.packet(rec));
 *   eng.flush();
 *
 * Expiry sweeps run inside packet() in packet time: after at least `sweepPackets` packets (and at
 * least as many as half the live flows, so a sweep's cost is amortised) and at least one second of
 * packet time since the previous sweep. Live capture can call expire(now) from a timer as well.
 * Name observations: DNS answers (UDP/TCP from port 53) and TLS SNI (originator payload starting
 * with a TLS handshake record) are parsed in at most INSPECT_MAX payload packets per flow.
 */
import { Anomalies } from '../core/anomalies.js';
import { Outcome } from '../core/outcome.js';
import type { PacketRecord } from '../capture/types.js';
import { Decoder } from '../decode/decoder.js';
import { DecodedPacket } from '../decode/packet.js';
import { parseDnsAnswers, parseDnsTcpAnswers } from '../decode/app/dns.js';
import { parseTlsSni } from '../decode/app/tls.js';
import type { EvidenceKind, NameObservation } from './record.js';
import { FlowTable, type FlowSink, type FlowTableOptions } from './table.js';

/** Payload packets per flow looked at for DNS answers / TLS SNI. */
export const INSPECT_MAX = 8;

export interface NameParsers {
  /** DNS message at buf[off, off+len) (UDP payload): calls onAnswer per A/AAAA answer. */
  dns?: (buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void) => boolean;
  /** DNS over TCP (2-byte length prefix). */
  dnsTcp?: (buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void) => boolean;
  /** TLS ClientHello SNI, or null. */
  sni?: (buf: Buffer, off: number, len: number) => string | null;
}

/** The decode stage's app-layer parsers (the default). */
export const DEFAULT_NAME_PARSERS: Readonly<NameParsers> = Object.freeze({ dns: parseDnsAnswers, dnsTcp: parseDnsTcpAnswers, sni: parseTlsSni });

/** Kept for callers written against the first draft: resolves to DEFAULT_NAME_PARSERS. */
export async function loadNameParsers(): Promise<NameParsers> {
  return DEFAULT_NAME_PARSERS;
}

/** Deduplicated name observations (names lower-cased, trailing dot removed). */
export class NameCollector {
  readonly list: NameObservation[] = [];
  readonly #seen = new Set<string>();

  add(name: string, address: string, via: 'dns' | 'sni'): void {
    let n = name.toLowerCase();
    if (n.endsWith('.')) n = n.slice(0, -1);
    if (n === '' || address === '') return;
    const k = `${via}\u0000${n}\u0000${address}`;
    if (this.#seen.has(k)) return;
    this.#seen.add(k);
    this.list.push({ name: n, address, via });
  }

  /** Sorted copy (deterministic output). */
  sorted(): NameObservation[] {
    return [...this.list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
  }
}

export interface FlowEngineOptions extends FlowTableOptions {
  /** Where finished flows go (expired, evicted, flushed). */
  onFlow: FlowSink;
  /** Parsers for DNS answers and TLS SNI (default DEFAULT_NAME_PARSERS; pass {} to collect no names). */
  nameParsers?: NameParsers;
  /** Minimum packets between expiry sweeps (default 65 536). */
  sweepPackets?: number;
}

export class FlowEngine {
  readonly table: FlowTable;
  readonly names = new NameCollector();
  /** Per input (fileIndex) anomalies, decode and flow. */
  readonly anomalies: Anomalies[] = [];
  /** Packets given to packet(), and those that became part of a flow. */
  packets = 0;
  flowPackets = 0;
  #decoders: Decoder[] = [];
  readonly #pkt = new DecodedPacket();
  readonly #parsers: NameParsers;
  readonly #sweepMin: number;
  #sinceSweep = 0;
  #nextSweep: number;
  #lastSweepSec = 0;
  readonly #onAnswer: (name: string, address: string) => void;

  constructor(opts: FlowEngineOptions) {
    this.table = new FlowTable(opts, opts.onFlow);
    this.#parsers = opts.nameParsers ?? DEFAULT_NAME_PARSERS;
    this.#sweepMin = opts.sweepPackets ?? 65536;
    this.#nextSweep = this.#sweepMin;
    this.#onAnswer = (name, address) => this.names.add(name, address, 'dns');
  }

  /** Register an input; returns its anomaly registry. Unregistered fileIndexes get one on first use. */
  addSource(fileIndex: number, name: string, kind: EvidenceKind): Anomalies {
    this.table.setSource(fileIndex, name, kind);
    return this.#source(fileIndex);
  }

  #source(fileIndex: number): Anomalies {
    let a = this.anomalies[fileIndex];
    if (a === undefined) {
      a = new Anomalies();
      this.anomalies[fileIndex] = a;
      this.#decoders[fileIndex] = new Decoder(a);
    }
    return a;
  }

  /** Decode and account one borrowed packet record. */
  packet(rec: PacketRecord): void {
    const fi = rec.fileIndex;
    let dec = this.#decoders[fi];
    if (dec === undefined) { this.#source(fi); dec = this.#decoders[fi]!; }
    const out = this.#pkt;
    this.packets++;
    dec.decode(rec, out);
    if (out.outcome === Outcome.Ok && out.ipVersion !== 0) {
      const f = this.table.update(out, rec.tsSec, rec.tsNsec, fi, rec.ifIndex, this.anomalies[fi]!, rec.index);
      if (f >= 0) {
        this.flowPackets++;
        if (out.payloadCaptured > 0 && out.hasPorts && !out.hasQuoted && this.table.inspected(f) < INSPECT_MAX) this.#inspect(f, rec.data, out);
      }
    }
    if (++this.#sinceSweep >= this.#nextSweep) this.#maybeSweep();
  }

  #inspect(f: number, data: Buffer, p: DecodedPacket): void {
    const t = this.table, n = t.inspected(f), proto = p.proto;
    const off = p.payloadOffset, len = p.payloadCaptured;
    if (p.srcPort === 53 && (proto === 17 || proto === 6)) {
      t.setInspected(f, n + 1);
      const fn = proto === 17 ? this.#parsers.dns : this.#parsers.dnsTcp;
      if (fn !== undefined) fn(data, off, len, this.#onAnswer);
      return;
    }
    if (proto !== 6 || !t.lastIsOrig) return;
    if (len >= 6 && data[off] === 0x16 && data[off + 1] === 0x03 && this.#parsers.sni !== undefined) {
      const sni = this.#parsers.sni(data, off, len);
      if (sni !== null) { this.names.add(sni, t.respAddr(f), 'sni'); t.setInspected(f, 255); return; }
    }
    t.setInspected(f, n + 1);
  }

  #maybeSweep(): void {
    const t = this.table;
    if (t.nowSec - this.#lastSweepSec < 1) { this.#nextSweep += this.#sweepMin; return; }
    this.#lastSweepSec = t.nowSec;
    t.expire(t.nowSec, t.nowNsec);
    this.#sinceSweep = 0;
    this.#nextSweep = Math.max(this.#sweepMin, t.size >> 1);
  }

  /** Finish flows idle past their timeout at packet time now. */
  expire(nowSec: number, nowNsec: number, onFlow?: FlowSink): number {
    return this.#withSink(onFlow, () => this.table.expire(nowSec, nowNsec));
  }

  /** Finish all flows. */
  flush(onFlow?: FlowSink): number {
    return this.#withSink(onFlow, () => this.table.flush());
  }

  #withSink(onFlow: FlowSink | undefined, fn: () => number): number {
    if (onFlow === undefined) return fn();
    const t = this.table;
    const prev = t.sink;
    t.setSink(onFlow);
    try { return fn(); } finally { t.setSink(prev); }
  }

  get evictions(): number {
    return this.table.evictions;
  }
}
