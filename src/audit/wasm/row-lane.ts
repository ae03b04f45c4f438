// row-lane.ts — the audit's per-flow work for the flows that only add to what exists, in
// WebAssembly (AssemblyScript; compiled by tools/build-wasm.mjs into ../row-lane-wasm.ts).
// src/audit/row-lane.ts owns the semantics and calls this module once per batch of finished flows;
// the auditor (src/audit/auditor.ts, laneAction) decides every answer this module caches.
// Excluded from the TypeScript project: the types here (u32, usize …) are AssemblyScript's.
//
// Most finished flows of a capture change nothing in the audit but counts: flows between addresses
// in no role, answered flows that rules allow (no finding), and flows of an unexpected finding
// that exists (its counts, and its sets of peers, responders and ports). For each flow of a batch
// this module interns both addresses (an address id is the audit's key for it), looks up their
// roles (asking the JavaScript side once per address and roles version), and either counts the
// flow here or lists it, with its address ids, for the JavaScript side to audit as before. After
// each batch the JavaScript side hands the counts to the auditor (Auditor.addCounted).
//
// Memory layout (byte offsets; the address table grows at the end of memory):
//   ROWS    0         ROW_SLOTS finished flows as table.ts packRow packs them (144 bytes each)
//   CLASS             port class per port: TCP then UDP (2 × 65 536 u16; the policy's portClass)
//   TSTATE            per TCP state byte (+ 256 with payload): the connection state's index
//                     (state-counts.ts STATE_NAMES), 255 when it depends on the history
//   USTATE            per UDP flow (2 × originator sent + responder sent): the state's index
//   OUTC              per state index, TCP then UDP (2 × 16): 0 answered, 1 no answer, 2 refused
//                     (the auditor's outcome of a flow from a packet capture)
//   MATCH             matchOf's answers, ACT_SLOTS × 16 bytes: (protocol << 16 | port class) + 1,
//                     originator roles, responder roles, answer
//   FOLDS             foldOf's answers, ACT_SLOTS × 16 bytes: (protocol << 16 | port key) + 1,
//                     originator roles, responder roles, target (emptied for every batch)
//   SEEN              per target, the flows of a rule list counted this batch (u32 × MAX_TARGETS)
//   FOLD              per target, an unexpected finding's counts this batch (FOLD_BYTES each)
//   TOUCHED           the fold targets counted into this batch (u32 × MAX_TARGETS)
//   SLOW              the flows the JavaScript side audits: (row, originator id, responder id)
//   EVENTS            what changed in a finding this batch: (kind << 28 | target, value), a value
//                     that differs from the last of its kind in the finding (its originator,
//                     responder, port or input)
//   V4                IPv4 addresses interned lately: (address, id + 1) per slot, direct-mapped
//   KEY               an address to intern (4 words: internKey)
//   then the address table: IDX (pairs of u32: id + 1, hash), WORDS (4 words per id), ROLES (u32
//   per id), EPOCH (u32 per id: the roles version + 1 the roles were asked in, 0 = never).

const ROW_SLOTS: u32 = 4096;
const ROW_BYTES: u32 = 144;
const ROWS: usize = 0;
const CLASS: usize = ROWS + <usize>ROW_SLOTS * ROW_BYTES;
const TSTATE: usize = CLASS + 262144;
const USTATE: usize = TSTATE + 512;
const OUTC: usize = USTATE + 16;
const ACT_SLOTS: u32 = 4096;
const MATCH: usize = OUTC + 32;
const FOLDS: usize = MATCH + <usize>ACT_SLOTS * 16;
const MAX_TARGETS: u32 = 16384;
const SEEN: usize = FOLDS + <usize>ACT_SLOTS * 16;
const FOLD_BYTES: u32 = 256;
const FOLD: usize = SEEN + <usize>MAX_TARGETS * 4;
const TOUCHED: usize = FOLD + <usize>MAX_TARGETS * FOLD_BYTES;
const SLOW: usize = TOUCHED + <usize>MAX_TARGETS * 4;
const MAX_EVENTS: u32 = ROW_SLOTS * 4;
const EVENTS: usize = SLOW + <usize>ROW_SLOTS * 12;
const V4_SLOTS: u32 = 16384;
const V4: usize = EVENTS + <usize>MAX_EVENTS * 8;
const KEY: usize = V4 + <usize>V4_SLOTS * 8;
const FIXED_END: usize = KEY + 16;

