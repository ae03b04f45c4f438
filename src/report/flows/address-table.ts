/**
 * AddressTable: each distinct address once, by a small integer id. Addresses from the flow table
 * come as four 32-bit words (IPv4 mapped) and are found through an open-addressing index on the
 * words: no string is made until the text is asked for (then once per address). Addresses that
 * come as text (flow records from other evidence) are interned by their text as given, so they
 * come back exactly as they were.
 */
import { formatAddr, parseAddr } from '../../core/ip.js';

/** What another thread needs to read an AddressTable (AddressTable.parts / fromParts): plain data, copied. */
export interface AddressTableParts {
  /** Addresses in id order: four words each (zeros when given as text only). */
  words: Uint32Array;
  /** Per id: 1 when the address came as words, else its text is in `text`. */
  hasWords: Uint8Array;
  /** Per id: the text of an address given as text (words addresses: undefined, formatted when asked for). */
  text: (string | undefined)[];
}

const V4_BITS = 14, V4_SHIFT = 32 - V4_BITS;

export class AddressTable {
  #words = new Uint32Array(4 * 1024);
  #hasWords = new Uint8Array(1024);
  readonly #text: (string | undefined)[] = [];
  #n = 0;
  #idx = new Int32Array(2 * 2048); // pairs (id + 1, hash); 0 = empty; load ≤ 0.5
  #mask = 2047;
  #indexed = 0;
  readonly #byText = new Map<string, number>();
  /** IPv4-mapped addresses recently looked up: per slot the IPv4 word and id + 1 (0: empty). */
  readonly #v4 = new Int32Array(2 << V4_BITS);

  get size(): number {
    return this.#n;
  }

  #hash(w0: number, w1: number, w2: number, w3: number): number {
    let h = Math.imul(w3 ^ 0x2545f491, 0x9e3779b1);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ w2, 0x85ebca6b);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ w1, 0xc2b2ae35);
    h = Math.imul(((h << 13) | (h >>> 19)) ^ w0, 0x9e3779b1);
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13;
    return h | 0;
  }

  #newId(): number {
    const id = this.#n++;
    if (id >= this.#hasWords.length) {
      const w = new Uint32Array(this.#words.length * 2); w.set(this.#words); this.#words = w;
      const h = new Uint8Array(this.#hasWords.length * 2); h.set(this.#hasWords); this.#hasWords = h;
    }
    this.#text.push(undefined);
    return id;
  }

  /** Id of the address in w[off..off+4). */
  idOfWords(w: Uint32Array, off = 0): number {
    const w0 = w[off]!, w1 = w[off + 1]!, w2 = w[off + 2]!, w3 = w[off + 3]!;
    if ((w0 | w1) !== 0 || w2 !== 0xffff) return this.#idOf(w0, w1, w2, w3);
    // IPv4 (mapped), most addresses: one look in the direct-mapped cache first
    const c = this.#v4, k = (Math.imul(w3, 0x9e3779b1) >>> V4_SHIFT) << 1;
    if (c[k] === (w3 | 0) && c[k + 1] !== 0) return c[k + 1]! - 1;
    const id = this.#idOf(w0, w1, w2, w3);
    c[k] = w3 | 0; c[k + 1] = id + 1;
    return id;
  }

  #idOf(w0: number, w1: number, w2: number, w3: number): number {
    const h = this.#hash(w0, w1, w2, w3);
    const found = this.#find(w0, w1, w2, w3, h);
    if (found >= 0) return found;
    const id = this.#newId();
    const ws = this.#words, o = id * 4;
    ws[o] = w0; ws[o + 1] = w1; ws[o + 2] = w2; ws[o + 3] = w3;
    this.#hasWords[id] = 1;
    this.#insert(id, h);
    return id;
  }

  /** Id of the address with these words (hash h), or -1. */
  #find(w0: number, w1: number, w2: number, w3: number, h: number): number {
    const idx = this.#idx, words = this.#words, mask = this.#mask;
    let i = h & mask;
    for (;;) {
      const v = idx[i * 2]!;
      if (v === 0) return -1;
      if (idx[i * 2 + 1] === h) {
        const o = (v - 1) * 4;
        if (words[o + 3] === w3 && words[o + 2] === w2 && words[o + 1] === w1 && words[o] === w0) return v - 1;
      }
      i = (i + 1) & mask;
    }
  }

  /** Whether the address is here: by its text as given, or (when it parses) by its words. Adds nothing. */
  has(s: string): boolean {
    if (this.#byText.has(s)) return true;
    const w = parseAddr(s);
    if (w === null) return false;
    const w0 = w[0] >>> 0, w1 = w[1] >>> 0, w2 = w[2] >>> 0, w3 = w[3] >>> 0;
    return this.#find(w0, w1, w2, w3, this.#hash(w0, w1, w2, w3)) >= 0;
  }

  #insert(id: number, h: number): void {
    if ((this.#indexed + 1) * 2 > this.#mask + 1) this.#grow();
    const idx = this.#idx, mask = this.#mask;
    let i = h & mask;
    while (idx[i * 2] !== 0) i = (i + 1) & mask;
    idx[i * 2] = id + 1; idx[i * 2 + 1] = h;
    this.#indexed++;
  }

  #grow(): void {
    const old = this.#idx;
    const slots = (this.#mask + 1) * 2;
    this.#idx = new Int32Array(slots * 2);
    this.#mask = slots - 1;
    const idx = this.#idx, mask = this.#mask;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] === 0) continue;
      let i = old[k + 1]! & mask;
      while (idx[i * 2] !== 0) i = (i + 1) & mask;
      idx[i * 2] = old[k]!; idx[i * 2 + 1] = old[k + 1]!;
    }
  }

  /** Id of an address given as text (kept exactly as given). */
  idOfText(s: string): number {
    let id = this.#byText.get(s);
    if (id === undefined) {
      id = this.#newId();
      this.#text[id] = s;
      this.#byText.set(s, id);
    }
    return id;
  }

  /** The address's text (made once per address from its words). */
  text(id: number): string {
    let s = this.#text[id];
    if (s === undefined) {
      s = formatAddr(this.#words, id * 4);
      this.#text[id] = s;
    }
    return s;
  }

  /** A copy of what fromParts needs to rebuild this table (the same ids). */
  parts(): AddressTableParts {
    const n = this.#n;
    const text: (string | undefined)[] = new Array<string | undefined>(n);
    for (let id = 0; id < n; id++) text[id] = this.#hasWords[id] === 1 ? undefined : this.#text[id];
    return { words: this.#words.slice(0, n * 4), hasWords: this.#hasWords.slice(0, n), text };
  }

  /** The table `parts` came from: every address added again in id order, so each keeps its id. */
  static fromParts(p: AddressTableParts): AddressTable {
    const t = new AddressTable();
    for (let id = 0; id < p.hasWords.length; id++) {
      const got = p.hasWords[id] === 1 ? t.idOfWords(p.words, id * 4) : t.idOfText(p.text[id] ?? '');
      if (got !== id) throw new Error(`AddressTable.fromParts: address ${id} came back as ${got} (the parts repeat an address)`);
    }
    return t;
  }

  /** Copy the address's words into out[0..4); false when the address was given as text only. */
  wordsOf(id: number, out: Uint32Array): boolean {
    if (this.#hasWords[id] !== 1) return false;
    const w = this.#words, o = id * 4;
    out[0] = w[o]!; out[1] = w[o + 1]!; out[2] = w[o + 2]!; out[3] = w[o + 3]!;
    return true;
  }
}
