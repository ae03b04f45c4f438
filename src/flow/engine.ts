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
import type { PacketRecord, PcapHeader, PcapngSection, PcapRecordSink, TakenRecords, TimeBound } from '../capture/types.js';
import { newPacketRecord } from '../capture/info.js';
import { Decoder } from '../decode/decoder.js';
import { DecodedPacket } from '../decode/packet.js';
import { DNS_ANSWERS_CAPPED, parseDnsAnswers, parseDnsTcpAnswers } from '../decode/app/dns.js';
import { locateTlsSni, parseTlsSni, tlsRecordLength } from '../decode/app/tls.js';
import type { EvidenceKind, NameObservation } from './record.js';
import { FlowTable, type FlowSink, type FlowTableOptions } from './table.js';

/** Payload packets per flow looked at for DNS answers / TLS SNI. */
export const INSPECT_MAX = 8;

/** Most distinct name observations kept per run; beyond it each new one is dropped and counted. */
export const MAX_NAMES = 100_000;
/** Anomaly counted (in the input being read) for each name observation dropped at MAX_NAMES. */
export const NAMES_CAPPED = 'flow.names.capped';
/** Largest TLS record reassembled from a client's first segments to find the SNI. */
export const TLS_REASSEMBLY_MAX = 4096;
/** Flows reassembling a ClientHello at once (beyond it a split ClientHello is not followed). */
const TLS_REASSEMBLY_FLOWS = 4096;

export interface NameParsers {
  /** DNS message at buf[off, off+len) (UDP payload): calls onAnswer per A/AAAA answer. */
  dns?: (buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void, onLimit?: () => void) => boolean;
  /** DNS over TCP (2-byte length prefix). */
  dnsTcp?: (buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void, onLimit?: () => void) => boolean;
  /** TLS ClientHello SNI, or null. */
  sni?: (buf: Buffer, off: number, len: number) => string | null;
}

/** The decode stage's app-layer parsers (the default). */
export const DEFAULT_NAME_PARSERS: Readonly<NameParsers> = Object.freeze({ dns: parseDnsAnswers, dnsTcp: parseDnsTcpAnswers, sni: parseTlsSni });

/** Kept for callers written against the first draft: resolves to DEFAULT_NAME_PARSERS. */
export async function loadNameParsers(): Promise<NameParsers> {
  return DEFAULT_NAME_PARSERS;
}

/**
 * Deduplicated name observations (names lower-cased, trailing dot removed), at most `limit`
 * (default MAX_NAMES); each new observation beyond it is dropped, counted in `dropped`, and
 * reported through onCapped (the engine counts the anomaly NAMES_CAPPED there).
 */
export class NameCollector {
  readonly list: NameObservation[] = [];
  /** Seen (name, address) pairs per `via`: address → names (no key string built per observation). */
  readonly #seenDns = new Map<string, Set<string>>();
  readonly #seenSni = new Map<string, Set<string>>();
  readonly limit: number;
  /** Distinct observations dropped because the limit was reached. */
  dropped = 0;
  readonly #onCapped: (() => void) | undefined;
  readonly #onAdd: ((obs: NameObservation) => void) | undefined;

  /** onAdd: called with each observation kept, as it is kept (in the order of `list`). */
  constructor(limit = MAX_NAMES, onCapped?: () => void, onAdd?: (obs: NameObservation) => void) {
    this.limit = limit;
    this.#onCapped = onCapped;
    this.#onAdd = onAdd;
  }