// fold record: the finding's representative flow's first second (a flow of a later second folds
// here), the batch it was last counted in, the input of its last flow counted here (+ 1), then
// this batch's counts
const F_REP: usize = 0, F_STAMP: usize = 8, F_FILE: usize = 12, F_FLOWS: usize = 16;
const F_FSEC: usize = 24, F_FNSEC: usize = 32, F_LSEC: usize = 40, F_LNSEC: usize = 48;
const F_OPKT: usize = 56, F_RPKT: usize = 64, F_OBYT: usize = 72, F_RBYT: usize = 80;
const F_OUTC: usize = 88; // 3 × u32
const F_INFERRED: usize = 100;
const F_STATES: usize = 104; // 16 × u32
// the originator, responder and port of the last flow folded here (+ 1; kept from batch to batch)
const F_ORIG: usize = 168, F_RESP: usize = 172, F_PORT: usize = 176;
// per kind (originator, responder, port): the values listed so far, and a bitmap of them (its
// address and its bits) once they are many; the bitmap only saves listing a value again
const F_LISTED: usize = 180; // 3 × u32
const F_SETS: usize = 192; // 3 × (bitmap, bits)
/** Values of a kind listed in a finding before a bitmap of them is made; bytes all bitmaps may take. */
const BITMAP_FROM: u32 = 256;
const BITMAP_BUDGET: usize = 64 << 20;
const STATES: u32 = 16;

// what changed in a finding (EVENTS)
const E_ORIG: u32 = 0, E_RESP: u32 = 1, E_PORT: u32 = 2, E_INPUT: u32 = 3;

// record words (as in src/flow/table.ts)
const U_PORTS: usize = 8 * 4, U_META: usize = 9 * 4, U_STATE: usize = 11 * 4, U_LNSEC: usize = 15 * 4, U_FILE: usize = 34 * 4;
const D_LSEC: usize = 64, D_PKTO: usize = 72, D_PKTR: usize = 80, D_BYTO: usize = 88, D_BYTR: usize = 96, D_FSEC: usize = 104, D_FNSEC: usize = 112;
const B_ORIG_IS_B: u32 = 1, B_INFERRED: u32 = 2, B_PAYLOAD: u32 = 8;

/** The roles (a mask) of address `id` (its words at wordsOffset() + id × 16), from the policy. */
@external("lane", "roles") declare function rolesOfId(id: u32): u32;
/**
 * How rules match a TCP or UDP flow of this protocol, responder port and roles, in the auditor
 * (the same for every port of a class, and whatever the names): bit 0 set when no rule matches;
 * above it the auditor's target for an answered flow that only counts as seen for a list of
 * rules, 0 when the JavaScript side must audit the flow.
 */
@external("lane", "match") declare function matchOf(proto: u32, port: u32, om: u32, rm: u32): u32;
/** The auditor's target for a flow that no rule matches to fold into the unexpected finding that exists for it now; 0 when none. */
@external("lane", "fold") declare function foldOf(proto: u32, port: u32, om: u32, rm: u32): u32;

// the address table
let idx: usize = 0;
let idxMask: u32 = 0;
let words: usize = 0;
let roles: usize = 0;
let epochs: usize = 0;
let cap: u32 = 0;
let count: u32 = 0;
let top: usize = 0;

// what the last run counted
let batchNo: u32 = 0;
let total: u32 = 0;
let outOfScope: u32 = 0;
let audited: u32 = 0;
let initiators: u32 = 0;
let windowAny: bool = false;
let fSec: f64 = 0, fNsec: f64 = 0, lSec: f64 = 0, lNsec: f64 = 0;
let slowCount: u32 = 0;
let touchedCount: u32 = 0;
let eventCount: u32 = 0;
let seenTop: u32 = 0;

