/**
 * The NDJSON line of a flow (flowToJsonLine's exact bytes) written straight into an output Buffer:
 * no line string is built and then encoded. Constant key text is copied from pre-encoded bytes,
 * integers are written digit by digit, and the short strings (addresses, conn_state, history,
 * Community ID) character by character, a tunnel's text once per tunnel, ICMP errors field by
 * field. Records this writer does not handle (non-ASCII text, timestamps that are not plain
 * integers, ICMP errors of other shapes than the flow table's or more than ICMP_MAX of them) return
 * -1: the caller writes flowToJsonLine(f) instead, so the output is the same either way.
 */
import type { FlowRecord, TunnelEvidence } from '../../flow/record.js';
import { PROTO_NAMES } from './fields.js';

/** Room a line needs in the buffer before writeJsonLine is called (the caller checks). */
export const JSON_LINE_MAX = 4096;

/** Pre-encoded text: its bytes, and the same as little-endian 32-bit words (the tail bytes apart). */
interface Enc { b: Uint8Array; w: Uint32Array }
function enc(s: string): Enc {
  const b = Buffer.from(s, 'latin1');
  const w = new Uint32Array(b.length >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = (b[i * 4]! | (b[i * 4 + 1]! << 8) | (b[i * 4 + 2]! << 16) | (b[i * 4 + 3]! << 24)) >>> 0;
  return { b, w };
}
const K_TS = enc('{"ts":');
const K_DURATION = enc(',"duration":');
const K_PROTO = enc(',"proto":"');
const K_ORIG_H = enc('","orig_h":"');
const K_ORIG_P = enc('","orig_p":');
const K_RESP_H = enc(',"resp_h":"');
const K_RESP_P = enc('","resp_p":');
const K_ORIG_PKTS = enc(',"orig_pkts":');
const K_RESP_PKTS = enc(',"resp_pkts":');
const K_ORIG_BYTES = enc(',"orig_ip_bytes":');
const K_RESP_BYTES = enc(',"resp_ip_bytes":');
const K_CONN = enc(',"conn_state":"');
const K_HIST = enc('","history":"');
const K_CID = enc('","community_id":"');
const K_DIR = enc('","direction_inferred":');
const K_ICMP = enc(',"icmp_errors":[');
const K_VLAN = enc('],"vlan":');
const K_E_PROTO = enc('{"proto":"'), K_E_TYPE = enc('","type":'), K_E_CODE = enc(',"code":'), K_E_COUNT = enc(',"count":'), K_E_FROM = enc(',"from":"');
const V_ICMP = enc('icmp'), V_ICMP6 = enc('icmp6'), K_E_END = enc('"}');
/** ICMP errors a line writes itself at most (a flow has one or a few; the line stays within JSON_LINE_MAX). */
const ICMP_MAX = 8;
const K_TUNNEL = enc(',"tunnel":');
const K_IF_INDEX = enc(',"if_index":');
const K_EVIDENCE = enc(',"evidence":');
const K_SOURCE = enc(',"source":');
const K_VERDICT = enc(',"verdict":');
const V_TRUE = enc('true'), V_FALSE = enc('false'), V_NULL = enc('null');

/** JSON text (quoted, escaped) of the low-cardinality strings, as bytes; null when not pure ASCII. */
const quoted = new Map<string, Enc | null>();
function quotedBytes(s: string): Enc | null {
  let q = quoted.get(s);
  if (q === undefined) {
    const t = JSON.stringify(s);
    q = /^[\x20-\x7e]*$/.test(t) && t.length <= 1024 ? enc(t) : null;
    if (quoted.size > 1024) quoted.clear();
    quoted.set(s, q);
  }
  return q;
}

/** A tunnel's JSON text as bytes (null when not pure ASCII), for the last tunnel object seen: mirrored traffic comes through one or a few. */
let lastTunnel: TunnelEvidence | null = null, lastTunnelBytes: Enc | null = null;
function tunnelBytes(t: TunnelEvidence): Enc | null {
  if (t !== lastTunnel) {
    const j = JSON.stringify({ kind: t.kind, outer_src: t.outerSrc, outer_dst: t.outerDst });
    lastTunnelBytes = /^[\x20-\x7e]*$/.test(j) && j.length <= 1024 ? enc(j) : null;
    lastTunnel = t;
  }
  return lastTunnelBytes;
}

const PROTO_BYTES = new Map<number, Enc>(Object.entries(PROTO_NAMES).map(([k, v]) => [Number(k), enc(v)]));

/**
 * Copy pre-encoded text. Keys are short: four bytes at a time through a DataView over the output
 * buffer beat both a byte loop and TypedArray.prototype.set (a call per key).
 */
let dvBuf: Buffer | null = null;
let dv: DataView = new DataView(new ArrayBuffer(0));
function put(buf: Buffer, pos: number, e: Enc): number {
  const w = e.w, b = e.b, n = w.length;
  for (let i = 0; i < n; i++) dv.setUint32(pos + i * 4, w[i]!, true);
  for (let i = n * 4; i < b.length; i++) buf[pos + i] = b[i]!;
  return pos + b.length;
}

/** Copy an ASCII string (< 128 per character, at most 64 characters); -1 when it is not one. */
function ascii(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n > 64) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || c === 34 || c === 92 || c < 32) return -1;
    buf[pos + i] = c;
  }
  return pos + n;
}

