/**
 * AWS VPC flow logs: the default format (version 2, 14 space-separated fields, no header) and
 * custom formats, whose field order the header line of each S3 file gives
 * (`version account-id interface-id srcaddr …`); plain or gzip (`.log.gz`).
 *
 * AWS writes one record per direction per network interface per aggregation window, so a TCP
 * connection shows as (at least) two records. Records are merged per (interface, protocol,
 * unordered endpoint pair): counters summed per direction, times widened, `tcp-flags` ORed per
 * direction. Who started the connection is decided when the flow is handed on:
 *  1. tcp-flags (custom format, v3+): the side whose records carry SYN without ACK (2, 3) is
 *     the originator; the side with SYN-ACK (18, 19) the responder. Not inferred.
 *  2. otherwise the port heuristic (aIsService: <1024 vs ≥1024, non-ephemeral vs ≥32768, lower
 *     port), marked directionInferred; equal ports keep the first record's source.
 * Pairs idle for IDLE_SECONDS of log time are handed on during the read, the rest at the end.
 * Endpoints are `pkt-srcaddr`/`pkt-dstaddr` when the format has them (the packet's addresses, not
 * the intermediate interface's), else `srcaddr`/`dstaddr`.
 * Any REJECT record makes the flow 'denied' (a REJECT on the return direction means a stateless
 * network ACL dropped the replies, which blocks the connection just the same).
 */
import type { Anomalies } from '../core/anomalies.js';
import type { FlowRecord } from '../flow/record.js';
import { TCP_ACK, TCP_SYN, aIsService, blankFlow, canonAddr, communityId } from './common.js';
import type { EndState, OnFlow } from './common.js';
import { forEachLine } from './input.js';

export const AWS_DEFAULT_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
] as const;

/**
 * Pairs with no record for this long (log time; AWS aggregates over at most 10 minutes) are
 * handed on; a later record of the same 5-tuple starts a new flow.
 */
export const IDLE_SECONDS = 1800;

interface Side { h: string; p: number; pkts: number; bytes: number; flags: number; records: number }
interface Pair {
  a: Side; b: Side; proto: number; first: number; last: number;
  reject: boolean; firstSrcIsA: boolean; iface: string; hasFlags: boolean;
}

export class AwsVpcReader {
  readonly #anomalies: Anomalies;
  readonly #onFlow: OnFlow;
  readonly #pairs = new Map<string, Pair>();
  records = 0;
  #index = 0;
  #source = '';
  readonly #sweepMask: number;
  #maxStart = 0;

  /** `sweepEvery`: records between idle sweeps (a power of two; default 65536). */
  constructor(anomalies: Anomalies, onFlow: OnFlow, opts: { sweepEvery?: number } = {}) {
    this.#anomalies = anomalies;
    this.#onFlow = onFlow;
    this.#sweepMask = (opts.sweepEvery ?? 65536) - 1;
  }

  async readFile(file: string): Promise<{ bytes: number; end: EndState }> {
    this.#source = file;
    let col: Record<string, number> = defaultColumns();
    let width: number = AWS_DEFAULT_FIELDS.length;
    let custom = false;
    const r = await forEachLine(file, (line, offset) => {
      if (line.trim() === '') return;
      const f = line.trim().split(/ +/);
      const first = f[0]!;
      if (!/^\d+$/.test(first) || f.includes('srcaddr')) {
        if (f.includes('srcaddr') && f.includes('dstaddr')) {
          col = {};
          f.forEach((name, i) => { col[name] = i; });
          width = f.length; custom = true;
          return;
        }
        this.#anomalies.add('evidence.aws.bad_line', this.#index, offset);
        this.#index++;
        return;
      }
      this.#record(f, col, width, custom, offset);
    });
    return r;
  }

