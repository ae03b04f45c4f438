/**
 * Zeek conn.log, TSV (with its `#separator`/`#fields` header; any column order, the optional
 * `ip_proto` column of Zeek 7.1+, `-` unset and `(empty)` empty fields, several header blocks
 * in one file) or JSON lines (`LogAscii::use_json=T`: flat `id.orig_h` keys or a nested `id`
 * object; `ts` as epoch float or ISO-8601 text; unset fields omitted).
 *
 * Every conn.log line is one connection already, so records are handed on as they are read.
 * Zeek knows the TCP handshake: conn_state and history are copied, TCP flags derived from the
 * history letters, and the originator counts as inferred as the flow stage would count it (see
 * originatorInferred).
 */
import type { ConnState, FlowRecord } from '../flow/record.js';
import {
  blankFlow, canonAddr, communityId, flagsFromHistory, parseAnyTs, protoNumber, splitDecimalSeconds,
} from './common.js';
import { LineRecordReader, type EndState } from './common.js';
import { forEachLine } from './input.js';

const CONN_STATES = new Set(['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH']);

/** One conn.log entry with every field as text (TSV) or JSON value, by Zeek field name. */
type Getter = (name: string) => unknown;

export class ZeekConnReader extends LineRecordReader {

  async readFile(file: string): Promise<{ bytes: number; end: EndState }> {
    this.source = file;
    let sep = '\t';
    let unset = '-';
    let empty = '(empty)';
    let col: Map<string, number> | null = null;
    let path = 'conn';
    return forEachLine(file, (line, offset) => {
      if (line.length === 0) return;
      if (line.charCodeAt(0) === 0x23 /* # */) {
        if (line.startsWith('#separator')) { sep = unescapeZeek(line.slice(11).trim()) || '\t'; return; }
        const sp = line.indexOf(sep);
        const tag = sp < 0 ? line : line.slice(0, sp);
        const rest = sp < 0 ? [] : line.slice(sp + sep.length).split(sep);
        if (tag === '#fields') { col = new Map(rest.map((n, i) => [n, i])); return; }
        if (tag === '#unset_field') { unset = rest[0] ?? '-'; return; }
        if (tag === '#empty_field') { empty = rest[0] ?? '(empty)'; return; }
        if (tag === '#path') { path = rest[0] ?? 'conn'; return; }
        return; // #types, #open, #close, #set_separator
      }
      if (line.charCodeAt(0) === 0x7b /* { */) { this.#json(line, offset); return; }
      const idx = this.index++;
      this.records++;
      if (col === null) { this.anomalies.add('evidence.zeek.line_before_fields', idx, offset); return; }
      if (path !== 'conn') { this.anomalies.add('evidence.zeek.not_conn_log', idx, offset); return; }
      const cells = line.split(sep);
      const c = col;
      if (cells.length !== c.size) { this.anomalies.add('evidence.zeek.column_count_mismatch', idx, offset); return; }
      const get: Getter = (name) => {
        const i = c.get(name);
        if (i === undefined) return undefined;
        const v = cells[i]!;
        return v === unset ? undefined : v === empty ? '' : v;
      };
      this.#entry(get, idx, offset);
    });
  }

  #json(line: string, offset: number): void {
    const idx = this.index++;
    this.records++;
    const rec = this.jsonObject(line, idx, offset, 'evidence.zeek');
    if (rec === null) return;
    if (typeof rec['_path'] === 'string' && rec['_path'] !== 'conn') { this.anomalies.add('evidence.zeek.not_conn_log', idx, offset); return; }
    const id = rec['id'] !== null && typeof rec['id'] === 'object' ? rec['id'] as Record<string, unknown> : null;
    const get: Getter = (name) => {
      const v = rec[name];
      if (v !== undefined) return v;
      if (id !== null && name.startsWith('id.')) return id[name.slice(3)];
      return undefined;
    };
    this.#entry(get, idx, offset);
  }

  #entry(get: Getter, idx: number, offset: number): void {
    const bad = (why: string) => this.anomalies.add(`evidence.zeek.${why}`, idx, offset);
    const ts = parseAnyTs(get('ts'));
    if (ts === null) { bad('bad_timestamp'); return; }
    const oh = canonAddr(text(get('id.orig_h'))), rh = canonAddr(text(get('id.resp_h')));
    if (oh === null || rh === null) { bad('bad_address'); return; }
    const op = count(get('id.orig_p')), rp = count(get('id.resp_p'));
    if (op < 0 || op > 65535 || rp < 0 || rp > 65535) { bad('bad_port'); return; }
    const ipProto = count(get('ip_proto'));
    let proto = ipProto;
    if (proto < 0 || proto > 255) {
      const name = text(get('proto'));
      proto = name === 'icmp' && oh.includes(':') ? 58 : protoNumber(name);
    }
    if (proto < 0 || proto > 255) { bad('unknown_transport'); return; }
    const f: FlowRecord = blankFlow('zeek', this.source);
    f.firstSec = ts[0]; f.firstNsec = ts[1];
    const dur = get('duration');
    const d = typeof dur === 'number' ? splitDecimalSeconds(dur.toFixed(9)) : typeof dur === 'string' ? splitDecimalSeconds(dur) : [0, 0] as [number, number];
    if (d === null) { bad('bad_duration'); f.lastSec = ts[0]; f.lastNsec = ts[1]; }
    else {
      let ns = ts[1] + d[1], s = ts[0] + d[0];
      if (ns >= 1e9) { ns -= 1e9; s++; }
      f.lastSec = s; f.lastNsec = ns;
    }
    f.proto = proto; f.origH = oh; f.origP = op; f.respH = rh; f.respP = rp;
    f.origPkts = Math.max(0, count(get('orig_pkts'))); f.respPkts = Math.max(0, count(get('resp_pkts')));
    f.origIpBytes = Math.max(0, count(get('orig_ip_bytes'))); f.respIpBytes = Math.max(0, count(get('resp_ip_bytes')));
    const st = text(get('conn_state'));
    if (st !== '' && !CONN_STATES.has(st)) bad('unknown_conn_state');
    f.connState = (CONN_STATES.has(st) ? st : '') as ConnState;
    const h = text(get('history'));
    f.history = h;
    if (proto === 6) { const [o, r] = flagsFromHistory(h); f.origFlags = o; f.respFlags = r; }
    f.directionInferred = originatorInferred(proto, h, op);
    const vlan = count(get('vlan'));
    if (vlan >= 0) f.vlan = vlan;
    const cid = get('community_id');
    f.communityId = typeof cid === 'string' && cid !== '' ? cid : communityId(proto, oh, op, rh, rp);
    this.onFlow(f);
  }
}

const ICMP_REPLY_TYPES = new Set([0, 14, 16, 18]);
const ICMP6_REPLY_TYPES = new Set([129, 131, 134, 136]);

/**
 * Whether the originator is a guess, with the flow stage's meaning (src/flow/table.ts): Zeek
 * flipped it (`^`), or TCP without a SYN from the originator, or UDP and other port protocols
 * (the first packet's sender is not proof of who started), or an ICMP reply type.
 */
export function originatorInferred(proto: number, history: string, origP: number): boolean {
  if (history.includes('^')) return true;
  if (proto === 6) return !history.includes('S');
  if (proto === 1) return ICMP_REPLY_TYPES.has(origP);
  if (proto === 58) return ICMP6_REPLY_TYPES.has(origP);
  return true;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A Zeek count/port (JSON number or decimal text) → integer, or -1. */
function count(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : -1;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return -1;
}

/** `\x09` → tab (Zeek writes the separator escaped in its header). */
function unescapeZeek(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}
