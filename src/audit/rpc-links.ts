/**
 * RpcLinks: dynamic-RPC flows linked to an endpoint-mapper (TCP 135) exchange between the same
 * hosts, for the audit's note on the dynamic-RPC rules ("N of M dynamic RPC flows followed an
 * endpoint-mapper exchange").
 *
 * Per host pair (originator, responder): the earliest answered 135 exchange so far, the count of
 * dynamic-RPC flows at or after it (linked: they stay linked, since the earliest exchange can only
 * move earlier) and the first-packet times of those before it or with none yet (pending, checked
 * again when an earlier exchange comes). Exact in any flow order; memory holds a few numbers per
 * pair and the pending flows, not an entry per dynamic-RPC flow.
 *
 * A pair is found by its addresses' texts (the canonical way: flows from flow logs have no address
 * keys) or, in front of that, by the audit's numeric address keys: typed arrays, no object per
 * pair, as a capture's endpoint-mapper exchanges are many (about 4 % of the small-packet bench
 * capture's flows).
 */

import { tsCompare } from '../core/time.js';

const NONE = -1;

export class RpcLinks {
  // per pair: whether an exchange was seen, its first packet's time, flows linked
  #has = new Uint8Array(256);
  #eSec = new Float64Array(256);
  #eNsec = new Float64Array(256);
  #linked = new Float64Array(256);
  #pairs = 0;
  /** Pending flows' times (second, nanosecond, …) by pair, for the pairs that have any. */
  readonly #pending = new Map<number, number[]>();
  /** Pairs by originator text, then responder text. */
  readonly #byText = new Map<string, Map<string, number>>();
  // pairs by address keys: open addressing over (originator key, responder key) → pair
  #ko = new Int32Array(1024);
  #kr = new Int32Array(1024);
  #kp = new Int32Array(1024).fill(NONE);
  #keyed = 0;

  /** The pair of these address keys, or -1 when not known by them (then byTexts); keys outside 0–2^30 are never known. */
  byKeys(oKey: number, rKey: number): number {
    if (!isKey(oKey) || !isKey(rKey)) return NONE;
    const mask = this.#kp.length - 1;
    for (let s = slotOf(oKey, rKey, mask); ; s = (s + 1) & mask) {
      const p = this.#kp[s]!;
      if (p === NONE) return NONE;
      if (this.#ko[s] === oKey && this.#kr[s] === rKey) return p;
    }
  }

  /** The pair of these address texts (made when new); also found by the keys after, when both are keys (isKey). */
  byTexts(oH: string, rH: string, oKey: number, rKey: number): number {
    let byResp = this.#byText.get(oH);
    if (byResp === undefined) { byResp = new Map(); this.#byText.set(oH, byResp); }
    let p = byResp.get(rH);
    if (p === undefined) { p = this.#newPair(); byResp.set(rH, p); }
    if (isKey(oKey) && isKey(rKey)) this.#keep(oKey, rKey, p);
    return p;
  }

  /** An answered endpoint-mapper exchange of pair p whose first packet came at (sec, nsec). */
  exchange(p: number, sec: number, nsec: number): void {
    if (this.#has[p] === 1 && tsCompare(this.#eSec[p]!, this.#eNsec[p]!, sec, nsec) <= 0) return;
    this.#has[p] = 1; this.#eSec[p] = sec; this.#eNsec[p] = nsec;
    // pending flows at or after the new earliest exchange are linked now
    const pending = this.#pending.get(p);
    if (pending === undefined) return;
    const keep: number[] = [];
    for (let j = 0; j < pending.length; j += 2) {
      if (tsCompare(sec, nsec, pending[j]!, pending[j + 1]!) <= 0) this.#linked[p]!++;
      else keep.push(pending[j]!, pending[j + 1]!);
    }
    if (keep.length === 0) this.#pending.delete(p);
    else this.#pending.set(p, keep);
  }

  /** A dynamic-RPC flow of pair p whose first packet came at (sec, nsec). */
  dynamic(p: number, sec: number, nsec: number): void {
    if (this.#has[p] === 1 && tsCompare(this.#eSec[p]!, this.#eNsec[p]!, sec, nsec) <= 0) { this.#linked[p]!++; return; }
    const pending = this.#pending.get(p);
    if (pending === undefined) this.#pending.set(p, [sec, nsec]);
    else pending.push(sec, nsec);
  }

  /** Dynamic-RPC flows linked to an exchange, and those with none before them. */
  totals(): { linked: number; unlinked: number } {
    let linked = 0, unlinked = 0;
    for (let p = 0; p < this.#pairs; p++) linked += this.#linked[p]!;
    for (const times of this.#pending.values()) unlinked += times.length / 2;
    return { linked, unlinked };
  }

  #newPair(): number {
    const p = this.#pairs++;
    if (p === this.#has.length) {
      const n = p * 2;
      this.#has = grow(this.#has, new Uint8Array(n));
      this.#eSec = grow(this.#eSec, new Float64Array(n));
      this.#eNsec = grow(this.#eNsec, new Float64Array(n));
      this.#linked = grow(this.#linked, new Float64Array(n));
    }
    return p;
  }

  #keep(oKey: number, rKey: number, p: number): void {
    if ((this.#keyed + 1) * 2 > this.#kp.length) this.#rehash();
    const mask = this.#kp.length - 1;
    for (let s = slotOf(oKey, rKey, mask); ; s = (s + 1) & mask) {
      if (this.#kp[s] === NONE) { this.#ko[s] = oKey; this.#kr[s] = rKey; this.#kp[s] = p; this.#keyed++; return; }
      if (this.#ko[s] === oKey && this.#kr[s] === rKey) { this.#kp[s] = p; return; }
    }
  }

  #rehash(): void {
    const ko = this.#ko, kr = this.#kr, kp = this.#kp, n = kp.length * 2, mask = n - 1;
    this.#ko = new Int32Array(n); this.#kr = new Int32Array(n); this.#kp = new Int32Array(n).fill(NONE);
    for (let i = 0; i < kp.length; i++) {
      if (kp[i] === NONE) continue;
      let s = slotOf(ko[i]!, kr[i]!, mask);
      while (this.#kp[s] !== NONE) s = (s + 1) & mask;
      this.#ko[s] = ko[i]!; this.#kr[s] = kr[i]!; this.#kp[s] = kp[i]!;
    }
  }
}

/** Whether k is an address key the typed arrays hold (the audit's keys are below 2^30; -1: none). */
function isKey(k: number): boolean {
  return k >= 0 && k < 0x40000000;
}

function slotOf(o: number, r: number, mask: number): number {
  return (Math.imul(Math.imul(o, 0x9e3779b1) ^ r, 0x85ebca77) >>> 7) & mask;
}

function grow<T extends Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
