/**
 * FlowStore: finished flow records kept compactly (typed-array columns, interned strings, the
 * Community ID as its 20 digest bytes) instead of one object per flow, for commands that must
 * hold every flow before writing (sorted output). 100 bytes per flow from the flow table (120 for a
 * record that brings its Community ID), plus 16 per distinct address, instead of ~600 for
 * a retained FlowRecord object plus its strings, and nothing for the garbage collector to trace.
 *
 *   const store = new FlowStore();
 *   const ev = await gatherEvidence(inputs, { onFlow: (f) => store.add(f) });
 *   store.setEvidenceKind(file, 'pcap', 'pcapng');     // like gatherEvidence's own fix-up
 *   await writeFlows(out, store.sorted(true, blankRecord()), 'ndjson'); // one record object refilled per flow
 *
 * `get(i)` rebuilds a record equal (field by field) to the one added. Records that do not fit the
 * columns exactly (non-integer or out-of-range numbers, an unusual Community ID, ...) are kept as
 * they are in a side map, so the round trip is always exact. A tunnel (kind and outer endpoints)
 * is interned: a capture of mirrored traffic has one or a few, shared by its flows. So is a flow's
 * list of ICMP errors (kind, type, code, count and sender of each): the flows a firewall refuses
 * share a few.
 */
