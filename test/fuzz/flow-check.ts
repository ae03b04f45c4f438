/**
 * The property of the flow stage (FlowEngine: Decoder + FlowTable + name parsers) on hostile
 * packets: no exception; every finished flow is sane (canonical addresses, ports and protocol in
 * range, first ≤ last, a known conn_state); flows hold no more packets than went in; anomalies are named; and a good
 * TCP connection after the hostile packets gives exactly the flow record it gives on its own.
 */
import { canonicalAddr } from '../../src/core/ip.js';
import type { Anomalies } from '../../src/core/anomalies.js';
import type { PacketRecord } from '../../src/capture/types.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { FuzzStats, withinBudget } from './harness.js';
import { PropertyFailure } from './capture-check.js';
import { eth, ipv4, tcp, TCP_FLAGS } from './bytes.js';

export interface EngineLike {
  addSource(fileIndex: number, name: string, kind: 'pcap'): Anomalies;
  packet(rec: PacketRecord): void;
  flush(): number;
  readonly anomalies: Anomalies[];
  readonly packets: number;
  readonly flowPackets: number;
}
export type EngineCtor = new (opts: { onFlow: (f: FlowRecord) => void; maxFlows?: number }) => EngineLike;

const STATES = new Set(['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH', '']);
const T0 = 1700000000;

function fail(anomaly: string, msg: string): never {
  throw new PropertyFailure(anomaly, msg);
}

/** A complete TCP connection 198.18.0.1:40000 → 198.18.0.2:636 (SYN, SYN-ACK, ACK, FIN, FIN-ACK, ACK) starting at `t`. */
export function goodConnection(t: number): { frame: Buffer; t: number }[] {
  const a = '198.18.0.1', b = '198.18.0.2';
  const { SYN, ACK, FIN } = TCP_FLAGS;
  const seg: [string, string, number, number, number][] = [[a, b, 40000, 636, SYN], [b, a, 636, 40000, SYN | ACK], [a, b, 40000, 636, ACK], [a, b, 40000, 636, FIN | ACK], [b, a, 636, 40000, FIN | ACK], [a, b, 40000, 636, ACK]];
  return seg.map(([s, d, sp, dp, fl], i) => ({ frame: eth(0x0800, ipv4(s, d, 6, tcp(sp, dp, fl, Buffer.alloc(0), 5, 1000 + i, 2000 + i))), t: t + i }));
}

function rec(frame: Buffer, index: number, tsSec: number): PacketRecord {
  return { index, fileIndex: 0, ifIndex: 0, linkType: 1, tsSec, tsNsec: 0, capLen: frame.length, origLen: frame.length, data: frame, offset: 0, direction: 0, fileOffset: 0 };
}

function run(Ctor: EngineCtor, packets: { frame: Buffer; t: number }[]): { flows: FlowRecord[]; eng: EngineLike } {
  const flows: FlowRecord[] = [];
  const eng = new Ctor({ onFlow: (f) => flows.push(f), maxFlows: 4096 });
  eng.addSource(0, 'fuzz', 'pcap');
  packets.forEach((p, i) => eng.packet(rec(p.frame, i, p.t)));
  eng.flush();
  return { flows, eng };
}

const GOOD_T = T0 + 1000;
let baseline: string | null = null;

export function flowCase(stats: FuzzStats, Ctor: EngineCtor, frames: Uint8Array[], times?: number[]): void {
  baseline ??= JSON.stringify(run(Ctor, goodConnection(GOOD_T)).flows);
  // hostile packets first (time may go backwards among them, never past the good connection), then the good connection
  const pk = frames.map((f, i) => ({ frame: Buffer.from(f), t: Math.min(GOOD_T - 1, times?.[i] ?? T0 + i) }));
  const all = [...pk, ...goodConnection(GOOD_T)];
  let res!: ReturnType<typeof run>;
  withinBudget(stats, 'flow', all.reduce((n, p) => n + p.frame.length, 0), () => {
    try { res = run(Ctor, all); } catch (e) { fail('flow_threw', `FlowEngine threw: ${(e as Error).stack}`); }
  });
  const { flows, eng } = res;
  let pkts = 0;
  for (const f of flows) {
    if (canonicalAddr(f.origH) !== f.origH || canonicalAddr(f.respH) !== f.respH) fail('flow_bad_address', `addresses ${f.origH} ${f.respH}`);
    if (!(f.proto >= 0 && f.proto <= 255 && f.origP >= 0 && f.origP <= 65535 && f.respP >= 0 && f.respP <= 65535)) fail('flow_bad_numbers', JSON.stringify(f));
    if (f.firstSec > f.lastSec || (f.firstSec === f.lastSec && f.firstNsec > f.lastNsec)) fail('flow_time_reversed', `first ${f.firstSec}.${f.firstNsec} after last ${f.lastSec}.${f.lastNsec}`);
    if (!STATES.has(f.connState)) fail('flow_bad_state', f.connState);
    if (f.origPkts < 0 || f.respPkts < 0 || f.origIpBytes < 0 || f.respIpBytes < 0) fail('flow_negative_count', JSON.stringify(f));
    pkts += f.origPkts + f.respPkts;
  }
  // later IP fragments add bytes to their datagram's flow but are not counted as packets (table.ts), so ≤
  if (pkts > eng.flowPackets) fail('flow_packets_mismatch', `flows hold ${pkts} packets, the engine put only ${eng.flowPackets} into flows`);
  for (const a of eng.anomalies) for (const e of a?.entries() ?? []) {
    if (!/^(decode|flow)\.[a-z0-9_.]+$/.test(e.name)) fail('flow_unnamed_anomaly', e.name);
    if (e.name === 'decode.internal_error') fail('internal_error', 'decode.internal_error counted');
    stats.seen(e.name, e.count);
  }
  const good = flows.filter((f) => f.origH === '198.18.0.1' || f.respH === '198.18.0.1');
  if (JSON.stringify(good) !== baseline) fail('flow_unusable_after', `the good connection after hostile packets gives ${JSON.stringify(good)}, alone ${baseline}`);
  stats.count('flow');
  stats.seen('flow:flows', flows.length);
}
