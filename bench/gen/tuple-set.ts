/**
 * Exact set of canonical bidirectional 5-tuples for the generator's ground truth, in typed arrays
 * (10 int32 words per slot: two 128-bit addresses, the two ports, the protocol). Much faster and
 * smaller than a Set of strings for millions of flows.
 */
export class TupleSet {
  private cap = 1 << 16;
  private keys = new Int32Array(this.cap * 10);
  private used = new Uint8Array(this.cap);
  private readonly k = new Int32Array(10);
  size = 0;

  /** Add the tuple (proto, a/ap, b/bp) in either direction; addresses are 4 words each. */
  add(proto: number, a: Int32Array, ap: number, b: Int32Array, bp: number): void {
    let c = 0;
    for (let i = 0; i < 4 && c === 0; i++) {
      const x = a[i]! >>> 0, y = b[i]! >>> 0;
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    if (c === 0) c = ap < bp ? -1 : ap > bp ? 1 : 0;
    const A = c > 0 ? b : a, B = c > 0 ? a : b;
    const k = this.k;
    for (let i = 0; i < 4; i++) { k[i] = A[i]!; k[4 + i] = B[i]!; }
    k[8] = c > 0 ? ((bp << 16) | ap) : ((ap << 16) | bp);
    k[9] = proto;
    if ((this.size + 1) * 2 > this.cap) this.grow();
    this.insert(k);
  }

  private hash(k: Int32Array, o: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < 10; i++) h = Math.imul(h ^ k[o + i]!, 0x01000193);
    h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d); h ^= h >>> 12;
    return h >>> 0;
  }

  private insert(k: Int32Array): void {
    const mask = this.cap - 1;
    const keys = this.keys;
    let j = this.hash(k, 0) & mask;
    for (;;) {
      if (this.used[j] === 0) {
        this.used[j] = 1;
        keys.set(k, j * 10);
        this.size++;
        return;
      }
      const o = j * 10;
      let same = true;
      for (let i = 0; i < 10; i++) if (keys[o + i] !== k[i]) { same = false; break; }
      if (same) return;
      j = (j + 1) & mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys, oldUsed = this.used, oldCap = this.cap;
    this.cap *= 2;
    this.keys = new Int32Array(this.cap * 10);
    this.used = new Uint8Array(this.cap);
    this.size = 0;
    const k = new Int32Array(10);
    for (let i = 0; i < oldCap; i++) {
      if (oldUsed[i] === 0) continue;
      for (let w = 0; w < 10; w++) k[w] = oldKeys[i * 10 + w]!;
      this.insert(k);
    }
  }
}
