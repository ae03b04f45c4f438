/**
 * StateCounts: flows per Zeek conn_state in one finding. The states the flow table gives (and
 * '-' for none) are counted in an array by index, with the last state's index kept (consecutive
 * flows of a finding mostly share one): one comparison per flow where a Map hashed twice. Other
 * texts (flow logs) go to a Map.
 */
const KNOWN = ['-', 'OTH', 'REJ', 'RSTO', 'RSTOS0', 'RSTR', 'RSTRH', 'S0', 'S1', 'S2', 'S3', 'SF', 'SH', 'SHR'];
const INDEX = new Map<string, number>(KNOWN.map((s, i) => [s, i]));

/** The states counted by index ('-' for none), in the order addCounts takes them. */
export const STATE_NAMES: readonly string[] = KNOWN;

export class StateCounts {
  readonly #n = new Float64Array(KNOWN.length);
  #other: Map<string, number> | null = null;
  #last = '';
  #lastIndex = -1;

  /** One flow in state `st` ('' counts as '-'). */
  add(st: string): void {
    if (st === this.#last && this.#lastIndex >= 0) { this.#n[this.#lastIndex] = this.#n[this.#lastIndex]! + 1; return; }
    const i = INDEX.get(st === '' ? '-' : st);
    if (i !== undefined) { this.#n[i] = this.#n[i]! + 1; this.#last = st; this.#lastIndex = i; return; }
    const o = this.#other ??= new Map<string, number>();
    o.set(st, (o.get(st) ?? 0) + 1);
  }

  /** `n` flows of each state, by STATE_NAMES index (counts[i] flows of STATE_NAMES[i]). */
  addCounts(counts: ArrayLike<number>): void {
    for (let i = 0; i < KNOWN.length && i < counts.length; i++) this.#n[i] = this.#n[i]! + counts[i]!;
  }

  /** State → flows, in the order of the states' texts. */
  toRecord(): Record<string, number> {
    const entries: [string, number][] = [];
    for (let i = 0; i < KNOWN.length; i++) if (this.#n[i]! > 0) entries.push([KNOWN[i]!, this.#n[i]!]);
    if (this.#other !== null) entries.push(...this.#other);
    entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    return Object.fromEntries(entries);
  }
}