import { blankRecord, NO_ICMP_ERRORS, type ConnState, type EvidenceKind, type FlowRecord, type IcmpErrorEvidence, type TunnelEvidence } from '../../flow/record.js';
import { compareFlows } from '../../flow/order.js';
import { communityId } from '../../flow/community-id.js';
import { FlowRow } from '../../flow/row.js';
import type { FlowRowSink, FlowTable } from '../../flow/table.js';
import { AddressTable, type AddressTableParts } from './address-table.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODE = Array.from(B64, (ch) => ch.charCodeAt(0));
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** `1:` + 27 base64 characters + `=`, canonical (the last character's 2 low bits zero). */
function isCid(s: string): boolean {
  if (s.length !== 30 || s.charCodeAt(0) !== 49 || s.charCodeAt(1) !== 58 || s.charCodeAt(29) !== 61) return false;
  for (let k = 2; k < 29; k++) {
    const c = s.charCodeAt(k);
    if (c >= 128 || B64_VALUE[c]! < 0) return false;
  }
  return (B64_VALUE[s.charCodeAt(28)]! & 3) === 0;
}

/** Rows per column chunk, and the bytes of one row over all columns. */
const CHUNK_BITS = 16, CHUNK = 1 << CHUNK_BITS, CHUNK_MASK = CHUNK - 1, ROW_BYTES = 6 * 8 + 12 * 4 + 4 + 20;

/** bits column */
const DIR_INFERRED = 1, VERDICT_ALLOWED = 2, VERDICT_DENIED = 4, CID_EMPTY = 8, VLAN_NULL = 16, IF_NULL = 32;
/** The row came from the flow table: its Community ID is computed from the address words when asked for. */
const CID_LAZY = 64;

/** A tunnel of its three text fields and nothing else (another stays an object, so that the round trip is exact). */
function plainTunnel(t: TunnelEvidence): boolean {
  return typeof t.kind === 'string' && typeof t.outerSrc === 'string' && typeof t.outerDst === 'string' && Object.keys(t).length === 3;
}

/** ICMP errors of their five fields each and nothing else, with integer numbers (others stay an object, so that the round trip is exact). */
function plainIcmpErrors(list: readonly IcmpErrorEvidence[]): boolean {
  for (const e of list) {
    if ((e.proto !== 'icmp' && e.proto !== 'icmp6') || !Number.isSafeInteger(e.type) || !Number.isSafeInteger(e.code) || !Number.isSafeInteger(e.count) ||
      typeof e.from !== 'string' || Object.keys(e).length !== 5 || Object.is(e.type, -0) || Object.is(e.code, -0) || Object.is(e.count, -0)) return false;
  }
  return true;
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

export { blankRecord };

/**
 * A FlowStore for another thread to read (FlowStore.shareable / fromShared): the column chunks
 * themselves (in SharedArrayBuffers when the store was made `shared`: posted to a worker, they
 * are not copied), and copies of the rest (interned strings, addresses, the records kept as
 * objects, the evidence overrides).
 */
export interface SharedFlowStore {
  n: number;
  f64s: Float64Array[];
  u32s: Uint32Array[];
  u8s: Uint8Array[];
  cids: (Uint8Array | undefined)[];
  strings: string[];
  addrs: AddressTableParts;
  special: [number, FlowRecord][];
  tuns: (Uint32Array | undefined)[];
  tunnels: TunnelEvidence[];
  icmps: (Uint32Array | undefined)[];
  icmpLists: IcmpErrorEvidence[][];
  kindOverride: [number, { from: number; to: EvidenceKind }][];
}

export interface FlowStoreOptions {
  /** Allocate the column chunks in SharedArrayBuffers, so that another thread can read them in place (see shareable()). */
  shared?: boolean;
}

export class FlowStore {
  #n = 0;
  #cap = 0;
  // columns in chunks of CHUNK rows (no copying or doubling as the store grows)
  readonly #f64s: Float64Array[] = [];   // 6 per flow: firstSec, lastSec, origPkts, respPkts, origIpBytes, respIpBytes
  readonly #u32s: Uint32Array[] = [];    // 12 per flow: firstNsec, lastNsec, origP, respP, vlan, ifIndex, origH, respH, connState, history, evidence, source
  readonly #u8s: Uint8Array[] = [];      // 4 per flow: proto, origFlags, respFlags, bits
  readonly #cids: (Uint8Array | undefined)[] = []; // 20 per flow: Community ID digest (a chunk's column is made when a record brings one; rows from the flow table compute it)
  readonly #tuns: (Uint32Array | undefined)[] = []; // 1 per flow: 1 + the tunnel's index in #tunnels, 0 = none (a chunk's column is made when a record brings one)
  readonly #tunnels: TunnelEvidence[] = [];
  readonly #tunnelIds = new Map<string, number>();
  #lastTunnelIn: TunnelEvidence | null = null;
  #lastTunnelId = 0;
  readonly #icmps: (Uint32Array | undefined)[] = []; // 1 per flow: 1 + the index of its ICMP errors in #icmpLists, 0 = none (a chunk's column is made when a flow brings some)
  readonly #icmpLists: IcmpErrorEvidence[][] = [];
  readonly #icmpListIds = new Map<string, number>();
  readonly #strings: string[] = [];
  /** Addresses (origH/respH columns hold their ids). */
  #addrs = new AddressTable();
  readonly #row = new FlowRow();
  readonly #ow = new Uint32Array(4);
  readonly #rw = new Uint32Array(4);
  readonly #ids = new Map<string, number>();
  readonly #special = new Map<number, FlowRecord>();
  readonly #lastStr: string[] = ['\u0000', '\u0000', '\u0000', '\u0000'];
  readonly #lastId = new Uint32Array(4);
  /** source string id → (evidence string id to replace, evidence to report instead) */
  readonly #kindOverride = new Map<number, { from: number; to: EvidenceKind }>();
  readonly #shared: boolean;

  constructor(opts: FlowStoreOptions = {}) {
    this.#shared = opts.shared ?? false;
  }

  /** A view of this store for another thread (posted with postMessage or as workerData); the store must not change after. */
  shareable(): SharedFlowStore {
    return {
      n: this.#n, f64s: [...this.#f64s], u32s: [...this.#u32s], u8s: [...this.#u8s], cids: [...this.#cids],
      strings: [...this.#strings], addrs: this.#addrs.parts(), special: [...this.#special], tuns: [...this.#tuns], tunnels: [...this.#tunnels],
      icmps: [...this.#icmps], icmpLists: [...this.#icmpLists],
      kindOverride: [...this.#kindOverride],
    };
  }

  /** A store that reads the flows of `s` (get/getInto/order/setEvidenceKind; adding to it is not for this: its columns may be another thread's). */
  static fromShared(s: SharedFlowStore): FlowStore {
    const st = new FlowStore();
    st.#f64s.push(...s.f64s); st.#u32s.push(...s.u32s); st.#u8s.push(...s.u8s); st.#cids.push(...s.cids);
    st.#strings.push(...s.strings);
    for (let i = 0; i < s.strings.length; i++) st.#ids.set(s.strings[i]!, i);
    st.#addrs = AddressTable.fromParts(s.addrs);
    for (const [i, f] of s.special) st.#special.set(i, f);
    st.#tuns.push(...s.tuns); st.#tunnels.push(...s.tunnels);
    st.#icmps.push(...s.icmps); st.#icmpLists.push(...s.icmpLists);
    for (const [k, v] of s.kindOverride) st.#kindOverride.set(k, v);
    st.#n = s.n;
    st.#cap = s.f64s.length * CHUNK;
    return st;
  }

  #array(bytes: number): ArrayBuffer | SharedArrayBuffer {
    return this.#shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }

  get size(): number {
    return this.#n;
  }

  /** Bytes held by the columns (not counting the interned strings). */
  get columnBytes(): number {
    return this.#f64s.length * CHUNK * (ROW_BYTES - 20) + this.#cids.filter((c) => c !== undefined).length * CHUNK * 20 +
      (this.#tuns.filter((c) => c !== undefined).length + this.#icmps.filter((c) => c !== undefined).length) * CHUNK * 4;
  }

  #intern(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.#strings.length;
      this.#strings.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }

  #grow(): void {
    this.#f64s.push(new Float64Array(this.#array(CHUNK * 6 * 8)));
    this.#u32s.push(new Uint32Array(this.#array(CHUNK * 12 * 4)));
    this.#u8s.push(new Uint8Array(this.#array(CHUNK * 4)));
    this.#cids.push(undefined);
    this.#tuns.push(undefined);
    this.#icmps.push(undefined);
    this.#cap += CHUNK;
  }

  /** Keep one record (the object itself is not retained unless it does not fit the columns). */
  add(f: FlowRecord): void {
    if (this.#n === this.#cap) this.#grow();
    const i = this.#n++;
    if (!this.#fits(f)) { this.#special.set(i, f); return; }
    const ch = i >>> CHUNK_BITS, row = i & CHUNK_MASK;
    const d = this.#f64s[ch]!, o = row * 6;
    d[o] = f.firstSec; d[o + 1] = f.lastSec; d[o + 2] = f.origPkts; d[o + 3] = f.respPkts; d[o + 4] = f.origIpBytes; d[o + 5] = f.respIpBytes;
    const u = this.#u32s[ch]!, p = row * 12;
    u[p] = f.firstNsec; u[p + 1] = f.lastNsec; u[p + 2] = f.origP; u[p + 3] = f.respP;
    u[p + 4] = f.vlan ?? 0; u[p + 5] = f.ifIndex ?? 0;
    u[p + 6] = this.#addrs.idOfText(f.origH); u[p + 7] = this.#addrs.idOfText(f.respH);
    this.#putStrings(u, p, f.connState, f.history, f.evidence, f.source);
    const b = this.#u8s[ch]!, q = row * 4;
    b[q] = f.proto; b[q + 1] = f.origFlags; b[q + 2] = f.respFlags;
    b[q + 3] = (f.directionInferred ? DIR_INFERRED : 0) | (f.verdict === 'allowed' ? VERDICT_ALLOWED : f.verdict === 'denied' ? VERDICT_DENIED : 0) |
      (f.communityId === '' ? CID_EMPTY : 0) | (f.vlan === null ? VLAN_NULL : 0) | (f.ifIndex === null ? IF_NULL : 0);
    if (f.tunnel !== null) this.#putTunnel(ch, row, f.tunnel);
    if (f.icmpErrors.length !== 0) this.#putIcmpErrors(ch, row, f.icmpErrors);
    if (f.communityId !== '') {
      // 27 base64 characters + '=' → 20 bytes (checked by #fits)
      let c = this.#cids[ch];
      if (c === undefined) { c = new Uint8Array(this.#array(CHUNK * 20)); this.#cids[ch] = c; }
      const s = f.communityId, end = row * 20 + 20;
      let r = row * 20;
      for (let k = 2; k < 30; k += 4) {
        const v = (B64_VALUE[s.charCodeAt(k)]! << 18) | (B64_VALUE[s.charCodeAt(k + 1)]! << 12) |
          (B64_VALUE[s.charCodeAt(k + 2)]! << 6) | (k + 3 < 29 ? B64_VALUE[s.charCodeAt(k + 3)]! : 0);
        c[r++] = v >>> 16;
        c[r++] = (v >>> 8) & 255;
        if (r < end) c[r++] = v & 255;
      }
    }
  }

  /**
   * Keep one flow given as a table row (FlowTable.readRow): no record object and no address text
   * is made; the Community ID is computed when get() is asked for it.
   */
  addRow(r: FlowRow, source: string, evidence: EvidenceKind): void {
    if (this.#n === this.#cap) this.#grow();
    const i = this.#n++;
    const ch = i >>> CHUNK_BITS, row = i & CHUNK_MASK;
    const d = this.#f64s[ch]!, o = row * 6;
    d[o] = r.firstSec; d[o + 1] = r.lastSec; d[o + 2] = r.origPkts; d[o + 3] = r.respPkts; d[o + 4] = r.origIpBytes; d[o + 5] = r.respIpBytes;
    const u = this.#u32s[ch]!, p = row * 12;
    u[p] = r.firstNsec; u[p + 1] = r.lastNsec; u[p + 2] = r.origP; u[p + 3] = r.respP;
    u[p + 4] = r.vlan >= 0 ? r.vlan : 0; u[p + 5] = r.ifIndex >= 0 ? r.ifIndex : 0;
    u[p + 6] = this.#addrs.idOfWords(r.orig); u[p + 7] = this.#addrs.idOfWords(r.resp);
    this.#putStrings(u, p, r.connState, r.history, evidence, source);
    const b = this.#u8s[ch]!, q = row * 4;
    b[q] = r.proto; b[q + 1] = r.origFlags; b[q + 2] = r.respFlags;
    b[q + 3] = CID_LAZY | (r.directionInferred ? DIR_INFERRED : 0) | (r.vlan < 0 ? VLAN_NULL : 0) | (r.ifIndex < 0 ? IF_NULL : 0);
  }

  /** A FlowTable row sink (FlowTable.setRowSink) that keeps every finished flow here as a row (with its tunnel and ICMP errors). */
  rowSink(): FlowRowSink {
    const row = this.#row;
    return (t: FlowTable, f: number): boolean => {
      const icmp = t.icmpErrorsOf(f);
      if (icmp !== null && !plainIcmpErrors(icmp)) return false;
      t.readRow(f, row);
      const src = t.sourceOf(row.fileIndex);
      this.addRow(row, src?.name ?? '', src?.kind ?? 'pcap');
      const tun = t.tunnelOf(f), i = this.#n - 1;
      if (tun !== null) this.#putTunnel(i >>> CHUNK_BITS, i & CHUNK_MASK, tun);
      if (icmp !== null && icmp.length > 0) this.#putIcmpErrors(i >>> CHUNK_BITS, i & CHUNK_MASK, icmp);
      return true;
    };
  }

  /** Note the ICMP errors of the flow at `row` of chunk `ch` (interned: its own copy, once per distinct list; the chunk's column is made with its first). */
  #putIcmpErrors(ch: number, row: number, list: readonly IcmpErrorEvidence[]): void {
    let c = this.#icmps[ch];
    if (c === undefined) { c = new Uint32Array(this.#array(CHUNK * 4)); this.#icmps[ch] = c; }
    let key = '';
    for (const e of list) key += `${e.proto} ${e.type} ${e.code} ${e.count} ${e.from}\n`;
    let id = this.#icmpListIds.get(key);
    if (id === undefined) {
      id = this.#icmpLists.length;
      this.#icmpLists.push(list.map((e) => ({ proto: e.proto, type: e.type, code: e.code, count: e.count, from: e.from })));
      this.#icmpListIds.set(key, id);
    }
    c[row] = 1 + id;
  }

  /** Note tunnel `t` for the flow at `row` of chunk `ch` (the chunk's tunnel column is made with its first). */
  #putTunnel(ch: number, row: number, t: TunnelEvidence): void {
    let c = this.#tuns[ch];
    if (c === undefined) { c = new Uint32Array(this.#array(CHUNK * 4)); this.#tuns[ch] = c; }
    c[row] = 1 + this.#tunnelId(t);
  }

  /** The index of this tunnel in #tunnels (added when new; the store keeps its own copy). */
  #tunnelId(t: TunnelEvidence): number {
    if (t === this.#lastTunnelIn) return this.#lastTunnelId; // (the flow table shares one object while the tunnel stays the same)
    const key = `${t.kind}\u0000${t.outerSrc}\u0000${t.outerDst}`;
    let id = this.#tunnelIds.get(key);
    if (id === undefined) {
      id = this.#tunnels.length;
      this.#tunnels.push({ kind: t.kind, outerSrc: t.outerSrc, outerDst: t.outerDst });
      this.#tunnelIds.set(key, id);
    }
    this.#lastTunnelIn = t; this.#lastTunnelId = id;
    return id;
  }

  /** The low-cardinality string columns (8..11) of the row at u[p]: the same string objects as the previous row most of the time. */
  #putStrings(u: Uint32Array, p: number, cs: string, hs: string, ev: string, so: string): void {
    const lc = this.#lastStr, li = this.#lastId;
    u[p + 8] = cs === lc[0] ? li[0]! : (lc[0] = cs, li[0] = this.#intern(cs));
    u[p + 9] = hs === lc[1] ? li[1]! : (lc[1] = hs, li[1] = this.#intern(hs));
    u[p + 10] = ev === lc[2] ? li[2]! : (lc[2] = ev, li[2] = this.#intern(ev));
    u[p + 11] = so === lc[3] ? li[3]! : (lc[3] = so, li[3] = this.#intern(so));
  }

  #fits(f: FlowRecord): boolean {
    if (f.icmpErrors.length !== 0 && !plainIcmpErrors(f.icmpErrors)) return false;
    if (f.tunnel !== null && !plainTunnel(f.tunnel)) return false;
    if (!Number.isInteger(f.proto) || f.proto < 0 || f.proto > 255) return false;
    if (!Number.isInteger(f.origFlags) || f.origFlags < 0 || f.origFlags > 255) return false;
    if (!Number.isInteger(f.respFlags) || f.respFlags < 0 || f.respFlags > 255) return false;
    if (!isU32(f.firstNsec) || !isU32(f.lastNsec) || !isU32(f.origP) || !isU32(f.respP)) return false;
    if (f.vlan !== null && !isU32(f.vlan)) return false;
    if (f.ifIndex !== null && !isU32(f.ifIndex)) return false;
    if (f.verdict !== null && f.verdict !== 'allowed' && f.verdict !== 'denied') return false;
    // canonical base64 only (the last character's 2 low bits zero), so that it re-encodes the same
    if (f.communityId !== '' && !isCid(f.communityId)) return false;
    // numbers kept in Float64 columns are exact, except that -0 would come back as -0 too but is rare: keep it as is
    if (Object.is(f.firstSec, -0) || Object.is(f.lastSec, -0) || Object.is(f.origPkts, -0) || Object.is(f.respPkts, -0) ||
        Object.is(f.origIpBytes, -0) || Object.is(f.respIpBytes, -0)) return false;
    return true;
  }

  /** Report `to` instead of `from` as the evidence of the records of one source (e.g. pcap → pcapng). */
  setEvidenceKind(source: string, from: EvidenceKind, to: EvidenceKind): void {
    const sid = this.#ids.get(source), fid = this.#ids.get(from);
    if (sid === undefined || fid === undefined) return;
    this.#kindOverride.set(sid, { from: fid, to });
    for (const [, f] of this.#special) if (f.source === source && f.evidence === from) f.evidence = to;
  }

  /**
   * Rebuild record i (a new object each call). With `withCommunityId` false, a row kept from the
   * flow table comes back with communityId '' (it is computed, a SHA-1, only when asked for).
   */
  get(i: number, withCommunityId = true): FlowRecord {
    const sp = this.#special.get(i);
    if (sp !== undefined) return sp;
    return this.getInto(i, blankRecord(), withCommunityId);
  }

  /**
   * Fill `out` with record i and return it: a loop over the store can reuse one object (nothing
   * allocated per flow). A consumer that keeps a record past the next call must copy it.
   */
  getInto(i: number, out: FlowRecord, withCommunityId = true): FlowRecord {
    const sp = this.#special.get(i);
    if (sp !== undefined) return Object.assign(out, sp);
    const ch = i >>> CHUNK_BITS, row = i & CHUNK_MASK;
    const d = this.#f64s[ch]!, o = row * 6, u = this.#u32s[ch]!, p = row * 12, b = this.#u8s[ch]!, q = row * 4, str = this.#strings;
    const bits = b[q + 3]!;
    let evidence = str[u[p + 10]!]!;
    if (this.#kindOverride.size > 0) {
      const ov = this.#kindOverride.get(u[p + 11]!);
      if (ov !== undefined && ov.from === u[p + 10]) evidence = ov.to;
    }
    out.firstSec = d[o]!; out.firstNsec = u[p]!; out.lastSec = d[o + 1]!; out.lastNsec = u[p + 1]!;
    out.proto = b[q]!;
    out.origH = this.#addrs.text(u[p + 6]!); out.origP = u[p + 2]!; out.respH = this.#addrs.text(u[p + 7]!); out.respP = u[p + 3]!;
    out.origPkts = d[o + 2]!; out.respPkts = d[o + 3]!; out.origIpBytes = d[o + 4]!; out.respIpBytes = d[o + 5]!;
    out.origFlags = b[q + 1]!; out.respFlags = b[q + 2]!;
    out.connState = str[u[p + 8]!]! as ConnState;
    out.history = str[u[p + 9]!]!;
    out.directionInferred = (bits & DIR_INFERRED) !== 0;
    const ic = this.#icmps[ch], iid = ic === undefined ? 0 : ic[row]!;
    // (the store's one list per distinct list of ICMP errors, shared by its flows' records: to be read, not changed)
    out.icmpErrors = iid === 0 ? NO_ICMP_ERRORS : this.#icmpLists[iid - 1]!;
    out.vlan = (bits & VLAN_NULL) !== 0 ? null : u[p + 4]!;
    const tc = this.#tuns[ch], tid = tc === undefined ? 0 : tc[row]!;
    // (the store's one object per tunnel, shared by its flows' records: to be read, not changed)
    out.tunnel = tid === 0 ? null : this.#tunnels[tid - 1]!;
    out.ifIndex = (bits & IF_NULL) !== 0 ? null : u[p + 5]!;
    out.communityId = (bits & CID_LAZY) !== 0 ? (withCommunityId ? this.#cidOf(u[p + 6]!, u[p + 7]!, b[q]!, u[p + 2]!, u[p + 3]!) : '')
      : (bits & CID_EMPTY) !== 0 ? '' : this.#cidText(ch, row);
    out.evidence = evidence as EvidenceKind;
    out.source = str[u[p + 11]!]!;
    out.verdict = (bits & VERDICT_ALLOWED) !== 0 ? 'allowed' : (bits & VERDICT_DENIED) !== 0 ? 'denied' : null;
    return out;
  }

  /** Whether some record kept here has this address (text as in the records) as an endpoint. */
  hasAddress(s: string): boolean {
    return this.#addrs.has(s);
  }

  /**
   * Address ids of record i (the same id for the same address in this store; AddressTable), or -1
   * for a record kept as its object.
   */
  origAddrId(i: number): number {
    if (this.#special.size > 0 && this.#special.has(i)) return -1;
    return this.#u32s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 12 + 6]!;
  }

  respAddrId(i: number): number {
    if (this.#special.size > 0 && this.#special.has(i)) return -1;
    return this.#u32s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 12 + 7]!;
  }

  #cidOf(orig: number, resp: number, proto: number, origP: number, respP: number): string {
    const ow = this.#ow, rw = this.#rw;
    if (!this.#addrs.wordsOf(orig, ow) || !this.#addrs.wordsOf(resp, rw)) return '';
    return communityId(ow, rw, proto, origP, respP);
  }

  #cidText(ch: number, row: number): string {
    const c = this.#cids[ch]!, r = row * 20, t = B64_CODE;
    const g0 = (c[r]! << 16) | (c[r + 1]! << 8) | c[r + 2]!, g1 = (c[r + 3]! << 16) | (c[r + 4]! << 8) | c[r + 5]!;
    const g2 = (c[r + 6]! << 16) | (c[r + 7]! << 8) | c[r + 8]!, g3 = (c[r + 9]! << 16) | (c[r + 10]! << 8) | c[r + 11]!;
    const g4 = (c[r + 12]! << 16) | (c[r + 13]! << 8) | c[r + 14]!, g5 = (c[r + 15]! << 16) | (c[r + 16]! << 8) | c[r + 17]!;
    const g6 = (c[r + 18]! << 16) | (c[r + 19]! << 8);
    return String.fromCharCode(49, 58,
      t[g0 >>> 18]!, t[(g0 >>> 12) & 63]!, t[(g0 >>> 6) & 63]!, t[g0 & 63]!, t[g1 >>> 18]!, t[(g1 >>> 12) & 63]!, t[(g1 >>> 6) & 63]!, t[g1 & 63]!,
      t[g2 >>> 18]!, t[(g2 >>> 12) & 63]!, t[(g2 >>> 6) & 63]!, t[g2 & 63]!, t[g3 >>> 18]!, t[(g3 >>> 12) & 63]!, t[(g3 >>> 6) & 63]!, t[g3 & 63]!,
      t[g4 >>> 18]!, t[(g4 >>> 12) & 63]!, t[(g4 >>> 6) & 63]!, t[g4 & 63]!, t[g5 >>> 18]!, t[(g5 >>> 12) & 63]!, t[(g5 >>> 6) & 63]!, t[g5 & 63]!,
      t[g6 >>> 18]!, t[(g6 >>> 12) & 63]!, t[(g6 >>> 6) & 63]!, 61);
  }

  /**
   * Positions in compareFlows order (the order gatherEvidence sorts Evidence.flows in): packed
   * 64-bit (first second, nanosecond prefix, position) keys sorted natively, ties ordered by
   * compareFlows on rebuilt records. Stable: equal records keep the order they were added in.
   * `shared`: in a SharedArrayBuffer (for another thread to read).
   */
  order(shared = false): Uint32Array {
    const n = this.#n;
    const out = new Uint32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
    for (let i = 0; i < n; i++) out[i] = i;
    if (n < 2) return out;
    const ra = blankRecord(), rb = blankRecord();
    const cmp = (a: number, b: number): number => compareFlows(this.getInto(a, ra, false), this.getInto(b, rb, false)) || a - b;
    let minSec = Infinity, maxSec = -Infinity, plain = true;
    for (let i = 0; i < n; i++) {
      const sp = this.#special.get(i);
      const s = sp !== undefined ? sp.firstSec : this.#f64s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 6]!,
        ns = sp !== undefined ? sp.firstNsec : this.#u32s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 12]!;
      if (!Number.isSafeInteger(s) || !Number.isInteger(ns) || ns < 0 || ns >= 2 ** 30) { plain = false; break; }
      if (s < minSec) minSec = s;
      if (s > maxSec) maxSec = s;
    }
    const idxBits = Math.max(1, Math.ceil(Math.log2(n)));
    const range = maxSec - minSec;
    const secBits = range === 0 ? 0 : Math.floor(Math.log2(range)) + 1;
    const qb = Math.min(30, 64 - secBits - idxBits, 52 - idxBits);
    if (!plain || !Number.isSafeInteger(range) || idxBits > 30 || qb < 0) return out.sort(cmp);
    const L = idxBits + qb, idxMask = 2 ** idxBits - 1;
    const keys = new BigUint64Array(n);
    const w = new Uint32Array(keys.buffer);
    const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    const LO = little ? 0 : 1, HI = little ? 1 : 0;
    const nsDiv = 2 ** (30 - qb), idxMul = 2 ** idxBits;
    for (let i = 0; i < n; i++) {
      const sp = this.#special.get(i);
      const s = sp !== undefined ? sp.firstSec : this.#f64s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 6]!,
        ns = sp !== undefined ? sp.firstNsec : this.#u32s[i >>> CHUNK_BITS]![(i & CHUNK_MASK) * 12]!;
      const low = Math.floor(ns / nsDiv) * idxMul + i;
      const rel = s - minSec;
      let lo: number, hi: number;
      if (L >= 32) { lo = low % 4294967296; hi = Math.floor(low / 4294967296) + rel * 2 ** (L - 32); }
      else { const m = 2 ** (32 - L); lo = low + (rel % m) * 2 ** L; hi = Math.floor(rel / m); }
      w[i * 2 + LO] = lo; w[i * 2 + HI] = hi;
    }
    keys.sort();
    for (let i = 0; i < n; i++) out[i] = w[i * 2 + LO]! & idxMask;
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && w[i * 2 + HI] === w[start * 2 + HI] && (w[i * 2 + LO]! & ~idxMask) === (w[start * 2 + LO]! & ~idxMask)) continue;
      if (i - start > 1) out.subarray(start, i).sort(cmp);
      start = i;
    }
    return out;
  }

  /**
   * The records in compareFlows order, rebuilt one at a time (see get() for `withCommunityId`).
   * With `into`, every record is that one object refilled (getInto: nothing allocated per flow),
   * for a consumer that is done with each before the next.
   */
  *sorted(withCommunityId = true, into?: FlowRecord): Generator<FlowRecord> {
    const order = this.order();
    if (into === undefined) for (let i = 0; i < order.length; i++) yield this.get(order[i]!, withCommunityId);
    else for (let i = 0; i < order.length; i++) yield this.getInto(order[i]!, into, withCommunityId);
  }
}
