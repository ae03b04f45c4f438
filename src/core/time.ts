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
  const base = d.toISOString().slice(0, 19);
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