  add(name: string, address: string, via: 'dns' | 'sni'): void {
    let n = name.toLowerCase();
    if (n.endsWith('.')) n = n.slice(0, -1);
    if (n === '' || address === '') return;
    const byAddr = via === 'dns' ? this.#seenDns : this.#seenSni;
    let names = byAddr.get(address);
    if (names !== undefined && names.has(n)) return;
    if (this.list.length >= this.limit) {
      this.dropped++;
      if (this.#onCapped !== undefined) this.#onCapped();
      return;
    }
    if (names === undefined) { names = new Set<string>(); byAddr.set(address, names); }
    names.add(n);
    const obs: NameObservation = { name: n, address, via };
    this.list.push(obs);
    if (this.#onAdd !== undefined) this.#onAdd(obs);
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
  /** Most distinct name observations kept (default MAX_NAMES); beyond it they are dropped and counted. */
  maxNames?: number;
  /** Called with each new name observation as it is kept (a consumer that audits flows while they are read). */
  onName?: (obs: NameObservation) => void;
}

export class FlowEngine implements PcapRecordSink {
  readonly table: FlowTable;
  readonly names: NameCollector;
  /** Per input (fileIndex) anomalies, decode and flow. */
  readonly anomalies: Anomalies[] = [];
  /** Packets given to packet(), and those that became part of a flow. */
  packets = 0;
  flowPackets = 0;
  /** Packets decoded and accounted by the table's WebAssembly core in one call (read into its arena). */
  corePackets = 0;
  /** Of those, the packets taken in the core's record batches (takeRecords), not one by one. */
  batchedPackets = 0;
  /** Payload packets looked at here for names (the core's name caches and its split-ClientHello work keep most from coming here). */
  namePackets = 0;
  #decoders: Decoder[] = [];
  readonly #pkt = new DecodedPacket();
  readonly #parsers: NameParsers;
  readonly #sweepMin: number;
  #sinceSweep = 0;
  #nextSweep: number;
  #lastSweepSec = 0;
  readonly #onAnswer: (name: string, address: string) => void;
  readonly #onDnsLimit: () => void;
  // input and packet index of the packet being inspected (anomalies found by the name parsers)
  #curFile = 0;
  // recently parsed DNS messages (UDP, or alone in a TCP segment after its length with the default
  // parsers): (hash1, hash2, length, capped) per slot, direct-mapped; in the table core's memory,
  // which looks there itself for the packets it decodes (FlowTable.dnsCache)
  readonly #dnsCache: Int32Array;
  readonly #dnsTcpCached: boolean;
  readonly #dnsMask: number;
  #h1 = 0; #h2 = 0; #capped = false;
  #curIndex = -1;
  // server names kept, by (hash1, hash2, length) of the name's bytes and the server's address; direct-mapped,
  // in the core's memory as the DNS cache
  readonly #sniCache: Int32Array;
  readonly #sniMask: number;
  readonly #span = new Int32Array(2);
  readonly #resp = new Uint32Array(4);
  // ClientHellos recognised here (the core counts those it recognises)
  #sniRepeats = 0;
  #dnsRepeats = 0;
  /** The record of a packet taken by takeRecords that is to be looked at for names. */
  readonly #taken = newPacketRecord(0);

  constructor(opts: FlowEngineOptions) {
    this.table = new FlowTable(opts, opts.onFlow);
    this.#parsers = opts.nameParsers ?? DEFAULT_NAME_PARSERS;
    this.#sweepMin = opts.sweepPackets ?? 65536;
    this.#nextSweep = this.#sweepMin;
    this.names = new NameCollector(opts.maxNames ?? MAX_NAMES, () => this.#count(NAMES_CAPPED), opts.onName);
    this.#onAnswer = (name, address) => this.names.add(name, address, 'dns');
    this.#onDnsLimit = () => { this.#capped = true; this.#count(DNS_ANSWERS_CAPPED); };
    const t = this.table;
    // (split ClientHellos are put together in the table core's slots: as many, as long)
    if (t.tlsSlotBytes < TLS_REASSEMBLY_MAX || t.tlsMeta.length / 4 < TLS_REASSEMBLY_FLOWS) throw new Error('the flow core has too few or too small ClientHello slots');
    this.#dnsCache = t.dnsCache; this.#dnsMask = (t.dnsCache.length >> 2) - 1;
    this.#sniCache = t.sniCache; this.#sniMask = t.sniCache.length / 3 - 1;
    // (a message alone in a TCP segment is the message over UDP only for the default parsers)
    this.#dnsTcpCached = this.#parsers.dns === parseDnsAnswers && this.#parsers.dnsTcp === parseDnsTcpAnswers;
    t.setNameCaches(this.#parsers.dns !== undefined, this.#parsers.sni === parseTlsSni, this.#dnsTcpCached);
  }

  /** ClientHellos whose server name was recognised by its bytes as one already kept for that server (not parsed again). */
  get sniRepeats(): number {
    return this.#sniRepeats + this.table.coreSniRepeats;
  }

  /** DNS messages (UDP, or alone in a TCP segment) recognised as equal (but for the ID) to one parsed before (not parsed again). */
  get dnsRepeats(): number {
    return this.#dnsRepeats + this.table.coreDnsRepeats;
  }

  /** Hash a DNS message except its ID into (#h1, #h2); returns its cache slot (4 words). */
  #dnsSlot(data: Buffer, off: number, len: number): number {
    let h1 = 0x3c6ef372 ^ len, h2 = 0x5bd1e995 ^ len;
    const end = off + len;
    let i = off + 2;
    for (; i + 4 <= end; i += 4) {
      const w = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
      h1 = Math.imul(h1 ^ w, 0xcc9e2d51); h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + w, 0x1b873593); h2 ^= h2 >>> 15;
    }
    for (; i < end; i++) { h1 = Math.imul(h1 ^ data[i]!, 0xcc9e2d51); h2 = Math.imul(h2 + data[i]!, 0x1b873593); }
    h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13; h1 = Math.imul(h1, 0xc2b2ae35); h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 16; h2 = Math.imul(h2, 0x7feb352d); h2 ^= h2 >>> 15; h2 = Math.imul(h2, 0x846ca68b); h2 ^= h2 >>> 16;
    this.#h1 = h1; this.#h2 = h2;
    return (h1 & this.#dnsMask) * 4;
  }

  /** Hash a TLS server name's bytes and flow f's server address into (#h1, #h2); returns its cache slot (3 words). */
  #sniSlot(data: Buffer, at: number, n: number, f: number): number {
    let h1 = 0x6a09e667 ^ n, h2 = 0x3c6ef372 ^ n;
    const w = this.table.respWords(f, this.#resp);
    for (let k = 0; k < 4; k++) {
      h1 = Math.imul(h1 ^ w[k]!, 0xcc9e2d51); h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + w[k]!, 0x1b873593); h2 ^= h2 >>> 15;
    }
    for (let i = at, end = at + n; i < end; i++) {
      const b = data[i]!;
      h1 = Math.imul(h1 ^ b, 0xcc9e2d51); h1 = (h1 << 13) | (h1 >>> 19);
      h2 = Math.imul(h2 + b, 0x1b873593); h2 ^= h2 >>> 15;
    }
    h1 ^= h1 >>> 16; h1 = Math.imul(h1, 0x85ebca6b); h1 ^= h1 >>> 13; h1 = Math.imul(h1, 0xc2b2ae35); h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 16; h2 = Math.imul(h2, 0x7feb352d); h2 ^= h2 >>> 15; h2 = Math.imul(h2, 0x846ca68b); h2 ^= h2 >>> 16;
    this.#h1 = h1; this.#h2 = h2;
    return (h1 & this.#sniMask) * 3;
  }

  /** Count an anomaly in the input of the packet being processed. */
  #count(name: string): void {
    this.#source(this.#curFile).add(name, this.#curIndex);
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
    const out = this.#pkt, data = rec.data, t = this.table;
    if (data.buffer === t.arena && rec.capLen <= rec.origLen && rec.offset + rec.capLen <= data.length) {
      // the chunk is in the table's memory: a fast-path packet is decoded and accounted in one call
      const f = t.plain(data.byteOffset + rec.offset, rec.capLen, rec.origLen, rec.linkType, rec.tsSec, rec.tsNsec, fi, rec.ifIndex, this.anomalies[fi]!, rec.index);
      if (f >= 0) {
        this.packets++;
        this.flowPackets++;
        this.corePackets++;
        if (t.inspectNames) {
          dec.decode(rec, out); // (counted there as a fast-path packet)
          this.#curFile = fi; this.#curIndex = rec.index;
          this.#inspect(f, data, out);
        } else {
          // (a tunnelled packet is not one of the decoder's fast path: the core took its inner packet)
          if (!t.lastTunnel) dec.plainPackets++;
          if (t.lastCut) dec.stats.payloadCut++;
        }
        if (++this.#sinceSweep >= this.#nextSweep) this.#maybeSweep();
        return;
      }
    }
    dec.decode(rec, out);
    this.#account(rec, out);
  }

  /** Packets decoded by the fast path, the decoder's or the core's (all inputs). */
  get fastPathPackets(): number {
    let n = 0;
    for (const d of this.#decoders) if (d !== undefined) n += d.plainPackets;
    return n;
  }

  /** The table's memory, where chunks must lie for takeRecords (null: the table has no arena). */
  get arena(): SharedArrayBuffer | null {
    return this.table.arena;
  }

  /**
   * Take classic pcap records straight from a chunk read into the table's memory (PcapRecordSink):
   * the WebAssembly core decodes and accounts each whole, anomaly-free, fast-path record, exactly as
   * packet() would, and stops before any other (the reader then parses it and calls packet()).
   * Records whose payload is to be looked at for names are decoded here for that, and expiry
   * sweeps run at the same packets as packet()'s (and every client payload of a flow whose split
   * ClientHello is being put together is appended by the core, which hands the packet that
   * completes it to #inspect).
   */
  takeRecords(chunk: Buffer, pos: number, lim: number, h: PcapHeader, fileIndex: number, index0: number, out: TakenRecords, bound: TimeBound | null): number {
    return this.#take(chunk, pos, lim, fileIndex, index0, out, h, null, bound);
  }

  /** The same for a pcapng reader's Enhanced Packet Blocks of the interfaces of its section `s`. */
  takeBlocks(chunk: Buffer, pos: number, lim: number, s: PcapngSection, fileIndex: number, index0: number, out: TakenRecords, bound: TimeBound | null): number {
    return this.#take(chunk, pos, lim, fileIndex, index0, out, null, s, bound);
  }

  #take(chunk: Buffer, pos: number, lim: number, fileIndex: number, index0: number, out: TakenRecords, h: PcapHeader | null, ng: PcapngSection | null,
    bound: TimeBound | null): number {
    let dec = this.#decoders[fileIndex];
    if (dec === undefined) { this.#source(fileIndex); dec = this.#decoders[fileIndex]!; }
    this.table.batchBound(bound);
    const t = this.table, an = this.anomalies[fileIndex]!, bo = chunk.byteOffset, r = t.batchOut;
    // where a record's packet starts (after its 16-byte header, or the EPB's 28 bytes)
    const dataOff = ng === null ? 16 : 28;
    let at = bo + pos, total = 0;
    for (;;) {
      const budget = this.#nextSweep - this.#sinceSweep;
      const n = ng === null
        ? t.batch(at, bo + lim, h!.littleEndian, h!.nanoseconds, h!.snaplen, h!.maxRecordLength, h!.linkType, fileIndex, 0, index0 + total, budget, an, total === 0)
        : t.batchNg(at, bo + lim, ng, fileIndex, index0 + total, budget, an, total === 0);
      if (n === 0) break;
      total += n;
      this.packets += n; this.flowPackets += n; this.corePackets += n; this.batchedPackets += n;
      this.#sinceSweep += n;
      at = r.end;
      if (ng !== null) { out.tailSec = r.lastTsSec; out.tailNsec = r.lastTsNsec; }
      if (r.inspectFlow >= 0) {
        // the last record: decode it (counted there as a fast-path packet) and look at its payload
        dec.plainPackets += n - 1;
        const rec = this.#taken, ifc = ng === null ? null : ng.interfaces[r.lastIf]!;
        rec.fileIndex = fileIndex; rec.ifIndex = ifc === null ? 0 : ifc.ifIndex; rec.linkType = ifc === null ? h!.linkType : ifc.linkType;
        rec.data = chunk; rec.offset = r.lastPos - bo + dataOff;
        rec.capLen = r.lastCap; rec.origLen = r.lastOrig; rec.tsSec = r.lastTsSec; rec.tsNsec = r.lastTsNsec;
        rec.index = index0 + total - 1; rec.fileOffset = -1;
        const out2 = this.#pkt;
        dec.decode(rec, out2);
        this.#curFile = fileIndex; this.#curIndex = rec.index;
        this.#inspect(r.inspectFlow, chunk, out2);
      } else dec.plainPackets += n;
      if (this.#sinceSweep >= this.#nextSweep) this.#maybeSweep();
    }
    out.end = at - bo;
    if (total > 0) {
      t.batchTotals(out);
      dec.stats.payloadCut += t.batchCut();
      dec.plainPackets -= t.batchTunnel();
      if (ng !== null) t.batchInterfaces(out);
    }
    return total;
  }

  /**
   * Account one packet decoded elsewhere (the parallel reader fills `out` from a worker's summary):
   * exactly what packet() does after decoding. `out.outcome` must be set; rec.data must hold the
   * payload bytes at out.payloadOffset for name inspection.
   */
  packetDecoded(rec: PacketRecord, out: DecodedPacket): void {
    if (this.anomalies[rec.fileIndex] === undefined) this.#source(rec.fileIndex);
    this.#account(rec, out);
  }

  #account(rec: PacketRecord, out: DecodedPacket): void {
    const fi = rec.fileIndex;
    this.packets++;
    if (out.outcome === Outcome.Ok && out.ipVersion !== 0) {
      const t = this.table;
      const f = t.update(out, rec.tsSec, rec.tsNsec, fi, rec.ifIndex, this.anomalies[fi]!, rec.index);
      if (f >= 0) {
        this.flowPackets++;
        if (out.payloadCaptured > 0 && out.hasPorts && !out.hasQuoted && t.inspected(f) < INSPECT_MAX) {
          this.#curFile = fi; this.#curIndex = rec.index;
          this.#inspect(f, rec.data, out);
        }
      }
    }
    if (++this.#sinceSweep >= this.#nextSweep) this.#maybeSweep();
  }

  #inspect(f: number, data: Buffer, p: DecodedPacket): void {
    this.namePackets++;
    const t = this.table, n = t.inspected(f), proto = p.proto;
    const off = p.payloadOffset, len = p.payloadCaptured;
    if (p.srcPort === 53 && (proto === 17 || proto === 6)) {
      t.setInspected(f, n + 1);
      const fn = proto === 17 ? this.#parsers.dns : this.#parsers.dnsTcp;
      if (fn === undefined) return;
      // The same answer (all but the 2-byte ID equal) recurs across many flows: a message parsed
      // before adds nothing new (observations are deduplicated), so it is not parsed again. Only
      // messages whose observations were all kept are remembered; a capped one re-counts its anomaly.
      // Over TCP, a segment that holds one whole message after its 2-byte length is that message.
      let mo = off, ml = len;
      if (proto === 6) {
        if (!this.#dnsTcpCached || len < 14 || data.readUInt16BE(off) !== len - 2) { fn(data, off, len, this.#onAnswer, this.#onDnsLimit); return; }
        mo = off + 2; ml = len - 2;
      } else if (len < 12) { fn(data, off, len, this.#onAnswer, this.#onDnsLimit); return; }
      const slot = this.#dnsSlot(data, mo, ml), c = this.#dnsCache;
      if (c[slot] === this.#h1 && c[slot + 1] === this.#h2 && c[slot + 2] === ml) {
        this.#dnsRepeats++;
        if (c[slot + 3] !== 0) this.#count(DNS_ANSWERS_CAPPED);
        return;
      }
      const dropped = this.names.dropped;
      this.#capped = false;
      fn(data, off, len, this.#onAnswer, this.#onDnsLimit);
      if (this.names.dropped === dropped) { c[slot] = this.#h1; c[slot + 1] = this.#h2; c[slot + 2] = ml; c[slot + 3] = this.#capped ? 1 : 0; }
      return;
    }
    if (proto !== 6 || !t.lastIsOrig) return;
    const sniFn = this.#parsers.sni;
    if (sniFn === undefined) { t.setInspected(f, n + 1); return; }
    const slot1 = t.tlsSlotOf[f]!;
    if (slot1 !== 0) {
      // a ClientHello split across segments: the core appends the in-order client segments it
      // decodes and hands the one that completes it here; the packets decoded here are appended here
      const s = slot1 - 1, m = t.tlsMeta, mo = s * 4, need = m[mo]!, base = s * t.tlsSlotBytes;
      let have = m[mo + 1]!;
      if (have < need) {
        const next = m[mo + 2]!;
        if (!p.tcpFlagsKnown || p.tcpSeq !== next || len !== p.payloadLen) {
          if (p.tcpFlagsKnown && ((next - p.tcpSeq) | 0) > 0) return; // a retransmission: wait for the next one
          t.tlsEnd(f); t.setInspected(f, n + 1); return;
        }
        const take = Math.min(len, need - have);
        data.copy(t.tlsBuffer, base + have, off, off + take);
        have += take;
        m[mo + 1] = have; m[mo + 2] = (next + len) >>> 0;
        if (have < need) { t.setInspected(f, n + 1); return; }
      }
      const sni = sniFn(t.tlsBuffer.subarray(base, base + have), 0, have);
      t.tlsEnd(f);
      if (sni !== null) { this.names.add(sni, t.respAddr(f), 'sni'); t.setInspected(f, 255); return; }
      t.setInspected(f, n + 1);
      return;
    }
    if (len >= 6 && data[off] === 0x16 && data[off + 1] === 0x03) {
      // Most ClientHellos name a server already named the same way (one per connection): with the
      // default parser, a name whose bytes and server match one kept before adds nothing (the
      // observation is deduplicated), so it is not made again. Only kept observations are remembered.
      let slot = -1;
      const c = this.#sniCache, span = this.#span;
      if (sniFn === parseTlsSni && locateTlsSni(data, off, len, span)) {
        slot = this.#sniSlot(data, span[0]!, span[1]!, f);
        if (c[slot] === this.#h1 && c[slot + 1] === this.#h2 && c[slot + 2] === span[1]) { this.#sniRepeats++; t.setInspected(f, 255); return; }
      }
      const sni = sniFn(data, off, len);
      if (sni !== null) {
        const dropped = this.names.dropped;
        this.names.add(sni, t.respAddr(f), 'sni');
        if (slot >= 0 && this.names.dropped === dropped) { c[slot] = this.#h1; c[slot + 1] = this.#h2; c[slot + 2] = span[1]!; }
        t.setInspected(f, 255);
        return;
      }
      // the record continues in the next segment(s): keep the client's first bytes (bounded)
      const need = tlsRecordLength(data, off, len);
      if (need > len && need <= TLS_REASSEMBLY_MAX && len === p.payloadLen && p.tcpFlagsKnown && t.tlsInUse < TLS_REASSEMBLY_FLOWS) {
        const s = t.tlsStart(f, need, (p.tcpSeq + len) >>> 0), to = t.tlsBuffer, at = s * t.tlsSlotBytes;
        // (a short first segment byte by byte: Buffer.copy's own cost is that of about 100 bytes)
        if (len < 128) for (let i = 0; i < len; i++) to[at + i] = data[off + i]!;
        else data.copy(to, at, off, off + len);
        t.tlsMeta[s * 4 + 1] = len;
      }
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

  /** Run fn with every finished flow going to onFlow as a record (a row sink or row batches, if set, are bypassed meanwhile). */
  #withSink(onFlow: FlowSink | undefined, fn: () => number): number {
    if (onFlow === undefined) return fn();
    const t = this.table;
    const prev = t.sink, prevRows = t.rowSink, prevBatches = t.rowBatches;
    t.setRowBatches(null); // (the rows packed so far go to their sink first)
    t.setSink(onFlow);
    t.setRowSink(null);
    try { return fn(); } finally { t.setSink(prev); t.setRowSink(prevRows); t.setRowBatches(prevBatches); }
  }

  get evictions(): number {
    return this.table.evictions;
  }
}
