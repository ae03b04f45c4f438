/** Builders for synthetic flows and policies used by the rules/audit/report unit tests. */
import type { ConnState, Evidence, FlowRecord, IcmpErrorEvidence, InputSummary, NameObservation } from '../../src/flow/record.js';
import { builtinProfile, profileFromText, type Profile } from '../../src/rules/profile.js';
import { inventoryFromText } from '../../src/rules/inventory.js';
import { compilePolicy, type CompiledPolicy } from '../../src/rules/policy.js';

let clock = 1_700_000_000;

export interface FlowSpec {
  o: string; r: string; p: number;
  proto?: 'tcp' | 'udp' | number;
  state?: ConnState;
  op?: number;
  respPkts?: number;
  t?: number;
  dur?: number;
  icmp?: IcmpErrorEvidence[];
  inferred?: boolean;
  verdict?: 'allowed' | 'denied' | null;
  evidence?: FlowRecord['evidence'];
}

/** A finished flow; TCP defaults to a complete session (SF), UDP to an answered exchange. */
export function flow(s: FlowSpec): FlowRecord {
  const proto = s.proto === undefined || s.proto === 'tcp' ? 6 : s.proto === 'udp' ? 17 : s.proto;
  const t = s.t ?? clock++;
  const state: ConnState = s.state ?? (proto === 6 ? 'SF' : '');
  const respPkts = s.respPkts ?? (state === 'S0' || state === 'SH' || state === 'RSTOS0' ? 0 : state === 'REJ' ? 1 : 3);
  return {
    firstSec: t, firstNsec: 0, lastSec: t + (s.dur ?? 1), lastNsec: 0,
    proto, origH: s.o, origP: s.op ?? 50000, respH: s.r, respP: s.p,
    origPkts: 3, respPkts, origIpBytes: 180, respIpBytes: respPkts * 60,
    origFlags: 0, respFlags: 0, connState: state, history: '',
    directionInferred: s.inferred ?? false, icmpErrors: s.icmp ?? [],
    vlan: null, tunnel: null, ifIndex: null, communityId: '',
    evidence: s.evidence ?? 'pcap', source: 'synthetic.pcap', verdict: s.verdict ?? null,
  };
}

export function input(firstSec: number, lastSec: number, file = 'synthetic.pcap'): InputSummary {
  return {
    file, format: 'pcap', compressed: null, packets: 10, records: 0, bytes: 1000,
    firstSec, firstNsec: 0, lastSec, lastNsec: 0, anomalies: {},
    end: { clean: true, code: null, offset: 1000, reason: null },
  };
}

export function evidence(flows: FlowRecord[], opts: { names?: NameObservation[]; span?: [number, number]; inputs?: InputSummary[] } = {}): Evidence {
  const first = flows.reduce((m, f) => Math.min(m, f.firstSec), opts.span?.[0] ?? Infinity);
  const last = flows.reduce((m, f) => Math.max(m, f.lastSec), opts.span?.[1] ?? -Infinity);
  return { flows, names: opts.names ?? [], inputs: opts.inputs ?? [input(opts.span?.[0] ?? first, opts.span?.[1] ?? last)], evictions: 0 };
}

export const BASIC_INVENTORY = {
  roles: {
    aadconnect: ['10.0.0.20'],
    dc: ['10.0.0.10', '10.0.0.11'],
    azuread: ['203.0.113.0/24'],
    adfs: ['10.0.0.30'],
    wap: ['10.1.0.40'],
    users: ['198.51.100.0/24'],
  },
};

export async function policyFor(inv: unknown, profile: string | Profile = 'hybrid-identity', features: string[] = []): Promise<CompiledPolicy> {
  const p = typeof profile === 'string' ? await builtinProfile(profile) : profile;
  const i = await inventoryFromText(JSON.stringify(inv, null, 2), 'inventory.json', p);
  return compilePolicy(p, i, features);
}

export async function profileText(o: unknown, file = 'profile.json'): Promise<Profile> {
  return profileFromText(JSON.stringify(o, null, 2), file);
}
