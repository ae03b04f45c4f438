// flow-core.ts — the flow table's per-packet work in WebAssembly (AssemblyScript; compiled by
// tools/build-wasm.mjs into ../flow-core-wasm.ts). src/flow/table.ts owns the semantics and the
// rest of the table (emission, expiry sweeps, eviction, ICMP errors, tunnels); this module keys,
// finds, creates and updates flows over the same 128-byte records, in linear memory that the
// JavaScript side reads through typed-array views. Excluded from the TypeScript project: the
// types here (u32, usize …) are AssemblyScript's.
//
// Memory layout (byte offsets; regions sized for maxFlows at init, which grows the memory once so
// that the views never detach; pages are only backed when touched):
//   KEY   0    the packet's source (4 words) and destination (4 words), written by the caller
//   QKEY  32   scratch canonical key (8 words)
//   TO    128  7 timeouts (f64), by timeout class
//   SVC   256  service-port bits (65 536 bytes, 1 = service port)
//   PAIR  65792  ICMP counterpart types: 2 × 256 i16 (ICMPv4, ICMPv6), -1 = none
//   REPLY 66816  ICMP reply types: 2 × 256 u8
//   DNSC  67328  UDP DNS messages parsed before: (hash1, hash2, length, capped) per slot (engine.ts)
//   SNIC  DNSC + DNS_SLOTS × 16  TLS server names kept before: (hash1, hash2, length) per slot
//   EXPQ  SNIC + SNI_SLOTS × 12  the flows expire() is about to finish (EXPQ_N u32)
//   IFT   EXPQ + EXPQ_N × 4  the pcapng section's interfaces batchNg() takes blocks of (IF_SLOTS × 32
//         bytes: link, snaplen, global id, resolution digits, if_tsoffset f64, blocks taken), then
//         IFTOUCH: the local ids of those it took blocks of since ifTakenClear() (IF_SLOTS u8)
//   TUN   IFTOUCH + IF_SLOTS  a new tunnelled flow's outer source and destination (8 words, as KEY)
//   then ARENA (capture chunks read straight into this memory, for plain()), FREE (i32 × maxFlows),
//   VLAN (i16), IFX (i32), FILE (u16), INSP (u8), OWN (u8: 1 = the JavaScript side emits the flow
//   itself), TLSS (u16: 1 + the reassembly slot of the flow's split ClientHello, 0 = none),
//   TLSM (per reassembly slot: need, have, next sequence number, free-list link; u32 each), TLSB
//   (TLS_SLOTS × TLS_SLOT_BYTES), ROWS (`rowBatches` batches of ROW_SLOTS finished flows packed as
//   table.ts packRow does, 144 bytes each), IDX (pairs of i32: flow id + 1, hash), IDXTMP (half of
//   IDX), REC (128 bytes per flow, 128-aligned).

const KEY: usize = 0;
const QKEY: usize = 32;
const TO: usize = 128;
const SVC: usize = 256;
const PAIR: usize = SVC + 65536;
const REPLY: usize = PAIR + 1024;
const DNSC: usize = REPLY + 512;
const DNS_SLOTS: u32 = 65536;
const SNIC: usize = DNSC + <usize>DNS_SLOTS * 16;
const SNI_SLOTS: u32 = 65536;
/** expire(): the flows of a group to finish (EXPQ_N of them). */
const EXPQ_N: u32 = 16;
const EXPQ: usize = SNIC + <usize>SNI_SLOTS * 12;
/** batchNg(): a pcapng section's first IF_SLOTS interfaces (a block of a later one goes to the JavaScript reader). */
const IF_SLOTS: u32 = 256;
const IFT: usize = EXPQ + <usize>EXPQ_N * 4;
const IFTOUCH: usize = IFT + <usize>IF_SLOTS * 32;
/** A new tunnelled flow's outer source and destination (4 words each, as KEY), for the JavaScript side (tunnelFlow). */
const TUN: usize = IFTOUCH + <usize>IF_SLOTS;
const FIXED_END: usize = TUN + 32;

// record words (as in table.ts)
const U_PORTS: usize = 8 * 4, U_META: usize = 9 * 4, U_HASH: usize = 10 * 4, U_STATE: usize = 11 * 4;
const U_HIST: usize = 12 * 4, U_HIST0: usize = 13 * 4, U_HIST1: usize = 14 * 4, U_LNSEC: usize = 15 * 4;
const D_LSEC: usize = 64, D_PKTO: usize = 72, D_PKTR: usize = 80, D_BYTO: usize = 88, D_BYTR: usize = 96, D_FSEC: usize = 104, D_FNSEC: usize = 112;
const B_ORIG_IS_B: u32 = 1, B_INFERRED: u32 = 2, B_FLIPPED: u32 = 4, B_PAYLOAD: u32 = 8, B_LIVE: u32 = 16;
const SYN: u32 = 2, FIN: u32 = 1, RST: u32 = 4, ACK: u32 = 16;
// Zeek endpoint states
const INACTIVE: u32 = 0, SYN_SENT: u32 = 1, SYN_ACK_SENT: u32 = 2, PARTIAL: u32 = 3, ESTABLISHED: u32 = 4, CLOSED: u32 = 5, RESET: u32 = 6;
// timeout classes
const TO_TCP_EST: u32 = 0, TO_TCP_ATTEMPT: u32 = 1, TO_TCP_HALF: u32 = 2, TO_TCP_CLOSED: u32 = 3, TO_UDP: u32 = 4, TO_ICMP: u32 = 5, TO_OTHER: u32 = 6;
// history letters (orig form)
const H_S: u32 = 0, H_H: u32 = 1, H_A: u32 = 2, H_D: u32 = 3, H_F: u32 = 4, H_R: u32 = 5, H_Q: u32 = 6, H_I: u32 = 7;

/**
 * The table's JavaScript side: finish flow f (emit it, then release it here); evict one flow;
 * count a port reuse at the packet of this index (-1: the packet the JavaScript side is accounting).
 */
@external("table", "finish") declare function finishFlow(f: i32): void;
@external("table", "evict") declare function evictOne(): void;
@external("table", "portReuse") declare function portReuse(index: f64): void;
/** The row batch is full: the JavaScript side takes its rows (rowCount, at rowsOffset) and calls rowsTaken. */
@external("table", "rowsFull") declare function rowsFull(): void;
/** Flow f was created by a tunnel's inner packet (kind: decode/packet.ts Tunnel); its outer endpoints are at TUN. */
@external("table", "tunnel") declare function tunnelFlow(f: i32, kind: u32): void;

/** Index of the record batch() is accounting (for portReuse), -1 outside batch(). */
let curIndex: f64 = -1;

let ARENA: usize = 0;
let FREE: usize = 0, VLAN: usize = 0, IFX: usize = 0, FILE: usize = 0, INSP: usize = 0, OWN: usize = 0, TLSS: usize = 0, TLSM: usize = 0, TLSB: usize = 0, ROWS: usize = 0, IDX: usize = 0, IDXTMP: usize = 0, REC: usize = 0;
let maxFlows: u32 = 0;
let used: u32 = 0;
let freeTop: u32 = 0;
let live: u32 = 0;
let mask: u32 = 31;
let vlanInKey = false;
let minTimeout: f64 = 0;
let nowSec: f64 = 0;
let nowNsec: f64 = 0;
let expired: u32 = 0;
// scratch key
let kPorts: u32 = 0, kMeta: u32 = 0, kHash: u32 = 0, kFlipped = false;

function alignUp(x: usize, a: usize): usize { return (x + a - 1) & ~(a - 1); }

/**
 * Set up for at most `flows` flows and `slots0` initial index slots, with `arena` bytes for capture
 * chunks; returns the records' byte offset (0: the memory could not grow).
 */