/** Bump-allocate `bytes` (64-aligned) at the end of memory, growing it; 0 when it cannot grow. */
function alloc(bytes: usize): usize {
  const p = (top + 63) & ~(<usize>63);
  const end = p + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) { if (memory.grow(<i32>((end - have + 65535) >> 16)) < 0) return 0; }
  top = end;
  return p;
}

/** Set up an empty address table for `initial` addresses (a power of two); false when memory is short. */
export function init(initial: u32): bool {
  top = FIXED_END;
  if (alloc(0) == 0) return false;
  cap = initial; count = 0;
  idxMask = initial * 2 - 1;
  idx = alloc(<usize>initial * 16);
  words = alloc(<usize>initial * 16);
  roles = alloc(<usize>initial * 4);
  epochs = alloc(<usize>initial * 4);
  memory.fill(V4, 0, <usize>V4_SLOTS * 8);
  return idx != 0 && words != 0 && roles != 0 && epochs != 0;
}

export function rowsOffset(): usize { return ROWS; }
export function classOffset(): usize { return CLASS; }
export function tcpStateOffset(): usize { return TSTATE; }
export function udpStateOffset(): usize { return USTATE; }
export function outcomeOffset(): usize { return OUTC; }
export function seenOffset(): usize { return SEEN; }
export function foldOffset(): usize { return FOLD; }
export function foldBytes(): u32 { return FOLD_BYTES; }
export function touchedOffset(): usize { return TOUCHED; }
export function slowOffset(): usize { return SLOW; }
export function eventsOffset(): usize { return EVENTS; }
export function keyOffset(): usize { return KEY; }
export function wordsOffset(): usize { return words; }
export function rowSlots(): u32 { return ROW_SLOTS; }
export function rowBytes(): u32 { return ROW_BYTES; }
export function maxTargets(): u32 { return MAX_TARGETS; }
export function addresses(): u32 { return count; }

@inline function mix(h: u32): u32 {
  h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13;
  return h;
}

@inline function hash4(w0: u32, w1: u32, w2: u32, w3: u32): u32 {
  let h = (w3 ^ 0x2545f491) * 0x9e3779b1;
  h = (rotl<u32>(h, 13) ^ w2) * 0x85ebca6b;
  h = (rotl<u32>(h, 13) ^ w1) * 0xc2b2ae35;
  h = (rotl<u32>(h, 13) ^ w0) * 0x9e3779b1;
  return mix(h);
}

/** Id of the address with these words, or -1. */
function find(w0: u32, w1: u32, w2: u32, w3: u32, h: u32): i32 {
  let i = h & idxMask;
  while (true) {
    const e = idx + (<usize>i << 3);
    const v = load<u32>(e);
    if (v == 0) return -1;
    if (load<u32>(e, 4) == h) {
      const o = words + (<usize>(v - 1) << 4);
      if (load<u32>(o, 12) == w3 && load<u32>(o, 8) == w2 && load<u32>(o, 4) == w1 && load<u32>(o) == w0) return <i32>(v - 1);
    }
    i = (i + 1) & idxMask;
  }
}

/** Double the address table (the old regions stay unused). */
function growAddresses(): bool {
  const n = cap * 2;
  const nIdx = alloc(<usize>n * 16), nWords = alloc(<usize>n * 16), nRoles = alloc(<usize>n * 4), nEpochs = alloc(<usize>n * 4);
  if (nIdx == 0 || nWords == 0 || nRoles == 0 || nEpochs == 0) return false;
  memory.copy(nWords, words, <usize>count * 16);
  memory.copy(nRoles, roles, <usize>count * 4);
  memory.copy(nEpochs, epochs, <usize>count * 4);
  const mask = n * 2 - 1;
  for (let id: u32 = 0; id < count; id++) {
    const o = nWords + (<usize>id << 4);
    const h = hash4(load<u32>(o), load<u32>(o, 4), load<u32>(o, 8), load<u32>(o, 12));
    let i = h & mask;
    while (load<u32>(nIdx + (<usize>i << 3)) != 0) i = (i + 1) & mask;
    store<u32>(nIdx + (<usize>i << 3), id + 1);
    store<u32>(nIdx + (<usize>i << 3), h, 4);
  }
  idx = nIdx; words = nWords; roles = nRoles; epochs = nEpochs; cap = n; idxMask = mask;
  return true;
}

