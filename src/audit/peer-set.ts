/**
 * PeerSet: the distinct addresses folded into one finding. Addresses that come with a numeric key
 * (the flow store's address ids, see Auditor.addFlow) are kept by key, so the per-flow check is a
 * small-integer lookup instead of a string one: in a Map while the set is small, then (from
 * BITMAP_FROM keys on) in a bitmap over the keys, which stays in the CPU cache for the few big
 * folds of a busy capture (a user subnet of thousands of hosts) that see nearly every flow.
 * Addresses without a key are kept by their text. The same text under a key and without one
 * counts once.
 */
const BITMAP_FROM = 64;

/** The text of an address key (the flow table's address ids): asked for only when it is kept. */
export interface AddressTexts {
  text(key: number): string;
}

export class PeerSet {
  #byKey: Map<number, string> | null = new Map<number, string>();
  #bits: Uint8Array | null = null;
  /** Texts of the keyed addresses once in bitmap mode (in the order first seen). */
  #keyed: string[] = [];
  readonly #byText = new Set<string>();

  add(text: string, key: number): void {
    if (key < 0) { this.#byText.add(text); return; }
    this.#addKey(key, text, null);
  }

  /** add(texts.text(key), key) for a key (at least 0), asking for the text only when the key is new here. */
  addKeyed(key: number, texts: AddressTexts): void {
    this.#addKey(key, null, texts);
  }

  #addKey(key: number, text: string | null, texts: AddressTexts | null): void {
    const bits = this.#bits;
    if (bits !== null) {
      const i = key >>> 3, m = 1 << (key & 7);
      if (i < bits.length && (bits[i]! & m) !== 0) return;
      this.#set(key);
      this.#keyed.push(text ?? texts!.text(key));
      return;
    }
    const map = this.#byKey!;
    if (map.has(key)) return;
    map.set(key, text ?? texts!.text(key));
    if (map.size >= BITMAP_FROM) {
      for (const k of map.keys()) this.#set(k);
      this.#keyed = [...map.values()];
      this.#byKey = null;
    }
  }

  #set(key: number): void {
    let bits = this.#bits;
    const i = key >>> 3;
    if (bits === null || i >= bits.length) {
      const next = new Uint8Array(Math.max(64, (i + 1) * 2));
      if (bits !== null) next.set(bits);
      bits = next;
      this.#bits = bits;
    }
    bits[i] = bits[i]! | (1 << (key & 7));
  }

  #keyedCount(): number {
    return this.#byKey !== null ? this.#byKey.size : this.#keyed.length;
  }

  #keyedTexts(): string[] {
    return this.#byKey !== null ? [...this.#byKey.values()] : this.#keyed.slice();
  }

  /** Distinct addresses. */
  get size(): number {
    if (this.#byText.size === 0) return this.#keyedCount();
    if (this.#keyedCount() === 0) return this.#byText.size;
    return this.values().length;
  }

  /**
   * The n first distinct addresses in sorted order (`values().sort().slice(0, n)`), without sorting
   * them all: a finding lists 20 of perhaps thousands of peers.
   */
  first(n: number): string[] {
    const out: string[] = [];
    if (n <= 0) return out;
    for (const v of this.values()) {
      if (out.length === n && v >= out[n - 1]!) continue;
      let i = out.length === n ? n - 1 : out.length;
      while (i > 0 && out[i - 1]! > v) { out[i] = out[i - 1]!; i--; }
      out[i] = v;
    }
    return out;
  }

  /** The distinct addresses (keyed ones first, each in the order first seen). */
  values(): string[] {
    if (this.#byText.size === 0) return this.#keyedTexts();
    if (this.#keyedCount() === 0) return [...this.#byText];
    return [...new Set([...this.#keyedTexts(), ...this.#byText])];
  }
}
