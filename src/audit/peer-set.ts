/**
 * PeerSet: the distinct addresses folded into one finding. Addresses that come with a numeric key
 * (the flow store's address ids, see Auditor.addFlow) are kept by key, so the per-flow check is a
 * small-integer hash lookup instead of a string one (the big fold of a busy capture does it for
 * nearly every flow); addresses without a key are kept by their text. The same text under a key
 * and without one counts once.
 */
export class PeerSet {
  readonly #byKey = new Map<number, string>();
  readonly #byText = new Set<string>();

  add(text: string, key: number): void {
    if (key >= 0) { if (!this.#byKey.has(key)) this.#byKey.set(key, text); }
    else this.#byText.add(text);
  }

  /** Distinct addresses. */
  get size(): number {
    if (this.#byText.size === 0) return this.#byKey.size;
    if (this.#byKey.size === 0) return this.#byText.size;
    return this.values().length;
  }

  /** The distinct addresses (in insertion order of their first appearance per kind). */
  values(): string[] {
    if (this.#byText.size === 0) return [...this.#byKey.values()];
    if (this.#byKey.size === 0) return [...this.#byText];
    return [...new Set([...this.#byKey.values(), ...this.#byText])];
  }
}
