/**
 * Azure NSG flow logs (Version 1 and 2) and VNet flow logs (flowLogVersion 4), from PT1H.json
 * blobs (`{"records":[…]}`), concatenated documents, or one record per line.
 *
 * The tokenizer's packed tokens are walked with a key stack; every string inside an array named
 * `flowTuples` is a tuple, whatever record shape holds it
 * (`records[].properties.flows[].flows[].flowTuples` for NSG,
 * `records[].flowRecords.flows[].flowGroups[].flowTuples` for VNet). The tuple's own shape says
 * which version it is: 8 fields = NSG v1; 13 fields with a letter protocol (T/U) = NSG v2;
 * 13 fields with an IANA protocol number = VNet v4.
 *
 * Tuples are aggregated per (5-tuple, direction, decision). v2/v4 counters are deltas since the
 * previous tuple of the flow, so they are summed; a `B` row begins a flow, `C` continues it, an
 * `E` row ends it (the flow is handed on at once and forgotten, which keeps the map small on
 * long logs); flows with no tuple for IDLE_SECONDS of log time are handed on too (denied
 * attempts and stateless allows never get an E row); the rest are handed on at the end. The tuple's
 * source is the flow's originator (NSG and VNet logs are written in flow direction: an `I`
 * tuple has the remote end as source, an `O` tuple the local end), so orig/resp are known.
 */
import type { Anomalies } from '../core/anomalies.js';
import type { EvidenceKind, FlowRecord } from '../flow/record.js';
import { blankFlow, canonAddr, communityId, detach, epochSecOrMs } from './common.js';
import type { EndState, OnFlow } from './common.js';
import { pumpJson } from './input.js';
import type { Token } from './input.js';

interface Entry { rec: FlowRecord; began: boolean }

/** A flow with no tuple for this long (log time) is handed on; a later tuple starts a new record. */
export const IDLE_SECONDS = 1800;

export class AzureFlowLogReader {
  readonly #anomalies: Anomalies;
  readonly #onFlow: OnFlow;
  readonly #open = new Map<string, Entry>();
  records = 0;
  sawNsg = false;
  sawVnet = false;
  #index = 0;
  #source = '';
  readonly #sweepMask: number;
  readonly #starts = new Int32Array(16);
  readonly #ends = new Int32Array(16);
  #maxSec = 0;

  /** `sweepEvery`: records between idle sweeps (a power of two; default 65536). */
  constructor(anomalies: Anomalies, onFlow: OnFlow, opts: { sweepEvery?: number } = {}) {
    this.#anomalies = anomalies;
    this.#onFlow = onFlow;
    this.#sweepMask = (opts.sweepEvery ?? 65536) - 1;
  }

  get openFlows(): number { return this.#open.size; }

  /** Read one file; flows stay open across files (a flow may span hourly blobs). */
  async readFile(file: string): Promise<{ bytes: number; end: EndState }> {
    this.#source = file;
    // key stack: the key each open container sits under ('' for array items / top level)
    const keys: string[] = [];
    const isArr: boolean[] = [];
    let key = '';
    const onToken = (t: Token): void => {
      switch (t.name) {
        case 'stringValue':
          if (isArr.length > 0 && isArr[isArr.length - 1] === true) {
            if (keys[keys.length - 1] === 'flowTuples') this.#tuple(t.value);
          }
          return;
        case 'keyValue': key = t.value; return;
        case 'startObject': keys.push(isArr[isArr.length - 1] === true ? '' : key); isArr.push(false); key = ''; return;
        case 'startArray': keys.push(isArr[isArr.length - 1] === true ? '' : key); isArr.push(true); key = ''; return;
        case 'endObject': case 'endArray': keys.pop(); isArr.pop(); return;
        case 'numberValue':
          if ((key === 'Version' || key === 'flowLogVersion') && isArr[isArr.length - 1] === false) {
            const v = Number(t.value);
            if (key === 'Version' ? v !== 1 && v !== 2 : v !== 4) this.#anomalies.add('evidence.azure.unknown_version', this.#index, -1);
          }
          return;
        default: return;
      }
    };
    const r = await pumpJson(file, onToken, () => `cut at depth ${keys.length} under ${keys.filter((k) => k !== '').join('.') || 'top level'}`);
    if (r.end.clean && keys.length > 0) {
      return { bytes: r.bytes, end: { clean: false, code: 'ERR_EVIDENCE_JSON_CUT', offset: r.bytes, reason: `input ends inside a JSON document (depth ${keys.length})` } };
    }
    return r;
  }

  #bad(name: string): void {
    this.#anomalies.add(`evidence.azure.${name}`, this.#index, -1);
  }