/** Id of the address at `p` (4 words), added when new; -1 when memory is short. */
function intern(p: usize): i32 {
  const w0 = load<u32>(p), w1 = load<u32>(p, 4), w2 = load<u32>(p, 8), w3 = load<u32>(p, 12);
  if ((w0 | w1) == 0 && w2 == 0xffff) {
    // IPv4 (mapped), most addresses: one look in the direct-mapped cache first
    const c = V4 + (<usize>((w3 * 0x9e3779b1) >> (32 - 14)) << 3);
    if (load<u32>(c) == w3 && load<u32>(c, 4) != 0) return <i32>(load<u32>(c, 4) - 1);
    const id = internSlow(w0, w1, w2, w3);
    if (id >= 0) { store<u32>(c, w3); store<u32>(c, <u32>id + 1, 4); }
    return id;
  }
  return internSlow(w0, w1, w2, w3);
}

function internSlow(w0: u32, w1: u32, w2: u32, w3: u32): i32 {
  const h = hash4(w0, w1, w2, w3);
  const found = find(w0, w1, w2, w3, h);
  if (found >= 0) return found;
  if (count >= cap && !growAddresses()) return -1;
  const id = count++;
  const o = words + (<usize>id << 4);
  store<u32>(o, w0); store<u32>(o, w1, 4); store<u32>(o, w2, 8); store<u32>(o, w3, 12);
  store<u32>(epochs + (<usize>id << 2), 0);
  let i = h & idxMask;
  while (load<u32>(idx + (<usize>i << 3)) != 0) i = (i + 1) & idxMask;
  store<u32>(idx + (<usize>i << 3), id + 1);
  store<u32>(idx + (<usize>i << 3), h, 4);
  return <i32>id;
}

/** Id of the address with these words (at KEY), added when new; -1 when memory is short. */
export function internKey(): i32 {
  return intern(KEY);
}


/** Id of the address with these words, or -1 (adds nothing). */
export function lookup(w0: u32, w1: u32, w2: u32, w3: u32): i32 {
  return find(w0, w1, w2, w3, hash4(w0, w1, w2, w3));
}

/** List (kind, target, value) in EVENTS: a value that differs from the last one of its kind in the finding (the auditor's sets keep each once). */
@inline function event(kind: u32, target: u32, value: u32): void {
  const ev = EVENTS + (<usize>eventCount << 3);
  store<u32>(ev, (kind << 28) | target); store<u32>(ev, value, 4);
  eventCount++;
}

@inline function rolesAt(id: u32, epoch: u32): u32 {
  const e = epochs + (<usize>id << 2);
  if (load<u32>(e) == epoch) return load<u32>(roles + (<usize>id << 2));
  const m = rolesOfId(id);
  store<u32>(roles + (<usize>id << 2), m);
  store<u32>(e, epoch);
  return m;
}

/** matchOf, through a cache by (protocol, port class, roles) that holds for the whole run. */
function matchAt(proto: u32, port: u32, om: u32, rm: u32): u32 {
  const pk = (proto << 16) | <u32>load<u16>(CLASS + (proto == 6 ? 0 : 131072) + (<usize>port << 1));
  const slot = (((pk ^ (om * 0x9e3779b1) ^ (rm * 0x85ebca77)) * 0x27d4eb2f) >> 20) & (ACT_SLOTS - 1);
  const e = MATCH + (<usize>slot << 4);
  if (load<u32>(e) == pk + 1 && load<u32>(e, 4) == om && load<u32>(e, 8) == rm) return load<u32>(e, 12);
  const a = matchOf(proto, port, om, rm);
  store<u32>(e, pk + 1); store<u32>(e, om, 4); store<u32>(e, rm, 8); store<u32>(e, a, 12);
  if ((a >> 1) >= seenTop) seenTop = (a >> 1) + 1;
  return a;
}