export function init(flows: u32, slots0: u32, inKey: bool, minTo: f64, arena: u32, rowBatches: u32): usize {
  rowRing = rowBatches < 1 ? 1 : rowBatches;
  maxFlows = flows; vlanInKey = inKey; minTimeout = minTo;
  let slotsMax: usize = 32;
  while (slotsMax < <usize>flows * 2 + 2) slotsMax <<= 1;
  let p = alignUp(FIXED_END, 64);
  ARENA = p; p = alignUp(p + <usize>arena, 64);
  FREE = p; p += <usize>flows * 4;
  VLAN = alignUp(p, 8); p = VLAN + <usize>flows * 2;
  IFX = alignUp(p, 8); p = IFX + <usize>flows * 4;
  FILE = alignUp(p, 8); p = FILE + <usize>flows * 2;
  INSP = alignUp(p, 8); p = INSP + <usize>flows;
  OWN = alignUp(p, 8); p = OWN + <usize>flows;
  TLSS = alignUp(p, 8); p = TLSS + <usize>flows * 2;
  TLSM = alignUp(p, 64); p = TLSM + <usize>TLS_SLOTS * 16;
  TLSB = alignUp(p, 64); p = TLSB + <usize>TLS_SLOTS * TLS_SLOT_BYTES;
  ROWS = alignUp(p, 64); p = ROWS + <usize>rowRing * ROW_BATCH;
  IDX = alignUp(p, 64); p = IDX + slotsMax * 8;
  IDXTMP = alignUp(p, 64); p = IDXTMP + slotsMax * 4;
  REC = alignUp(p, 128); p = REC + <usize>flows * 128;
  const have = (<usize>memory.size()) << 16;
  if (p > have) { if (memory.grow(<i32>((p - have + 65535) >> 16)) < 0) return 0; }
  mask = slots0 - 1;
  return REC;
}
export function arenaOffset(): usize { return ARENA; }
export function vlanOffset(): usize { return VLAN; }
export function ifIndexOffset(): usize { return IFX; }
export function fileOffset(): usize { return FILE; }
export function inspectOffset(): usize { return INSP; }
export function ownOffset(): usize { return OWN; }
export function tlsSlotOffset(): usize { return TLSS; }
export function tlsMetaOffset(): usize { return TLSM; }
export function tlsBufferOffset(): usize { return TLSB; }
export function tlsSlots(): u32 { return TLS_SLOTS; }
export function tlsSlotBytes(): u32 { return TLS_SLOT_BYTES; }
export function dnsCacheOffset(): usize { return DNSC; }
export function dnsCacheSlots(): u32 { return DNS_SLOTS; }
export function sniCacheOffset(): usize { return SNIC; }
export function sniCacheSlots(): u32 { return SNI_SLOTS; }
export function usedFlows(): u32 { return used; }
export function liveFlows(): u32 { return live; }
export function indexSlots(): u32 { return mask + 1; }
export function expiredFlows(): u32 { return expired; }
export function now(): f64 { return nowSec; }
export function nowNs(): f64 { return nowNsec; }

@inline function fmix(h: u32): u32 {
  h ^= h >>> 16; h *= 0x85ebca6b;
  h ^= h >>> 13; h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** Canonical key of (src at s, sport) → (dst at d, dport) into QKEY and the k* globals. */
function setKey(s: usize, d: usize, sport: u32, dport: u32, proto: u32, vlan: i32): void {
  let flip = false;
  const s0 = load<u32>(s), d0 = load<u32>(d);
  if (s0 != d0) flip = s0 > d0;
  else {
    const s1 = load<u32>(s, 4), d1 = load<u32>(d, 4);
    if (s1 != d1) flip = s1 > d1;
    else {
      const s2 = load<u32>(s, 8), d2 = load<u32>(d, 8);
      if (s2 != d2) flip = s2 > d2;
      else {
        const s3 = load<u32>(s, 12), d3 = load<u32>(d, 12);
        if (s3 != d3) flip = s3 > d3;
        else flip = sport > dport;
      }
    }
  }
  const a = flip ? d : s, b = flip ? s : d;
  const k0 = load<u32>(a), k1 = load<u32>(a, 4), k2 = load<u32>(a, 8), k3 = load<u32>(a, 12);
  const k4 = load<u32>(b), k5 = load<u32>(b, 4), k6 = load<u32>(b, 8), k7 = load<u32>(b, 12);
  store<u32>(QKEY, k0); store<u32>(QKEY, k1, 4); store<u32>(QKEY, k2, 8); store<u32>(QKEY, k3, 12);
  store<u32>(QKEY, k4, 16); store<u32>(QKEY, k5, 20); store<u32>(QKEY, k6, 24); store<u32>(QKEY, k7, 28);
  const ports: u32 = flip ? (dport << 16) | sport : (sport << 16) | dport, meta = keyMeta(proto, vlan);
  kPorts = ports; kMeta = meta; kHash = keyHash(k0, k1, k2, k3, k4, k5, k6, k7, ports, meta); kFlipped = flip;
}

/** A key's protocol and (with --vlan-in-key) VLAN word. */
@inline function keyMeta(proto: u32, vlan: i32): u32 {
  return proto | (<u32>(vlanInKey && vlan >= 0 ? vlan + 1 : 0) << 8);
}

/** A canonical key's hash: each word times its own odd constant, summed (independent multiplies, no chain), then mixed. */
@inline function keyHash(k0: u32, k1: u32, k2: u32, k3: u32, k4: u32, k5: u32, k6: u32, k7: u32, ports: u32, meta: u32): u32 {
  return fmix((k0 * 0x9e3779b1 + k1 * 0x85ebca6b) + (k2 * 0xc2b2ae35 + k3 * 0x27d4eb2f) +
    (k4 * 0x165667b1 + k5 * 0xd3a2646d) + (k6 * 0xfd7046c5 + k7 * 0xb55a4f09) + (ports * 0x2545f491 + meta * 0x61c88647));
}

/** Flow id of the scratch key, or -1. */
@inline function find(): i32 {
  const h = kHash;
  let i = h & mask;
  const k0 = load<u32>(QKEY), k7 = load<u32>(QKEY, 28);
  for (;;) {
    const e = IDX + (<usize>i << 3);
    const v = load<i32>(e);
    if (v == 0) return -1;
    if (load<u32>(e, 4) == h) {
      const o = REC + (<usize>(v - 1) << 7);
      if (load<u32>(o, U_PORTS) == kPorts && load<u32>(o, U_META) == kMeta && load<u32>(o) == k0 && load<u32>(o, 28) == k7 &&
          load<u32>(o, 4) == load<u32>(QKEY, 4) && load<u32>(o, 8) == load<u32>(QKEY, 8) && load<u32>(o, 12) == load<u32>(QKEY, 12) &&
          load<u32>(o, 16) == load<u32>(QKEY, 16) && load<u32>(o, 20) == load<u32>(QKEY, 20) && load<u32>(o, 24) == load<u32>(QKEY, 24)) return v - 1;
    }
    i = (i + 1) & mask;
  }
  return -1; // unreachable: the index is never full
}

/** The flow of (src at KEY, dst at KEY+16) with these ports, protocol and VLAN, or -1 (ICMP errors' quoted flows). */
export function lookup(sport: u32, dport: u32, proto: u32, vlan: i32): i32 {
  setKey(KEY, KEY + 16, sport, dport, proto, vlan);
  return find();
}

function indexInsert(f: u32, h: u32): void {
  let i = h & mask;
  while (load<i32>(IDX + (<usize>i << 3)) != 0) i = (i + 1) & mask;
  const e = IDX + (<usize>i << 3);
  store<i32>(e, <i32>f + 1); store<u32>(e, h, 4);
}

function growIndex(): void {
  const slots = mask + 1;
  memory.copy(IDXTMP, IDX, <usize>slots * 8);
  memory.fill(IDX, 0, <usize>slots * 16);
  mask = slots * 2 - 1;
  for (let i: u32 = 0; i < slots; i++) {
    const e = IDXTMP + (<usize>i << 3);
    const v = load<i32>(e);
    if (v != 0) indexInsert(<u32>(v - 1), load<u32>(e, 4));
  }
}

// Finished flows packed here (setRows): the JavaScript side takes them in batches instead of being
// called for each flow, except the flows it marked as its own (OWN: those with ICMP errors or a
// tunnel, which it finishes itself: to its row sink with them, or as records).
const ROW_SLOTS: u32 = 4096, ROW_BYTES: usize = 144, ROW_BATCH: usize = <usize>ROW_SLOTS * ROW_BYTES;
let rowsOn = false;
let rowN: u32 = 0;
/** Row batches (init), and the one being filled. */
let rowRing: u32 = 1, rowBatch: u32 = 0;
/** Pack finished flows into the row batch (on), or hand each to the JavaScript side (off, the start). */
export function setRows(on: bool): void { rowsOn = on; }
/** Where the batch being filled starts. */
export function rowsOffset(): usize { return ROWS + <usize>rowBatch * ROW_BATCH; }
/** Rows in the batch. */
export function rowCount(): u32 { return rowN; }
/** Row batches there are room for (init). */
export function rowBatches(): u32 { return rowRing; }
/** The batch being filled. */
export function rowBatchNow(): u32 { return rowBatch; }
/**
 * The JavaScript side took the batch's rows: filling starts again, empty, in batch `next` (the
 * same one when its rows were copied out; another while a thread still reads them in place).
 */
export function rowsTaken(next: u32): void { rowN = 0; rowBatch = next < rowRing ? next : 0; }

/** Flow f is finished: packed into the row batch, or handed to the JavaScript side. */
function finish(f: i32): void {
  if (rowsOn && load<u8>(OWN + <usize>f) == 0) packRow(f);
  else finishFlow(f);
}

/**
 * Pack finished flow f into the row batch (its 128-byte record, then VLAN, interface, input and a
 * zero word, as table.ts packRow) and release it; a full batch is handed over first.
 */
export function packRow(f: i32): void {
  if (rowN == ROW_SLOTS) { rowsFull(); if (rowN == ROW_SLOTS) unreachable(); }
  const o = REC + (<usize>f << 7), to = ROWS + <usize>rowBatch * ROW_BATCH + <usize>rowN * ROW_BYTES;
  memory.copy(to, o, 128);
  store<i32>(to, <i32>load<i16>(VLAN + (<usize>f << 1)), 128);
  store<i32>(to, load<i32>(IFX + (<usize>f << 2)), 132);
  store<u32>(to, <u32>load<u16>(FILE + (<usize>f << 1)), 136);
  store<u32>(to, 0, 140);
  rowN++;
  release(<u32>f);
}

/** Forget flow f (after the JavaScript side emitted it): out of the index, not live, its id free. */
export function release(f: u32): void {
  const o = REC + (<usize>f << 7);
  const h = load<u32>(o, U_HASH);
  let i = h & mask;
  for (;;) {
    const v = load<i32>(IDX + (<usize>i << 3));
    if (v == <i32>f + 1) break;
    if (v == 0) { i = 0xffffffff; break; } // not indexed (cannot happen)
    i = (i + 1) & mask;
  }
  if (i != 0xffffffff) {
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const ej = IDX + (<usize>j << 3);
      if (load<i32>(ej) == 0) break;
      const home = load<u32>(ej, 4) & mask;
      const inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!inRange) { const ei = IDX + (<usize>i << 3); store<i32>(ei, load<i32>(ej)); store<u32>(ei, load<u32>(ej, 4), 4); i = j; }
    }
    const ei = IDX + (<usize>i << 3);
    store<i32>(ei, 0); store<u32>(ei, 0, 4);
  }
  store<u32>(o, 0, U_STATE);
  // (a ClientHello still being put together will not be finished: its slot is free for others)
  if (load<u16>(TLSS + (<usize>f << 1)) != 0) tlsEnd(<i32>f);
  store<u32>(FREE + (<usize>freeTop << 2), f);
  freeTop++;
  live--;
}

