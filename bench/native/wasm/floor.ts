// floor.ts — the benchmark's WebAssembly floor, in AssemblyScript (compiled by bench/run.ts with
// `asc floor.ts -O3 --runtime stub --noAssert`; driven by ../wasm-floor.mjs). The same work as
// ../floor.c and ../node-floor.mjs — classic pcap records (LE/BE, µs/ns) or pcapng enhanced packet
// blocks, Ethernet with up to 2 VLAN tags, IPv4 (ports skipped on non-first fragments), IPv6 with
// extension headers, TCP/UDP, and an open-addressing table of canonical bidirectional 5-tuples —
// over capture bytes the driver reads straight into this module's memory (no copy, no libpcap).
// Not part of flowaudit: it measures what the runtime reaches for a tight loop. Excluded from
// the TypeScript project (tsconfig.json): AssemblyScript types (u8, usize …) are not TypeScript's.

/** Capture bytes go at [0, IN_SIZE + 64) of linear memory; the table lives after them. */
const IN_SIZE: usize = 16 << 20;
/** One table slot: a[4] b[4] (0..31), ports (32), proto (36), used (37), flags per side (38, 39),
 *  packets per side (40, 48), bytes per side (56, 64), first ts (72), last ts (80); 96 bytes. */
const SLOT: usize = 96;

let tab: usize = IN_SIZE + 65536;
let cap: usize = 1 << 16;
let count: usize = 0;
let packets: u64 = 0;
let pcapng = false;
let le = true;
let fracScale: f64 = 1e-6;

function ensure(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end > have) memory.grow(<i32>((end - have + 65535) >> 16));
}

/** Start: format 0 = classic pcap (then isLe and ns from its header), 1 = pcapng. */
export function init(format: i32, isLe: bool, ns: bool): void {
  pcapng = format == 1; le = isLe; fracScale = ns ? 1e-9 : 1e-6;
  ensure(tab + cap * SLOT);
  memory.fill(tab, 0, cap * SLOT);
}
export function inputSize(): u32 { return <u32>IN_SIZE; }
export function flowCount(): f64 { return <f64>count; }
export function packetCount(): f64 { return <f64>packets; }

