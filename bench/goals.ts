/**
 * The goals of issue #6, checked from one benchmark run: each as the ratio of medians and as the
 * median of the per-round ratios (the programs run interleaved, A B C … A B C …, so the runs of one
 * round are neighbours in time; on a shared machine whose speed drifts, the paired figure is the
 * steadier of the two).
 */

/** One timed run of a program: wall seconds and peak RSS in KiB. */
export interface TimedRun { wall: number; rssKiB: number }

export interface GoalRow {
  goal: string;
  /** From the medians of the runs (null when a program needed is missing). */
  value: number | null;
  /** Median of the per-round ratios (null for goals that are not ratios, or when a program is missing). */
  paired: number | null;
  unit: string;
  /** met when value (and paired, if any) reach the target; null when not measured. */
  met: boolean | null;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Speed of `fast` relative to `slow` (slow's wall / fast's wall): from the medians, and as the
 * median of the rounds where both ran.
 */
export function speedRatio(results: ReadonlyMap<string, readonly TimedRun[]>, fast: string, slow: string): { value: number | null; paired: number | null } {
  const f = results.get(fast), s = results.get(slow);
  if (f === undefined || s === undefined || f.length === 0 || s.length === 0) return { value: null, paired: null };
  const value = median(s.map((x) => x.wall)) / median(f.map((x) => x.wall));
  const n = Math.min(f.length, s.length);
  const per: number[] = [];
  for (let i = 0; i < n; i++) per.push(s[i]!.wall / f[i]!.wall);
  return { value, paired: median(per) };
}

/**
 * The goals for this run. `packets` is the capture's packet count; `small` is the
 * small-packet worst case, whose goal is 4 M packets/s on one thread instead of 3 M.
 */
export function goalRows(results: ReadonlyMap<string, readonly TimedRun[]>, packets: number, small: boolean): GoalRow[] {
  const rows: GoalRow[] = [];
  const ratio = (goal: string, fast: string, slow: string, target: number) => {
    const r = speedRatio(results, fast, slow);
    rows.push({ goal, ...r, unit: '×', met: r.value === null ? null : r.value >= target && r.paired! >= target });
  };
  const one = 'flowaudit-audit', two = 'flowaudit-audit-t2';
  const runs = results.get(one);
  const pps = runs !== undefined && runs.length > 0 && packets > 0 ? packets / median(runs.map((x) => x.wall)) / 1e6 : null;
  const target = small ? 4 : 3;
  rows.push({ goal: `audit, one thread, ≥ ${target} M packets/s`, value: pps, paired: null, unit: 'M packets/s', met: pps === null ? null : pps >= target });
  ratio('audit, one thread, ≥ 0.65 × the C floor', one, 'floor-c', 0.65);
  ratio('audit, one thread, ≥ 1.6 × nfpcapd', one, 'nfpcapd', 1.6);
  ratio('audit, one thread, ≥ 20 × tshark', one, 'tshark-conv', 20);
  ratio('audit, one thread, ≥ 5 × pcap-parser', one, 'pcap-parser', 5);
  // within 10 % of flows: flows' speed relative to audit at most 1.1 (audit may be faster)
  const af = speedRatio(results, 'flowaudit-flows', one);
  rows.push({
    goal: 'audit within 10 % of flows (audit time ÷ flows time ≤ 1.1)', value: af.value, paired: af.paired, unit: '×',
    met: af.value === null ? null : af.value <= 1.1 && af.paired! <= 1.1,
  });
  ratio('two threads ≥ 1.2 × the C floor', two, 'floor-c', 1.2);
  for (const name of [one, two]) {
    const rs = results.get(name);
    const mib = rs !== undefined && rs.length > 0 ? median(rs.map((x) => x.rssKiB)) / 1024 : null;
    rows.push({ goal: `peak memory ≤ 300 MiB (${name === one ? 'one thread' : 'two threads'})`, value: mib, paired: null, unit: 'MiB', met: mib === null ? null : mib <= 300 });
  }
  return rows;
}

/** The rows as a Markdown table. */
export function goalTable(rows: readonly GoalRow[]): string[] {
  const num = (x: number | null, unit: string) => (x === null ? '–' : unit === 'MiB' ? `${x.toFixed(0)} MiB` : unit === '×' ? `${x.toFixed(2)}×` : `${x.toFixed(2)} ${unit}`);
  const out = ['| goal (issue #6) | from the medians | median of the per-round ratios | |', '|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.goal} | ${num(r.value, r.unit)} | ${r.paired === null ? '–' : num(r.paired, r.unit)} | ${r.met === null ? 'not measured' : r.met ? 'met' : 'missed'} |`);
  return out;
}