  #record(f: string[], col: Record<string, number>, width: number, custom: boolean, offset: number): void {
    const idx = this.#index++;
    this.records++;
    if (f.length !== width) { this.#anomalies.add(custom ? 'evidence.aws.field_count_mismatch' : 'evidence.aws.bad_line', idx, offset); return; }
    const get = (name: string): string => { const i = col[name]; return i === undefined ? '-' : f[i] ?? '-'; };
    const status = get('log-status');
    if (status === 'NODATA') { this.#anomalies.add('evidence.aws.nodata', idx, offset); return; }
    if (status === 'SKIPDATA') { this.#anomalies.add('evidence.aws.skipdata', idx, offset); return; }
    // pkt-srcaddr/pkt-dstaddr (v3+) are the packet's own addresses; srcaddr/dstaddr are the
    // interface's view (a NAT gateway or middlebox ENI shows its own address there)
    const ps = get('pkt-srcaddr'), pd = get('pkt-dstaddr');
    const src = canonAddr(ps !== '-' ? ps : get('srcaddr')), dst = canonAddr(pd !== '-' ? pd : get('dstaddr'));
    const sp = num(get('srcport')), dp = num(get('dstport')), proto = num(get('protocol'));
    const pkts = num(get('packets')), bytes = num(get('bytes'));
    const start = num(get('start')), end = num(get('end'));
    const action = get('action');
    if (src === null || dst === null || sp < 0 || sp > 65535 || dp < 0 || dp > 65535 || proto < 0 || proto > 255
      || pkts < 0 || bytes < 0 || start < 0 || end < 0 || (action !== 'ACCEPT' && action !== 'REJECT')) {
      this.#anomalies.add('evidence.aws.bad_record', idx, offset);
      return;
    }
    const flagsText = get('tcp-flags');
    const hasFlags = flagsText !== '-' && col['tcp-flags'] !== undefined;
    const flags = hasFlags ? Math.max(0, num(flagsText)) : 0;
    const iface = get('interface-id');
    const srcIsA = src < dst || (src === dst && sp <= dp);
    const key = srcIsA ? `${iface}|${proto}|${src}|${sp}|${dst}|${dp}` : `${iface}|${proto}|${dst}|${dp}|${src}|${sp}`;
    let p = this.#pairs.get(key);
    if (p === undefined) {
      const s: Side = { h: src, p: sp, pkts: 0, bytes: 0, flags: 0, records: 0 };
      const d: Side = { h: dst, p: dp, pkts: 0, bytes: 0, flags: 0, records: 0 };
      p = { a: srcIsA ? s : d, b: srcIsA ? d : s, proto, first: start, last: end, reject: false, firstSrcIsA: srcIsA, iface, hasFlags: false };
      this.#pairs.set(key, p);
    }
    const side = srcIsA ? p.a : p.b;
    side.pkts += pkts; side.bytes += bytes; side.flags |= flags; side.records++;
    if (hasFlags) p.hasFlags = true;
    if (start < p.first) p.first = start;
    if (end > p.last) p.last = end;
    if (action === 'REJECT') p.reject = true;
    if (start > this.#maxStart) this.#maxStart = start;
    if ((this.records & this.#sweepMask) === 0) this.#sweep();
  }

  /** Hand on pairs with no record for IDLE_SECONDS of log time (bounded memory on long logs). */
  #sweep(): void {
    const limit = this.#maxStart - IDLE_SECONDS;
    for (const [key, p] of this.#pairs) if (p.last < limit) { this.#pairs.delete(key); this.#onFlow(this.#toFlow(p)); }
  }

  finish(): void {
    for (const p of this.#pairs.values()) this.#onFlow(this.#toFlow(p));
    this.#pairs.clear();
  }

  #toFlow(p: Pair): FlowRecord {
    let origIsA: boolean;
    let inferred = true;
    const byFlags = p.proto === 6 && p.hasFlags ? originatorByFlags(p.a.flags, p.b.flags) : null;
    if (byFlags !== null) { origIsA = byFlags; inferred = false; }
    else {
      const svc = aIsService(p.a.p, p.b.p);
      origIsA = svc === null ? p.firstSrcIsA : !svc;
    }
    const o = origIsA ? p.a : p.b, r = origIsA ? p.b : p.a;
    const f = blankFlow('aws-vpc', this.#source);
    f.firstSec = p.first; f.lastSec = p.last;
    f.proto = p.proto;
    f.origH = o.h; f.origP = o.p; f.respH = r.h; f.respP = r.p;
    f.origPkts = o.pkts; f.origIpBytes = o.bytes; f.respPkts = r.pkts; f.respIpBytes = r.bytes;
    if (p.proto === 6) { f.origFlags = o.flags; f.respFlags = r.flags; }
    f.directionInferred = inferred;
    f.verdict = p.reject ? 'denied' : 'allowed';
    f.communityId = communityId(p.proto, o.h, o.p, r.h, r.p);
    return f;
  }
}

/** true: side a started (SYN without ACK), false: side b, null: flags do not tell. */
export function originatorByFlags(a: number, b: number): boolean | null {
  const client = (x: number) => (x & TCP_SYN) !== 0 && (x & TCP_ACK) === 0;
  const server = (x: number) => (x & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
  if (client(a) && !client(b)) return true;
  if (client(b) && !client(a)) return false;
  if (server(b) && !server(a)) return true;
  if (server(a) && !server(b)) return false;
  return null;
}

function defaultColumns(): Record<string, number> {
  const c: Record<string, number> = {};
  AWS_DEFAULT_FIELDS.forEach((n, i) => { c[n] = i; });
  return c;
}

function num(s: string): number {
  return /^\d+$/.test(s) ? Number(s) : -1;
}