@inline function be16(p: usize): u32 { return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function rd32(p: usize): u32 { return le ? load<u32>(p) : bswap<u32>(load<u32>(p)); }

@inline function mix(h: u64, w: u32): u64 { return (h ^ <u64>w) * 0x100000001b3; }

@inline function hashKey(a0: u32, a1: u32, a2: u32, a3: u32, b0: u32, b1: u32, b2: u32, b3: u32, ports: u32, proto: u32): u64 {
  let h: u64 = 0x9e3779b97f4a7c15 ^ <u64>proto;
  h = mix(mix(h, a0), b0); h = mix(mix(h, a1), b1); h = mix(mix(h, a2), b2); h = mix(mix(h, a3), b3);
  h = mix(h, ports);
  h ^= h >> 29; h *= 0xbf58476d1ce4e5b9; h ^= h >> 32;
  return h;
}

function grow(): void {
  const ncap = cap * 2, ntab = tab + cap * SLOT; // the new table right after the old one
  ensure(ntab + ncap * SLOT);
  memory.fill(ntab, 0, ncap * SLOT);
  for (let i: usize = 0; i < cap; i++) {
    const e = tab + i * SLOT;
    if (load<u8>(e, 37) == 0) continue;
    let j = <usize>hashKey(load<u32>(e), load<u32>(e, 4), load<u32>(e, 8), load<u32>(e, 12), load<u32>(e, 16),
      load<u32>(e, 20), load<u32>(e, 24), load<u32>(e, 28), load<u32>(e, 32), <u32>load<u8>(e, 36)) & (ncap - 1);
    while (load<u8>(ntab + j * SLOT, 37) != 0) j = (j + 1) & (ncap - 1);
    memory.copy(ntab + j * SLOT, e, SLOT);
  }
  memory.copy(tab, ntab, ncap * SLOT); // then moved down over it: memory grows to 3× the old table, not the sum of all
  cap = ncap;
}

function account(s0: u32, s1: u32, s2: u32, s3: u32, t0: u32, t1: u32, t2: u32, t3: u32,
  sp: u32, dp: u32, proto: u32, flags: u32, len: u32, ts: f64): void {
  let c: i32;
  if (s0 != t0) c = s0 < t0 ? -1 : 1;
  else if (s1 != t1) c = s1 < t1 ? -1 : 1;
  else if (s2 != t2) c = s2 < t2 ? -1 : 1;
  else if (s3 != t3) c = s3 < t3 ? -1 : 1;
  else c = sp < dp ? -1 : sp > dp ? 1 : 0;
  const flip: usize = c > 0 ? 1 : 0;
  const a0 = flip ? t0 : s0, a1 = flip ? t1 : s1, a2 = flip ? t2 : s2, a3 = flip ? t3 : s3;
  const b0 = flip ? s0 : t0, b1 = flip ? s1 : t1, b2 = flip ? s2 : t2, b3 = flip ? s3 : t3;
  const ports: u32 = flip ? (dp << 16) | sp : (sp << 16) | dp;
  if ((count + 1) * 2 > cap) grow();
  let j = <usize>hashKey(a0, a1, a2, a3, b0, b1, b2, b3, ports, proto) & (cap - 1);
  let e: usize;
  for (;;) {
    e = tab + j * SLOT;
    if (load<u8>(e, 37) == 0) {
      store<u32>(e, a0); store<u32>(e, a1, 4); store<u32>(e, a2, 8); store<u32>(e, a3, 12);
      store<u32>(e, b0, 16); store<u32>(e, b1, 20); store<u32>(e, b2, 24); store<u32>(e, b3, 28);
      store<u32>(e, ports, 32); store<u8>(e, <u8>proto, 36); store<u8>(e, 1, 37); store<f64>(e, ts, 72);
      count++;
      break;
    }
    if (load<u32>(e, 32) == ports && <u32>load<u8>(e, 36) == proto && load<u32>(e) == a0 && load<u32>(e, 12) == a3 &&
        load<u32>(e, 28) == b3 && load<u32>(e, 4) == a1 && load<u32>(e, 8) == a2 && load<u32>(e, 16) == b0 &&
        load<u32>(e, 20) == b1 && load<u32>(e, 24) == b2) break;
    j = (j + 1) & (cap - 1);
  }
  const pk = e + 40 + flip * 8, bk = e + 56 + flip * 8;
  store<u64>(pk, load<u64>(pk) + 1);
  store<u64>(bk, load<u64>(bk) + <u64>len);
  store<u8>(e + 38 + flip, load<u8>(e + 38 + flip) | <u8>flags);
  store<f64>(e, ts, 80);
}

function decode(d: usize, n: u32, origLen: u32, ts: f64): void {
  if (n < 14) return;
  let off: u32 = 12;
  let et = be16(d + off);
  for (let v = 0; v < 2 && (et == 0x8100 || et == 0x88a8) && off + 6 <= n; v++) { off += 4; et = be16(d + off); }
  off += 2;
  let s0: u32 = 0, s1: u32 = 0, s2: u32 = 0xffff, s3: u32 = 0, t0: u32 = 0, t1: u32 = 0, t2: u32 = 0xffff, t3: u32 = 0;
  let proto: u32;
  let ports = true;
  if (et == 0x0800) {
    if (off + 20 > n) return;
    const ihl = (<u32>load<u8>(d + off) & 15) * 4;
    proto = load<u8>(d + off + 9);
    if ((be16(d + off + 6) & 0x1fff) != 0) ports = false;
    s3 = be32(d + off + 12); t3 = be32(d + off + 16);
    off += ihl;
  } else if (et == 0x86dd) {
    if (off + 40 > n) return;
    const p = d + off;
    proto = load<u8>(p + 6);
    s0 = be32(p + 8); s1 = be32(p + 12); s2 = be32(p + 16); s3 = be32(p + 20);
    t0 = be32(p + 24); t1 = be32(p + 28); t2 = be32(p + 32); t3 = be32(p + 36);
    off += 40;
    while ((proto == 0 || proto == 43 || proto == 60 || proto == 44) && off + 8 <= n) {
      if (proto == 44) { if ((be16(d + off + 2) & 0xfff8) != 0) ports = false; proto = load<u8>(d + off); off += 8; }
      else { const nh = <u32>load<u8>(d + off); off += (<u32>load<u8>(d + off + 1) + 1) * 8; proto = nh; }
    }
  } else return;
  let sp: u32 = 0, dp: u32 = 0, flags: u32 = 0;
  if ((proto == 6 || proto == 17) && ports && off + 4 <= n) {
    sp = be16(d + off); dp = be16(d + off + 2);
    if (proto == 6 && off + 14 <= n) flags = load<u8>(d + off + 13);
  }
  account(s0, s1, s2, s3, t0, t1, t2, t3, sp, dp, proto, flags, origLen, ts);
}

/** Take the whole records or blocks in [start, len); returns where the first one not taken starts (the next call starts there). */
export function run(start: u32, len: u32): u32 {
  let pos: u32 = start;
  if (!pcapng) {
    while (pos + 16 <= len) {
      const h = <usize>pos, incl = rd32(h + 8);
      if (incl > len - pos - 16) break;
      packets++;
      decode(h + 16, incl, rd32(h + 12), <f64>rd32(h) + <f64>rd32(h + 4) * fracScale);
      pos += 16 + incl;
    }
    return pos;
  }
  while (pos + 12 <= len) {
    const h = <usize>pos;
    const type = load<u32>(h);
    if (type == 0x0a0d0d0a) le = load<u32>(h + 8) == 0x1a2b3c4d; // a section header sets the byte order
    const bl = rd32(h + 4);
    if (bl < 12 || bl > len - pos) break;
    if (rd32(h) == 6) {
      packets++;
      decode(h + 28, rd32(h + 20), rd32(h + 24), (<f64>rd32(h + 12) * 4294967296.0 + <f64>rd32(h + 16)) * 1e-6);
    }
    pos += bl;
  }
  return pos;
}
