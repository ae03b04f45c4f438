/**
 * PortSet: the distinct ports folded into one finding, as a bitmap over 0–65535 (8 KiB, made
 * with the second distinct port): adding a port a finding has is one bit test, where a Set of
 * numbers hashes. An unexpected finding of a user subnet sweeping the dynamic RPC range sees a
 * new port on most of its flows.
 */
export class PortSet {
  #bits: Uint8Array | null = null;
  #first = -1;
  #size = 0;

  add(port: number): void {
    if (this.#size === 0) { this.#first = port; this.#size = 1; return; }
    let bits = this.#bits;
    if (bits === null) {
      if (port === this.#first) return;
      bits = this.#bits = new Uint8Array(8192);
      bits[this.#first >>> 3] = 1 << (this.#first & 7);
    }
    const i = port >>> 3, m = 1 << (port & 7);
    if ((bits[i]! & m) !== 0) return;
    bits[i] = bits[i]! | m;
    this.#size++;
  }

  /** Distinct ports. */
  get size(): number {
    return this.#size;
  }

  /** The ports in ascending order. */
  sorted(): number[] {
    const bits = this.#bits;
    if (bits === null) return this.#size === 0 ? [] : [this.#first];
    const out: number[] = [];
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      if (b === 0) continue;
      for (let j = 0; j < 8; j++) if ((b & (1 << j)) !== 0) out.push(i * 8 + j);
    }
    return out;
  }
}