/** foldOf, through a cache by (protocol, port key, roles) emptied for every batch (findings come between batches). */
function foldAt(proto: u32, port: u32, om: u32, rm: u32): u32 {
  // (a finding of the dynamic range is one for all its ports, as in the auditor)
  const pk = (proto << 16) | (port >= 49152 ? 49152 : port);
  const slot = (((pk ^ (om * 0x9e3779b1) ^ (rm * 0x85ebca77)) * 0x27d4eb2f) >> 20) & (ACT_SLOTS - 1);
  const e = FOLDS + (<usize>slot << 4);
  if (load<u32>(e) == pk + 1 && load<u32>(e, 4) == om && load<u32>(e, 8) == rm) return load<u32>(e, 12);
  const t = foldOf(proto, port, om, rm);
  store<u32>(e, pk + 1); store<u32>(e, om, 4); store<u32>(e, rm, 8); store<u32>(e, t, 12);
  return t;
}

/** Set up fold target `t` (a new unexpected finding of the lane): its representative flow's first second, no input yet. */
export function foldInit(t: u32, repSec: f64): void {
  const f = FOLD + <usize>t * FOLD_BYTES;
  store<f64>(f, repSec, F_REP);
  store<u32>(f, 0, F_STAMP);
  store<u32>(f, 0, F_FILE);
  store<u32>(f, 0, F_ORIG); store<u32>(f, 0, F_RESP); store<u32>(f, 0, F_PORT);
  memory.fill(f + F_LISTED, 0, 12 + 24);
}

/** The first second of fold target `t`'s representative flow, now (a flow of a later second folds). */
export function foldRep(t: u32, repSec: f64): void {
  store<f64>(FOLD + <usize>t * FOLD_BYTES, repSec, F_REP);
}

/** Fold the flow at `r` (its outcome, its state's index `si`, the originator id io, the responder id ir and port respP) into target t. */
function fold(t: u32, r: usize, outcome: u32, si: u32, io: u32, ir: u32, respP: u32, inferred: bool): bool {
  const f = FOLD + <usize>t * FOLD_BYTES;
  const fs = load<f64>(r, D_FSEC);
  if (!(fs > load<f64>(f, F_REP))) return false;
  if (eventCount + 4 > MAX_EVENTS) return false;
  const fn = load<f64>(r, D_FNSEC), ls = load<f64>(r, D_LSEC), ln = <f64>load<u32>(r, U_LNSEC);
  if (load<u32>(f, F_STAMP) != batchNo) {
    memory.fill(f + F_FLOWS, 0, <usize>(F_STATES + STATES * 4 - F_FLOWS));
    store<u32>(f, batchNo, F_STAMP);
    store<f64>(f, fs, F_FSEC); store<f64>(f, fn, F_FNSEC); store<f64>(f, ls, F_LSEC); store<f64>(f, ln, F_LNSEC);
    store<u32>(TOUCHED + (<usize>touchedCount << 2), t);
    touchedCount++;
  } else {
    const a = load<f64>(f, F_FSEC), b = load<f64>(f, F_FNSEC);
    if (fs < a || (fs == a && fn < b)) { store<f64>(f, fs, F_FSEC); store<f64>(f, fn, F_FNSEC); }
    const c = load<f64>(f, F_LSEC), d = load<f64>(f, F_LNSEC);
    if (ls > c || (ls == c && ln > d)) { store<f64>(f, ls, F_LSEC); store<f64>(f, ln, F_LNSEC); }
  }
  store<f64>(f, load<f64>(f, F_FLOWS) + 1, F_FLOWS);
  store<f64>(f, load<f64>(f, F_OPKT) + load<f64>(r, D_PKTO), F_OPKT);
  store<f64>(f, load<f64>(f, F_RPKT) + load<f64>(r, D_PKTR), F_RPKT);
  store<f64>(f, load<f64>(f, F_OBYT) + load<f64>(r, D_BYTO), F_OBYT);
  store<f64>(f, load<f64>(f, F_RBYT) + load<f64>(r, D_BYTR), F_RBYT);
  const o = f + F_OUTC + (<usize>outcome << 2);
  store<u32>(o, load<u32>(o) + 1);
  const s = f + F_STATES + (<usize>si << 2);
  store<u32>(s, load<u32>(s) + 1);
  if (inferred) store<u32>(f, load<u32>(f, F_INFERRED) + 1, F_INFERRED);
  const file = load<u32>(r, U_FILE) + 1;
  if (load<u32>(f, F_FILE) != file) { store<u32>(f, file, F_FILE); event(E_INPUT, t, file - 1); }
  if (load<u32>(f, F_ORIG) != io + 1) { store<u32>(f, io + 1, F_ORIG); list(f, E_ORIG, t, io, cap); }
  if (load<u32>(f, F_RESP) != ir + 1) { store<u32>(f, ir + 1, F_RESP); list(f, E_RESP, t, ir, cap); }
  if (load<u32>(f, F_PORT) != respP + 1) { store<u32>(f, respP + 1, F_PORT); list(f, E_PORT, t, respP, 65536); }
  return true;
}

