/**
 * The flow table: bidirectional flows keyed by a direction-free canonical key
 * (protocol, [VLAN], the smaller (address, port) endpoint "A", the larger "B") plus the packet's
 * direction bit. The hash is computed over the canonical key, so it is symmetric; equality is
 * checked word by word.
 *
 * The per-packet work (key, lookup, creation, counters, TCP state, history) runs in WebAssembly
 * (flow-core.ts): the records, cold columns and index live in its linear memory, and this class
 * reads them through typed-array views and does the rest (emission, expiry sweeps, eviction,
 * ICMP errors, tunnels).
 *
 * Layout (chosen for cache behaviour: a packet touches the index line and one 128-byte record):
 *   - index: (flow id + 1, hash) pairs of int32; open addressing, linear probing,
 *     backward-shift deletion (no tombstones), grown by rehash at load 0.5;
 *   - per flow one 128-byte record: 16 Uint32 words (key, ports, meta, hash, flags/state,
 *     history, last ns) then 8 Float64 (last s, packets and IP bytes per side, first s/ns);
 *   - cold per-flow columns (VLAN, interface, input, inspection count) in their own arrays;
 *   - rare extras (ICMP error evidence, tunnel endpoints) in side Maps keyed by flow id, created
 *     only when needed. Nothing is allocated per packet.
 *
 * `maxFlows` is enforced by evicting the least recently active flow, one per new flow beyond the
 * limit (counted in `evictions`, emitted as a record like any other); victims come from a snapshot
 * of the oldest ~maxFlows/16 flows, refreshed when used up, so no per-packet list upkeep is
 * needed. Expiry sweeps scan the records sequentially in packet time (see engine.ts for when).
 */
import type { Anomalies } from '../core/anomalies.js';
import { formatAddr } from '../core/ip.js';
import type { DecodedPacket } from '../decode/packet.js';
import { TUNNEL_NAMES } from '../decode/packet.js';
import type { PcapngSection, TakenRecords, TimeBound } from '../capture/types.js';
import { blankRecord, NO_ICMP_ERRORS, type ConnState, type EvidenceKind, type FlowRecord, type IcmpErrorEvidence, type TunnelEvidence } from './record.js';
import { icmpCounterpart } from './community-id.js';
import { CORE, IF_SLOT, MAX_TABLE_FLOWS, newFlowCore, type FlowCore } from './flow-core.js';
import { FlowRow, RowRecords } from './row.js';
import { isServicePort } from './originator.js';
import { Tcp, historyString, tcpConnState, udpConnState } from './tcp-state.js';
import { resolveTimeouts, timeoutVector, type Timeouts } from './timeouts.js';

export interface FlowTableOptions {
  /** Most flows held at once (default 4 194 304). Beyond it the least recently active flow is evicted. */
  maxFlows?: number;
  /** Put the outer VLAN id into the flow key (default false: the same 5-tuple on two VLANs is one flow). */
  vlanInKey?: boolean;
  /** Idle timeouts in seconds of packet time (see timeouts.ts for the defaults). */
  timeouts?: Partial<Timeouts>;
  /** Initial number of flow slots (default 4096; grows by doubling). */
  initialFlows?: number;
  /**
   * Bytes of the table's memory kept for capture chunks (default 0): a reader that reads its
   * chunks there (arenaChunk) lets the engine decode and account fast-path packets in one call.
   */
  chunkArena?: number;
  /**
   * Row batches the core has room for (default 1; see setRowBatches): a sink that reads the rows
   * in place, from another thread, fills another batch meanwhile.
   */
  rowBatches?: number;
  /**
   * Records of finished flows (those given to the sink) carry their Community ID (default true).
   * False: their communityId is '' (no SHA-1 per flow), for a consumer that never reads it (the audit).
   */
  communityIds?: boolean;
  /**
   * A tunnelled flow's record carries the tunnel's kind and outer endpoints (default true); the
   * table's JavaScript side then finishes such a flow (to the row sink, tunnelOf, or as a record).
   * False: its `tunnel` is null and the core packs it like any other, for a consumer that never
   * reads it (the audit).
   */
  tunnelEndpoints?: boolean;
}

export interface FlowSource {
  name: string;
  kind: EvidenceKind;
}

export type FlowSink = (f: FlowRecord) => void;

/**
 * Takes a finished flow straight from the table (read it with `t.readRow(f, row)`, its tunnel with
 * `t.tunnelOf(f)` and its ICMP errors with `t.icmpErrorsOf(f)` during the call): return true when
 * taken, false to have it built as a FlowRecord and given to the sink instead.
 */
export type FlowRowSink = (t: FlowTable, f: number) => boolean;

/**
 * Takes finished flows in batches packed by the table's core (setRowBatches): `n` rows
 * (PACKED_ROW_WORDS words each, read with `unpackRow`) from byte `at` of `buf`, the core's memory
 * (shared, so another thread can read it), in row batch `batch` of the table's `rowBatches`.
 * Returns the batch the core fills next (default: the same one, so the rows are valid during the
 * call only: copy them to keep them); a sink that lets another thread read the rows in place
 * returns a batch that no thread still reads. Flows with ICMP error evidence or a tunnel go to the
 * sink as records.
 */
export type RowBatchSink = (t: FlowTable, buf: SharedArrayBuffer, at: number, n: number, batch: number) => number | void;

export const DEFAULT_MAX_FLOWS = 4 * 1024 * 1024;

