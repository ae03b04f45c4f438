import { fileURLToPath } from 'node:url';
import { detectEvidencePath, readEvidenceFile, type EvidenceInfo } from '../../../src/evidence/index.js';
import type { EvidenceKind, FlowRecord } from '../../../src/flow/record.js';

export const FIX = fileURLToPath(new URL('../../../fixtures/evidence/', import.meta.url));

export async function collect(path: string, kind?: EvidenceKind): Promise<{ flows: FlowRecord[]; info: EvidenceInfo; kind: EvidenceKind | null }> {
  const k = kind ?? await detectEvidencePath(path);
  if (k === null) throw new Error(`not recognised: ${path}`);
  const flows: FlowRecord[] = [];
  const info = await readEvidenceFile(path, k, (f) => flows.push(f));
  return { flows, info, kind: k };
}

/** The one flow with this responder port (and optionally originator port); throws when not exactly one. */
export function byPort(flows: FlowRecord[], respP: number, origP?: number): FlowRecord {
  const m = flows.filter((f) => f.respP === respP && (origP === undefined || f.origP === origP));
  if (m.length !== 1) throw new Error(`expected one flow to port ${respP}${origP !== undefined ? ` from ${origP}` : ''}, found ${m.length}`);
  return m[0]!;
}

/** The fields a flow log can state, for deepEqual-style checks. */
export function core(f: FlowRecord): Record<string, unknown> {
  return {
    proto: f.proto, origH: f.origH, origP: f.origP, respH: f.respH, respP: f.respP,
    origPkts: f.origPkts, origIpBytes: f.origIpBytes, respPkts: f.respPkts, respIpBytes: f.respIpBytes,
    first: [f.firstSec, f.firstNsec], last: [f.lastSec, f.lastNsec], verdict: f.verdict,
    connState: f.connState, history: f.history, directionInferred: f.directionInferred, evidence: f.evidence,
  };
}