  #tuple(s: string): void {
    const idx = this.#index++;
    this.records++;
    // field i is s[S[i], E[i]) (typed arrays reused: no allocation per tuple)
    const S = this.#starts, E = this.#ends;
    let n = 0;
    S[0] = 0;
    for (let at = s.indexOf(','); at >= 0; at = s.indexOf(',', at + 1)) {
      if (n === 13) { n++; break; }
      E[n++] = at; S[n] = at + 1;
    }
    E[n] = s.length;
    const fields = n + 1;
    if (fields !== 8 && fields !== 13) { this.#bad('bad_tuple_fields'); return; }
    const pc = E[5]! - S[5]! === 1 ? s.charCodeAt(S[5]!) : 0;
    const vnet = fields === 13 && pc !== 84 /* T */ && pc !== 85 /* U */;
    const sp = digitsIn(s, S[3]!, E[3]!), dp = digitsIn(s, S[4]!, E[4]!);
    const proto = vnet ? digitsIn(s, S[5]!, E[5]!) : pc === 84 ? 6 : pc === 85 ? 17 : -1;
    if (sp < 0 || sp > 65535 || dp < 0 || dp > 65535) { this.#bad('bad_port'); return; }
    if (proto < 0 || proto > 255) { this.#bad('bad_protocol'); return; }
    const dir = E[6]! - S[6]! === 1 ? s.charCodeAt(S[6]!) : 0;
    if (dir !== 73 /* I */ && dir !== 79 /* O */) { this.#bad('bad_direction'); return; }
    const f7 = E[7]! - S[7]! === 1 ? s.charCodeAt(S[7]!) : 0;
    let denied: boolean, state: number;
    if (vnet) {
      state = f7;
      if (state !== 66 && state !== 67 && state !== 69 && state !== 68) { this.#bad('bad_flow_state'); return; } // B C E D
      denied = state === 68;
    } else {
      if (f7 !== 65 && f7 !== 68) { this.#bad('bad_decision'); return; } // A D
      denied = f7 === 68;
      state = fields === 13 ? (E[8]! - S[8]! === 1 ? s.charCodeAt(S[8]!) : 0) : 0;
      if (fields === 13 && state !== 66 && state !== 67 && state !== 69) { this.#bad('bad_flow_state'); return; }
    }
    // timestamp: 10-digit seconds or 13-digit milliseconds (plain digits; anything else via the slow path)
    let sec: number, nsec: number;
    const tv = digitsIn(s, 0, E[0]!);
    if (tv >= 0) {
      if (tv >= 1e11) { sec = Math.floor(tv / 1000); nsec = (tv % 1000) * 1e6; } else { sec = tv; nsec = 0; }
    } else {
      const ts = epochSecOrMs(s.slice(0, E[0]!));
      if (ts === null) { this.#bad('bad_timestamp'); return; }
      sec = ts[0]; nsec = ts[1];
    }
    // counters (v2 and v4): deltas; empty on B rows
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    if (fields === 13) {
      c0 = counterIn(s, S[9]!, E[9]!); c1 = counterIn(s, S[10]!, E[10]!); c2 = counterIn(s, S[11]!, E[11]!); c3 = counterIn(s, S[12]!, E[12]!);
      if (c0 < 0 || c1 < 0 || c2 < 0 || c3 < 0) { this.#bad('bad_counter'); c0 = Math.max(c0, 0); c1 = Math.max(c1, 0); c2 = Math.max(c2, 0); c3 = Math.max(c3, 0); }
    }
    // key: the tuple text from the source address to the direction (one writer spells an address
    // one way) plus the decision; addresses are parsed and canonicalised once per flow
    // (NSG: fields 1–7 end with the decision; VNet: fields 1–6 plus whether the state is D). A
    // plain slice hashes without a copy; a concatenation is flattened (copied) on every lookup.
    const key = vnet ? s.slice(S[1]!, E[6]!) + (denied ? ',D' : ',A') : s.slice(S[1]!, E[7]!);
    let e = this.#open.get(key);
    if (e !== undefined && state === 66 && e.began && (e.rec.origPkts > 0 || e.rec.respPkts > 0)) {
      // a new B for a flow that already carried traffic: port reuse after a lost E row
      this.#anomalies.add('evidence.azure.begin_without_end', idx, -1);
      this.#emit(key, e);
      e = undefined;
    }
    if (e === undefined) {
      const src = canonAddr(s.slice(S[1]!, E[1]!)), dst = canonAddr(s.slice(S[2]!, E[2]!));
      if (src === null || dst === null) { this.#bad('bad_address'); return; }
      const rec = blankFlow(vnet ? 'azure-vnet' : 'azure-nsg', this.#source);
      rec.proto = proto; rec.origH = src; rec.origP = sp; rec.respH = dst; rec.respP = dp;
      rec.verdict = denied ? 'denied' : 'allowed';
      rec.communityId = communityId(proto, src, sp, dst, dp);
      rec.firstSec = rec.lastSec = sec; rec.firstNsec = rec.lastNsec = nsec;
      e = { rec, began: state === 66 };
      // store a copy of the key: `key` is a slice of the tuple string, itself a slice of the
      // tokenizer's buffer, and a Map key would keep that whole buffer alive
      this.#open.set(detach(key), e);
      if (vnet) this.sawVnet = true; else this.sawNsg = true;
    }
    const rec = e.rec;
    if (sec < rec.firstSec || (sec === rec.firstSec && nsec < rec.firstNsec)) { rec.firstSec = sec; rec.firstNsec = nsec; }
    if (sec > rec.lastSec || (sec === rec.lastSec && nsec > rec.lastNsec)) { rec.lastSec = sec; rec.lastNsec = nsec; }
    rec.origPkts += c0; rec.origIpBytes += c1; rec.respPkts += c2; rec.respIpBytes += c3;
    if (state === 69) this.#emit(key, e);
    if (sec > this.#maxSec) this.#maxSec = sec;
    if ((this.records & this.#sweepMask) === 0) this.#sweep();
  }

  /**
   * Hand on flows idle for IDLE_SECONDS of log time (no E row ever came: denied attempts,
   * stateless inbound allows, lost E rows), so a long log does not keep every flow it saw.
   */
  #sweep(): void {
    const limit = this.#maxSec - IDLE_SECONDS;
    for (const [key, e] of this.#open) if (e.rec.lastSec < limit) this.#emit(key, e);
  }

  #emit(key: string, e: Entry): void {
    this.#open.delete(key);
    this.#onFlow(e.rec);
  }

  /** Hand on every flow still open (end of all input). */
  finish(): void {
    for (const [key, e] of this.#open) this.#emit(key, e);
  }

  /** 'azure-vnet' when only VNet tuples were seen, 'azure-nsg' when NSG ones were, null before any. */
  get kind(): EvidenceKind | null {
    return this.sawVnet && !this.sawNsg ? 'azure-vnet' : this.sawNsg ? 'azure-nsg' : null;
  }
}

/** Decimal digits only (1–15 of them) in s[a, b) → the number; anything else → -1. */
function digitsIn(s: string, a: number, b: number): number {
  if (b <= a || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** A counter field: '' (B rows) = 0; a non-negative integer; -1 when malformed. */
function counterIn(s: string, a: number, b: number): number {
  return a === b ? 0 : digitsIn(s, a, b);
}