function alloc(): u32 {
  if (live >= maxFlows) evictOne();
  let f: u32;
  if (freeTop > 0) { freeTop--; f = load<u32>(FREE + (<usize>freeTop << 2)); }
  else f = used++;
  if ((live + 1) * 2 > mask + 1) growIndex(); // load ≤ 0.5
  live++;
  return f;
}

@inline function timeoutClass(proto: u32, os: u32, rs: u32): u32 {
  if (proto == 6) {
    if (os == RESET || rs == RESET || (os == CLOSED && rs == CLOSED)) return TO_TCP_CLOSED;
    if (os == CLOSED || rs == CLOSED) return TO_TCP_HALF;
    if ((os == SYN_SENT || os == SYN_ACK_SENT) && rs == INACTIVE) return TO_TCP_ATTEMPT;
    if (rs == SYN_ACK_SENT && os == INACTIVE) return TO_TCP_ATTEMPT;
    return TO_TCP_EST;
  }
  if (proto == 17) return TO_UDP;
  if (proto == 1 || proto == 58) return TO_ICMP;
  return TO_OTHER;
}

function tcpStep(origState: u32, respState: u32, isOrig: bool, flags: u32, payloadLen: u32): u32 {
  let e = isOrig ? origState : respState;
  let p = isOrig ? respState : origState;
  const syn = (flags & SYN) != 0, ack = (flags & ACK) != 0, fin = (flags & FIN) != 0, rst = (flags & RST) != 0;
  if (e == INACTIVE) {
    if (syn) {
      if (isOrig) e = ack ? SYN_ACK_SENT : SYN_SENT;
      else {
        if (p == SYN_SENT) p = ESTABLISHED;
        e = ESTABLISHED;
      }
    }
    if (fin) e = CLOSED;
    if (rst) e = RESET;
    if (e == INACTIVE) {
      const origSt = isOrig ? e : p;
      if (!isOrig && payloadLen == 0 && origSt == SYN_SENT) { /* early ACK of a SYN: not partial */ }
      else if (ack && p == ESTABLISHED) e = ESTABLISHED;
      else e = PARTIAL;
    }
  } else if (e == SYN_SENT || e == SYN_ACK_SENT) {
    if (fin) e = CLOSED;
    if (rst) e = RESET;
  } else if (e == ESTABLISHED || e == PARTIAL) {
    if (syn && e == PARTIAL && p == INACTIVE && !ack) e = SYN_SENT;
    if (fin && !rst) e = CLOSED;
    if (rst) e = RESET;
  } else if (e == CLOSED) {
    if (rst && p != CLOSED) e = RESET;
  }
  return isOrig ? (e << 4) | p : (p << 4) | e;
}

@inline function historyLetter(flags: u32, payloadLen: u32): i32 {
  const syn = (flags & SYN) != 0, fin = (flags & FIN) != 0, rst = (flags & RST) != 0;
  const n = <i32>syn + <i32>fin + <i32>rst;
  if (n > 1) return fin && rst ? H_I : H_Q;
  if (n == 1) {
    if (syn) return (flags & ACK) != 0 ? H_H : H_S;
    if (fin) return H_F;
    return H_R;
  }
  if (payloadLen > 0) return H_D;
  if ((flags & ACK) != 0) return H_A;
  return -1;
}

function addHistory(o: usize, letter: u32): void {
  const hw = load<u32>(o, U_HIST), m = hw & 0xffff;
  if ((m & (1 << letter)) != 0) return;
  const base = letter & 8, l = letter & 7;
  if ((l == H_S || l == H_H) && (m & ((1 << (base + H_S)) | (1 << (base + H_H)))) != 0) return;
  const n = popcnt<u32>(m);
  if (n < 8) store<u32>(o, load<u32>(o, U_HIST0) | (letter << (n * 4)), U_HIST0);
  else store<u32>(o, load<u32>(o, U_HIST1) | (letter << ((n - 8) * 4)), U_HIST1);
  store<u32>(o, (hw & 0xffff0000) | m | (1 << letter), U_HIST);
}

@inline function icmpPair(proto: u32, type: i32): i32 {
  if (type < 0 || type > 255) return -1;
  return <i32>load<i16>(PAIR + (proto == 58 ? 512 : 0) + (<usize>type << 1));
}

function create(proto: u32, hasPorts: bool, sport: u32, dport: u32, flags: u32, icmpType: i32, icmpCode: i32,
  vlan: i32, tsSec: f64, tsNsec: f64, fileIndex: u32, ifIndex: i32): u32 {
  const f = alloc();
  const o = REC + (<usize>f << 7);
  memory.copy(o, QKEY, 32);
  store<u32>(o, kPorts, U_PORTS); store<u32>(o, kMeta, U_META); store<u32>(o, kHash, U_HASH);
  let receiverOrig = false, inferred = true;
  if (proto == 6) {
    if ((flags & SYN) != 0 && (flags & ACK) == 0) inferred = false;
    else if ((flags & SYN) != 0) receiverOrig = true;
    else if (hasPorts) receiverOrig = load<u8>(SVC + sport) == 1 && load<u8>(SVC + dport) != 1;
  } else if (proto == 1 || proto == 58) {
    if (icmpType >= 0 && icmpType <= 255 && load<u8>(REPLY + (proto == 58 ? 256 : 0) + <usize>icmpType) == 1) receiverOrig = true;
    else inferred = false;
  } else if (hasPorts) receiverOrig = load<u8>(SVC + sport) == 1 && load<u8>(SVC + dport) != 1;
  const origIsB = kFlipped != receiverOrig;
  store<u32>(o, B_LIVE | (origIsB ? B_ORIG_IS_B : 0) | (inferred ? B_INFERRED : 0) | (receiverOrig ? B_FLIPPED : 0), U_STATE);
  let aux: u32 = icmpType >= 0 ? ((<u32>icmpType & 255) << 8) | (<u32>icmpCode & 255) : 0;
  if (receiverOrig && icmpType >= 0) {
    const cp = icmpPair(proto, icmpType);
    if (cp >= 0) aux = (<u32>cp & 255) << 8;
  }
  store<u32>(o, aux << 16, U_HIST);
  store<u32>(o, 0, U_HIST0); store<u32>(o, 0, U_HIST1);
  store<u32>(o, <u32>tsNsec, U_LNSEC);
  store<f64>(o, tsSec, D_LSEC); store<f64>(o, tsSec, D_FSEC); store<f64>(o, tsNsec, D_FNSEC);
  store<f64>(o, 0, D_PKTO); store<f64>(o, 0, D_PKTR); store<f64>(o, 0, D_BYTO); store<f64>(o, 0, D_BYTR);
  store<i16>(VLAN + (<usize>f << 1), <i16>vlan);
  store<i32>(IFX + (<usize>f << 2), ifIndex);
  store<u16>(FILE + (<usize>f << 1), <u16>fileIndex);
  store<u8>(INSP + <usize>f, 0);
  if (load<u16>(TLSS + (<usize>f << 1)) != 0) tlsEnd(<i32>f); // a ClientHello of the flow that had this id
  indexInsert(f, kHash);
  return f;
}