/**
 * Each flow has one 128-byte record in one ArrayBuffer, seen through two views: words 0..15 as
 * Uint32 (U offsets below) and bytes 64..127 as Float64 (D offsets). Keeping both halves in one
 * 128-byte block lets the CPU's adjacent-line prefetch bring the second line with the first.
 */
const U = 32; // Uint32 stride (128 bytes)
const U_PORTS = 8, U_META = 9, U_STATE = 11, U_HIST = 12, U_HIST0 = 13, U_HIST1 = 14, U_LNSEC = 15;
/** U_STATE packs bits | flagsO << 8 | flagsR << 16 | tcpSt << 24; U_HIST packs histMask | aux << 16. */
/** Float64 record: stride and the offset of the Float64 half within a flow's 128 bytes. */
const D = 16, D0 = 8;
const D_LSEC = 0, D_PKTO = 1, D_PKTR = 2, D_BYTO = 3, D_BYTR = 4, D_FSEC = 5, D_FNSEC = 6;

/** bits (low byte of U_STATE) */
const B_ORIG_IS_B = 1, B_INFERRED = 2, B_FLIPPED = 4, B_PAYLOAD = 8, B_LIVE = 16;

/** Tunnels the table remembers by their outer endpoints (FlowTable #keepTunnel), so that flows alternating between a few share their objects. */
const TUNNEL_CACHE = 1024;

/** ICMP types that answer a request (their flow's originator is the receiver). */
const ICMP_REPLY_TYPES_4 = [0, 14, 16, 18];
const ICMP_REPLY_TYPES_6 = [129, 140, 145];

/**
 * Words of one packed row (FlowTable.packRow): the 32-word record, VLAN, interface, input, and a
 * last word (8-byte alignment; 0 here) that PackedRows uses for the flow's tunnel and ICMP errors.
 */
export const PACKED_ROW_WORDS = U + 4;
/** Bytes of a packed row (PACKED_ROW_WORDS words). */
export const PACKED_ROW_BYTES = PACKED_ROW_WORDS * 4;

/** Read a packed row (FlowTable.packRow) at word `at` of `u` (and `d`, a Float64 view of the same buffer) into `r`. */
export function unpackRow(u: Uint32Array, d: Float64Array, at: number, r: FlowRow): void {
  unpackRecord(u, d, at, r);
  r.vlan = u[at + U]! | 0;
  r.ifIndex = u[at + U + 1]! | 0;
  r.fileIndex = u[at + U + 2]!;
}

/** The fields of a 128-byte flow record at word o of u (its Float64 half in d) into r, but VLAN, interface and input. */
function unpackRecord(u: Uint32Array, d: Float64Array, o: number, r: FlowRow): void {
  const od = (o >>> 1) + D0;
  const state = u[o + U_STATE]!, bits = state & 255;
  const origIsB = (bits & B_ORIG_IS_B) !== 0;
  const oo = origIsB ? o + 4 : o, ro = origIsB ? o : o + 4;
  const proto = u[o + U_META]! & 255;
  const portA = u[o + U_PORTS]! >>> 16, portB = u[o + U_PORTS]! & 0xffff;
  let origP = origIsB ? portB : portA, respP = origIsB ? portA : portB;
  const hw = u[o + U_HIST]!;
  if (proto === 1 || proto === 58) { const aux = hw >>> 16; origP = aux >> 8; respP = aux & 255; }
  const ow = r.orig, rw = r.resp;
  ow[0] = u[oo]!; ow[1] = u[oo + 1]!; ow[2] = u[oo + 2]!; ow[3] = u[oo + 3]!;
  rw[0] = u[ro]!; rw[1] = u[ro + 1]!; rw[2] = u[ro + 2]!; rw[3] = u[ro + 3]!;
  const history = historyString(hw & 0xffff, u[o + U_HIST0]!, u[o + U_HIST1]!, (bits & B_FLIPPED) !== 0);
  const st = state >>> 24;
  const pktsO = d[od + D_PKTO]!, pktsR = d[od + D_PKTR]!;
  let connState: string;
  if (proto === 6) connState = tcpConnState(st >> 4, st & 15, history, (bits & B_PAYLOAD) !== 0);
  else if (proto === 17) connState = udpConnState(pktsO, pktsR);
  else connState = 'OTH';
  r.firstSec = d[od + D_FSEC]!; r.firstNsec = d[od + D_FNSEC]!; r.lastSec = d[od + D_LSEC]!; r.lastNsec = u[o + U_LNSEC]!;
  r.proto = proto; r.origP = origP; r.respP = respP;
  r.origPkts = pktsO; r.respPkts = pktsR; r.origIpBytes = d[od + D_BYTO]!; r.respIpBytes = d[od + D_BYTR]!;
  r.origFlags = (state >>> 8) & 255; r.respFlags = (state >>> 16) & 255;
  r.connState = connState as ConnState;
  r.history = history;
  r.directionInferred = (bits & B_INFERRED) !== 0;
}

export class FlowTable {
  readonly maxFlows: number;
  readonly vlanInKey: boolean;
  readonly timeouts: Timeouts;
  /** Flows evicted because maxFlows was reached. */
  evictions = 0;
  /** After update(): whether the packet was sent by the originator, and whether it created the flow. */
  lastIsOrig = false;
  lastCreated = false;
  /** After plain(): whether the packet's payload is one the engine looks at for names (engine.ts #inspect). */
  inspectNames = false;
  /** After plain(): whether the snaplen cut the packet's payload (Decoder.stats.payloadCut), and whether it came inside a tunnel (not the decoder's fast path). */
  lastCut = false;
  lastTunnel = false;

