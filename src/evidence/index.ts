/**
 * Evidence that arrives as flow records rather than packets: cloud flow logs, Zeek conn.log,
 * Suricata eve.json. (Stub until the flow-log readers land: recognises nothing.)
 */
import type { FlowRecord, EvidenceKind } from '../flow/record.js';

export interface EvidenceInfo {
  file: string;
  kind: EvidenceKind;
  records: number;
  bytes: number;
  /** Named anomalies (malformed lines, unknown versions, ...). */
  anomalies: Record<string, { count: number; first_packet: number }>;
  end: { clean: boolean; code: string | null; offset: number; reason: string | null };
}

/** Which evidence format the first bytes (and name) show, or null when it is not a flow-record format. */
export function detectEvidence(_first: Buffer, _file: string): EvidenceKind | null {
  return null;
}

/** Stream a flow-record file, calling onFlow once per (merged) flow. */
export async function readEvidenceFile(file: string, kind: EvidenceKind, _onFlow: (f: FlowRecord) => void): Promise<EvidenceInfo> {
  return { file, kind, records: 0, bytes: 0, anomalies: {}, end: { clean: true, code: null, offset: 0, reason: null } };
}
