/**
 * Exact 64-bit timestamp arithmetic without BigInt: a pcapng timestamp is a 64-bit count of units
 * given as two uint32 halves (hi, lo). Division by a 32-bit-safe divisor is done in 16-bit limbs so
 * every intermediate value stays below 2^53 and is exact in a double.
 *
 * Results go to module-level scratch variables (no allocation per packet).
 */

/** Quotient (as hi/lo uint32 halves) and remainder of the last div64 call. */
export let qHi = 0;
export let qLo = 0;
export let rem = 0;

/** (hi * 2^32 + lo) / d for an integer 1 <= d < 2^31. Sets qHi, qLo, rem. */
export function div64(hi: number, lo: number, d: number): void {
  const q0 = Math.floor(hi / d);
  let r = hi - q0 * d;
  const x1 = r * 65536 + (lo >>> 16);
  let q1 = Math.floor(x1 / d);
  r = x1 - q1 * d;
  if (r < 0) { q1--; r += d; }
  const x2 = r * 65536 + (lo & 0xffff);
  let q2 = Math.floor(x2 / d);
  r = x2 - q2 * d;
  if (r < 0) { q2--; r += d; }
  // q1, q2 < 65536 because r < d at each step
  qHi = q0;
  qLo = q1 * 65536 + q2;
  rem = r;
}

/**
 * unitsToTs's result: [0] seconds, [1] nanoseconds. (A typed array: a module-level `let` given a
 * number outside the small-integer range, 2^30 in builds with pointer compression and 2^31
 * otherwise, gets a new heap number each time; seconds pass 2^31 in 2038.)
 */
export const TS = new Float64Array(2);

let cHi = -1, cD = 0, cQ = 0, cB = 0;
// the second of the last conversion at 10^-exp (exp <= 9): lo in [sLo, sLo + cD) is second sSec,
// so the packets of one second cost a comparison instead of a division
let sLo = 0, sEnd = 0, sSec = 0;

const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Convert a 64-bit unit count to (seconds, nanoseconds). hi and lo: the count's high and low 32
 * bits, unsigned or as int32. pow2 false: one unit is 10^-exp s; pow2 true: one unit is 2^-exp s.
 * Sets TS.
 * Exact for every resolution up to 10^-18 and 2^-32 (nanoseconds truncated, as tshark shows them);
 * coarser paths for larger exponents use BigInt (never seen in practice).
 */
export function unitsToTs(hi: number, lo: number, pow2: boolean, exp: number): void {
  // either word may come as an int32 (see PcapngParser #packet): read as unsigned
  hi >>>= 0; lo >>>= 0;
  // the same second as the last packet at 10^-exp: most packets, and small enough to be inlined
  // into the reader (the rest is not: in a CPU profile of reading the bench capture as pcapng this
  // function's own time went from about 120 to 22 ms)
  if (!pow2 && hi === cHi && POW10[exp] === cD && lo >= sLo && lo < sEnd) { TS[0] = sSec; TS[1] = (lo - sLo) * POW10[9 - exp]!; return; }
  convert(hi, lo, pow2, exp);
}

/** unitsToTs for unsigned words, every case. */
function convert(hi: number, lo: number, pow2: boolean, exp: number): void {
  if (!pow2) {
    if (exp <= 9) {
      // v = hi*2^32 + lo = (Q*d + B) + lo where Q, B = divmod(hi*2^32, d). hi changes only every
      // 2^32 units (71 min at µs, 4.3 s at ns), so Q and B are cached and a packet costs one division.
      const d = POW10[exp]!;
      // (the same second was unitsToTs's check; a new high word or resolution forgets the second)
      if (hi !== cHi || d !== cD) { div64(hi, 0, d); cHi = hi; cD = d; cQ = qHi * 4294967296 + qLo; cB = rem; sLo = 0; sEnd = 0; }
      const x = cB + lo; // < d + 2^32: exact
      const q = Math.floor(x / d);
      TS[0] = cQ + q;
      TS[1] = (x - q * d) * POW10[9 - exp]!;
      sLo = q * d - cB; sEnd = sLo + d; sSec = TS[0]!; // x in [q*d, (q+1)*d)
      return;
    }
    if (exp <= 18) {
      div64(hi, lo, POW10[exp - 9]!); // → nanoseconds count (64-bit)
      div64(qHi, qLo, 1e9);
      TS[0] = qHi * 4294967296 + qLo;
      TS[1] = rem;
      return;
    }
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const div = 10n ** BigInt(exp);
    TS[0] = Number(v / div);
    TS[1] = Number(((v % div) * 1000000000n) / div);
    return;
  }
  if (exp === 0) { TS[0] = hi * 4294967296 + lo; TS[1] = 0; return; }
  if (exp < 32) {
    TS[0] = hi * 2 ** (32 - exp) + Math.floor(lo / 2 ** exp);
    const frac = lo % 2 ** exp; // < 2^exp
    if (exp <= 16) { TS[1] = Math.floor((frac * 1e9) / 2 ** exp); return; }
    // frac = fh * 2^16 + fl; floor(frac*1e9 / 2^exp) = floor((fh*1e9 + floor(fl*1e9 / 2^16)) / 2^(exp-16))
    const fh = Math.floor(frac / 65536), fl = frac % 65536;
    TS[1] = Math.floor((fh * 1e9 + Math.floor((fl * 1e9) / 65536)) / 2 ** (exp - 16));
    return;
  }
  if (exp === 32) {
    TS[0] = hi;
    const fh = lo >>> 16, fl = lo & 0xffff;
    TS[1] = Math.floor((fh * 1e9 + Math.floor((fl * 1e9) / 65536)) / 65536);
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const e = BigInt(exp);
  TS[0] = Number(v >> e);
  TS[1] = Number(((v & ((1n << e) - 1n)) * 1000000000n) >> e);
}
