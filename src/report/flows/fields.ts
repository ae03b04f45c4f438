/**
 * Flow record → output fields. Field names follow Zeek's conn.log (`ts`, `orig_h`, ... `history`,
 * `community_id`), then flowaudit's own (`direction_inferred`, `icmp_errors`, `vlan`, `tunnel`,
 * `if_index`, `evidence`, `source`, `verdict`). Fixed key order; no logic beyond formatting.
 */
import type { FlowRecord } from '../../flow/record.js';
import { formatTs } from '../../core/time.js';

export const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6', 132: 'sctp' };

export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? String(p);
}

/** Epoch seconds as a JSON number, from the exact 9-digit text (no float drift in the printed value). */
export function tsNumber(sec: number, nsec: number): number {
  return Number(formatTs(sec, nsec));
}

export function durationOf(f: FlowRecord): number {
  const d = (f.lastSec - f.firstSec) + (f.lastNsec - f.firstNsec) / 1e9;
  return Number(d.toFixed(9));
}

export interface FlowJson {
  ts: number; duration: number; proto: string;
  orig_h: string; orig_p: number; resp_h: string; resp_p: number;
  orig_pkts: number; resp_pkts: number; orig_ip_bytes: number; resp_ip_bytes: number;
  conn_state: string; history: string; community_id: string;
  direction_inferred: boolean;
  icmp_errors: { proto: string; type: number; code: number; count: number; from: string }[];
  vlan: number | null;
  tunnel: { kind: string; outer_src: string; outer_dst: string } | null;
  if_index: number | null;
  evidence: string; source: string; verdict: string | null;
}

export function flowToJson(f: FlowRecord): FlowJson {
  return {
    ts: Number(tsText(f.firstSec, f.firstNsec)), duration: Number(durationText(f)), proto: protoName(f.proto),
    orig_h: f.origH, orig_p: f.origP, resp_h: f.respH, resp_p: f.respP,
    orig_pkts: f.origPkts, resp_pkts: f.respPkts, orig_ip_bytes: f.origIpBytes, resp_ip_bytes: f.respIpBytes,
    conn_state: f.connState, history: f.history, community_id: f.communityId,
    direction_inferred: f.directionInferred,
    icmp_errors: f.icmpErrors.map((e) => ({ proto: e.proto, type: e.type, code: e.code, count: e.count, from: e.from })),
    vlan: f.vlan,
    tunnel: f.tunnel === null ? null : { kind: f.tunnel.kind, outer_src: f.tunnel.outerSrc, outer_dst: f.tunnel.outerDst },
    if_index: f.ifIndex,
    evidence: f.evidence, source: f.source, verdict: f.verdict,
  };
}

/** Seconds + nanoseconds as JSON number text, exact, trailing zeros trimmed ("1700000000.0963"). */
export function tsText(sec: number, nsec: number): string {
  if (nsec === 0) return String(sec);
  let frac = String(nsec).padStart(9, '0');
  let end = 9;
  while (frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  return `${sec}.${frac}`;
}

/** Duration as exact JSON number text (from the integer parts, no float drift). */
export function durationText(f: FlowRecord): string {
  let s = f.lastSec - f.firstSec, ns = f.lastNsec - f.firstNsec;
  if (ns < 0) { s -= 1; ns += 1e9; }
  if (s < 0) return '0';
  return tsText(s, ns);
}

/**
 * `make(s)` for low-cardinality strings (file names, kinds, verdicts), remembered in `cache` (cleared
 * past 1024 entries, so that many distinct texts cannot make it grow).
 */
function remembered(cache: Map<string, string>, s: string, make: (s: string) => string): string {
  let q = cache.get(s);
  if (q === undefined) {
    q = make(s);
    if (cache.size > 1024) cache.clear();
    cache.set(s, q);
  }
  return q;
}

const jsonStringCache = new Map<string, string>();

function jstr(s: string): string {
  // only for low-cardinality strings (file names, kinds): addresses, conn_state, history
  // ([A-Za-z^]) and Community IDs (base64) never need escaping and are written as they are
  return remembered(jsonStringCache, s, JSON.stringify);
}

/**
 * One NDJSON line (without the newline), built as text: the same keys, order and values as
 * JSON.stringify(flowToJson(f)) except that `ts`/`duration` are printed exactly from the integer
 * seconds and nanoseconds. About 4× cheaper than building the object and stringifying it.
 */
export function flowToJsonLine(f: FlowRecord): string {
  const icmp = f.icmpErrors.length === 0 ? '[]' : JSON.stringify(flowToJson(f).icmp_errors);
  const tunnel = f.tunnel === null ? 'null' : JSON.stringify({ kind: f.tunnel.kind, outer_src: f.tunnel.outerSrc, outer_dst: f.tunnel.outerDst });
  return `{"ts":${tsText(f.firstSec, f.firstNsec)},"duration":${durationText(f)},"proto":"${protoName(f.proto)}",` +
    `"orig_h":"${f.origH}","orig_p":${f.origP},"resp_h":"${f.respH}","resp_p":${f.respP},` +
    `"orig_pkts":${f.origPkts},"resp_pkts":${f.respPkts},"orig_ip_bytes":${f.origIpBytes},"resp_ip_bytes":${f.respIpBytes},` +
    `"conn_state":"${f.connState}","history":"${f.history}","community_id":"${f.communityId}",` +
    `"direction_inferred":${f.directionInferred},"icmp_errors":${icmp},"vlan":${f.vlan === null ? 'null' : f.vlan},` +
    `"tunnel":${tunnel},"if_index":${f.ifIndex === null ? 'null' : f.ifIndex},` +
    `"evidence":${jstr(f.evidence)},"source":${jstr(f.source)},"verdict":${f.verdict === null ? 'null' : jstr(f.verdict)}}`;
}

/** CSV columns (same names as the NDJSON keys). */
export const CSV_COLUMNS = [
  'ts', 'duration', 'proto', 'orig_h', 'orig_p', 'resp_h', 'resp_p', 'orig_pkts', 'resp_pkts', 'orig_ip_bytes', 'resp_ip_bytes',
  'conn_state', 'history', 'community_id', 'direction_inferred', 'icmp_errors', 'vlan', 'tunnel', 'if_index', 'evidence', 'source', 'verdict',
] as const;

/** A CSV cell: quoted (quotes doubled) when it holds a quote, comma or line break, else as it is. */
function csvCell(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 34 || c === 44 || c === 13 || c === 10) return `"${v.replace(/"/g, '""')}"`;
  }
  return v;
}