/**
 * Finish every flow idle past its timeout at (sec, nsec), in flow-id order (an expiry sweep).
 * Returns how many.
 *
 * The flows to finish are taken in groups of EXPQ_N: while the group is gathered, each one's index
 * slot is read, so that the slots (last touched when the flow last had a packet, so mostly out of
 * the caches) come in together rather than one by one in release(). Finishing a flow changes no
 * other flow's record, so the group gives what finishing each as it is found gives (the same
 * flows, in the same order); on the 12 M small-packet capture, the engine alone took 0.97× the time.
 */
export function expire(sec: f64, nsec: f64): u32 {
  let n: u32 = 0, k: u32 = 0, slots: u32 = 0;
  for (let f: u32 = 0; f < used; f++) {
    const o = REC + (<usize>f << 7);
    const state = load<u32>(o, U_STATE);
    if ((state & B_LIVE) == 0) continue;
    const idle = (sec - load<f64>(o, D_LSEC)) + (nsec - <f64>load<u32>(o, U_LNSEC)) / 1e9;
    if (idle <= minTimeout) continue;
    const st = state >>> 24;
    if (idle > load<f64>(TO + (<usize>timeoutClass(load<u32>(o, U_META) & 255, st >> 4, st & 15) << 3))) {
      slots += load<u32>(IDX + (<usize>(load<u32>(o, U_HASH) & mask) << 3));
      store<u32>(EXPQ + (<usize>k << 2), f);
      if (++k == EXPQ_N) { finishGroup(k); n += k; k = 0; }
    }
  }
  finishGroup(k);
  n += k;
  slotSink += slots;
  return n;
}

/** Finish the first k flows of EXPQ. */
function finishGroup(k: u32): void {
  for (let i: u32 = 0; i < k; i++) finish(<i32>load<u32>(EXPQ + (<usize>i << 2)));
  expired += k;
}

/** What expire() read of the index slots (kept, so that the reads are not dropped as unused). */
let slotSink: u32 = 0;

/** Move the clock to a packet's time when it is later (update does it itself). */
export function advance(tsSec: f64, tsNsec: f64): void {
  if (tsSec > nowSec || (tsSec == nowSec && tsNsec > nowNsec)) { nowSec = tsSec; nowNsec = tsNsec; }
}

/**
 * Account one packet (source and destination words at KEY) whose ports (or ICMP id) are given;
 * ICMP errors and port-less fragments are the JavaScript side's. Returns (flow id << 2) |
 * (sent by the originator << 1) | (created the flow).
 */
export function update(proto: u32, hasPorts: bool, sport: u32, dport: u32, vlan: i32, tsSec: f64, tsNsec: f64,
  fileIndex: u32, ifIndex: i32, flags: u32, flagsKnown: bool, payloadLen: u32, ipLen: f64, fragment: u32,
  icmpType: i32, icmpCode: i32): i32 {
  setKey(KEY, KEY + 16, sport, dport, proto, vlan);
  return account(proto, hasPorts, sport, dport, vlan, tsSec, tsNsec, fileIndex, ifIndex, flags, flagsKnown, payloadLen, ipLen, fragment, icmpType, icmpCode);
}

/**
 * The canonical key of an IPv4 packet (addresses a → b as 32-bit numbers) into QKEY and the k*
 * globals: what setKey gives for the same addresses IPv4-mapped at KEY, without going through it.
 */
function setKeyV4(a: u32, b: u32, sport: u32, dport: u32, proto: u32, vlan: i32): void {
  const flip = a != b ? a > b : sport > dport;
  const k3 = flip ? b : a, k7 = flip ? a : b;
  store<u64>(QKEY, 0); store<u32>(QKEY, 0xffff, 8); store<u32>(QKEY, k3, 12);
  store<u64>(QKEY, 0, 16); store<u32>(QKEY, 0xffff, 24); store<u32>(QKEY, k7, 28);
  const ports: u32 = flip ? (dport << 16) | sport : (sport << 16) | dport, meta = keyMeta(proto, vlan);
  // (the mapped words are constants: the compiler folds their products)
  kPorts = ports; kMeta = meta; kHash = keyHash(0, 0, 0xffff, k3, 0, 0, 0xffff, k7, ports, meta); kFlipped = flip;
}

/**
 * Whether flow f ends before a packet at (tsSec, tsNsec) with these TCP flags is accounted: 1 when
 * it has been idle past its timeout, 2 when a SYN reuses the 5-tuple of a closed TCP flow, else 0.
 */
@inline function endsBefore(f: i32, proto: u32, flags: u32, tsSec: f64, tsNsec: f64): u32 {
  const o = REC + (<usize>f << 7);
  const ds = tsSec - load<f64>(o, D_LSEC);
  // (the fraction's share is under a second: a flow idle less than the shortest timeout less one second is not looked at further)
  const idle = ds <= minTimeout - 1 ? ds : ds + (tsNsec - <f64>load<u32>(o, U_LNSEC)) / 1e9;
  const st = load<u32>(o, U_STATE) >>> 24;
  if (idle > minTimeout && idle > load<f64>(TO + (<usize>timeoutClass(load<u32>(o, U_META) & 255, st >> 4, st & 15) << 3))) return 1;
  if (proto == 6 && (flags & (SYN | ACK)) == SYN && timeoutClass(6, st >> 4, st & 15) == TO_TCP_CLOSED) return 2;
  return 0;
}

/** update() once the key is set (setKey or setKeyV4). */
@inline function account(proto: u32, hasPorts: bool, sport: u32, dport: u32, vlan: i32, tsSec: f64, tsNsec: f64,
  fileIndex: u32, ifIndex: i32, flags: u32, flagsKnown: bool, payloadLen: u32, ipLen: f64, fragment: u32,
  icmpType: i32, icmpCode: i32): i32 {
  advance(tsSec, tsNsec);
  let f = find();
  if (f >= 0) {
    const why = endsBefore(f, proto, flags, tsSec, tsNsec);
    if (why == 1) { expired++; finish(f); f = -1; }
    else if (why == 2) { portReuse(curIndex); finish(f); f = -1; }
  }
  let created = false;
  if (f < 0) {
    f = <i32>create(proto, hasPorts, sport, dport, flags, icmpType, icmpCode, vlan, tsSec, tsNsec, fileIndex, ifIndex);
    created = true;
  }
  const o = REC + (<usize>f << 7);
  let state = load<u32>(o, U_STATE);
  const isOrig = kFlipped == ((state & B_ORIG_IS_B) != 0);
  const ret = (f << 2) | (isOrig ? 2 : 0) | (created ? 1 : 0);
  const lsec = load<f64>(o, D_LSEC);
  if (tsSec > lsec || (tsSec == lsec && tsNsec > <f64>load<u32>(o, U_LNSEC))) { store<f64>(o, tsSec, D_LSEC); store<u32>(o, <u32>tsNsec, U_LNSEC); }
  if (fragment == 2 && !created) {
    const bo = o + (isOrig ? D_BYTO : D_BYTR);
    store<f64>(bo, load<f64>(bo) + ipLen);
    return ret;
  }
  if (isOrig) { store<f64>(o, load<f64>(o, D_PKTO) + 1, D_PKTO); store<f64>(o, load<f64>(o, D_BYTO) + ipLen, D_BYTO); }
  else { store<f64>(o, load<f64>(o, D_PKTR) + 1, D_PKTR); store<f64>(o, load<f64>(o, D_BYTR) + ipLen, D_BYTR); }
  if (proto == 6 && !flagsKnown) return ret; // the snaplen cut the TCP header: no flags, state or history
  if (payloadLen > 0) state |= B_PAYLOAD;
  if (proto == 6) {
    state |= isOrig ? flags << 8 : flags << 16;
    const st = state >>> 24;
    state = (state & 0x00ffffff) | (tcpStep(st >> 4, st & 15, isOrig, flags, payloadLen) << 24);
    store<u32>(o, state, U_STATE);
    const l = historyLetter(flags, payloadLen);
    if (l >= 0) { const letter = isOrig ? <u32>l : <u32>l + 8; if ((load<u32>(o, U_HIST) & (1 << letter)) == 0) addHistory(o, letter); }
  } else {
    store<u32>(o, state, U_STATE);
    if (payloadLen > 0) { const letter = isOrig ? H_D : H_D + 8; if ((load<u32>(o, U_HIST) & (1 << letter)) == 0) addHistory(o, letter); }
  }
  return ret;
}

/**
 * plain() is taking the inner packet of a tunnel (VXLAN, Geneve, GRE, ERSPAN), whose VLAN (-1: none)
 * keys the flow (else -1); its kind (decode/packet.ts Tunnel) and outer IP header (v6: IPv6).
 */
let inTunnel = false, tunnelVlan: i32 = -1, tunnelKind: u32 = 0, tunnelIp: usize = 0, tunnelV6 = false;
/** Hand a tunnelled flow the core creates to the JavaScript side (newTunnelFlow; off: the flow is like any other). */
let tunnelsOn = true;
export function setTunnelFlows(on: bool): void { tunnelsOn = on; }
/** decode/packet.ts Tunnel. */
const TK_GRE: u32 = 1, TK_VXLAN: u32 = 2, TK_GENEVE: u32 = 3, TK_ERSPAN: u32 = 7;

