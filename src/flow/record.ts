/**
 * A finished bidirectional flow: what the flow stage hands to the audit, and what other
 * evidence readers (flow logs, Zeek conn.log, Suricata eve.json) produce too. One object per
 * flow, never per packet. Field names follow Zeek's conn.log where one exists.
 */

/** Zeek conn_state codes, plus '' when the evidence cannot tell (flow logs). */
export type ConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH' | '';

/** ICMP/ICMPv6 errors that quoted this flow's packets. */
export interface IcmpErrorEvidence {
  /** 'icmp' or 'icmp6'. */
  proto: 'icmp' | 'icmp6';
  type: number;
  code: number;
  count: number;
  /** Address that sent the ICMP error (a router or the destination host). */
  from: string;
}

/** The tunnel a flow came out of: its kind (decode/packet.ts TUNNEL_NAMES) and outer IP endpoints. */
export interface TunnelEvidence { kind: string; outerSrc: string; outerDst: string }

/** Where a flow record came from. */
export type EvidenceKind = 'pcap' | 'pcapng' | 'live' | 'azure-nsg' | 'azure-vnet' | 'aws-vpc' | 'zeek' | 'suricata';

export interface FlowRecord {
  /** First packet, epoch seconds + nanoseconds. */
  firstSec: number; firstNsec: number;
  /** Last packet. */
  lastSec: number; lastNsec: number;
  /** IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmp6, ...). */
  proto: number;
  /** Canonical address text (dotted quad for IPv4, RFC 5952 for IPv6). */
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  origPkts: number; respPkts: number;
  origIpBytes: number; respIpBytes: number;
  /** Union of TCP flags seen from each side (0 for non-TCP). */
  origFlags: number; respFlags: number;
  connState: ConnState;
  /** Zeek history letters ('' when the evidence has none). */
  history: string;
  /** Originator chosen by heuristic (no SYN seen): see README "Which side is the originator". */
  directionInferred: boolean;
  icmpErrors: IcmpErrorEvidence[];
  /** Outer VLAN id, or null. */
  vlan: number | null;
  /** Tunnel the flow was carried in, with the outer endpoints, or null. */
  tunnel: TunnelEvidence | null;
  /** Interface id within the input, or null. */
  ifIndex: number | null;
  /** Community ID v1 (seed 0, base64), or '' when it cannot be computed. */
  communityId: string;
  /** Which evidence produced the record. */
  evidence: EvidenceKind;
  /** Input file (or interface for live capture) it came from. */
  source: string;
  /**
   * A flow-log verdict where the source states one: 'allowed' or 'denied' (NSG 'A'/'D', AWS ACCEPT/REJECT).
   * null for packet evidence (the audit derives blocking from conn_state and ICMP errors).
   */
  verdict: 'allowed' | 'denied' | null;
}

/** A hostname seen mapped to an address in the capture: DNS answers and TLS SNI. */
export interface NameObservation {
  name: string;
  address: string;
  via: 'dns' | 'sni';
}

/** What one input (capture file, stdin, flow-log file, live interface) contributed, for reports. */
export interface InputSummary {
  /** File path as given (or `-` for stdin, `live:<iface>` for live capture). */
  file: string;
  /** 'pcap' | 'pcapng' | an EvidenceKind for flow logs | null when unrecognised. */
  format: string | null;
  compressed: 'gzip' | null;
  packets: number;
  /** Flow records (flow logs) read, 0 for captures. */
  records: number;
  /** Bytes read from the input (decompressed). */
  bytes: number;
  firstSec: number; firstNsec: number;
  lastSec: number; lastNsec: number;
  /** Counted anomalies by name (decode and capture). */
  anomalies: Record<string, { count: number; first_packet: number }>;
  /** How reading ended: clean, or where and why it stopped (the report names file, offset and reason). */
  end: { clean: boolean; code: string | null; offset: number; reason: string | null };
}

/** Everything the audit needs from the evidence stage. */
export interface Evidence {
  flows: FlowRecord[];
  names: NameObservation[];
  inputs: InputSummary[];
  /** Flows evicted early because --max-flows was reached (each still reported as a flow). */
  evictions: number;
}

/** The shared (frozen) empty ICMP error list of the many flows without one: one allocation less per record. */
export const NO_ICMP_ERRORS = Object.freeze([]) as unknown as IcmpErrorEvidence[];

/** A record with every field set (to be filled: FlowTable.recordInto, FlowStore.getInto). */
export function blankRecord(): FlowRecord {
  return {
    firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, proto: 0, origH: '', origP: 0, respH: '', respP: 0,
    origPkts: 0, respPkts: 0, origIpBytes: 0, respIpBytes: 0, origFlags: 0, respFlags: 0,
    connState: '', history: '', directionInferred: false, icmpErrors: NO_ICMP_ERRORS, vlan: null, tunnel: null, ifIndex: null,
    communityId: '', evidence: 'pcap', source: '', verdict: null,
  };
}
