/** Timestamps are carried as (seconds, nanoseconds) pairs of numbers; text is made only at the edges. */

/** Epoch seconds with a 9-digit fraction, e.g. `1700000000.123456789`. */
export function formatTs(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** Epoch seconds as a float (for JSON `ts` fields; exact to the microsecond for current dates). */
export function tsToFloat(sec: number, nsec: number): number {
  return sec + nsec / 1e9;
}

/** ISO-8601 UTC with nanoseconds trimmed to what is non-zero (at least milliseconds). */
export function tsToIso(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  // Out of Date's range (damaged input): say the raw seconds rather than throw.
  if (!Number.isFinite(d.getTime())) return `${sec}.${String(nsec).padStart(9, '0')}s`;
  const iso = d.toISOString();
  const base = iso.slice(0, iso.lastIndexOf('.'));
  let frac = String(nsec).padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 3) frac = frac.padEnd(3, '0');
  return `${base}.${frac}Z`;
}

/** Difference a - b in seconds (float). */
export function tsDiff(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (aSec - bSec) + (aNsec - bNsec) / 1e9;
}

/** Compare two timestamps: negative, zero or positive. */
export function tsCompare(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}

/** Latest timestamp a reader accepts as real: 9999-12-31T23:59:59Z. */
export const MAX_TS_SEC = 253402300799;

/** True when a timestamp is a safe, plausible epoch time (0 .. year 9999). */
export function tsInRange(sec: number): boolean {
  return Number.isSafeInteger(sec) && sec >= 0 && sec <= MAX_TS_SEC;
}