/** Payload packets per flow the JavaScript side looks at for names (engine.ts INSPECT_MAX). */
const INSPECT_MAX: u32 = 8;

@inline function be16(p: usize): u32 { return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }

/**
 * The decoder's fast path (Decoder #plain in src/decode/decoder.ts: the same links, at most one
 * 802.1Q tag, IPv4 without options or fragments or IPv6 without extension headers, TCP or UDP
 * that is not a tunnel's, its headers captured and consistent) and update() in one call, for a
 * packet whose `cap` captured bytes (of `wire` on the wire: the snaplen may have cut its payload)
 * are in this memory at `off`. Returns -1 when the packet is not such a packet (nothing changed:
 * the JavaScript decoder takes it), else (flow id << 5) | (inside a tunnel << 4) | (its payload was
 * cut << 3) | (its payload is to be looked at for names << 2) | (sent by the originator << 1) |
 * (created the flow). A VXLAN, Geneve or GRE packet (ERSPAN included; not cut)
 * whose inner packet is such a packet is accounted by the inner packet (a flow it creates is
 * handed to the JavaScript side with the tunnel's kind and outer endpoints: newTunnelFlow).
 *
 * Names (engine.ts #inspect): a payload from port 53 or a client's payload that starts like a TLS
 * handshake record is the JavaScript side's to look at, as is any client payload of a flow whose
 * split ClientHello is being put together (tlsStart) but that the core puts together itself while
 * the segments come in order (see tlsAppend), unless it is in the name caches (a UDP DNS
 * message or a ClientHello seen before, see dnsRepeat and sniRepeat). Any other client payload
 * within the first INSPECT_MAX only counts as looked at, here. A payload the snaplen cut is looked
 * at only as far as it was captured: by the JavaScript side, whenever it would be looked at.
 */
export function plain(off: usize, cap: u32, wire: u32, link: u32, tsSec: f64, tsNsec: f64, fileIndex: u32, ifIndex: i32): i32 {
  // the captured end, and the end on the wire (past the first when the snaplen cut the packet)
  const end = off + <usize>cap, wireEnd = off + <usize>wire;
  // (a tunnel's inner frame: its 802.1Q tag is not the flow's VLAN, the outer packet's is)
  let type: u32, p: usize, vlan: i32 = tunnelVlan;
  if (link == 1) { // Ethernet
    if (cap < 14) return -1;
    type = be16(off + 12); p = off + 14;
  } else if (link == 113) { // Linux cooked v1
    if (cap < 16) return -1;
    type = be16(off + 14); p = off + 16;
  } else if (link == 276) { // Linux cooked v2
    if (cap < 20) return -1;
    type = be16(off); p = off + 20;
  } else if (link == 101 || link == 12 || link == 14 || link == 228 || link == 229) { // raw IP
    if (cap < 1) return -1;
    const v = <u32>load<u8>(off) >> 4;
    if (v == 4 && link != 229) type = 0x0800;
    else if (v == 6 && link != 228) type = 0x86dd;
    else return -1;
    p = off;
  } else return -1;
  if (type == 0x8100) {
    if (end - p < 4) return -1;
    if (!inTunnel) vlan = <i32>(be16(p) & 0x0fff);
    type = be16(p + 2);
    p += 4;
  }
  let ipEnd: usize, q: usize, proto: u32, v6 = false;
  if (type == 0x0800) {
    if (end - p < 20 || load<u8>(p) != 0x45) return -1;
    const total = <usize>be16(p + 2);
    if (total < 20 || p + total > wireEnd || (be16(p + 6) & 0x3fff) != 0) return -1;
    ipEnd = p + total; q = p + 20; proto = load<u8>(p + 9);
  } else if (type == 0x86dd) {
    if (end - p < 40 || (<u32>load<u8>(p) >> 4) != 6) return -1;
    proto = load<u8>(p + 6);
    const plen = <usize>be16(p + 4);
    if ((proto != 6 && proto != 17 && proto != 47) || plen == 0 || p + 40 + plen > wireEnd) return -1;
    ipEnd = p + 40 + plen; q = p + 40; v6 = true;
  } else return -1;
  // (the transport header must be captured whole; its payload may be cut)
  const segLen = <u32>(ipEnd - q), capEnd = ipEnd < end ? ipEnd : end;
  let sport: u32, dport: u32, len: u32, flags: u32 = 0, at: usize = 0;
  if (proto == 6) {
    if (segLen < 20 || capEnd - q < 20) return -1;
    const hl = (<u32>load<u8>(q + 12) >> 4) << 2;
    if (hl < 20 || hl > segLen || q + <usize>hl > capEnd) return -1;
    sport = be16(q); dport = be16(q + 2);
    flags = load<u8>(q + 13);
    len = segLen - hl; at = q + <usize>hl;
  } else if (proto == 17) {
    if (segLen < 8 || capEnd - q < 8) return -1;
    const ulen = be16(q + 4);
    if ((ulen != 0 && ulen < 8) || ulen > segLen) return -1;
    sport = be16(q); dport = be16(q + 2);
    // (VXLAN, then Geneve, as the decoder tries them; Teredo is the JavaScript side's)
    if ((sport == 4789 || dport == 4789 || sport == 6081 || dport == 6081) && !inTunnel && cap == wire)
      return tunnel(sport == 4789 || dport == 4789 ? T_VXLAN : T_GENEVE, p, v6, q, ulen != 0 ? q + <usize>ulen : ipEnd, capEnd, vlan, tsSec, tsNsec, fileIndex, ifIndex);
    if (sport == 4789 || dport == 4789 || sport == 6081 || dport == 6081 || sport == 3544 || dport == 3544) return -1;
    len = (ulen == 0 ? segLen : ulen) - 8; at = q + 8;
  } else return proto == 47 && !inTunnel && cap == wire ? tunnel(T_GRE, p, v6, q, capEnd, capEnd, vlan, tsSec, tsNsec, fileIndex, ifIndex) : -1;
  // the payload bytes captured (fewer than len when the snaplen cut it)
  const clen: u32 = at + <usize>len <= capEnd ? len : <u32>(capEnd - at);
  if (v6) {
    const x = p + 8;
    store<u32>(KEY, be32(x)); store<u32>(KEY, be32(x + 4), 4); store<u32>(KEY, be32(x + 8), 8); store<u32>(KEY, be32(x + 12), 12);
    store<u32>(KEY, be32(x + 16), 16); store<u32>(KEY, be32(x + 20), 20); store<u32>(KEY, be32(x + 24), 24); store<u32>(KEY, be32(x + 28), 28);
    setKey(KEY, KEY + 16, sport, dport, proto, vlan);
  } else setKeyV4(be32(p + 12), be32(p + 16), sport, dport, proto, vlan);
  const r = account(proto, true, sport, dport, vlan, tsSec, tsNsec, fileIndex, ifIndex, flags, true, len, <f64>(ipEnd - p), 0, -1, -1);
  const f = r >> 2, isOrig = (r & 2) != 0;
  if (inTunnel && (r & 1) != 0 && tunnelsOn) newTunnelFlow(f);
  let inspect = false;
  if (clen > 0) {
    const n = <u32>load<u8>(INSP + <usize>f);
    if (n < INSPECT_MAX) {
      if (clen < len) inspect = sport == 53 || (proto == 6 && isOrig);
      else if (sport == 53) {
        if (proto == 17 ? dnsOn && len >= 12 && dnsRepeat(q + 8, len) : dnsTcpOn && len >= 14 && be16(at) == len - 2 && dnsRepeat(at + 2, len - 2)) {
          store<u8>(INSP + <usize>f, <u8>(n + 1)); dnsHits++;
        }
        else inspect = true;
      } else if (proto == 6 && isOrig) {
        const s = <u32>load<u16>(TLSS + (<usize>f << 1));
        if (s != 0) inspect = tlsAppend(s - 1, f, n, be32(q + 4), at, len);
        else if (len >= 6 && load<u8>(at) == 0x16 && load<u8>(at + 1) == 0x03) {
          if (sniOn && len < SNI_MIN_BYTES) tlsFirst(f, n, be32(q + 4), at, len);
          else if (sniOn && sniRepeat(at, len, f)) { store<u8>(INSP + <usize>f, 255); sniHits++; }
          else inspect = true;
        } else store<u8>(INSP + <usize>f, <u8>(n + 1));
      }
    }
  }
  return (f << 5) | (clen < len ? 8 : 0) | (inspect ? 4 : 0) | (r & 3);
}

/** The tunnels plain() hands to tunnel(). */
const T_VXLAN: u32 = 0, T_GENEVE: u32 = 1, T_GRE: u32 = 2;