const csvCache = new Map<string, string>();

/** csvCell for low-cardinality text (protocols, evidence kinds, file names, verdicts), remembered. */
function csvLow(v: string): string {
  return remembered(csvCache, v, csvCell);
}

/**
 * One CSV line (without the newline): the CSV_COLUMNS cells, each quoted only when it holds a
 * quote, comma or line break (quotes doubled). Built as text, as flowToJsonLine: numbers and the
 * fixed-form cells (times, booleans) need no check, the rest is scanned (csvCell) or remembered.
 */
export function flowToCsv(f: FlowRecord): string {
  const icmp = f.icmpErrors.length === 0 ? '' : csvCell(f.icmpErrors.map((e) => `${e.proto}:${e.type}/${e.code}x${e.count}@${e.from}`).join(';'));
  const tunnel = f.tunnel === null ? '' : csvCell(`${f.tunnel.kind}:${f.tunnel.outerSrc}>${f.tunnel.outerDst}`);
  return `${formatTs(f.firstSec, f.firstNsec)},${durationText(f)},${csvLow(protoName(f.proto))},${csvCell(f.origH)},${f.origP},` +
    `${csvCell(f.respH)},${f.respP},${f.origPkts},${f.respPkts},${f.origIpBytes},${f.respIpBytes},` +
    `${csvCell(f.connState)},${csvCell(f.history)},${csvCell(f.communityId)},${f.directionInferred},${icmp},` +
    `${f.vlan === null ? '' : f.vlan},${tunnel},${f.ifIndex === null ? '' : f.ifIndex},` +
    `${csvLow(f.evidence)},${csvLow(f.source)},${f.verdict === null ? '' : csvLow(f.verdict)}`;
}

/**
 * Zeek conn.log JSON (one object per line) with exactly Zeek's field names, so Zeek readers
 * (including flowaudit's own) can read it back. Like Zeek: ICMPv6 is proto "icmp", other
 * protocols "unknown_transport"; `duration` and `history` are left out when zero / empty.
 */
export function flowToZeek(f: FlowRecord): Record<string, unknown> {
  const proto = f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto === 1 || f.proto === 58 ? 'icmp' : 'unknown_transport';
  const o: Record<string, unknown> = {
    ts: Number((f.firstSec + f.firstNsec / 1e9).toFixed(6)),
    'id.orig_h': f.origH, 'id.orig_p': f.origP, 'id.resp_h': f.respH, 'id.resp_p': f.respP,
    proto,
  };
  const d = durationOf(f);
  if (d > 0) o['duration'] = Number(d.toFixed(6));
  o['conn_state'] = f.connState;
  if (f.history !== '') o['history'] = f.history;
  o['orig_pkts'] = f.origPkts; o['orig_ip_bytes'] = f.origIpBytes;
  o['resp_pkts'] = f.respPkts; o['resp_ip_bytes'] = f.respIpBytes;
  if (f.communityId !== '') o['community_id'] = f.communityId;
  return o;
}
