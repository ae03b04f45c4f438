/**
 * Shared pieces of the flow-record readers: the blank record, timestamp parsing (epoch seconds,
 * milliseconds, ISO-8601 with any offset), protocol names, the originator heuristic for sources
 * that do not know who started a connection, and Community ID v1 for the records we build.
 */
import { Anomalies } from '../core/anomalies.js';
import { createHash } from 'node:crypto';
import { parseAddr, formatAddr, isV4Mapped } from '../core/ip.js';
import type { EvidenceKind, FlowRecord } from '../flow/record.js';
import { icmpCounterpart } from '../flow/community-id.js';
import { isServicePort } from '../flow/originator.js';

export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10;

/** How reading one input ended; mirrors InputSummary.end. */
export interface EndState { clean: boolean; code: string | null; offset: number; reason: string | null }

export const CLEAN_END: EndState = { clean: true, code: null, offset: 0, reason: null };

/** What every reader returns; index.ts turns it into EvidenceInfo. */
export interface ReadResult {
  records: number;
  bytes: number;
  anomalies: Anomalies;
  end: EndState;
  /** Concrete kind seen (e.g. 'azure-vnet' when an azure reader met VNet records). */
  kind?: EvidenceKind;
}

export type OnFlow = (f: FlowRecord) => void;

/**
 * What the line-oriented flow-record readers (Zeek conn.log, Suricata eve.json) share: where flows
 * and anomalies go, the record counter, the line index anomalies are counted at, the file read.
 */
export abstract class LineRecordReader {
  protected readonly anomalies: Anomalies;
  protected readonly onFlow: OnFlow;
  records = 0;
  protected index = 0;
  protected source = '';

  constructor(anomalies: Anomalies, onFlow: OnFlow) {
    this.anomalies = anomalies;
    this.onFlow = onFlow;
  }

  /** The line as a JSON object, or null after counting `<prefix>.bad_json_line` at line idx. */
  protected jsonObject(line: string, idx: number, offset: number, prefix: string): Record<string, unknown> | null {
    let o: unknown;
    try { o = JSON.parse(line); } catch { o = null; }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) { this.anomalies.add(`${prefix}.bad_json_line`, idx, offset); return null; }
    return o as Record<string, unknown>;
  }
}

/** A record with every field at its "the source cannot tell" value. */
export function blankFlow(evidence: EvidenceKind, source: string): FlowRecord {
  return {
    firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0,
    proto: 0, origH: '', origP: 0, respH: '', respP: 0,
    origPkts: 0, respPkts: 0, origIpBytes: 0, respIpBytes: 0,
    origFlags: 0, respFlags: 0,
    connState: '', history: '', directionInferred: false,
    icmpErrors: [], vlan: null, tunnel: null, ifIndex: null,
    communityId: '', evidence, source, verdict: null,
  };
}

interface AddrEntry { canon: string; words: [number, number, number, number] }
/** Address text → parsed form. Flow logs repeat a few addresses millions of times. Bounded. */
const ADDRS = new Map<string, AddrEntry | null>();
const ADDRS_MAX = 1 << 16;

/** A fresh flat copy of a string that may be a slice of a large buffer string (safe as a Map key). */
export function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function addrEntry(s: string): AddrEntry | null {
  let e = ADDRS.get(s);
  if (e === undefined) {
    const w = parseAddr(s);
    e = w === null ? null : { canon: formatAddr(w), words: w };
    if (ADDRS.size >= ADDRS_MAX) ADDRS.clear();
    ADDRS.set(detach(s), e);
    if (e !== null && e.canon !== s) ADDRS.set(e.canon, e);
  }
  return e;
}

/** Canonical address text, or null when the text is not an address. */
export function canonAddr(s: string): string | null {
  return addrEntry(s)?.canon ?? null;
}

const PROTO_BY_NAME: Record<string, number> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132,
};

/** 'tcp', 'TCP', 'IPv6-ICMP', '6', 'T', 'U' → IANA number, or -1. */
export function protoNumber(s: string): number {
  if (/^\d{1,3}$/.test(s)) { const n = Number(s); return n <= 255 ? n : -1; }
  if (s === 'T') return 6;
  if (s === 'U') return 17;
  return PROTO_BY_NAME[s.toLowerCase()] ?? -1;
}

/** Split float seconds into (sec, nsec) via the decimal text so no precision is lost. */
export function splitDecimalSeconds(s: string): [number, number] | null {
  const m = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(s);
  if (m === null) return null;
  return [Number(m[1]), m[2] === undefined ? 0 : Number(m[2].padEnd(9, '0'))];
}

/** Epoch timestamp as seconds or milliseconds (decided by magnitude: 13 digits = ms). */
export function epochSecOrMs(s: string): [number, number] | null {
  const t = splitDecimalSeconds(s);
  if (t === null) return null;
  if (t[0] >= 1e11 && t[1] === 0) { // milliseconds (year > 5138 if seconds)
    const ms = t[0];
    return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
  }
  return t;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO-8601 timestamp (Z, +hh:mm, +hhmm, +hh, or none = UTC) → (sec, nsec), or null. */
export function parseIsoTs(s: string): [number, number] | null {
  const m = ISO_RE.exec(s);
  if (m === null) return null;
  let sec = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  if (!Number.isFinite(sec)) return null;
  const nsec = m[7] === undefined ? 0 : Number(m[7].slice(0, 9).padEnd(9, '0'));
  const z = m[8];
  if (z !== undefined && z !== 'Z') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    const hh = Number(digits.slice(0, 2)), mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    sec -= sign * (hh * 3600 + mm * 60);
  }
  return [sec, nsec];
}