/**
 * A tunnel's packet (not cut; its outer IP header at ip), `kind` T_*: its inner frame or packet
 * taken by plain() as a packet of its own (inTunnel: keyed with the outer packet's VLAN; a flow it
 * creates is handed to the JavaScript side with the tunnel's kind and outer endpoints,
 * newTunnelFlow). plain()'s result with bit 4 set, or -1.
 *   - T_VXLAN (Decoder #vxlan): the UDP header at q, the datagram ending at dEnd (captured to
 *     capEnd); an 8-byte header with flag I, then an Ethernet frame.
 *   - T_GENEVE (Decoder #geneve): as VXLAN; version 0, its options, then an Ethernet frame or an
 *     IPv4 or IPv6 packet as its protocol type says.
 *   - T_GRE (Decoder #gre, #erspan): the GRE header at q, captured to capEnd (= dEnd); version 0
 *     with at most a key and a sequence number, then an Ethernet frame (0x6558), an IPv4 or IPv6
 *     packet, or ERSPAN's mirrored Ethernet frame (type I; type II; type III of the Ethernet
 *     frame type, with or without its platform subheader).
 * (A function of its own, called from more than one place, so that it stays out of plain(), as
 * the common packet's code: plain() was kept as close as could be to its form before tunnels.)
 */
function tunnel(kind: u32, ip: usize, v6: bool, q: usize, dEnd: usize, capEnd: usize, vlan: i32, tsSec: f64, tsNsec: f64, fileIndex: u32, ifIndex: i32): i32 {
  const end = dEnd < capEnd ? dEnd : capEnd;
  let at: usize, link: i32 = 1, tk = TK_VXLAN;
  if (kind == T_VXLAN) {
    const v = q + 8;
    if (end - v < 8 || (load<u8>(v) & 8) == 0) return -1;
    at = v + 8;
  } else if (kind == T_GENEVE) {
    const g = q + 8;
    if (end - g < 8) return -1;
    const b0 = <u32>load<u8>(g);
    if ((b0 >> 6) != 0) return -1;
    at = g + 8 + (<usize>(b0 & 0x3f) << 2);
    link = innerLink(be16(g + 2));
    tk = TK_GENEVE;
  } else {
    if (end - q < 4) return -1;
    const fv = be16(q), ptype = be16(q + 2);
    if ((fv & 0xcfff) != 0) return -1; // (checksum, routing, other flags, version 1: the JavaScript side)
    at = q + 4 + ((fv & 0x2000) != 0 ? 4 : 0) + ((fv & 0x1000) != 0 ? 4 : 0);
    tk = TK_GRE;
    if (ptype == 0x88be || ptype == 0x22eb) {
      tk = TK_ERSPAN;
      if (ptype == 0x22eb || (fv & 0x1000) != 0) {
        if (end < at + 12) return -1;
        const v = <u32>load<u8>(at) >> 4;
        if (v == 1) at += 8;
        else if (v == 2 && ((<u32>load<u8>(at + 10) >> 2) & 0x1f) == 0) at += (load<u8>(at + 11) & 1) != 0 ? 20 : 12;
        else return -1;
      }
    } else link = innerLink(ptype);
  }
  if (link < 0 || at >= end) return -1;
  inTunnel = true; tunnelVlan = vlan; tunnelKind = tk; tunnelIp = ip; tunnelV6 = v6;
  const r = plain(at, <u32>(end - at), <u32>(end - at), <u32>link, tsSec, tsNsec, fileIndex, ifIndex);
  inTunnel = false; tunnelVlan = -1;
  return r < 0 ? r : r | 16;
}

/**
 * Flow f was created by a tunnel's inner packet: the JavaScript side keeps the tunnel's kind and
 * outer endpoints (written at TUN) and emits the flow itself (a row has no room for them).
 */
function newTunnelFlow(f: i32): void {
  if (tunnelV6) {
    const x = tunnelIp + 8;
    for (let i: usize = 0; i < 32; i += 4) store<u32>(TUN + i, be32(x + i));
  } else {
    store<u32>(TUN, 0); store<u32>(TUN, 0, 4); store<u32>(TUN, 0xffff, 8); store<u32>(TUN, be32(tunnelIp + 12), 12);
    store<u32>(TUN, 0, 16); store<u32>(TUN, 0, 20); store<u32>(TUN, 0xffff, 24); store<u32>(TUN, be32(tunnelIp + 16), 28);
  }
  tunnelFlow(f, tunnelKind);
}

/** The link type plain() reads a tunnel's payload of this protocol type as (Ethernet; IPv4 or IPv6 alone), or -1. */
@inline function innerLink(ptype: u32): i32 {
  return ptype == 0x6558 ? 1 : ptype == 0x0800 ? 228 : ptype == 0x86dd ? 229 : -1;
}

// Split ClientHellos (engine.ts #inspect): the engine starts one when a client's first segment
// holds only the start of a TLS record (tlsStart, in a slot of TLS_SLOT_BYTES here); the core
// appends the following in-order client segments itself and hands the packet that completes it
// back (the engine parses it, then tlsEnd). The engine does the same for the packets it decodes.
const TLS_SLOTS: u32 = 4096, TLS_SLOT_BYTES: u32 = 4096;
let tlsUsed: u32 = 0, tlsFree: i32 = -1, tlsNew: u32 = 0;
/** Slots in use. */
export function tlsInUse(): u32 { return tlsUsed; }

/**
 * A slot for flow f's ClientHello of `need` bytes (≤ TLS_SLOT_BYTES) whose next segment starts at
 * sequence number `nextSeq`: its index (the engine copies the first bytes and sets `have`), or -1
 * when every slot is taken.
 */
export function tlsStart(f: i32, need: u32, nextSeq: u32): i32 {
  let s: i32;
  if (tlsFree >= 0) { s = tlsFree; tlsFree = load<i32>(TLSM + (<usize>s << 4), 12); }
  else if (tlsNew < TLS_SLOTS) { s = <i32>tlsNew; tlsNew++; }
  else return -1;
  const m = TLSM + (<usize>s << 4);
  store<u32>(m, need); store<u32>(m, 0, 4); store<u32>(m, nextSeq, 8);
  store<u16>(TLSS + (<usize>f << 1), <u16>(s + 1));
  tlsUsed++;
  return s;
}

/** Flow f's ClientHello is done with (parsed or given up): its slot is free. */
export function tlsEnd(f: i32): void {
  const a = TLSS + (<usize>f << 1), s = <i32>load<u16>(a) - 1;
  if (s < 0) return;
  store<u16>(a, 0);
  store<i32>(TLSM + (<usize>s << 4), tlsFree, 12);
  tlsFree = s;
  tlsUsed--;
}

/**
 * The fewest bytes from a TLS record's start to the end of a server name in a ClientHello
 * (src/decode/app/tls.ts locateTlsSni: record and handshake headers 9, version and random 34,
 * empty session id, cipher suites and compression lists 4, extensions length 2, extension header
 * 4, name list length 2, name header 3, one byte of name): a shorter segment names no server.
 */
const SNI_MIN_BYTES: u32 = 59;

/**
 * A client's TLS handshake record start of `len` bytes (fewer than SNI_MIN_BYTES) at `at`, the
 * flow's `n`th inspection, its TCP sequence number `seq`, with the default parser: what
 * engine.ts #inspect does with it (it finds no name in it), here. When the record continues
 * past the segment (and fits a slot, and a slot is free) its ClientHello is put together from
 * here on (tlsStart, this segment copied); either way the segment counts as looked at.
 */
function tlsFirst(f: i32, n: u32, seq: u32, at: usize, len: u32): void {
  const need: u32 = 5 + be16(at + 3);
  if (need > len && need <= TLS_SLOT_BYTES) {
    const s = tlsStart(f, need, seq + len);
    if (s >= 0) { memory.copy(TLSB + <usize>s * TLS_SLOT_BYTES, at, len); store<u32>(TLSM + (<usize>s << 4), len, 4); }
  }
  store<u8>(INSP + <usize>f, <u8>(n + 1));
}

/**
 * A client payload of flow f (`len` bytes at `at`, sequence number `seq`, the flow's `n`th
 * inspection) while its ClientHello in slot s is being put together, as engine.ts #inspect does:
 * a retransmission is passed over, a gap gives it up, an in-order segment is appended. Returns
 * whether the engine is to look at the packet (the ClientHello is complete).
 */
function tlsAppend(s: u32, f: i32, n: u32, seq: u32, at: usize, len: u32): bool {
  const m = TLSM + (<usize>s << 4), next = load<u32>(m, 8);
  if (seq != next) {
    if (<i32>(next - seq) <= 0) { tlsEnd(f); store<u8>(INSP + <usize>f, <u8>(n + 1)); }
    return false;
  }
  const need = load<u32>(m), have = load<u32>(m, 4);
  const take = len < need - have ? len : need - have;
  memory.copy(TLSB + <usize>s * TLS_SLOT_BYTES + <usize>have, at, take);
  store<u32>(m, have + take, 4); store<u32>(m, next + len, 8);
  if (have + take < need) { store<u8>(INSP + <usize>f, <u8>(n + 1)); return false; }
  return true;
}