/** A non-negative safe integer as decimal digits, else JavaScript's String(n) (always ASCII). */
function num(buf: Buffer, pos: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    // the common case (ports, counts, seconds until 2038): 32-bit integer arithmetic
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    let x = n;
    for (let i = digits - 1; i > 0; i--) { const q = (x / 10) | 0; buf[pos + i] = 48 + x - q * 10; x = q; }
    buf[pos] = 48 + x;
    return pos + digits;
  }
  if (Number.isSafeInteger(n) && n >= 0) {
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    let x = n;
    for (let i = digits - 1; i >= 0; i--) { const q = Math.floor(x / 10); buf[pos + i] = 48 + (x - q * 10); x = q; }
    return pos + digits;
  }
  return pos + buf.write(String(n), pos, 'latin1');
}

/** tsText(sec, nsec): "sec" or "sec.fraction" with trailing zeros trimmed (sec a non-negative integer, nsec in [0, 1e9)). */
function ts(buf: Buffer, pos: number, sec: number, nsec: number): number {
  pos = num(buf, pos, sec);
  if (nsec === 0) return pos;
  buf[pos++] = 46;
  let frac = nsec | 0, width = 9;
  while (frac % 10 === 0) { frac = (frac / 10) | 0; width--; }
  for (let i = width - 1; i >= 0; i--) { const q = (frac / 10) | 0; buf[pos + i] = 48 + frac - q * 10; frac = q; }
  return pos + width;
}