  readonly #core: FlowCore;
  /** Views of the core's memory (it grows once, in the constructor, so they never detach). */
  readonly #u: Uint32Array;
  readonly #d: Float64Array;
  readonly #vlan: Int16Array;
  readonly #ifIndex: Int32Array;
  readonly #file: Uint16Array;
  readonly #inspect: Uint8Array;
  /**
   * The engine's name caches (engine.ts #inspect), in the core's memory, where plain() and batch()
   * look too: UDP DNS messages parsed before (4 words per slot) and TLS server names kept before
   * (3 words per slot); direct-mapped, a power of two slots each.
   */
  readonly dnsCache: Int32Array;
  readonly sniCache: Int32Array;
  /** The packet's source and destination words, read by the core's update/lookup. */
  readonly #key: Uint32Array;
  /** The first size a growing table would have had (columnBytes counts slots doubled from it; the memory itself is touched per flow). */
  readonly #firstCap: number;
  // eviction candidates: a snapshot of the oldest flows (by last packet), used oldest first
  #victims = new Int32Array(0);
  #victimTs = new Float64Array(0);
  #victimPos = 0;
  #victimLen = 0;
  #sink: FlowSink;
  #rowSink: FlowRowSink | null = null;
  #rowBatches: RowBatchSink | null = null;
  /** Per flow: 1 when this side emits it itself (ICMP errors, tunnel), so the core does not pack it. */
  readonly #own: Uint8Array;
  /** A tunnelled flow the core created: its outer source and destination (4 words each). */
  readonly #tunnelAddrs: Uint32Array;
  /**
   * Split ClientHellos being put together (engine.ts #inspect), in the core's memory, which appends
   * in-order segments itself: per flow 1 + its slot (0: none); per slot need, have, next sequence
   * number (and a free-list link); the slots' bytes, `tlsSlotBytes` each. A slot is freed when
   * its flow's id is taken by a new flow.
   */
  readonly tlsSlotOf: Uint16Array;
  readonly tlsMeta: Uint32Array;
  readonly tlsBuffer: Buffer;
  readonly tlsSlotBytes: number;
  readonly #row = new FlowRow();
  readonly #respScratch = new Uint32Array(4);
  #sources: FlowSource[] = [];
  #icmpErr = new Map<number, IcmpErrorEvidence[]>();
  #tunnel = new Map<number, TunnelEvidence>();
  /** The tunnel #keepTunnel kept last: its kind and outer words, and its object. */
  #lastTunnel: TunnelEvidence | null = null;
  /** Tunnels kept lately by kind and outer words (at most TUNNEL_CACHE; cleared when full): one object per tunnel while it lasts. */
  readonly #tunnelCache = new Map<string, TunnelEvidence>();
  #lastTunnelKind = 0;
  readonly #lastTunnelWords = new Uint32Array(8);
  /** The capture-chunk arena: its memory's buffer (null without one), next free offset and end. */
  readonly arena: SharedArrayBuffer | null;
  #arenaNext = 0;
  readonly #arenaEnd: number;
  // the packet being accounted (for the core's port-reuse callback)
  #an: Anomalies | null = null;
  #packetIndex = -1;
  readonly #records = new RowRecords();
  readonly #communityIds: boolean;
  readonly #tunnelEndpoints: boolean;
  // batchNg's interface table in the core (32 bytes per interface, also read as f64 for the offsets),
  // the local ids it took blocks of, and the section it holds (which version, how many interfaces)
  readonly #ifTable: Uint32Array;
  readonly #ifTableF64: Float64Array;
  readonly #ifTouched: Uint8Array;
  #ngSection: PcapngSection | null = null;
  #ngVersion = -1;
  #ngCount = 0;

