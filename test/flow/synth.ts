/** Synthetic DecodedPacket sequences for pure flow-table tests (no capture or decoder involved). */
import { DecodedPacket } from '../../src/decode/packet.js';
import { parseAddr } from '../../src/core/ip.js';
import { Anomalies } from '../../src/core/anomalies.js';
import { FlowTable, type FlowTableOptions } from '../../src/flow/table.js';
import type { FlowRecord } from '../../src/flow/record.js';

export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export interface SynthPacket {
  src: string; dst: string; sport?: number; dport?: number;
  proto?: number; flags?: number; len?: number; t?: number; vlan?: number;
  icmpType?: number; icmpCode?: number;
  quoted?: { proto: number; src: string; dst: string; sport: number; dport: number; noPorts?: boolean };
  fragment?: number;
  /** The snaplen cut the TCP header after the ports (DecodedPacket.tcpFlagsKnown false; flags read as 0). */
  flagsUnknown?: boolean;
}

function setAddr(out: Uint32Array, s: string): void {
  const w = parseAddr(s);
  if (w === null) throw new Error(`bad address ${s}`);
  out.set(w);
}

export function fill(p: DecodedPacket, s: SynthPacket): void {
  p.reset();
  p.proto = s.proto ?? 6;
  setAddr(p.src, s.src); setAddr(p.dst, s.dst);
  p.ipVersion = s.src.includes(':') ? 6 : 4;
  if (p.proto === 6 || p.proto === 17) { p.hasPorts = true; p.srcPort = s.sport ?? 0; p.dstPort = s.dport ?? 0; }
  p.tcpFlags = s.flags ?? 0;
  p.payloadLen = s.len ?? 0;
  p.ipLen = (p.ipVersion === 4 ? 20 : 40) + (p.proto === 6 ? 20 : p.proto === 17 ? 8 : 8) + p.payloadLen;
  p.vlan = s.vlan ?? -1;
  if (s.icmpType !== undefined) { p.icmpType = s.icmpType; p.icmpCode = s.icmpCode ?? 0; }
  if (s.quoted) {
    p.hasQuoted = true; p.quotedProto = s.quoted.proto;
    setAddr(p.quotedSrc, s.quoted.src); setAddr(p.quotedDst, s.quoted.dst);
    p.quotedSrcPort = s.quoted.sport; p.quotedDstPort = s.quoted.dport;
    // as the decoder sets it when the quote reached the ports
    p.quotedHasPorts = !s.quoted.noPorts && (s.quoted.proto === 6 || s.quoted.proto === 17 || s.quoted.proto === 132);
    if (s.quoted.noPorts) { p.quotedSrcPort = 0; p.quotedDstPort = 0; }
  }
  p.fragment = s.fragment ?? 0;
  if (s.flagsUnknown) { p.tcpFlagsKnown = false; p.tcpFlags = 0; }
}

export interface RunResult { flows: FlowRecord[]; table: FlowTable; anomalies: Anomalies }

/** Feed packets (t in seconds, default 1 ms apart) and flush. Flows in emission order. */
export function run(packets: SynthPacket[], opts: FlowTableOptions = {}, flush = true): RunResult {
  const flows: FlowRecord[] = [];
  const table = new FlowTable(opts, (r) => flows.push(r));
  table.setSource(0, 'synthetic', 'pcap');
  const an = new Anomalies();
  const p = new DecodedPacket();
  let i = 0;
  for (const s of packets) {
    fill(p, s);
    // whole microseconds (no float drift in the nanosecond field)
    const us = s.t !== undefined ? Math.round(s.t * 1e6) : 1_700_000_000 * 1e6 + i * 1000;
    const sec = Math.floor(us / 1e6), nsec = (us % 1e6) * 1000;
    table.update(p, sec, nsec, 0, 0, an, i);
    i++;
  }
  if (flush) table.flush();
  return { flows, table, anomalies: an };
}

/** A TCP exchange between client c:cp and server s:sp given as [fromClient, flags, len] steps. */
export function tcp(c: string, cp: number, s: string, sp: number, steps: [boolean, number, number?][]): SynthPacket[] {
  return steps.map(([fromClient, flags, len]) => fromClient
    ? { src: c, dst: s, sport: cp, dport: sp, flags, len: len ?? 0 }
    : { src: s, dst: c, sport: sp, dport: cp, flags, len: len ?? 0 });
}
