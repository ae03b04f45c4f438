/**
 * The anomaly registry: stable dotted names (`decode.ipv4.bad_header_length`,
 * `capture.pcapng.block_length_mismatch`) → count and the index of the first packet that showed it.
 * Adding to an existing name allocates nothing (string constants are interned; the entry is reused).
 */

export interface AnomalyEntry {
  readonly name: string;
  count: number;
  /** Index (0-based, in read order) of the first packet that showed it, or -1 if not packet-bound. */
  firstPacket: number;
  /** Byte offset in the input of the first occurrence, or -1 if unknown. */
  firstOffset: number;
}

export class Anomalies {
  readonly #byName = new Map<string, AnomalyEntry>();

  add(name: string, packetIndex = -1, offset = -1, n = 1): void {
    const e = this.#byName.get(name);
    if (e !== undefined) { e.count += n; return; }
    this.#byName.set(name, { name, count: n, firstPacket: packetIndex, firstOffset: offset });
  }

  get(name: string): number {
    return this.#byName.get(name)?.count ?? 0;
  }

  /** Merge another registry into this one (keeps the earliest first-packet index). */
  merge(other: Anomalies): void {
    for (const e of other.entries()) {
      const mine = this.#byName.get(e.name);
      if (mine === undefined) this.#byName.set(e.name, { ...e });
      else {
        mine.count += e.count;
        if (mine.firstPacket < 0 || (e.firstPacket >= 0 && e.firstPacket < mine.firstPacket)) mine.firstPacket = e.firstPacket;
        if (mine.firstOffset < 0 || (e.firstOffset >= 0 && e.firstOffset < mine.firstOffset)) mine.firstOffset = e.firstOffset;
      }
    }
  }

  /** Entries sorted by name (deterministic output). */
  entries(): AnomalyEntry[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get size(): number {
    return this.#byName.size;
  }

  toJSON(): Record<string, { count: number; first_packet: number }> {
    const o: Record<string, { count: number; first_packet: number }> = {};
    for (const e of this.entries()) o[e.name] = { count: e.count, first_packet: e.firstPacket };
    return o;
  }
}
