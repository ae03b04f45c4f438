/**
 * The flow table: bidirectional flows keyed by a direction-free canonical key
 * (protocol, [VLAN], the smaller (address, port) endpoint "A", the larger "B") plus the packet's
 * direction bit. The hash is computed over the canonical key, so it is symmetric; equality is
 * checked word by word.
 *
 * Layout (chosen for cache behaviour: a packet touches the index line and one 128-byte record):
 *   - index: one Int32Array of (flow id + 1, hash) pairs; open addressing, linear probing,
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
import { blankRecord, NO_ICMP_ERRORS, type ConnState, type EvidenceKind, type FlowRecord, type IcmpErrorEvidence } from './record.js';
import { icmpCounterpart } from './community-id.js';
import { FlowRow, RowRecords } from './row.js';
import { receiverIsOriginator } from './originator.js';
import { Tcp, TcpFlag, tcpStep, historyLetter, historyString, tcpConnState, udpConnState, H } from './tcp-state.js';
import { resolveTimeouts, timeoutClass, timeoutVector, TO, type Timeouts } from './timeouts.js';

export interface FlowTableOptions {
  /** Most flows held at once (default 4 194 304). Beyond it the least recently active flow is evicted. */
  maxFlows?: number;
  /** Put the outer VLAN id into the flow key (default false: the same 5-tuple on two VLANs is one flow). */
  vlanInKey?: boolean;
  /** Idle timeouts in seconds of packet time (see timeouts.ts for the defaults). */
  timeouts?: Partial<Timeouts>;
  /** Initial number of flow slots (default 4096; grows by doubling). */
  initialFlows?: number;
}

export interface FlowSource {
  name: string;
  kind: EvidenceKind;
}

export type FlowSink = (f: FlowRecord) => void;

/**
 * Takes a finished flow straight from the table (read it with `t.readRow(f, row)` during the
 * call): return true when taken, false to have it built as a FlowRecord and given to the sink
 * instead. Flows with ICMP error evidence or a tunnel always go to the sink as records.
 */
export type FlowRowSink = (t: FlowTable, f: number) => boolean;

export const DEFAULT_MAX_FLOWS = 4 * 1024 * 1024;

/**
 * Each flow has one 128-byte record in one ArrayBuffer, seen through two views: words 0..15 as
 * Uint32 (U offsets below) and bytes 64..127 as Float64 (D offsets). Keeping both halves in one
 * 128-byte block lets the CPU's adjacent-line prefetch bring the second line with the first.
 */
const U = 32; // Uint32 stride (128 bytes)
const U_PORTS = 8, U_META = 9, U_HASH = 10, U_STATE = 11, U_HIST = 12, U_HIST0 = 13, U_HIST1 = 14, U_LNSEC = 15;
/** U_STATE packs bits | flagsO << 8 | flagsR << 16 | tcpSt << 24; U_HIST packs histMask | aux << 16. */
/** Float64 record: stride and the offset of the Float64 half within a flow's 128 bytes. */
const D = 16, D0 = 8;
const D_LSEC = 0, D_PKTO = 1, D_PKTR = 2, D_BYTO = 3, D_BYTR = 4, D_FSEC = 5, D_FNSEC = 6;

/** bits (low byte of U_STATE) */
const B_ORIG_IS_B = 1, B_INFERRED = 2, B_FLIPPED = 4, B_PAYLOAD = 8, B_LIVE = 16;

const ICMP_REPLY_TYPES_4 = new Set([0, 14, 16, 18]);
const ICMP_REPLY_TYPES_6 = new Set([129, 140, 145]);