// Name caches (engine.ts #inspect keeps them; the same hashes here): a DNS message (UDP, or alone in
// a TCP segment after its 2-byte length) equal but for its ID to one parsed before whose
// observations were all kept, and a ClientHello naming a server the same way as one kept before,
// add nothing, so such packets are counted as looked at here and do not go to the JavaScript side.
// Off until setNameCaches (the engine's parsers decide).
let dnsOn = false, dnsTcpOn = false, sniOn = false;
let dnsHits: u32 = 0, sniHits: u32 = 0;
/** Use the DNS cache (UDP: any DNS parser; TCP: the default parsers only) and the TLS server-name cache (the default parser only). */
export function setNameCaches(dns: bool, sni: bool, dnsTcp: bool): void { dnsOn = dns; sniOn = sni; dnsTcpOn = dnsTcp; }
/** Messages and ClientHellos recognised in the caches here since init. */
export function dnsRepeats(): u32 { return dnsHits; }
export function sniRepeats(): u32 { return sniHits; }

/** Whether the DNS message at p (len ≥ 12 bytes) is in the cache, not capped (engine.ts #dnsSlot's hash). */
function dnsRepeat(p: usize, len: u32): bool {
  let h1: u32 = 0x3c6ef372 ^ len, h2: u32 = 0x5bd1e995 ^ len;
  const end = p + <usize>len;
  let i = p + 2;
  for (; i + 4 <= end; i += 4) {
    const w = be32(i);
    h1 = rotl<u32>((h1 ^ w) * 0xcc9e2d51, 13);
    h2 = (h2 + w) * 0x1b873593; h2 ^= h2 >>> 15;
  }
  for (; i < end; i++) { const b = <u32>load<u8>(i); h1 = (h1 ^ b) * 0xcc9e2d51; h2 = (h2 + b) * 0x1b873593; }
  h1 = fmix(h1);
  h2 = fmix2(h2);
  const slot = DNSC + <usize>(h1 & (DNS_SLOTS - 1)) * 16;
  return load<u32>(slot) == h1 && load<u32>(slot, 4) == h2 && load<u32>(slot, 8) == len && load<u32>(slot, 12) == 0;
}

@inline function fmix2(h: u32): u32 {
  h ^= h >>> 16; h *= 0x7feb352d;
  h ^= h >>> 15; h *= 0x846ca68b;
  h ^= h >>> 16;
  return h;
}

/**
 * Whether the ClientHello at p (len bytes) names its server (flow f's responder) as one in the
 * cache (engine.ts #sniSlot's hash over the name located as locateTlsSni in src/decode/app/tls.ts).
 */
function sniRepeat(p: usize, len: u32, f: i32): bool {
  const end = p + <usize>len;
  if (len < 9 || load<u8>(p) != 22 || load<u8>(p + 1) != 3) return false;
  let recEnd = p + 5 + <usize>be16(p + 3);
  if (recEnd > end) recEnd = end;
  let q = p + 5;
  if (load<u8>(q) != 1) return false;
  let hsEnd = q + 4 + <usize>((<u32>load<u8>(q + 1) << 16) | (<u32>load<u8>(q + 2) << 8) | <u32>load<u8>(q + 3));
  if (hsEnd > recEnd) hsEnd = recEnd;
  q += 4 + 2 + 32;
  if (q + 1 > hsEnd) return false;
  q += 1 + <usize>load<u8>(q);
  if (q + 2 > hsEnd) return false;
  q += 2 + <usize>be16(q);
  if (q + 1 > hsEnd) return false;
  q += 1 + <usize>load<u8>(q);
  if (q + 2 > hsEnd) return false;
  let extEnd = q + 2 + <usize>be16(q);
  if (extEnd > hsEnd) extEnd = hsEnd;
  q += 2;
  let name: usize = 0, nlen: u32 = 0;
  while (q + 4 <= extEnd) {
    const type = be16(q), elen = <usize>be16(q + 2), d = q + 4;
    if (d + elen > extEnd) return false;
    if (type == 0) {
      if (elen < 2) return false;
      let listEnd = d + 2 + <usize>be16(d);
      if (listEnd > d + elen) listEnd = d + elen;
      let e = d + 2;
      while (e + 3 <= listEnd) {
        const nt = load<u8>(e), l = be16(e + 1);
        if (e + 3 + <usize>l > listEnd) return false;
        if (nt == 0 && l > 0) { name = e + 3; nlen = l; break; }
        e += 3 + <usize>l;
      }
      break;
    }
    q = d + elen;
  }
  if (nlen == 0) return false;
  let h1: u32 = 0x6a09e667 ^ nlen, h2: u32 = 0x3c6ef372 ^ nlen;
  const o = REC + (<usize>f << 7), resp = o + ((load<u32>(o + U_STATE) & B_ORIG_IS_B) != 0 ? 0 : 16);
  for (let k: usize = 0; k < 16; k += 4) {
    const w = load<u32>(resp + k);
    h1 = rotl<u32>((h1 ^ w) * 0xcc9e2d51, 13);
    h2 = (h2 + w) * 0x1b873593; h2 ^= h2 >>> 15;
  }
  for (let i = name, e = name + <usize>nlen; i < e; i++) {
    const b = <u32>load<u8>(i);
    h1 = rotl<u32>((h1 ^ b) * 0xcc9e2d51, 13);
    h2 = (h2 + b) * 0x1b873593; h2 ^= h2 >>> 15;
  }
  h1 = fmix(h1);
  h2 = fmix2(h2);
  const slot = SNIC + <usize>(h1 & (SNI_SLOTS - 1)) * 12;
  return load<u32>(slot) == h1 && load<u32>(slot, 4) == h2 && load<u32>(slot, 8) == nlen;
}

// batch() results (read through the getters below); the count, bytes and time span add up over the
// calls since batchStart()
let bEnd: usize = 0, bLastPos: usize = 0, bInspect = false, bFlow: i32 = 0, bLastCap: u32 = 0, bLastOrig: u32 = 0, bLastTsSec: f64 = 0, bLastTsNsec: f64 = 0;
let bCount: u32 = 0, bCut: u32 = 0, bTunnel: u32 = 0, bBytes: f64 = 0, bFirstSec: f64 = 0, bFirstNsec: f64 = 0, bLastSec: f64 = 0, bLastNsec: f64 = 0;
// the time bound of batch() and batchNg(): a record later than (bndSec, bndNsec), or at it when not
// bndTie, is not taken (several inputs merged by time: another input's packet goes first)
let bndSec: f64 = Infinity, bndNsec: f64 = 0, bndTie = true;
/** Start adding up batch() calls (their count, bytes and time span). */
export function batchStart(): void { bCount = 0; bCut = 0; bTunnel = 0; bBytes = 0; }
/** Packets taken since batchStart() from inside a tunnel (but the last one, when it is to be looked at for names). */
export function batchTunnel(): u32 { return bTunnel; }
/** Packets taken since batchStart() whose payload the snaplen cut (but the last one, when it is to be looked at for names). */
export function batchCut(): u32 { return bCut; }
/** Bound the records batch() and batchNg() take by time (sec = Infinity: no bound); `tie`: one at the bound itself is taken. */
export function batchBound(sec: f64, nsec: f64, tie: bool): void { bndSec = sec; bndNsec = nsec; bndTie = tie; }
/** Whether a record at (sec, nsec) is past the time bound. */
@inline function pastBound(sec: f64, nsec: f64): bool {
  return sec >= bndSec && (sec > bndSec || nsec > bndNsec || (nsec == bndNsec && !bndTie));
}
export function batchEnd(): usize { return bEnd; }
/** Where the last record batch() took starts (its 16-byte header), its captured length, its length on the wire and its time. */
export function batchLastPos(): usize { return bLastPos; }
export function batchLastCap(): u32 { return bLastCap; }
export function batchLastOrig(): u32 { return bLastOrig; }
export function batchLastTsSec(): f64 { return bLastTsSec; }
export function batchLastTsNsec(): f64 { return bLastTsNsec; }
export function batchBytes(): f64 { return bBytes; }
/** Whether the last record batch() took is to be looked at for names (then batchFlow() is its flow, and the originator bit is in batchFlow's bit 0). */
export function batchInspect(): bool { return bInspect; }
export function batchFlow(): i32 { return bFlow; }
export function batchFirstSec(): f64 { return bFirstSec; }
export function batchFirstNsec(): f64 { return bFirstNsec; }
export function batchLastSec(): f64 { return bLastSec; }
export function batchLastNsec(): f64 { return bLastNsec; }

/**
 * Take classic pcap records from [pos, lim) of this memory, as PcapParser.next and the engine
 * would one by one, while each is whole in the chunk, free of anything the reader counts as an
 * anomaly (a timestamp fraction out of range, more bytes than the snaplen or than on the wire), and
 * a fast-path packet (plain(): its headers captured, its payload possibly cut by the snaplen); at
 * most `budget` records, and up
 * to and including the first whose payload is to be looked at for names. Returns how many were
 * taken; batchEnd() is where the next record starts, batchInspect() whether the last one is to be
 * inspected, and the other getters what the reader notes (bytes, first and last time) of every
 * record taken since batchStart(), and batchCut() how many had their payload cut.
 * `index0` is the first record's packet index. A record past the time bound (batchBound) ends the
 * batch too.
 */
