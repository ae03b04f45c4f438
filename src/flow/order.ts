/** The deterministic order of flow records, shared by the evidence stage (sorting), the flow store and the audit. */
import type { FlowRecord } from './record.js';

/** Deterministic flow order: first packet time, then protocol, endpoints, VLAN, source. */
export function compareFlows(a: FlowRecord, b: FlowRecord): number {
  if (a.firstSec !== b.firstSec) return a.firstSec - b.firstSec;
  if (a.firstNsec !== b.firstNsec) return a.firstNsec - b.firstNsec;
  if (a.proto !== b.proto) return a.proto - b.proto;
  if (a.origH !== b.origH) return a.origH < b.origH ? -1 : 1;
  if (a.origP !== b.origP) return a.origP - b.origP;
  if (a.respH !== b.respH) return a.respH < b.respH ? -1 : 1;
  if (a.respP !== b.respP) return a.respP - b.respP;
  const av = a.vlan ?? -1, bv = b.vlan ?? -1;
  if (av !== bv) return av - bv;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.lastSec !== b.lastSec) return a.lastSec - b.lastSec;
  return a.lastNsec - b.lastNsec;
}
