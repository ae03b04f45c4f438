/**
 * The bounded-time fuzz harness shared by the fixed-seed tests (`npm test`) and the long run
 * (`npm run fuzz`): per-case timing with a work budget per input byte, counts of cases and of the
 * named outcomes/anomalies seen, a heap ceiling, and reproducer files for failures.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = path.resolve(ROOT, '../shared/corpus/public');
export const MALFORMED = path.join(ROOT, 'fixtures/malformed');

export function corpusPresent(): boolean {
  return existsSync(CORPUS);
}

/** Fixed seed for `npm test` (override with FUZZ_SEED to replay a long-run seed). */
export const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/**
 * Work budget for one case: a constant for start-up jitter plus 2 µs per input byte, times a
 * factor for slow machines (FUZZ_SLOW=3). A case over budget is re-run once (GC pauses) and
 * fails only when it is over budget twice.
 */
export function budgetMs(bytes: number): number {
  const slow = Number(process.env.FUZZ_SLOW ?? 1);
  return (200 + bytes * 0.002) * slow;
}

export class FuzzStats {
  cases = 0;
  readonly perTarget = new Map<string, number>();
  /** Named outcomes (`capture.pcap.truncated_record`, `decode:malformed`, `CaptureFormatError:…`) → count. */
  readonly names = new Map<string, number>();
  maxCaseMs = 0;
  maxCaseTarget = '';
  readonly started = Date.now();
  readonly heapStart = process.memoryUsage().heapUsed;
  heapMax = 0;

  count(target: string, n = 1): void {
    this.cases += n;
    this.perTarget.set(target, (this.perTarget.get(target) ?? 0) + n);
  }

  seen(name: string, n = 1): void {
    this.names.set(name, (this.names.get(name) ?? 0) + n);
  }

  time(target: string, ms: number): void {
    if (ms > this.maxCaseMs) { this.maxCaseMs = ms; this.maxCaseTarget = target; }
  }

  sampleHeap(): void {
    const h = process.memoryUsage().heapUsed;
    if (h > this.heapMax) this.heapMax = h;
  }

  summary(title: string): string {
    const lines = [`${title}: ${this.cases} cases in ${((Date.now() - this.started) / 1000).toFixed(1)} s; slowest case ${this.maxCaseMs.toFixed(1)} ms (${this.maxCaseTarget}); heap max ${(this.heapMax / 2 ** 20).toFixed(0)} MiB`];
    const t = [...this.perTarget.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`  cases by target: ${t}`);
    const n = [...this.names.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    lines.push(`  outcomes/anomalies seen (${n.length} names):`);
    for (const [k, v] of n) lines.push(`    ${k} ${v}`);
    return lines.join('\n');
  }
}

/** Run `fn` and return elapsed milliseconds. */
export function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Run one case within the budget for `bytes` input bytes: throws when it is over budget twice.
 * `fn` must be repeatable (pure with respect to its input).
 */
export function withinBudget(stats: FuzzStats, target: string, bytes: number, fn: () => void): void {
  const limit = budgetMs(bytes);
  let ms = timed(fn);
  if (ms > limit) ms = Math.min(ms, timed(fn));
  stats.time(target, ms);
  if (ms > limit) throw new Error(`${target}: case took ${ms.toFixed(1)} ms for ${bytes} bytes (budget ${limit.toFixed(0)} ms): possible super-linear work`);
}

/** Heap ceiling for one run (MiB above the start, FUZZ_HEAP_MB, default 384). */
export function checkHeap(stats: FuzzStats): void {
  stats.sampleHeap();
  const limit = Number(process.env.FUZZ_HEAP_MB ?? 384) * 2 ** 20;
  if (stats.heapMax - stats.heapStart > limit) {
    globalThis.gc?.();
    const h = process.memoryUsage().heapUsed;
    if (h - stats.heapStart > limit) throw new Error(`heap grew by ${((h - stats.heapStart) / 2 ** 20).toFixed(0)} MiB during the fuzz run (limit ${limit / 2 ** 20} MiB)`);
  }
}

/** File name for a reproducer: the anomaly/outcome name made safe, plus a short hash to keep several. */
export function reproducerPath(anomaly: string, ext: string, bytes: Uint8Array): string {
  let h = 2166136261;
  for (const b of bytes) { h ^= b; h = Math.imul(h, 16777619) >>> 0; }
  const safe = anomaly.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return path.join(MALFORMED, `${safe}-${h.toString(16).padStart(8, '0')}.${ext}`);
}

export function saveReproducer(anomaly: string, ext: string, bytes: Uint8Array, note: string): string {
  mkdirSync(MALFORMED, { recursive: true });
  const p = reproducerPath(anomaly, ext, bytes);
  writeFileSync(p, bytes);
  writeFileSync(`${p}.txt`, `${note}\n`);
  return p;
}

/** Error classification: user-facing errors are named (FlowauditError with a code), anything else is a bug. */
export function namedError(e: unknown): string | null {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const ctor = (e as object).constructor?.name ?? 'Error';
    // Node system errors also carry codes (ENOENT...) — those are not "named outcomes" of a parser.
    if (/^E[A-Z]+$/.test((e as { code: string }).code)) return null;
    if (ctor === 'Error' || ctor === 'TypeError' || ctor === 'RangeError') return null;
    return `${ctor}:${(e as { code: string }).code}`;
  }
  return null;
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}\n${e.stack ?? ''}`;
  return String(e);
}

export function hex(b: Uint8Array, max = 256): string {
  const s = Buffer.from(b.subarray(0, max)).toString('hex');
  return b.length > max ? `${s}… (${b.length} bytes)` : s;
}
