/** The audit's output model: findings, per-rule coverage, and the report that carries them. */

export const FINDING_KINDS = ['unexpected', 'blocked', 'missing', 'not-observed', 'unknown-host', 'doc-only', 'legacy'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const COVERAGE_STATUSES = ['seen', 'blocked', 'missing', 'not-observed', 'not-applicable'] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

export const DEFAULT_FAIL_ON: FindingKind[] = ['unexpected', 'blocked', 'missing'];

export interface FindingEvidence {
  /** Zeek conn_state → number of flows ('-' for evidence without one). */
  conn_states: Record<string, number>;
  /** ICMP errors that quoted these flows. */
  icmp: Array<{ proto: string; type: number; code: number; from: string; count: number }>;
  /** Evidence kinds (pcap, pcapng, azure-nsg, ...). */
  sources: string[];
  /** Input files. */
  inputs: string[];
  /** Flows that got an answer / none / were refused / hit ICMP unreachable / were denied by a flow log. */
  answered: number;
  no_answer: number;
  refused: number;
  icmp_unreachable: number;
  denied: number;
  orig_pkts: number;
  resp_pkts: number;
  orig_bytes: number;
  resp_bytes: number;
  /** Flows whose originator was guessed (no SYN seen). */
  direction_inferred: number;
  /** Other notes (RPC endpoint-mapper link, proxy, names that bound an address to its role). */
  notes: string[];
  /** For unknown-host: the addresses in no role (up to 20) and how many there were. */
  peers?: string[];
  peer_count?: number;
}

export interface Finding {
  id: string;
  kind: FindingKind;
  severity: Severity;
  rule: string | null;
  table: string | null;
  row: string | null;
  level: string | null;
  proto: string | null;
  orig_h: string | null;
  orig_role: string[];
  resp_h: string | null;
  resp_role: string[];
  resp_p: number | null;
  flows: number;
  first: string | null;
  last: string | null;
  evidence: FindingEvidence;
  explanation: string;
}

export interface CoverageEntry {
  rule: string;
  table: string;
  row: string;
  level: string;
  condition: string[];
  protocols: string[];
  ports: string;
  status: CoverageStatus;
  /** Flows that completed (got an answer) on a real transport of the rule. */
  flows: number;
  blocked: number;
  doc_only: number;
  reason: string;
}

export interface InputReport {
  file: string;
  format: string | null;
  compressed: string | null;
  packets: number;
  records: number;
  bytes: number;
  first: string | null;
  last: string | null;
  seconds: number;
  anomalies: Record<string, { count: number; first_packet: number }>;
  end: { clean: boolean; code: string | null; offset: number; reason: string | null };
}

export interface AuditReport {
  tool: string;
  version: string;
  profile: { name: string; title: string; source: string; origin: string; tables: Record<string, string> };
  inventory: string;
  features: { declared: string[]; inferred: string[] };
  inputs: InputReport[];
  window: { first: string | null; last: string | null; seconds: number };
  summary: {
    verdict: 'PASS' | 'FAIL';
    fail_on: FindingKind[];
    counts: Record<FindingKind, number>;
    flows: { total: number; audited: number; out_of_scope: number; not_ip_tcp_udp: number; evicted: number };
    damaged_inputs: number;
  };
  findings: Finding[];
  coverage: CoverageEntry[];
  warnings: string[];
}
