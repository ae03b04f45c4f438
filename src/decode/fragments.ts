/**
 * A bounded table from (src, dst, id, protocol) to the ports of a fragmented datagram's first
 * fragment, so later fragments can be put in the same flow. Typed arrays only: a FIFO ring of
 * `capacity` slots (the oldest entry is evicted when full) with hash chains for lookup. The arrays
 * (about 210 KB at the default 4096 slots) are made at the first insert and nothing after: every
 * capture file has its own decoder and table, and most captures hold no fragment (a rotated set of
 * 1020 files held 214 MB of empty tables).
 */

const KEY_WORDS = 10; // src[4], dst[4], id, proto

export class FragmentTable {
  readonly capacity: number;
  #keys = new Uint32Array(0);
  #ports = new Uint32Array(0);
  #next = new Int32Array(0);
  #bucket = new Uint32Array(0);
  #heads = new Int32Array(0);
  readonly #mask: number;
  #size = 0;
  #ring = 0;

  constructor(capacity = 4096) {
    this.capacity = Math.max(1, capacity | 0);
    let nb = 16;
    while (nb < this.capacity * 2) nb <<= 1;
    this.#mask = nb - 1;
  }

  /** Make the arrays (at the first insert). */
  #alloc(): void {
    this.#heads = new Int32Array(this.#mask + 1).fill(-1);
    this.#keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.#ports = new Uint32Array(this.capacity);
    this.#next = new Int32Array(this.capacity).fill(-1);
    this.#bucket = new Uint32Array(this.capacity);
  }

  get size(): number {
    return this.#size;
  }

  #hash(src: Uint32Array, dst: Uint32Array, id: number, proto: number): number {
    let h = Math.imul(id ^ (proto << 24), 0x9e3779b1);
    h = Math.imul(h ^ src[3]! ^ src[0]!, 0x85ebca6b) ^ (h >>> 13);
    h = Math.imul(h ^ dst[3]! ^ dst[1]!, 0xc2b2ae35) ^ (h >>> 16);
    h ^= src[1]! ^ src[2]! ^ dst[0]! ^ dst[2]!;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    return (h ^ (h >>> 12)) >>> 0;
  }

  #find(b: number, src: Uint32Array, dst: Uint32Array, id: number, proto: number): number {
    const k = this.#keys;
    for (let s = this.#heads[b]!; s >= 0; s = this.#next[s]!) {
      const o = s * KEY_WORDS;
      if (k[o + 8] === id && k[o + 9] === proto && k[o + 3] === src[3] && k[o + 7] === dst[3]
        && k[o] === src[0] && k[o + 1] === src[1] && k[o + 2] === src[2]
        && k[o + 4] === dst[0] && k[o + 5] === dst[1] && k[o + 6] === dst[2]) return s;
    }
    return -1;
  }

  /** The stored ports ((src << 16) | dst) for the key, or -1 when unknown. */
  lookup(src: Uint32Array, dst: Uint32Array, id: number, proto: number): number {
    if (this.#size === 0) return -1;
    const s = this.#find(this.#hash(src, dst, id, proto) & this.#mask, src, dst, id, proto);
    return s < 0 ? -1 : this.#ports[s]!;
  }

  /** Remember the ports of a first fragment. Returns true when the oldest entry had to be evicted. */
  insert(src: Uint32Array, dst: Uint32Array, id: number, proto: number, srcPort: number, dstPort: number): boolean {
    if (this.#keys.length === 0) this.#alloc();
    const b = this.#hash(src, dst, id, proto) & this.#mask;
    const found = this.#find(b, src, dst, id, proto);
    if (found >= 0) { this.#ports[found] = ((srcPort << 16) | dstPort) >>> 0; return false; }
    const s = this.#ring;
    this.#ring = s + 1 === this.capacity ? 0 : s + 1;
    let evicted = false;
    if (this.#size === this.capacity) { this.#unlink(s); evicted = true; } else this.#size++;
    const o = s * KEY_WORDS, k = this.#keys;
    k[o] = src[0]!; k[o + 1] = src[1]!; k[o + 2] = src[2]!; k[o + 3] = src[3]!;
    k[o + 4] = dst[0]!; k[o + 5] = dst[1]!; k[o + 6] = dst[2]!; k[o + 7] = dst[3]!;
    k[o + 8] = id; k[o + 9] = proto;
    this.#ports[s] = ((srcPort << 16) | dstPort) >>> 0;
    this.#bucket[s] = b;
    this.#next[s] = this.#heads[b]!;
    this.#heads[b] = s;
    return evicted;
  }

  #unlink(s: number): void {
    const b = this.#bucket[s]!;
    let prev = -1;
    for (let c = this.#heads[b]!; c >= 0; prev = c, c = this.#next[c]!) {
      if (c !== s) continue;
      if (prev < 0) this.#heads[b] = this.#next[c]!; else this.#next[prev] = this.#next[c]!;
      this.#next[s] = -1;
      return;
    }
  }

  clear(): void {
    this.#heads.fill(-1);
    this.#next.fill(-1);
    this.#size = 0;
    this.#ring = 0;
  }
}