  constructor(opts: FlowTableOptions, sink: FlowSink) {
    this.maxFlows = Math.max(1, opts.maxFlows ?? DEFAULT_MAX_FLOWS);
    if (this.maxFlows > MAX_TABLE_FLOWS) throw new RangeError(`maxFlows: at most ${MAX_TABLE_FLOWS} flows (got ${this.maxFlows})`);
    this.vlanInKey = opts.vlanInKey ?? false;
    this.#communityIds = opts.communityIds ?? true;
    this.#tunnelEndpoints = opts.tunnelEndpoints ?? true;
    this.timeouts = resolveTimeouts(opts.timeouts);
    const to = timeoutVector(this.timeouts);
    this.#sink = sink;
    const cap = Math.max(16, Math.min(opts.initialFlows ?? 4096, this.maxFlows));
    this.#firstCap = cap;
    let slots = 32;
    while (slots < cap * 2) slots *= 2;
    const core = newFlowCore({
      finish: (f) => this.#finish(f),
      evict: () => this.#evictOne(),
      portReuse: (i) => { this.#an?.add('flow.tcp.port_reuse', i >= 0 ? i : this.#packetIndex); },
      rowsFull: () => { this.takeRows(); },
      tunnel: (f, kind) => { this.#own[f] = 1; this.#keepTunnel(f, kind, this.#tunnelAddrs, 0, this.#tunnelAddrs, 4); },
    });
    const arenaBytes = Math.max(0, Math.floor(opts.chunkArena ?? 0));
    const rec = core.init(this.maxFlows, slots, this.vlanInKey, Math.min(...to), arenaBytes, Math.max(1, Math.floor(opts.rowBatches ?? 1)));
    if (rec === 0) throw new RangeError(`maxFlows: no memory for a table of ${this.maxFlows} flows`);
    this.#core = core;
    core.setTunnelFlows(this.#tunnelEndpoints);
    const buf = core.memory.buffer, n = this.maxFlows;
    this.#u = new Uint32Array(buf, rec, n * U);
    this.#d = new Float64Array(buf, rec, n * D);
    this.#vlan = new Int16Array(buf, core.vlanOffset(), n);
    this.#ifIndex = new Int32Array(buf, core.ifIndexOffset(), n);
    this.#file = new Uint16Array(buf, core.fileOffset(), n);
    this.#inspect = new Uint8Array(buf, core.inspectOffset(), n);
    this.#own = new Uint8Array(buf, core.ownOffset(), n);
    this.#tunnelAddrs = new Uint32Array(buf, core.tunnelOffset(), 8);
    this.tlsSlotOf = new Uint16Array(buf, core.tlsSlotOffset(), n);
    this.tlsMeta = new Uint32Array(buf, core.tlsMetaOffset(), core.tlsSlots() * 4);
    this.tlsSlotBytes = core.tlsSlotBytes();
    this.tlsBuffer = Buffer.from(buf, core.tlsBufferOffset(), core.tlsSlots() * this.tlsSlotBytes);
    this.#key = new Uint32Array(buf, CORE.KEY, 8);
    this.#ifTable = new Uint32Array(buf, core.ifTableOffset(), core.ifTableSlots() * IF_SLOT.WORDS);
    this.#ifTableF64 = new Float64Array(buf, core.ifTableOffset(), core.ifTableSlots() * IF_SLOT.WORDS / 2);
    this.#ifTouched = new Uint8Array(buf, core.ifTouchedOffset(), core.ifTableSlots());
    this.dnsCache = new Int32Array(buf, core.dnsCacheOffset(), core.dnsCacheSlots() * 4);
    this.sniCache = new Int32Array(buf, core.sniCacheOffset(), core.sniCacheSlots() * 3);
    this.arena = arenaBytes > 0 ? buf : null;
    this.#arenaNext = core.arenaOffset();
    this.#arenaEnd = this.#arenaNext + arenaBytes;
    new Float64Array(buf, CORE.TO, 7).set(to);
    const svc = new Uint8Array(buf, CORE.SVC, 65536);
    for (let p = 0; p < 65536; p++) svc[p] = isServicePort(p) ? 1 : 0;
    const pairs = new Int16Array(buf, CORE.PAIR, 512);
    for (let t = 0; t < 256; t++) { pairs[t] = icmpCounterpart(1, t); pairs[256 + t] = icmpCounterpart(58, t); }
    const replies = new Uint8Array(buf, CORE.REPLY, 512);
    for (const t of ICMP_REPLY_TYPES_4) replies[t] = 1;
    for (const t of ICMP_REPLY_TYPES_6) replies[256 + t] = 1;
  }

  /**
   * A capture-chunk buffer of `size` bytes in the table's memory, or null when the arena has no
   * room left (the reader then uses its own). A chunk is lent to one reader at a time: one given
   * back (arenaReturn) is lent again.
   */
  arenaChunk(size: number): Buffer | null {
    const i = this.#arenaFree.findIndex((b) => b.length === size);
    if (i >= 0) return this.#arenaFree.splice(i, 1)[0]!;
    if (this.arena === null || this.#arenaNext + size > this.#arenaEnd) return null;
    const b = Buffer.from(this.arena, this.#arenaNext, size);
    this.#arenaNext += size;
    return b;
  }

  /** Take back a buffer arenaChunk lent (its reader is done with it), for the next reader. */
  arenaReturn(b: Buffer): void {
    if (b.buffer === this.arena) this.#arenaFree.push(b);
  }
  readonly #arenaFree: Buffer[] = [];

  /**
   * Decode and account a packet whose `cap` captured bytes (of `wire` on the wire) lie in the arena
   * (`off`: its offset in the table's memory), as Decoder's fast path and update() would: the flow id, or -1
   * when it is not a fast-path packet (nothing changed; decode it). `inspectNames` is then set when
   * its payload is one the engine looks at for names (a split ClientHello being put together goes
   * back to it once complete; other client payloads only count as looked at, in the core).
   */
  plain(off: number, cap: number, wire: number, link: number, tsSec: number, tsNsec: number, fileIndex: number, ifIndex: number, an: Anomalies, packetIndex: number): number {
    this.#an = an; this.#packetIndex = packetIndex;
    const r = this.#core.plain(off, cap, wire, link, tsSec, tsNsec, fileIndex, ifIndex);
    if (r < 0) return -1;
    this.lastIsOrig = (r & 2) !== 0;
    this.lastCreated = (r & 1) !== 0;
    this.inspectNames = (r & 4) !== 0;
    this.lastCut = (r & 8) !== 0;
    this.lastTunnel = (r & 16) !== 0;
    return r >> 5;
  }

  /**
   * Take classic pcap records from [pos, lim) (offsets in the table's memory) as the reader and
   * the engine would one by one (the core's batch(): whole, anomaly-free, fast-path records, at
   * most `budget`, up to the first whose payload is to be looked at for names). Returns how many;
   * `batchOut` then says where the next record starts and whether the last one is to be
   * inspected. batchTotals() adds up every call since `first` was true.
   */
  batch(pos: number, lim: number, le: boolean, ns: boolean, snaplen: number, maxRecord: number, link: number,
    fileIndex: number, ifIndex: number, index0: number, budget: number, an: Anomalies, first: boolean): number {
    this.#an = an;
    const c = this.#core;
    if (first) c.batchStart();
    return this.#batched(c.batch(pos, lim, le, ns, snaplen, maxRecord, link, fileIndex, ifIndex, index0, budget));
  }

  /**
   * Take pcapng Enhanced Packet Blocks of section `s`'s interfaces from [pos, lim), as batch()
   * takes classic pcap records (the core's batchNg: sound, anomaly-free, fast-path packets of the
   * section's first interfaces, which may alternate). `batchOut` also gives the last packet's time
   * and interface (local id); batchInterfaces() the blocks taken per interface.
   */
  batchNg(pos: number, lim: number, s: PcapngSection, fileIndex: number, index0: number, budget: number, an: Anomalies, first: boolean): number {
    this.#an = an;
    const c = this.#core;
    if (first) c.batchStart();
    if (s !== this.#ngSection || s.version !== this.#ngVersion) this.#setInterfaces(s);
    const n = this.#batched(c.batchNg(pos, lim, s.littleEndian, this.#ngCount, s.maxRecordLength, s.maxBlockSize, fileIndex, index0, budget));
    if (n > 0) { const o = this.batchOut; o.lastTsSec = c.batchLastTsSec(); o.lastTsNsec = c.batchLastTsNsec(); o.lastIf = c.batchLastIf(); }
    return n;
  }

  /** The blocks batchNg() took per interface since this was last called, into out.ifTaken as pairs (local id, count). */
  batchInterfaces(out: TakenRecords): void {
    const c = this.#core, n = c.ifTaken(), touched = this.#ifTouched, table = this.#ifTable, pairs = out.ifTaken;
    for (let i = 0; i < n; i++) {
      const local = touched[i]!;
      pairs[2 * i] = local; pairs[2 * i + 1] = table[local * IF_SLOT.WORDS + IF_SLOT.TAKEN]!;
    }
    out.ifPairs = 2 * n;
    c.ifTakenClear();
  }

  /** Write section `s`'s interfaces (its first ifTableSlots) into the core's interface table. */
  #setInterfaces(s: PcapngSection): void {
    const W = IF_SLOT.WORDS, n = Math.min(s.interfaces.length, this.#ifTable.length / W), u = this.#ifTable, d = this.#ifTableF64;
    for (let i = 0; i < n; i++) {
      const f = s.interfaces[i]!, w = i * W;
      u[w + IF_SLOT.LINK] = f.linkType; u[w + IF_SLOT.SNAPLEN] = f.snaplen; u[w + IF_SLOT.ID] = f.ifIndex; u[w + IF_SLOT.DIGITS] = f.digits;
      d[w / 2 + IF_SLOT.OFFSET_F64] = f.tsOffset;
    }
    this.#ngSection = s; this.#ngVersion = s.version; this.#ngCount = n;
  }

  /**
   * Bound what batch() and batchNg() take by time until set again: no record later than
   * (sec, nsec), nor one at it unless `tie` (null: no bound). Inputs merged by time: the next
   * packet of another input goes before any later one of this.
   */
  batchBound(b: TimeBound | null): void {
    if (b === null) this.#core.batchBound(Infinity, 0, true);
    else this.#core.batchBound(b.sec, b.nsec, b.tie);
  }

  #batched(n: number): number {
    const c = this.#core, o = this.batchOut;
    o.end = c.batchEnd();
    o.inspectFlow = -1;
    if (n > 0 && c.batchInspect() !== 0) {
      const fo = c.batchFlow();
      o.inspectFlow = fo >> 1; o.lastPos = c.batchLastPos();
      o.lastCap = c.batchLastCap(); o.lastOrig = c.batchLastOrig(); o.lastTsSec = c.batchLastTsSec(); o.lastTsNsec = c.batchLastTsNsec();
      this.lastIsOrig = (fo & 1) !== 0;
    }
    return n;
  }

  /**
   * What the last batch() took: see there. `inspectFlow` ≥ 0: its last record (at `lastPos`, with
   * `lastCap` captured bytes of `lastOrig` on the wire, and that time) is to be looked at for names, in that flow. batchNg()
   * also sets `lastIf`, the last block's interface (local id).
   */
  readonly batchOut = { end: 0, inspectFlow: -1, lastPos: 0, lastCap: 0, lastOrig: 0, lastTsSec: 0, lastTsNsec: 0, lastIf: 0 };

  /** Packets batch() and batchNg() took since their call with `first` whose payload the snaplen cut (but a last one to be looked at for names). */
  batchCut(): number { return this.#core.batchCut(); }
  /** Packets batch() and batchNg() took since their call with `first` from inside a tunnel (but a last one to be looked at for names). */
  batchTunnel(): number { return this.#core.batchTunnel(); }

  /** The captured bytes and the time span of the records batch() took since its call with `first` (into out). */
  batchTotals(out: { bytes: number; firstSec: number; firstNsec: number; lastSec: number; lastNsec: number }): void {
    const c = this.#core;
    out.bytes = c.batchBytes();
    out.firstSec = c.batchFirstSec(); out.firstNsec = c.batchFirstNsec(); out.lastSec = c.batchLastSec(); out.lastNsec = c.batchLastNsec();
  }

  /** Flows finished because they were idle past their timeout (at a sweep or when their tuple came back). */
  get expired(): number {
    return this.#core.expiredFlows();
  }

  /** Register the name and kind of an input (by its fileIndex) for the records' `source`/`evidence`. */
  setSource(fileIndex: number, name: string, kind: EvidenceKind): void {
    this.#sources[fileIndex] = { name, kind };
  }

  setSink(sink: FlowSink): void {
    this.#sink = sink;
  }

  get sink(): FlowSink {
    return this.#sink;
  }

  /** Hand finished flows to `rowSink` as table rows first (a tunnel kept, tunnelEndpoints, is read with tunnelOf, ICMP errors with icmpErrorsOf); null: records only. */
  setRowSink(rowSink: FlowRowSink | null): void {
    this.#rowSink = rowSink;
  }

  get rowSink(): FlowRowSink | null {
    return this.#rowSink;
  }

  /**
   * Have the core pack finished flows (those without ICMP errors or a tunnel kept) into batches of rows in
   * its memory and hand each full batch to `sink` (before rowSink; null: off). The last rows wait
   * in the core until takeRows.
   */
  setRowBatches(sink: RowBatchSink | null): void {
    if (sink === null) this.takeRows();
    this.#rowBatches = sink;
    this.#core.setRows(sink !== null);
  }

  get rowBatches(): RowBatchSink | null {
    return this.#rowBatches;
  }

  /** Row batches the core has room for (FlowTableOptions.rowBatches). */
  get rowBatchCount(): number {
    return this.#core.rowBatches();
  }

  /** Hand the rows packed so far to the row-batch sink now (at the end of the input, or before the flows are looked at otherwise). */
  takeRows(): void {
    const c = this.#core, n = c.rowCount();
    if (n === 0) return;
    const at = c.rowsOffset(), batch = c.rowBatchNow();
    const next = this.#rowBatches?.(this, c.memory.buffer, at, n, batch) ?? batch;
    if (!Number.isInteger(next) || next < 0 || next >= c.rowBatches()) throw new RangeError(`row batch ${next}: the table has ${c.rowBatches()}`);
    c.rowsTaken(next);
  }

  /** The name and kind registered for an input (setSource). */
  sourceOf(fileIndex: number): FlowSource | undefined {
    return this.#sources[fileIndex];
  }

  get size(): number {
    return this.#core.liveFlows();
  }

  /** Newest packet time seen (seconds, nanoseconds). */
  get nowSec(): number { return this.#core.now(); }
  get nowNsec(): number { return this.#core.nowNs(); }

  /**
   * Bytes the flow records, cold columns and the index take for the flows so far (for the
   * bytes-per-flow measurement): slots allocated by doubling, as the memory is touched.
   */
  get columnBytes(): number {
    const used = this.#core.usedFlows();
    let cap = this.#firstCap;
    while (cap < used) cap = Math.min(cap * 2, this.maxFlows);
    return this.#core.indexSlots() * 8 + cap * (128 + 2 + 4 + 2 + 1 + 4);
  }

  // ---------------------------------------------------------------- flows
  #isLive(f: number): boolean {
    return (this.#u[f * U + U_STATE]! & B_LIVE) !== 0;
  }

  #lastTs(f: number): number {
    return this.#d[f * D + D0 + D_LSEC]! + this.#u[f * U + U_LNSEC]! / 1e9;
  }

  /** Evict the least recently active flow (from a snapshot of the oldest; counted). */
  #evictOne(): void {
    for (;;) {
      while (this.#victimPos < this.#victimLen) {
        const f = this.#victims[this.#victimPos]!, ts = this.#victimTs[this.#victimPos]!;
        this.#victimPos++;
        // still live, and not updated since the snapshot
        if (this.#isLive(f) && this.#lastTs(f) === ts) {
          this.evictions++;
          this.#finish(f);
          return;
        }
      }
      this.#snapshotVictims();
    }
  }

  /** Pick about maxFlows/16 of the oldest live flows (threshold from a sample), oldest first. */
  #snapshotVictims(): void {
    const used = this.#core.usedFlows();
    const want = Math.max(1, Math.ceil(this.maxFlows / 16));
    const step = Math.max(1, Math.floor(used / 4096));
    const sample: number[] = [];
    for (let f = 0; f < used; f += step) if (this.#isLive(f)) sample.push(this.#lastTs(f));
    sample.sort((a, b) => a - b);
    const q = Math.min(sample.length - 1, Math.ceil((want / Math.max(1, this.#core.liveFlows())) * sample.length));
    const threshold = sample.length > 0 ? sample[Math.max(0, q)]! : Infinity;
    const fs: number[] = [], ts: number[] = [];
    for (let f = 0; f < used; f++) {
      if (!this.#isLive(f)) continue;
      const t = this.#lastTs(f);
      if (t <= threshold) { fs.push(f); ts.push(t); }
    }
    const order = fs.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]! || fs[a]! - fs[b]!);
    this.#victims = Int32Array.from(order, (i) => fs[i]!);
    this.#victimTs = Float64Array.from(order, (i) => ts[i]!);
    this.#victimPos = 0;
    this.#victimLen = order.length;
  }

  /** Flow f came out of a tunnel (decode/packet.ts Tunnel) with these outer endpoints: its record carries them. */
  #keepTunnel(f: number, kind: number, src: Uint32Array, srcAt: number, dst: Uint32Array, dstAt: number): void {
    // (mirrored traffic comes through one or a few tunnels: one object per tunnel is shared by its
    // flows, to be read, not changed; PackedRows and the flow store keep one copy per object)
    const w = this.#lastTunnelWords;
    if (this.#lastTunnel === null || kind !== this.#lastTunnelKind ||
      w[0] !== src[srcAt] || w[1] !== src[srcAt + 1] || w[2] !== src[srcAt + 2] || w[3] !== src[srcAt + 3] ||
      w[4] !== dst[dstAt] || w[5] !== dst[dstAt + 1] || w[6] !== dst[dstAt + 2] || w[7] !== dst[dstAt + 3]) {
      for (let k = 0; k < 4; k++) { w[k] = src[srcAt + k]!; w[4 + k] = dst[dstAt + k]!; }
      this.#lastTunnelKind = kind;
      const key = `${kind} ${w[0]} ${w[1]} ${w[2]} ${w[3]} ${w[4]} ${w[5]} ${w[6]} ${w[7]}`, cache = this.#tunnelCache;
      let t = cache.get(key);
      if (t === undefined) {
        if (cache.size >= TUNNEL_CACHE) cache.clear();
        t = { kind: TUNNEL_NAMES[kind] ?? String(kind), outerSrc: formatAddr(src, srcAt), outerDst: formatAddr(dst, dstAt) };
        cache.set(key, t);
      }
      this.#lastTunnel = t;
    }
    this.#tunnel.set(f, this.#lastTunnel);
  }

  /** Emit the flow as a record and forget it. */
  #finish(f: number): void {
    if (this.#own[f] === 0 && this.#rowBatches !== null) { this.#core.packRow(f); return; }
    this.#own[f] = 0;
    const rs = this.#rowSink;
    // (a flow with a tunnel or ICMP errors is a row too: a row sink reads them with tunnelOf and icmpErrorsOf)
    const rec = rs === null || !rs(this, f) ? this.toRecord(f, this.#communityIds) : null;
    this.#core.release(f);
    if (this.#icmpErr.size > 0) this.#icmpErr.delete(f);
    if (this.#tunnel.size > 0) this.#tunnel.delete(f);
    if (rec !== null) this.#sink(rec);
  }

  /**
   * Account one decoded packet (outcome Ok, IP reached). Returns the flow id, or -1 when the
   * packet belongs to no flow (later fragment without ports). ICMP errors that quote a known flow
   * are recorded on that flow and return its id (lastIsOrig then means nothing).
   */
  update(p: DecodedPacket, tsSec: number, tsNsec: number, fileIndex: number, ifIndex: number, an: Anomalies, packetIndex = -1): number {
    const proto = p.proto;
    let sport = 0, dport = 0;
    if (p.hasPorts) { sport = p.srcPort; dport = p.dstPort; }
    else if (proto === 1 || proto === 58) {
      if (p.hasQuoted) {
        this.#core.advance(tsSec, tsNsec);
        const f = this.#icmpError(p, an, packetIndex);
        if (f >= 0) { this.lastCreated = false; return f; }
      }
      if (p.icmpType >= 0) {
        const cp = icmpCounterpart(proto, p.icmpType);
        const id = cp >= 0 ? (Math.min(cp, p.icmpType) << 8) | Math.max(cp, p.icmpType) : ((p.icmpType & 255) << 8) | (p.icmpCode & 255);
        sport = id; dport = id;
      }
    } else if (proto === 6 || proto === 17 || proto === 132) {
      this.#core.advance(tsSec, tsNsec);
      this.lastCreated = false;
      an.add('flow.fragment_without_ports', packetIndex);
      return -1;
    }
    const k = this.#key, src = p.src, dst = p.dst;
    k[0] = src[0]!; k[1] = src[1]!; k[2] = src[2]!; k[3] = src[3]!;
    k[4] = dst[0]!; k[5] = dst[1]!; k[6] = dst[2]!; k[7] = dst[3]!;
    this.#an = an; this.#packetIndex = packetIndex;
    const r = this.#core.update(proto, p.hasPorts, sport, dport, p.vlan, tsSec, tsNsec, fileIndex, ifIndex,
      p.tcpFlags, p.tcpFlagsKnown, p.payloadLen, p.ipLen, p.fragment, p.icmpType, p.icmpCode);
    const f = r >> 2, created = (r & 1) !== 0;
    this.lastIsOrig = (r & 2) !== 0;
    this.lastCreated = created;
    if (created && p.tunnel !== 0 && this.#tunnelEndpoints) {
      this.#own[f] = 1;
      this.#keepTunnel(f, p.tunnel, p.outerSrc, 0, p.outerDst, 0);
    }
    if (p.hasQuoted) this.#addIcmpEvidence(f, p); // an ICMP error whose quoted flow is unknown
    return f;
  }

  #icmpError(p: DecodedPacket, an: Anomalies, packetIndex: number): number {
    const qp = p.quotedProto;
    const ports = qp === 6 || qp === 17 || qp === 132;
    if (ports && !p.quotedHasPorts) {
      // the quote stops before the transport ports: it cannot be matched by 5-tuple
      an.add('flow.icmp.quoted_ports_missing', packetIndex);
      return -1;
    }
    const k = this.#key, qs = p.quotedSrc, qd = p.quotedDst;
    k[0] = qs[0]!; k[1] = qs[1]!; k[2] = qs[2]!; k[3] = qs[3]!;
    k[4] = qd[0]!; k[5] = qd[1]!; k[6] = qd[2]!; k[7] = qd[3]!;
    const f = this.#core.lookup(ports ? p.quotedSrcPort : 0, ports ? p.quotedDstPort : 0, qp, p.vlan);
    if (f < 0) { an.add('flow.icmp.quoted_flow_unknown', packetIndex); return -1; }
    this.#addIcmpEvidence(f, p);
    return f;
  }

  #addIcmpEvidence(f: number, p: DecodedPacket): void {
    const from = formatAddr(p.src);
    const proto = p.proto === 58 ? 'icmp6' : 'icmp';
    let list = this.#icmpErr.get(f);
    if (list === undefined) { list = []; this.#icmpErr.set(f, list); this.#own[f] = 1; }
    for (const e of list) {
      if (e.type === p.icmpType && e.code === p.icmpCode && e.from === from && e.proto === proto) { e.count++; return; }
    }
    list.push({ proto, type: p.icmpType, code: p.icmpCode, count: 1, from });
  }

  /**
   * Whether plain() and batch() look in the DNS cache for UDP messages (any DNS parser) and for a
   * message alone in a TCP segment (`dnsTcp`: the default parsers only), and in the server-name
   * cache (the default SNI parser only).
   */
  setNameCaches(dns: boolean, sni: boolean, dnsTcp = false): void {
    this.#core.setNameCaches(dns, sni, dnsTcp);
  }

  /** DNS messages and ClientHellos the core recognised in the name caches (counted as looked at, not handed to the engine). */
  get coreDnsRepeats(): number {
    return this.#core.dnsRepeats();
  }

  get coreSniRepeats(): number {
    return this.#core.sniRepeats();
  }

  /** A reassembly slot for flow f's split ClientHello of `need` bytes whose next segment starts at `nextSeq` (have 0), or -1 when none is free. */
  tlsStart(f: number, need: number, nextSeq: number): number {
    return this.#core.tlsStart(f, need, nextSeq);
  }

  /** Flow f's split ClientHello is done with: its slot is free. */
  tlsEnd(f: number): void {
    this.#core.tlsEnd(f);
  }

  /** Reassembly slots in use. */
  get tlsInUse(): number {
    return this.#core.tlsInUse();
  }

  /** Payload packets of flow f looked at for names so far (see engine.ts). */
  inspected(f: number): number {
    return this.#inspect[f]!;
  }

  setInspected(f: number, n: number): void {
    this.#inspect[f] = n > 255 ? 255 : n;
  }

  /** Responder address of flow f as text (for SNI observations). */
  respAddr(f: number): string {
    return this.#addr(this.respWords(f, this.#respScratch));
  }

  /** Responder address of flow f as four words (IPv4 mapped) into out; returns out. */
  respWords(f: number, out: Uint32Array): Uint32Array {
    const o = f * U + ((this.#u[f * U + U_STATE]! & B_ORIG_IS_B) !== 0 ? 0 : 4), u = this.#u;
    out[0] = u[o]!; out[1] = u[o + 1]!; out[2] = u[o + 2]!; out[3] = u[o + 3]!;
    return out;
  }

  /** Finish every flow idle past its timeout at packet time (nowSec, nowNsec). Returns how many. */
  expire(nowSec: number, nowNsec: number): number {
    return this.#core.expire(nowSec, nowNsec);
  }

  /** Finish every flow (end of input), in flow-id order. */
  flush(): number {
    let n = 0;
    const used = this.#core.usedFlows();
    for (let f = 0; f < used; f++) if (this.#isLive(f)) { this.#finish(f); n++; }
    return n;
  }

  /**
   * The tunnel flow f came through (kept with tunnelEndpoints), or null. The object is shared by
   * the flows of the same tunnel: to be read, not changed.
   */
  tunnelOf(f: number): TunnelEvidence | null {
    return this.#tunnel.size > 0 ? this.#tunnel.get(f) ?? null : null;
  }

  /** The ICMP errors that quoted flow f, or null when none did (the table's own list: to be read, not changed). */
  icmpErrorsOf(f: number): IcmpErrorEvidence[] | null {
    return this.#icmpErr.size > 0 ? this.#icmpErr.get(f) ?? null : null;
  }

  /** Read flow f into `r` (numbers only; addresses as words): what toRecord builds its object from. */
  readRow(f: number, r: FlowRow): void {
    unpackRecord(this.#u, this.#d, f * U, r);
    r.vlan = this.#vlan[f]!;
    r.ifIndex = this.#ifIndex[f]!;
    r.fileIndex = this.#file[f]!;
  }

  /**
   * Copy flow f into out[at, at + PACKED_ROW_WORDS) (its 128-byte record, then VLAN, interface and
   * input): a finished flow handed to another thread, read there with `unpackRow`. `at` must be a
   * multiple of PACKED_ROW_WORDS in a buffer whose Float64 view is read at the same place.
   */
  packRow(f: number, out: Uint32Array, at: number): void {
    const u = this.#u, o = f * U;
    for (let i = 0; i < U; i++) out[at + i] = u[o + i]!;
    out[at + U] = this.#vlan[f]!;
    out[at + U + 1] = this.#ifIndex[f]!;
    out[at + U + 2] = this.#file[f]!;
    out[at + U + 3] = 0;
  }

  /** Build the record of flow f (one object per flow); without `withCommunityId` its communityId is '' (no SHA-1). */
  toRecord(f: number, withCommunityId = true): FlowRecord {
    return this.recordInto(f, blankRecord(), withCommunityId);
  }

  /** Fill `out` with the record of flow f and return it (a consumer that keeps nothing can refill one object for every flow). */
  recordInto(f: number, out: FlowRecord, withCommunityId = true): FlowRecord {
    const r = this.#row;
    this.readRow(f, r);
    this.#records.fill(r, this.#sources[r.fileIndex], out, withCommunityId);
    out.icmpErrors = this.#icmpErr.get(f) ?? NO_ICMP_ERRORS;
    out.tunnel = this.#tunnel.get(f) ?? null;
    return out;
  }

  /** Address text, with a small cache for IPv4 (servers repeat across flows). */
  #addr(w: Uint32Array): string {
    return this.#records.addr(w);
  }

  /** TCP endpoint states of flow f (for tests): [orig, resp]. */
  tcpStates(f: number): [number, number] {
    const st = this.#u[f * U + U_STATE]! >>> 24;
    return [st >> 4, st & 15];
  }
}

export { Tcp };