function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Words of one packed row (FlowTable.packRow): the 32-word record, VLAN, interface, input, padding (8-byte aligned). */
export const PACKED_ROW_WORDS = U + 4;

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
  /** Flows finished because they were idle past their timeout (at a sweep or when their tuple came back). */
  expired = 0;
  /** After update(): whether the packet was sent by the originator, and whether it created the flow. */
  lastIsOrig = false;
  lastCreated = false;

  #u: Uint32Array;
  #d: Float64Array;
  #vlan: Int16Array;
  #ifIndex: Int32Array;
  #file: Uint16Array;
  #inspect: Uint8Array;
  #cap: number;
  #used = 0;            // flow ids handed out so far (high-water mark)
  #free: number[] = []; // recycled flow ids
  #live = 0;
  // eviction candidates: a snapshot of the oldest flows (by last packet), used oldest first
  #victims = new Int32Array(0);
  #victimTs = new Float64Array(0);
  #victimPos = 0;
  #victimLen = 0;
  #idx: Int32Array;     // pairs (flow id + 1, hash); id 0 = empty
  #mask: number;        // slot mask (slots = idx.length / 2)
  #to: Float64Array;
  #minTimeout: number;
  #sink: FlowSink;
  #rowSink: FlowRowSink | null = null;
  readonly #row = new FlowRow();
  readonly #respScratch = new Uint32Array(4);
  #sources: FlowSource[] = [];
  #icmpErr = new Map<number, IcmpErrorEvidence[]>();
  #tunnel = new Map<number, { kind: string; outerSrc: string; outerDst: string }>();
  // scratch key of the packet being looked up
  readonly #k = new Uint32Array(8);
  #kPorts = 0; #kMeta = 0; #kHash = 0; #kFlipped = false;
  #nowSec = 0; #nowNsec = 0;
  readonly #records = new RowRecords();

  constructor(opts: FlowTableOptions, sink: FlowSink) {
    this.maxFlows = Math.max(1, opts.maxFlows ?? DEFAULT_MAX_FLOWS);
    this.vlanInKey = opts.vlanInKey ?? false;
    this.timeouts = resolveTimeouts(opts.timeouts);
    this.#to = timeoutVector(this.timeouts);
    this.#minTimeout = Math.min(...this.#to);
    this.#sink = sink;
    const cap = Math.max(16, Math.min(opts.initialFlows ?? 4096, this.maxFlows));
    this.#cap = cap;
    const buf = new ArrayBuffer(cap * 128);
    this.#u = new Uint32Array(buf);
    this.#d = new Float64Array(buf);
    this.#vlan = new Int16Array(cap);
    this.#ifIndex = new Int32Array(cap);
    this.#file = new Uint16Array(cap);
    this.#inspect = new Uint8Array(cap);
    let slots = 32;
    while (slots < cap * 2) slots *= 2;
    this.#idx = new Int32Array(slots * 2);
    this.#mask = slots - 1;
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

  /** Hand finished flows (those without ICMP errors or tunnel) to `rowSink` as table rows first; null: records only. */
  setRowSink(rowSink: FlowRowSink | null): void {
    this.#rowSink = rowSink;
  }

  get rowSink(): FlowRowSink | null {
    return this.#rowSink;
  }

  /** The name and kind registered for an input (setSource). */
  sourceOf(fileIndex: number): FlowSource | undefined {
    return this.#sources[fileIndex];
  }

  get size(): number {
    return this.#live;
  }

  /** Newest packet time seen (seconds, nanoseconds). */
  get nowSec(): number { return this.#nowSec; }
  get nowNsec(): number { return this.#nowNsec; }

  /** Bytes held by the flow records, cold columns and the index (for the bytes-per-flow measurement). */
  get columnBytes(): number {
    return this.#idx.byteLength + this.#u.byteLength + this.#vlan.byteLength +
      this.#ifIndex.byteLength + this.#file.byteLength + this.#inspect.byteLength;
  }

  // ---------------------------------------------------------------- key
  /** Fill the scratch key from (src, sport) → (dst, dport); canonical order A < B. */
  #setKey(src: Uint32Array, dst: Uint32Array, sport: number, dport: number, proto: number, vlan: number): void {
    const k = this.#k;
    let flip = false;
    const s0 = src[0]!, d0 = dst[0]!;
    if (s0 !== d0) flip = s0 > d0;
    else {
      const s1 = src[1]!, d1 = dst[1]!;
      if (s1 !== d1) flip = s1 > d1;
      else {
        const s2 = src[2]!, d2 = dst[2]!;
        if (s2 !== d2) flip = s2 > d2;
        else {
          const s3 = src[3]!, d3 = dst[3]!;
          if (s3 !== d3) flip = s3 > d3;
          else flip = sport > dport;
        }
      }
    }
    let ports: number;
    if (flip) {
      k[0] = dst[0]!; k[1] = dst[1]!; k[2] = dst[2]!; k[3] = dst[3]!;
      k[4] = src[0]!; k[5] = src[1]!; k[6] = src[2]!; k[7] = src[3]!;
      ports = ((dport << 16) | sport) >>> 0;
    } else {
      k[0] = src[0]!; k[1] = src[1]!; k[2] = src[2]!; k[3] = src[3]!;
      k[4] = dst[0]!; k[5] = dst[1]!; k[6] = dst[2]!; k[7] = dst[3]!;
      ports = ((sport << 16) | dport) >>> 0;
    }
    const meta = (proto | ((this.vlanInKey && vlan >= 0 ? vlan + 1 : 0) << 8)) >>> 0;
    // multiply-rotate per word, murmur3's finaliser at the end
    let h = 0x2545f491;
    h = Math.imul(h ^ k[0]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[1]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[2]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[3]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[4]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[5]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[6]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ k[7]!, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ ports, 0x9e3779b1); h = (h << 15) | (h >>> 17);
    h = Math.imul(h ^ meta, 0x9e3779b1);
    this.#kPorts = ports; this.#kMeta = meta; this.#kHash = fmix(h) | 0; this.#kFlipped = flip;
  }

  /** Flow id of the scratch key, or -1. */
  #find(): number {
    const idx = this.#idx, mask = this.#mask, h = this.#kHash;
    const u = this.#u, k = this.#k, ports = this.#kPorts, meta = this.#kMeta;
    let i = h & mask;
    for (;;) {
      const v = idx[i * 2]!;
      if (v === 0) return -1;
      if (idx[i * 2 + 1] === h) {
        const o = (v - 1) * U;
        if (u[o + U_PORTS] === ports && u[o + U_META] === meta &&
            u[o] === k[0] && u[o + 1] === k[1] && u[o + 2] === k[2] && u[o + 3] === k[3] &&
            u[o + 4] === k[4] && u[o + 5] === k[5] && u[o + 6] === k[6] && u[o + 7] === k[7]) return v - 1;
      }
      i = (i + 1) & mask;
    }
  }

  #indexInsert(f: number, h: number): void {
    const idx = this.#idx, mask = this.#mask;
    let i = h & mask;
    while (idx[i * 2] !== 0) i = (i + 1) & mask;
    idx[i * 2] = f + 1;
    idx[i * 2 + 1] = h;
  }

  #indexRemove(f: number, h: number): void {
    const idx = this.#idx, mask = this.#mask;
    let i = h & mask;
    while (idx[i * 2] !== f + 1) {
      if (idx[i * 2] === 0) return; // not indexed (cannot happen)
      i = (i + 1) & mask;
    }
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (idx[j * 2] === 0) break;
      const home = idx[j * 2 + 1]! & mask;
      // the entry at j may move to the hole at i unless its home lies cyclically in (i, j]
      const inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!inRange) { idx[i * 2] = idx[j * 2]!; idx[i * 2 + 1] = idx[j * 2 + 1]!; i = j; }
    }
    idx[i * 2] = 0;
    idx[i * 2 + 1] = 0;
  }

  #growIndex(): void {
    const old = this.#idx;
    this.#idx = new Int32Array(old.length * 2);
    this.#mask = old.length - 1; // slots double: new slots = old.length
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.#indexInsert(old[i]! - 1, old[i + 1]!);
  }

  #growColumns(): void {
    const cap = Math.min(this.#cap * 2, this.maxFlows);
    const grow = <T extends Uint32Array | Float64Array | Int16Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number, make: (len: number) => T): T => {
      const b = make(cap * n);
      b.set(a as never);
      return b;
    };
    const buf = new ArrayBuffer(cap * 128);
    new Uint8Array(buf).set(new Uint8Array(this.#u.buffer));
    this.#u = new Uint32Array(buf);
    this.#d = new Float64Array(buf);
    this.#vlan = grow(this.#vlan, 1, (n) => new Int16Array(n));
    this.#ifIndex = grow(this.#ifIndex, 1, (n) => new Int32Array(n));
    this.#file = grow(this.#file, 1, (n) => new Uint16Array(n));
    this.#inspect = grow(this.#inspect, 1, (n) => new Uint8Array(n));
    this.#cap = cap;
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
    const used = this.#used;
    const want = Math.max(1, Math.ceil(this.maxFlows / 16));
    const step = Math.max(1, Math.floor(used / 4096));
    const sample: number[] = [];
    for (let f = 0; f < used; f += step) if (this.#isLive(f)) sample.push(this.#lastTs(f));
    sample.sort((a, b) => a - b);
    const q = Math.min(sample.length - 1, Math.ceil((want / Math.max(1, this.#live)) * sample.length));
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

  #alloc(): number {
    if (this.#live >= this.maxFlows) this.#evictOne();
    let f: number;
    if (this.#free.length > 0) f = this.#free.pop()!;
    else {
      if (this.#used >= this.#cap) this.#growColumns();
      f = this.#used++;
    }
    if ((this.#live + 1) * 4 > this.#idx.length) this.#growIndex(); // load ≤ 0.5
    this.#live++;
    return f;
  }

  /** Emit the flow as a record and forget it. */
  #finish(f: number): void {
    const rs = this.#rowSink;
    const extras = (this.#icmpErr.size > 0 && this.#icmpErr.has(f)) || (this.#tunnel.size > 0 && this.#tunnel.has(f));
    const rec = rs === null || extras || !rs(this, f) ? this.toRecord(f) : null;
    this.#indexRemove(f, this.#u[f * U + U_HASH]! | 0);
    this.#u[f * U + U_STATE] = 0;
    if (extras) { this.#icmpErr.delete(f); this.#tunnel.delete(f); }
    this.#free.push(f);
    this.#live--;
    if (rec !== null) this.#sink(rec);
  }

  #timeoutOf(f: number): number {
    const u = this.#u, o = f * U;
    const st = u[o + U_STATE]! >>> 24;
    return this.#to[timeoutClass(u[o + U_META]! & 255, st >> 4, st & 15)]!;
  }

  #create(p: DecodedPacket, tsSec: number, tsNsec: number, fileIndex: number, ifIndex: number): number {
    const f = this.#alloc();
    const u = this.#u, d = this.#d, k = this.#k, o = f * U, od = f * D + D0;
    for (let i = 0; i < 8; i++) u[o + i] = k[i]!;
    u[o + U_PORTS] = this.#kPorts; u[o + U_META] = this.#kMeta; u[o + U_HASH] = this.#kHash;
    const proto = p.proto;
    // originator
    let receiverOrig = false, inferred = true;
    if (proto === 6) {
      const fl = p.tcpFlags;
      if ((fl & TcpFlag.SYN) !== 0 && (fl & TcpFlag.ACK) === 0) inferred = false;
      else if ((fl & TcpFlag.SYN) !== 0) receiverOrig = true;
      else if (p.hasPorts) receiverOrig = receiverIsOriginator(p.srcPort, p.dstPort);
    } else if (proto === 1 || proto === 58) {
      const replies = proto === 1 ? ICMP_REPLY_TYPES_4 : ICMP_REPLY_TYPES_6;
      if (replies.has(p.icmpType)) receiverOrig = true;
      else inferred = false;
    } else if (p.hasPorts) receiverOrig = receiverIsOriginator(p.srcPort, p.dstPort);
    // the sender is canonical B iff flipped; orig is B iff (sender is B) xor receiverOrig
    const origIsB = this.#kFlipped !== receiverOrig;
    u[o + U_STATE] = B_LIVE | (origIsB ? B_ORIG_IS_B : 0) | (inferred ? B_INFERRED : 0) | (receiverOrig ? B_FLIPPED : 0);
    let aux = p.icmpType >= 0 ? ((p.icmpType & 255) << 8) | (p.icmpCode & 255) : 0;
    if (receiverOrig && p.icmpType >= 0) {
      // the originator's message type is the counterpart of the reply seen first
      const cp = icmpCounterpart(proto, p.icmpType);
      if (cp >= 0) aux = (cp & 255) << 8;
    }
    u[o + U_HIST] = (aux << 16) >>> 0;
    u[o + U_HIST0] = 0; u[o + U_HIST1] = 0;
    u[o + U_LNSEC] = tsNsec;
    d[od + D_LSEC] = tsSec; d[od + D_FSEC] = tsSec; d[od + D_FNSEC] = tsNsec;
    d[od + D_PKTO] = 0; d[od + D_PKTR] = 0; d[od + D_BYTO] = 0; d[od + D_BYTR] = 0;
    this.#vlan[f] = p.vlan;
    this.#ifIndex[f] = ifIndex;
    this.#file[f] = fileIndex;
    this.#inspect[f] = 0;
    this.#indexInsert(f, this.#kHash);
    if (p.tunnel !== 0) {
      this.#tunnel.set(f, { kind: TUNNEL_NAMES[p.tunnel] ?? String(p.tunnel), outerSrc: formatAddr(p.outerSrc), outerDst: formatAddr(p.outerDst) });
    }
    this.lastCreated = true;
    return f;
  }

  #addHistory(o: number, letter: number): void {
    const u = this.#u, hw = u[o + U_HIST]!, m = hw & 0xffff;
    if ((m & (1 << letter)) !== 0) return;
    // S and H share one slot per side (Zeek's HIST_SYN_PKT)
    const base = letter & 8, l = letter & 7;
    if ((l === H.S || l === H.H) && (m & ((1 << (base + H.S)) | (1 << (base + H.H)))) !== 0) return;
    let n = 0;
    for (let x = m; x !== 0; x &= x - 1) n++;
    if (n < 8) u[o + U_HIST0] = (u[o + U_HIST0]! | (letter << (n * 4))) >>> 0;
    else u[o + U_HIST1] = (u[o + U_HIST1]! | (letter << ((n - 8) * 4))) >>> 0;
    u[o + U_HIST] = ((hw & 0xffff0000) | m | (1 << letter)) >>> 0;
  }

  /**
   * Account one decoded packet (outcome Ok, IP reached). Returns the flow id, or -1 when the
   * packet belongs to no flow (later fragment without ports). ICMP errors that quote a known flow
   * are recorded on that flow and return its id (lastIsOrig then means nothing).
   */
  update(p: DecodedPacket, tsSec: number, tsNsec: number, fileIndex: number, ifIndex: number, an: Anomalies, packetIndex = -1): number {
    if (tsSec > this.#nowSec || (tsSec === this.#nowSec && tsNsec > this.#nowNsec)) { this.#nowSec = tsSec; this.#nowNsec = tsNsec; }
    this.lastCreated = false;
    const proto = p.proto;
    let sport = 0, dport = 0;
    if (p.hasPorts) { sport = p.srcPort; dport = p.dstPort; }
    else if (proto === 1 || proto === 58) {
      if (p.hasQuoted) {
        const f = this.#icmpError(p, an, packetIndex);
        if (f >= 0) return f;
      }
      if (p.icmpType >= 0) {
        const cp = icmpCounterpart(proto, p.icmpType);
        const id = cp >= 0 ? (Math.min(cp, p.icmpType) << 8) | Math.max(cp, p.icmpType) : ((p.icmpType & 255) << 8) | (p.icmpCode & 255);
        sport = id; dport = id;
      }
    } else if (proto === 6 || proto === 17 || proto === 132) {
      an.add('flow.fragment_without_ports', packetIndex);
      return -1;
    }
    this.#setKey(p.src, p.dst, sport, dport, proto, p.vlan);
    let f = this.#find();
    if (f >= 0) {
      const idle = (tsSec - this.#d[f * D + D0 + D_LSEC]!) + (tsNsec - this.#u[f * U + U_LNSEC]!) / 1e9;
      if (idle > this.#minTimeout && idle > this.#timeoutOf(f)) { this.expired++; this.#finish(f); f = -1; }
      else if (proto === 6 && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
        const st = this.#u[f * U + U_STATE]! >>> 24;
        if (timeoutClass(6, st >> 4, st & 15) === TO.TCP_CLOSED) { an.add('flow.tcp.port_reuse', packetIndex); this.#finish(f); f = -1; }
      }
    }
    if (f < 0) f = this.#create(p, tsSec, tsNsec, fileIndex, ifIndex);
    if (p.hasQuoted) this.#addIcmpEvidence(f, p); // an ICMP error whose quoted flow is unknown
    const u = this.#u, d = this.#d, o = f * U, od = f * D + D0;
    let state = u[o + U_STATE]!;
    const isOrig = this.#kFlipped === ((state & B_ORIG_IS_B) !== 0);
    this.lastIsOrig = isOrig;
    const lsec = d[od + D_LSEC]!;
    if (tsSec > lsec || (tsSec === lsec && tsNsec > u[o + U_LNSEC]!)) { d[od + D_LSEC] = tsSec; u[o + U_LNSEC] = tsNsec; }
    if (p.fragment === 2 && !this.lastCreated) {
      // a later fragment: its bytes belong to the datagram already counted
      const bo = od + (isOrig ? D_BYTO : D_BYTR);
      d[bo] = d[bo]! + p.ipLen;
      return f;
    }
    if (isOrig) { d[od + D_PKTO] = d[od + D_PKTO]! + 1; d[od + D_BYTO] = d[od + D_BYTO]! + p.ipLen; }
    else { d[od + D_PKTR] = d[od + D_PKTR]! + 1; d[od + D_BYTR] = d[od + D_BYTR]! + p.ipLen; }
    const plen = p.payloadLen;
    if (proto === 6 && !p.tcpFlagsKnown) {
      // the snaplen cut the TCP header: flags (and the payload length) are not real; the packet
      // is counted, but it changes no flags, state or history
      u[o + U_STATE] = state >>> 0;
      return f;
    }
    if (plen > 0) state |= B_PAYLOAD;
    if (proto === 6) {
      const fl = p.tcpFlags;
      state |= isOrig ? fl << 8 : fl << 16;
      const st = state >>> 24;
      state = (state & 0x00ffffff) | (tcpStep(st >> 4, st & 15, isOrig, fl, plen) << 24);
      u[o + U_STATE] = state >>> 0;
      const l = historyLetter(fl, plen);
      if (l >= 0) { const letter = isOrig ? l : l + 8; if ((u[o + U_HIST]! & (1 << letter)) === 0) this.#addHistory(o, letter); }
    } else {
      u[o + U_STATE] = state >>> 0;
      if (plen > 0) { const letter = isOrig ? H.D : H.D + 8; if ((u[o + U_HIST]! & (1 << letter)) === 0) this.#addHistory(o, letter); }
    }
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
    this.#setKey(p.quotedSrc, p.quotedDst, ports ? p.quotedSrcPort : 0, ports ? p.quotedDstPort : 0, qp, p.vlan);
    const f = this.#find();
    if (f < 0) { an.add('flow.icmp.quoted_flow_unknown', packetIndex); return -1; }
    this.#addIcmpEvidence(f, p);
    return f;
  }

  #addIcmpEvidence(f: number, p: DecodedPacket): void {
    const from = formatAddr(p.src);
    const proto = p.proto === 58 ? 'icmp6' : 'icmp';
    let list = this.#icmpErr.get(f);
    if (list === undefined) { list = []; this.#icmpErr.set(f, list); }
    for (const e of list) {
      if (e.type === p.icmpType && e.code === p.icmpCode && e.from === from && e.proto === proto) { e.count++; return; }
    }
    list.push({ proto, type: p.icmpType, code: p.icmpCode, count: 1, from });
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
    let n = 0;
    const used = this.#used, min = this.#minTimeout;
    for (let f = 0; f < used; f++) {
      if (!this.#isLive(f)) continue;
      const idle = (nowSec - this.#d[f * D + D0 + D_LSEC]!) + (nowNsec - this.#u[f * U + U_LNSEC]!) / 1e9;
      if (idle > min && idle > this.#timeoutOf(f)) { this.expired++; this.#finish(f); n++; }
    }
    return n;
  }

  /** Finish every flow (end of input), in flow-id order. */
  flush(): number {
    let n = 0;
    const used = this.#used;
    for (let f = 0; f < used; f++) if (this.#isLive(f)) { this.#finish(f); n++; }
    return n;
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