let bitmapBytes: usize = 0;

/**
 * List value v of kind `kind` in fold record f (target t) unless its bitmap has it (values below
 * `bits`: the address table's capacity, or 65 536 ports). A kind gets a bitmap once BITMAP_FROM
 * of its values were listed, while the bitmaps' budget lasts; it is made again, larger, when the
 * address table outgrew it (the values listed before are then listed again: the auditor's sets
 * keep each once).
 */
function list(f: usize, kind: u32, t: u32, v: u32, bits: u32): void {
  const set = f + F_SETS + (<usize>kind << 3);
  let bm = <usize>load<u32>(set), have = load<u32>(set, 4);
  if (bm != 0 && v < have) {
    const b = bm + (<usize>v >> 3), m: u32 = (<u32>1) << (v & 7);
    const x = <u32>load<u8>(b);
    if ((x & m) != 0) return;
    store<u8>(b, <u8>(x | m));
    event(kind, t, v);
    return;
  }
  event(kind, t, v);
  const n = f + F_LISTED + (<usize>kind << 2);
  const listed = load<u32>(n) + 1;
  store<u32>(n, listed);
  if (listed >= BITMAP_FROM && v < bits && bitmapBytes + (<usize>bits >> 3) <= BITMAP_BUDGET) {
    const p = alloc(<usize>bits >> 3);
    if (p == 0) return;
    // (a fresh region of a grown memory is zero; an old one may not be)
    memory.fill(p, 0, <usize>bits >> 3);
    bitmapBytes += <usize>bits >> 3;
    store<u32>(set, <u32>p); store<u32>(set, bits, 4);
    store<u8>(p + (<usize>v >> 3), <u8>((<u32>1) << (v & 7)));
  }
}

@inline function countWindow(r: usize): void {
  const fs = load<f64>(r, D_FSEC), fn = load<f64>(r, D_FNSEC), ls = load<f64>(r, D_LSEC), ln = <f64>load<u32>(r, U_LNSEC);
  if (!windowAny || fs < fSec || (fs == fSec && fn < fNsec)) { fSec = fs; fNsec = fn; }
  if (!windowAny || ls > lSec || (ls == lSec && ln > lNsec)) { lSec = ls; lNsec = ln; }
  windowAny = true;
}

/** Nothing counted, nothing listed (foldOf's answers forgotten: the findings that exist change between batches). */
function reset(): void {
  batchNo++;
  total = 0; outOfScope = 0; audited = 0; initiators = 0; windowAny = false;
  slowCount = 0; touchedCount = 0; eventCount = 0;
  for (let a: u32 = 0; a < seenTop; a++) store<u32>(SEEN + (<usize>a << 2), 0);
  memory.fill(FOLDS, 0, <usize>ACT_SLOTS * 16);
}