/** A number JSON writes as num() does: a non-negative safe integer. */
function countable(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function plainTime(sec: number, nsec: number): boolean {
  return Number.isSafeInteger(sec) && sec >= 0 && Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9;
}

/**
 * Write f's NDJSON line (without the newline) at buf[pos..]; returns the position after it, or -1
 * (nothing meaningful written) when the record needs flowToJsonLine. buf must have JSON_LINE_MAX
 * bytes free at pos.
 */
export function writeJsonLine(f: FlowRecord, buf: Buffer, pos: number): number {
  const icmp = f.icmpErrors;
  if (icmp.length > ICMP_MAX) return -1;
  for (let i = 0; i < icmp.length; i++) {
    const e = icmp[i]!;
    if ((e.proto !== 'icmp' && e.proto !== 'icmp6') || !countable(e.type) || !countable(e.code) || !countable(e.count)) return -1;
  }
  const tunnel = f.tunnel === null ? V_NULL : tunnelBytes(f.tunnel);
  if (buf !== dvBuf) { dv = new DataView(buf.buffer, buf.byteOffset, buf.length); dvBuf = buf; }
  if (!plainTime(f.firstSec, f.firstNsec) || !plainTime(f.lastSec, f.lastNsec)) return -1;
  const proto = PROTO_BYTES.get(f.proto);
  const ev = quotedBytes(f.evidence), src = quotedBytes(f.source);
  const verdict = f.verdict === null ? V_NULL : quotedBytes(f.verdict);
  if (proto === undefined || ev === null || src === null || verdict === null || tunnel === null) return -1;
  let p = put(buf, pos, K_TS);
  p = ts(buf, p, f.firstSec, f.firstNsec);
  p = put(buf, p, K_DURATION);
  // durationText: the difference from the integer parts, 0 when negative
  let s = f.lastSec - f.firstSec, ns = f.lastNsec - f.firstNsec;
  if (ns < 0) { s -= 1; ns += 1e9; }
  if (s < 0) buf[p++] = 48; else p = ts(buf, p, s, ns);
  p = put(buf, p, K_PROTO);
  p = put(buf, p, proto);
  p = put(buf, p, K_ORIG_H);
  if ((p = ascii(buf, p, f.origH)) < 0) return -1;
  p = put(buf, p, K_ORIG_P);
  p = num(buf, p, f.origP);
  p = put(buf, p, K_RESP_H);
  if ((p = ascii(buf, p, f.respH)) < 0) return -1;
  p = put(buf, p, K_RESP_P);
  p = num(buf, p, f.respP);
  p = put(buf, p, K_ORIG_PKTS); p = num(buf, p, f.origPkts);
  p = put(buf, p, K_RESP_PKTS); p = num(buf, p, f.respPkts);
  p = put(buf, p, K_ORIG_BYTES); p = num(buf, p, f.origIpBytes);
  p = put(buf, p, K_RESP_BYTES); p = num(buf, p, f.respIpBytes);
  p = put(buf, p, K_CONN);
  if ((p = ascii(buf, p, f.connState)) < 0) return -1;
  p = put(buf, p, K_HIST);
  if ((p = ascii(buf, p, f.history)) < 0) return -1;
  p = put(buf, p, K_CID);
  if ((p = ascii(buf, p, f.communityId)) < 0) return -1;
  p = put(buf, p, K_DIR);
  p = f.directionInferred ? put(buf, p, V_TRUE) : put(buf, p, V_FALSE);
  p = put(buf, p, K_ICMP);
  for (let i = 0; i < icmp.length; i++) {
    const e = icmp[i]!;
    if (i > 0) buf[p++] = 44;
    p = put(buf, p, K_E_PROTO); p = put(buf, p, e.proto === 'icmp' ? V_ICMP : V_ICMP6);
    p = put(buf, p, K_E_TYPE); p = num(buf, p, e.type);
    p = put(buf, p, K_E_CODE); p = num(buf, p, e.code);
    p = put(buf, p, K_E_COUNT); p = num(buf, p, e.count);
    p = put(buf, p, K_E_FROM); p = ascii(buf, p, e.from);
    if (p < 0) return -1;
    p = put(buf, p, K_E_END);
  }
  p = put(buf, p, K_VLAN);
  p = f.vlan === null ? put(buf, p, V_NULL) : num(buf, p, f.vlan);
  p = put(buf, p, K_TUNNEL); p = put(buf, p, tunnel); p = put(buf, p, K_IF_INDEX);
  p = f.ifIndex === null ? put(buf, p, V_NULL) : num(buf, p, f.ifIndex);
  p = put(buf, p, K_EVIDENCE); p = put(buf, p, ev);
  p = put(buf, p, K_SOURCE); p = put(buf, p, src);
  p = put(buf, p, K_VERDICT); p = put(buf, p, verdict);
  buf[p++] = 125; // }
  return p;
}
