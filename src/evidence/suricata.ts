/**
 * Suricata eve.json `flow` events (one JSON object per line; other event types are counted and
 * skipped). src_* is the side that sent the flow's first packet (toserver), so it is the
 * originator; it counts as inferred as the flow stage would count it: TCP when that side sent no
 * SYN (Suricata picked the session up midstream), UDP and other port protocols always, ICMP for
 * reply types. Packet and byte counts are `pkts_/bytes_toserver|toclient` plus any
 * `bypassed` counters (Suricata counts whole packets, link header included).
 *
 * A Zeek-style conn_state is derived from the TCP flags Suricata ORed per direction
 * (`tcp.tcp_flags_ts` / `tcp_flags_tc`, hex): SYN and no reply → S0, SYN answered by RST
 * without SYN-ACK → REJ, handshake then FIN both ways → SF, then RST from orig → RSTO, from resp
 * → RSTR, open → S1; no SYN from orig → OTH. UDP: SF when both sides sent, S0 when only the
 * originator did; other protocols (ICMP, …) OTH, as Zeek writes them. History stays '' (Suricata keeps no event order).
 */
import type { ConnState, FlowRecord } from '../flow/record.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, blankFlow, canonAddr, communityId, parseAnyTs, protoNumber, widen } from './common.js';
import { LineRecordReader, type EndState } from './common.js';
import { forEachLine } from './input.js';
import { originatorInferred } from './zeek.js';

export class SuricataEveReader extends LineRecordReader {

  async readFile(file: string): Promise<{ bytes: number; end: EndState }> {
    this.source = file;
    return forEachLine(file, (line, offset) => {
      if (line.trim() === '') return;
      const idx = this.index++;
      const ev = this.jsonObject(line, idx, offset, 'evidence.suricata');
      if (ev === null) return;
      if (ev['event_type'] !== 'flow') { this.anomalies.add('evidence.suricata.skipped_non_flow_event', idx, offset); return; }
      this.records++;
      const f = this.#flow(ev, (why) => this.anomalies.add(`evidence.suricata.${why}`, idx, offset));
      if (f !== null) this.onFlow(f);
    });
  }

  #flow(ev: Record<string, unknown>, bad: (why: string) => void): FlowRecord | null {
    const oh = canonAddr(str(ev['src_ip'])), rh = canonAddr(str(ev['dest_ip']));
    if (oh === null || rh === null) { bad('bad_address'); return null; }
    const proto = protoNumber(str(ev['proto']));
    if (proto < 0) { bad('unknown_protocol'); return null; }
    const icmp = proto === 1 || proto === 58;
    const op = icmp ? int(ev['icmp_type']) : int(ev['src_port']);
    const rp = icmp ? int(ev['icmp_code']) : int(ev['dest_port']);
    const fl = obj(ev['flow']);
    if (fl === null) { bad('missing_flow_object'); return null; }
    const f = blankFlow('suricata', this.source);
    f.proto = proto; f.origH = oh; f.respH = rh;
    f.origP = op < 0 || op > 65535 ? 0 : op; f.respP = rp < 0 || rp > 65535 ? 0 : rp;
    const start = parseAnyTs(fl['start']) ?? parseAnyTs(ev['timestamp']);
    const end = parseAnyTs(fl['end']) ?? start;
    if (start === null || end === null) { bad('bad_timestamp'); return null; }
    widen(f, start[0], start[1]);
    widen(f, end[0], end[1]);
    const by = obj(fl['bypassed']);
    f.origPkts = cnt(fl['pkts_toserver']) + cnt(by?.['pkts_toserver']);
    f.respPkts = cnt(fl['pkts_toclient']) + cnt(by?.['pkts_toclient']);
    f.origIpBytes = cnt(fl['bytes_toserver']) + cnt(by?.['bytes_toserver']);
    f.respIpBytes = cnt(fl['bytes_toclient']) + cnt(by?.['bytes_toclient']);
    if (proto === 6) {
      const tcp = obj(ev['tcp']);
      f.origFlags = hex(tcp?.['tcp_flags_ts']);
      f.respFlags = hex(tcp?.['tcp_flags_tc']);
      f.connState = tcpState(f.origFlags, f.respFlags, f.respPkts);
      f.directionInferred = (f.origFlags & TCP_SYN) === 0;
    } else {
      f.connState = proto !== 17 ? 'OTH' : f.respPkts > 0 ? 'SF' : 'S0';
      f.directionInferred = originatorInferred(proto, '', op);
    }
    const vl = ev['vlan'];
    if (Array.isArray(vl) && typeof vl[0] === 'number') f.vlan = vl[0];
    const cid = ev['community_id'];
    f.communityId = typeof cid === 'string' && cid !== '' ? cid : communityId(proto, oh, f.origP, rh, f.respP);
    return f;
  }
}

/** Zeek-style conn_state from the ORed TCP flags of each direction (see the file comment). */
export function tcpState(o: number, r: number, respPkts: number): ConnState {
  if ((o & TCP_SYN) === 0) return 'OTH';
  const synAck = (r & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
  if (!synAck) {
    if ((r & TCP_RST) !== 0) return 'REJ';
    if (respPkts === 0 && r === 0) return (o & TCP_RST) !== 0 ? 'RSTOS0' : 'S0';
    return 'OTH';
  }
  if ((o & TCP_RST) !== 0) return 'RSTO';
  if ((r & TCP_RST) !== 0) return 'RSTR';
  if ((o & TCP_FIN) !== 0 && (r & TCP_FIN) !== 0) return 'SF';
  if ((o & TCP_FIN) !== 0) return 'S2';
  if ((r & TCP_FIN) !== 0) return 'S3';
  return 'S1';
}

function str(v: unknown): string { return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ''; }
function int(v: unknown): number { return typeof v === 'number' && Number.isInteger(v) ? v : -1; }
function cnt(v: unknown): number { return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0; }
function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
}
function hex(v: unknown): number {
  return typeof v === 'string' && /^[0-9a-fA-F]{1,2}$/.test(v) ? parseInt(v, 16) : 0;
}