@inline function slow(k: u32, io: i32, ir: i32): void {
  const e = SLOW + <usize>slowCount * 12;
  store<u32>(e, k); store<i32>(e, io, 4); store<i32>(e, ir, 8);
  slowCount++;
}

/**
 * Audit the `n` flows at ROWS with the roles of version `epoch` (the policy's rolesVersion + 1):
 * count those that only add to what exists, and list the others at SLOW (slowRows() of them, in
 * order, with their address ids). Returns false when memory ran short for an address (the rows
 * from there on are not done: the JavaScript side gives up on the lane).
 */
export function run(n: u32, epoch: u32): bool {
  reset();
  for (let k: u32 = 0; k < n; k++) {
    const r = ROWS + <usize>k * ROW_BYTES;
    const state = load<u32>(r, U_STATE), bits = state & 255;
    const origIsB = (bits & B_ORIG_IS_B) != 0;
    const io = intern(origIsB ? r + 16 : r), ir = intern(origIsB ? r : r + 16);
    if (io < 0 || ir < 0) return false;
    const proto = load<u32>(r, U_META) & 255;
    if (proto != 6 && proto != 17) { slow(k, io, ir); continue; }
    const om = rolesAt(<u32>io, epoch), rm = rolesAt(<u32>ir, epoch);
    if ((om | rm) == 0) { total++; outOfScope++; countWindow(r); continue; }
    let si: u32;
    if (proto == 6) si = <u32>load<u8>(TSTATE + (state >> 24) + ((bits & B_PAYLOAD) != 0 ? 256 : 0));
    else si = <u32>load<u8>(USTATE + (load<f64>(r, D_PKTO) > 0 ? 2 : 0) + (load<f64>(r, D_PKTR) > 0 ? 1 : 0));
    if (si >= STATES) { slow(k, io, ir); continue; }
    const ports = load<u32>(r, U_PORTS);
    const respP = origIsB ? ports >> 16 : ports & 0xffff;
    const inferred = (bits & B_INFERRED) != 0;
    const outcome = <u32>load<u8>(OUTC + (proto == 6 ? 0 : 16) + si);
    const m = matchAt(proto, respP, om, rm);
    if ((m & 1) == 0) {
      // rules match: an answered flow of a rule list only counts (but the endpoint mapper's, whose
      // exchanges the auditor keeps per pair of hosts)
      if (m < 2 || outcome != 0 || (proto == 6 && respP == 135)) { slow(k, io, ir); continue; }
      const s = SEEN + (<usize>(m >> 1) << 2);
      store<u32>(s, load<u32>(s) + 1);
    } else {
      // none matches: into the unexpected finding that exists, unless the originator was guessed
      // and rules match the flow the other way round (the auditor then swaps its sides)
      if (inferred && (matchAt(proto, origIsB ? ports & 0xffff : ports >> 16, rm, om) & 1) == 0) { slow(k, io, ir); continue; }
      const t = foldAt(proto, respP, om, rm);
      if (t == 0 || !fold(t, r, outcome, si, <u32>io, <u32>ir, respP, inferred)) { slow(k, io, ir); continue; }
    }
    total++; audited++;
    initiators |= inferred ? om | rm : om;
    countWindow(r);
  }
  return true;
}

export function slowRows(): u32 { return slowCount; }
export function counted(): u32 { return total; }
export function countedOutOfScope(): u32 { return outOfScope; }
export function countedAudited(): u32 { return audited; }
export function countedInitiators(): u32 { return initiators; }
export function seenTargets(): u32 { return seenTop; }
export function touchedFolds(): u32 { return touchedCount; }
export function events(): u32 { return eventCount; }
export function windowSeen(): bool { return windowAny; }
export function windowFirstSec(): f64 { return fSec; }
export function windowFirstNsec(): f64 { return fNsec; }
export function windowLastSec(): f64 { return lSec; }
export function windowLastNsec(): f64 { return lNsec; }