/** Timestamp given as a JSON number, a numeric string or ISO text. */
export function parseAnyTs(v: unknown): [number, number] | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) return null;
    return epochSecOrMs(numberText(v));
  }
  if (typeof v === 'string') return splitDecimalSeconds(v) ?? parseIsoTs(v);
  return null;
}

/** A float's shortest decimal text without exponent (JSON numbers like 1547188415.857497). */
function numberText(v: number): string {
  const s = String(v);
  return s.includes('e') ? v.toFixed(9) : s;
}

/** Extend [first,last] of a record with a timestamp. */
export function widen(f: FlowRecord, sec: number, nsec: number): void {
  if (f.firstSec === 0 && f.firstNsec === 0 && f.lastSec === 0 && f.lastNsec === 0) {
    f.firstSec = f.lastSec = sec; f.firstNsec = f.lastNsec = nsec; return;
  }
  if (sec < f.firstSec || (sec === f.firstSec && nsec < f.firstNsec)) { f.firstSec = sec; f.firstNsec = nsec; }
  if (sec > f.lastSec || (sec === f.lastSec && nsec > f.lastNsec)) { f.lastSec = sec; f.lastNsec = nsec; }
}

/**
 * Which side of a port pair looks like the service (responder) when the source cannot say who
 * started: a service port (the flow stage's list: below 1024 or a known server port such as
 * 3268, 3389, 9389) against one that is not; else one outside the ephemeral ranges
 * (≥ 32768, which covers Linux 32768–60999 and Windows/IANA 49152–65535) against one inside;
 * else the lower port. Returns true when (aPort) is the service side, false when bPort is,
 * and null on a tie (equal ports).
 */
export function aIsService(aPort: number, bPort: number): boolean | null {
  if (aPort === bPort) return null;
  const aLow = isServicePort(aPort), bLow = isServicePort(bPort);
  if (aLow !== bLow) return aLow;
  const aEph = aPort >= 32768, bEph = bPort >= 32768;
  if (aEph !== bEph) return !aEph;
  return aPort < bPort;
}

/** One scratch buffer for the hash input: no allocation per record (a Buffer per flow, millions
 * of flows on a large flow log, kept tens of MB of external memory waiting for the GC). */
const CID = Buffer.alloc(2 + 32 + 4 + 4);

/**
 * Community ID v1 (seed 0) of a flow given as orig → resp; '' for bad addresses or mixed
 * families. Same algorithm as the flow stage's src/flow/community-id.ts (ICMP type/code as
 * ports, counterpart types, one-way ICMP types unordered; test/evidence/common.test.ts checks
 * the two agree), but hashing from one reused buffer.
 */
export function communityId(proto: number, srcH: string, srcP: number, dstH: string, dstP: number): string {
  const a = addrEntry(srcH)?.words ?? null, b = addrEntry(dstH)?.words ?? null;
  if (a === null || b === null) return '';
  const v4 = isV4Mapped(a[0], a[1], a[2]);
  if (v4 !== isV4Mapped(b[0], b[1], b[2])) return '';
  const hasPorts = proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58;
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const c = icmpCounterpart(proto, srcP);
    if (c < 0) oneWay = true; else dstP = c;
  }
  let s = a, d = b, sp = srcP, dp = dstP;
  if (!oneWay) {
    let c = 0;
    for (let i = 0; i < 4 && c === 0; i++) c = (a[i]! >>> 0) - (b[i]! >>> 0);
    if (c > 0 || (c === 0 && srcP > dstP)) { s = b; d = a; sp = dstP; dp = srcP; }
  }
  CID.writeUInt16BE(0, 0);
  let off = 2;
  for (const w of [s, d]) {
    if (v4) { CID.writeUInt32BE(w[3] >>> 0, off); off += 4; }
    else { for (let i = 0; i < 4; i++) CID.writeUInt32BE(w[i]! >>> 0, off + i * 4); off += 16; }
  }
  CID[off++] = proto & 255;
  CID[off++] = 0;
  if (hasPorts) { CID.writeUInt16BE(sp & 0xffff, off); CID.writeUInt16BE(dp & 0xffff, off + 2); off += 4; }
  return '1:' + createHash('sha1').update(CID.subarray(0, off)).digest('base64');
}

/** TCP flag bits implied by Zeek history letters (upper case = originator, lower = responder). */
export function flagsFromHistory(history: string): [number, number] {
  let o = 0, r = 0;
  for (let i = 0; i < history.length; i++) {
    const ch = history[i]!;
    const lower = ch.toLowerCase();
    const bits = lower === 's' ? TCP_SYN : lower === 'h' ? TCP_SYN | TCP_ACK : lower === 'a' ? TCP_ACK
      : lower === 'f' ? TCP_FIN : lower === 'r' ? TCP_RST : lower === 'd' ? 0 : 0;
    if (bits === 0) continue;
    if (ch === lower) r |= bits; else o |= bits;
  }
  return [o, r];
}