export function batch(pos: usize, lim: usize, isLe: bool, ns: bool, snaplen: u32, maxRecord: u32, link: u32,
  fileIndex: u32, ifIndex: i32, index0: f64, budget: u32): u32 {
  let n: u32 = 0;
  bInspect = false;
  const fracMax: u32 = ns ? 1000000000 : 1000000, fracMul: f64 = ns ? 1 : 1000;
  while (n < budget && lim - pos >= 16) {
    const w0 = load<u32>(pos), w1 = load<u32>(pos, 4), w2 = load<u32>(pos, 8), w3 = load<u32>(pos, 12);
    const sec = isLe ? w0 : bswap<u32>(w0), frac = isLe ? w1 : bswap<u32>(w1);
    const incl = isLe ? w2 : bswap<u32>(w2), orig = isLe ? w3 : bswap<u32>(w3);
    if (incl > maxRecord || <usize>incl > lim - pos - 16 || frac >= fracMax || incl > snaplen || orig < incl) break;
    const tsSec = <f64>sec, tsNsec = <f64>frac * fracMul;
    if (pastBound(tsSec, tsNsec)) break;
    curIndex = index0 + <f64>n;
    if (!take(pos, 16, incl, orig, link, tsSec, tsNsec, fileIndex, ifIndex)) break;
    n++;
    pos += 16 + <usize>incl;
    if (bInspect) break;
  }
  curIndex = -1;
  bEnd = pos;
  return n;
}

/**
 * A record whose packet (`incl` bytes at pos + dataOff, of `orig` on the wire) the batch takes if it is
 * a fast-path packet (plain()): then its counts are noted and true returned (bInspect set when it
 * is to be looked at for names), else nothing changed.
 */
@inline function take(pos: usize, dataOff: usize, incl: u32, orig: u32, link: u32, tsSec: f64, tsNsec: f64, fileIndex: u32, ifIndex: i32): bool {
  const r = plain(pos + dataOff, incl, orig, link, tsSec, tsNsec, fileIndex, ifIndex);
  if (r < 0) return false;
  if (bCount == 0) { bFirstSec = tsSec; bFirstNsec = tsNsec; bLastSec = tsSec; bLastNsec = tsNsec; }
  else {
    if (tsSec < bFirstSec || (tsSec == bFirstSec && tsNsec < bFirstNsec)) { bFirstSec = tsSec; bFirstNsec = tsNsec; }
    if (tsSec > bLastSec || (tsSec == bLastSec && tsNsec > bLastNsec)) { bLastSec = tsSec; bLastNsec = tsNsec; }
  }
  bCount++;
  bLastPos = pos; bLastCap = incl; bLastOrig = orig; bLastTsSec = tsSec; bLastTsNsec = tsNsec;
  bBytes += <f64>incl;
  if ((r & 4) != 0) { bInspect = true; bFlow = ((r >> 5) << 1) | ((r >> 1) & 1); }
  else {
    // (a packet to be looked at is decoded by the JavaScript side, which counts these itself)
    if ((r & 8) != 0) bCut++;
    if ((r & 16) != 0) bTunnel++;
  }
  return true;
}

/** The latest second a capture timestamp may have (src/core/time.ts MAX_TS_SEC). */
const MAX_TS_SEC: f64 = 253402300799;

@inline function rd32(p: usize, le: bool): u32 { const w = load<u32>(p); return le ? w : bswap<u32>(w); }
@inline function rd16(p: usize, le: bool): u32 { const w = <u32>load<u16>(p); return le ? w : (((w & 0xff) << 8) | (w >> 8)); }

// batchNg()'s interfaces (written by the JavaScript side through ifTableOffset(), 32 bytes each):
// +0 link type, +4 snaplen (0: none), +8 global id (PacketRecord.ifIndex), +12 resolution digits
// (6 or 9; anything else: its blocks are not taken), +16 if_tsoffset (f64 seconds), +24 blocks
// taken since ifTakenClear() (u32; the first takes its local id into IFTOUCH). The JavaScript side
// names these IF_SLOT (../flow-core.ts).
const IF_LINK: usize = 0, IF_SNAP: usize = 4, IF_ID: usize = 8, IF_DIGITS: usize = 12, IF_OFF: usize = 16, IF_TAKEN: usize = 24;
let ifTouched: u32 = 0;
export function ifTableOffset(): usize { return IFT; }
export function tunnelOffset(): usize { return TUN; }
export function ifTableSlots(): u32 { return IF_SLOTS; }
export function ifTouchedOffset(): usize { return IFTOUCH; }
/** How many interfaces batchNg() took blocks of since ifTakenClear() (their local ids at ifTouchedOffset(), their counts in the table). */
export function ifTaken(): u32 { return ifTouched; }
/** Zero the counts of blocks taken per interface. */
export function ifTakenClear(): void {
  for (let i: u32 = 0; i < ifTouched; i++) store<u32>(IFT + (<usize>load<u8>(IFTOUCH + <usize>i) << 5), 0, IF_TAKEN);
  ifTouched = 0;
}
/** Local id of the interface of the last block batchNg() took. */
let bLastIf: u32 = 0;
export function batchLastIf(): u32 { return bLastIf; }

/**
 * Take pcapng Enhanced Packet Blocks from [pos, lim) of this memory, as PcapngParser.next and the
 * engine would one by one, while each is an EPB of one of the section's first `nIf` interfaces
 * (the table at ifTableOffset(): link type, snaplen, global id, resolution 10^-6 or 10^-9 s and
 * if_tsoffset of each; blocks of several interfaces may alternate), framed soundly (length at
 * least 32, a multiple of 4, at most `maxBlock`, whole in the chunk, the trailer equal), its
 * options sound, free of anything the reader counts as an anomaly (more bytes than the block, the
 * snaplen or `maxRecord`, fewer on the wire than captured, a time out of range), and a fast-path
 * packet (its payload possibly cut by the snaplen); at most `budget` records, and up to and including the first to be
 * looked at for names. As batch() otherwise; the blocks taken of each interface are counted in
 * the table (ifTaken), and batchLastIf() is the last one's interface.
 */
export function batchNg(pos: usize, lim: usize, isLe: bool, nIf: u32, maxRecord: u32, maxBlock: u32,
  fileIndex: u32, index0: f64, budget: u32): u32 {
  let n: u32 = 0;
  bInspect = false;
  while (n < budget && lim - pos >= 32) {
    if (rd32(pos, isLe) != 6) break;
    const len = rd32(pos + 4, isLe);
    if (len < 32 || (len & 3) != 0 || len > maxBlock || <usize>len > lim - pos || rd32(pos + <usize>len - 4, isLe) != len) break;
    const local = rd32(pos + 8, isLe);
    if (local >= nIf) break;
    const e = IFT + (<usize>local << 5);
    const digits = load<u32>(e, IF_DIGITS);
    if (digits != 6 && digits != 9) break;
    const caplen = rd32(pos + 20, isLe), orig = rd32(pos + 24, isLe);
    if (caplen > len - 32) break;
    let o = pos + 28 + <usize>((caplen + 3) & ~3), sound = true;
    const oEnd = pos + <usize>len - 4;
    while (o + 4 <= oEnd) {
      const code = rd16(o, isLe);
      if (code == 0) break;
      const next = o + 4 + <usize>((rd16(o + 2, isLe) + 3) & ~3);
      if (next > oEnd) { sound = false; break; }
      o = next;
    }
    const snaplen = load<u32>(e, IF_SNAP);
    if (!sound || (snaplen != 0 && caplen > snaplen) || orig < caplen || caplen > maxRecord) break;
    const unit: u64 = digits == 9 ? 1000000000 : 1000000, mul: u64 = digits == 9 ? 1 : 1000;
    const units = (<u64>rd32(pos + 12, isLe) << 32) | <u64>rd32(pos + 16, isLe);
    const secs = units / unit;
    const tsSec = <f64>secs + load<f64>(e, IF_OFF);
    if (!(tsSec >= 0 && tsSec <= MAX_TS_SEC)) break;
    const tsNsec = <f64>((units - secs * unit) * mul);
    if (pastBound(tsSec, tsNsec)) break;
    curIndex = index0 + <f64>n;
    if (!take(pos, 28, caplen, orig, load<u32>(e, IF_LINK), tsSec, tsNsec, fileIndex, load<i32>(e, IF_ID))) break;
    const taken = load<u32>(e, IF_TAKEN);
    if (taken == 0) { store<u8>(IFTOUCH + <usize>ifTouched, <u8>local); ifTouched++; }
    store<u32>(e, taken + 1, IF_TAKEN);
    bLastIf = local;
    n++;
    pos += <usize>len;
    if (bInspect) break;
  }
  curIndex = -1;
  bEnd = pos;
  return n;
}
