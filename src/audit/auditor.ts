/**
 * The audit: flows in, findings and per-rule coverage out. `createAuditor` is incremental (live
 * audits call addFlow as flows close, and get unexpected/blocked findings at once); `audit` is the
 * batch form over an Evidence. Pure: the same evidence, policy and options give the same report.
 */
import { createHash } from 'node:crypto';
import { tsCompare, tsDiff, tsToIso } from '../core/time.js';
import { parseAddr } from '../core/ip.js';
import { compareFlows } from '../flow/order.js';
import type { Evidence, EvidenceKind, FlowRecord, InputSummary, NameObservation } from '../flow/record.js';
import type { FlowRow } from '../flow/row.js';
import type { CompiledPolicy } from '../rules/policy.js';
import { PROTO_NAME, isMulticastOrBroadcast } from '../rules/policy.js';
import { formatPorts, type Level, type Rule } from '../rules/profile.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { isPlausibleUnlisted, serviceText } from './services.js';
import { PeerSet, type AddressTexts } from './peer-set.js';
import { PortSet } from './port-set.js';
import { RpcLinks } from './rpc-links.js';
import { StateCounts } from './state-counts.js';
import {
  DEFAULT_FAIL_ON, FINDING_KINDS, SEVERITIES,
  type AuditReport, type CoverageEntry, type Finding, type FindingEvidence, type FindingKind, type InputReport, type Severity,
} from './types.js';

export interface AuditOptions {
  /** Kinds that make the verdict FAIL (info-severity findings never do). Default unexpected, blocked, missing. */
  failOn?: FindingKind[];
  /**
   * Other compiled policies (same inventory, other profiles) to mention in explanations when they
   * allow what this one does not (e.g. SMB 445 is in entra-connect-2025 but not in the seed).
   */
  compare?: CompiledPolicy[];
  /**
   * Whether addFlow returns the findings each flow creates (default true: live audits print them).
   * A batch audit that only calls finish() passes false and saves building one finding per new one.
   */
  newFindings?: boolean;
}

export interface Auditor {
  /** Bind a DNS answer or TLS SNI to an address (call before the flows that use it when you can). */
  addName(obs: NameObservation): void;
  /**
   * Audit one finished flow; returns the findings this flow created (not those it only updated).
   * `origKey`/`respKey` (optional): small non-negative integers naming the flow's addresses, the same
   * for the same address text across calls (FlowStore address ids); the auditor then remembers each
   * address's roles by key instead of looking its text up. The auditor copies what it keeps of
   * the record: a caller may refill one object for every flow (FlowStore.getInto).
   */
  addFlow(flow: FlowRecord, origKey?: number, respKey?: number): Finding[];
  /**
   * Audit one finished flow of a flow table as its row (addresses as keys, as addFlow takes them,
   * their texts asked of `texts` only when kept; `src`: the input it came from) without a
   * FlowRecord, when the flow only counts into what exists already (an allowed answered flow, a
   * flow of an unexpected finding that has an earlier one). Returns false, having changed nothing, for any other flow: then give it to
   * addFlow as the record RowRecords.fillWith makes of the same row. Either way the audit is the
   * one of addFlow.
   */
  addRow(row: FlowRow, origKey: number, respKey: number, texts: AddressTexts, src: { name: string; kind: EvidenceKind } | undefined): boolean;
  /**
   * For a row lane (src/audit/row-lane.ts): how rules match a TCP or UDP flow of this protocol,
   * responder port and roles (not both 0) directly; the same for every port of a port class.
   * Bit 0 set when no rule matches. Above it a target (at least 1) when an answered flow from a
   * packet capture only counts as seen for the rules it matched (real, non-legacy rules and no
   * dynamic-RPC one; the lane leaves port 135 of TCP to addRow), 0 otherwise. Targets are
   * numbered here, from 1, below `maxTarget`: the same rule list or finding, the same target.
   */
  laneMatch(proto: number, port: number, origRoles: number, respRoles: number, maxTarget: number): number;
  /**
   * For a row lane: the target of the unexpected finding that a flow no rule matches (this
   * protocol, responder port and roles; its sides not to be swapped) folds into, when the finding
   * exists, the policy has no proxy (through which the flow might go) and the flow is not an
   * endpoint-mapper exchange (TCP 135) between roles that a dynamic-RPC rule joins (addFlow notes
   * those), provided the flow's
   * first packet's second is after laneRep(target); 0 otherwise. Holds until addRow or addFlow
   * is next called.
   */
  laneFold(proto: number, port: number, origRoles: number, respRoles: number, maxTarget: number): number;
  /** The first second of an unexpected finding's representative flow (laneFold's targets): a flow of a later second folds. */
  laneRep(target: number): number;
  /** What a row lane counted without addRow: exactly what addRow adds for each of those flows. */
  addCounted(c: CountedFlows, texts: AddressTexts, sources: readonly ({ name: string; kind: EvidenceKind } | undefined)[]): void;
  /** Close the audit: missing/not-observed, coverage, report. */
  finish(evidence?: Pick<Evidence, 'inputs' | 'evictions'>): AuditReport;
}

/** What a row lane counted without addRow (Auditor.addCounted). */
export interface CountedFlows {
  /** Flows counted, of them between addresses in no role, and audited (allowed and answered). */
  total: number;
  outOfScope: number;
  audited: number;
  /** The roles of their originators (and of both sides of flows whose originator was guessed), or-ed. */
  initiators: number;
  /** Their earliest first packet and latest last packet (seconds, nanoseconds each); null when none. */
  window: readonly [number, number, number, number] | null;
  /** Per rule-list target (laneMatch), how many of them it allowed. */
  seen: readonly (readonly [target: number, flows: number])[];
  /** Per unexpected-finding target (laneFold), what its flows add. */
  folds: readonly FoldCounts[];
  /**
   * What those flows add to the findings' sets (each set keeps a value once): pairs (kind << 28 |
   * target, value); kind 0 an originator (value: its address key), 1 a responder (its address
   * key), 2 a responder port, 3 an input (its fileIndex in `sources`).
   */
  members: ArrayLike<number>;
}

/** What flows folded into one unexpected finding add (CountedFlows.folds). */
export interface FoldCounts {
  target: number;
  flows: number;
  /** Their earliest first packet and latest last packet (seconds, nanoseconds each). */
  window: readonly [number, number, number, number];
  /** Packets and bytes from the originators, then from the responders. */
  origPkts: number; respPkts: number; origBytes: number; respBytes: number;
  answered: number; noAnswer: number; refused: number;
  /** Flows whose originator was guessed. */
  inferred: number;
  /** Flows per connection state, by STATE_NAMES index. */
  states: ArrayLike<number>;
}

/** How a flow ended, from the audit's point of view. */
export type FlowOutcome = 'answered' | 'no-answer' | 'refused' | 'icmp-unreachable' | 'denied';

const NO_ANSWER_STATES = new Set(['S0', 'SH', 'RSTOS0']);
const REFUSED_STATES = new Set(['REJ', 'RSTRH']);
const BIDIRECTIONAL_EVIDENCE = new Set(['pcap', 'pcapng', 'live', 'zeek', 'suricata']);

/** Pure: did this flow get through? */
export function flowOutcome(f: FlowRecord): FlowOutcome {
  if (f.verdict === 'denied') return 'denied';
  const errs = f.icmpErrors;
  for (let i = 0; i < errs.length; i++) {
    const e = errs[i]!;
    if ((e.proto === 'icmp' && e.type === 3) || (e.proto === 'icmp6' && e.type === 1)) return 'icmp-unreachable';
  }
  return plainOutcome(f.proto, f.connState, f.respPkts, f.evidence);
}

/** flowOutcome of a flow with no verdict and no ICMP error, from its numbers. */
export function plainOutcome(proto: number, connState: string, respPkts: number, evidence: EvidenceKind): FlowOutcome {
  if (proto === 6) {
    if (NO_ANSWER_STATES.has(connState)) return 'no-answer';
    if (REFUSED_STATES.has(connState)) return 'refused';
    if (connState === '' && respPkts === 0 && BIDIRECTIONAL_EVIDENCE.has(evidence)) return 'no-answer';
    return 'answered';
  }
  if (proto === 17 && respPkts === 0 && BIDIRECTIONAL_EVIDENCE.has(evidence)) return 'no-answer';
  return 'answered';
}

const LEVEL_RANK: Record<Level, number> = { required: 0, conditional: 1, optional: 2, legacy: 3 };

/** What addFlow returns when the flow created no finding (shared, frozen). */
const NO_FINDINGS: Finding[] = Object.freeze([]) as unknown as Finding[];

/** The rules a flow matched, sorted out once per match() answer (see classify). */
interface Matched {
  /** Rules that are not doc-only for the flow's protocol, and those of them that are not legacy. */
  real: readonly number[];
  nonLegacy: readonly number[];
  /** The primary (most required, then first) rule of all, of real, of nonLegacy (-1: none). */
  primaryAll: number; primaryReal: number; primaryNonLegacy: number;
  /** Whether any nonLegacy rule is a dynamic-RPC rule. */
  rpcDynamic: boolean;
}

/**
 * One finding being built from its flows. A class, so that every instance has one shape whose
 * number fields stay unboxed doubles: adding a flow's counts allocates nothing.
 */
class Agg {
  kind: FindingKind; rule: number;
  origH: string; respH: string; proto: number; respP: number;
  origMask: number; respMask: number;
  flows = 0;
  fSec = 0; fNsec = 0; lSec = 0; lNsec = 0;
  states = new StateCounts();
  icmp = new Map<string, { proto: string; type: number; code: number; from: string; count: number }>();
  sources = new Set<string>(); inputs = new Set<string>();
  outcomes: Record<FlowOutcome, number> = { answered: 0, 'no-answer': 0, refused: 0, 'icmp-unreachable': 0, denied: 0 };
  origPkts = 0; respPkts = 0; origBytes = 0; respBytes = 0;
  inferred = 0;
  notes = new Set<string>();
  peers = new PeerSet();
  /** unexpected only: every responder and responder port folded into this finding. */
  respPeers = new PeerSet();
  /** unknown-host only: the role hosts folded into this finding (`peers` holds the addresses in no role). */
  known = new PeerSet();
  ports = new PortSet();
  reason: string;
  finding: Finding | null = null;
  /** The last values added to sources/inputs/peers/respPeers/ports (consecutive flows repeat them: no Set lookup). */
  lastEvidence = ''; lastSource = ''; lastPeer = ''; lastResp = ''; lastPort = -1; lastKnown = '';
  /** The keys that came with lastPeer and lastResp (-1: none; consecutive flows are then compared by key, not text). */
  lastPeerKey = -1; lastRespKey = -1;
  /**
   * The first of its flows in compareFlows order, whatever order they come in (a copy: callers may
   * refill the record they pass): origH/respH/respP (and an unexpected finding's reason) are taken
   * from it, so the finding is the same for flows fed sorted, in finishing order, or in any other
   * order. null for missing/not-observed.
   */
  rep: FlowRecord | null = null;
  /** The first flow (compareFlows order) that carried ICMP errors (a copy): its first error is quoted in explanations. */
  icmpRep: FlowRecord | null = null;
  /** reason must be computed again from rep (unexpected findings, when an earlier flow came). */
  reasonStale = false;

  /** From its first flow `f`, or with no flow (missing/not-observed). */
  constructor(init: AggInit, f: FlowRecord | null) {
    this.kind = init.kind; this.rule = init.rule;
    this.origH = init.origH; this.respH = init.respH; this.proto = init.proto; this.respP = init.respP;
    this.origMask = init.origMask; this.respMask = init.respMask;
    this.reason = init.reason;
    if (f !== null) {
      this.fSec = f.firstSec; this.fNsec = f.firstNsec; this.lSec = f.lastSec; this.lNsec = f.lastNsec;
      this.rep = { ...f };
    }
  }
}

/** What a new aggregate is made from (the rest starts empty and is filled by account()). */
type AggInit = Pick<Agg, 'kind' | 'rule' | 'origH' | 'respH' | 'proto' | 'respP' | 'origMask' | 'respMask' | 'reason'>;

interface RuleStats { seen: number; blocked: number; docOnly: number; legacy: number; viaProxy: number }

export function findingId(kind: string, rule: string, origH: string, respH: string, proto: string, port: string): string {
  return createHash('sha256').update([kind, rule, origH, respH, proto, port].join('\u0000')).digest('hex').slice(0, 12);
}

function fmtDuration(s: number): string {
  if (s < 120) return `${Math.round(s * 10) / 10} s`;
  if (s < 7200) return `${Math.round(s / 6) / 10} min`;
  return `${Math.round(s / 360) / 10} h`;
}

function cmpStr(a: string | null, b: string | null): number {
  const x = a ?? '', y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export function createAuditor(policy: CompiledPolicy, opts: AuditOptions = {}): Auditor {
  const rules = policy.rules;
  const failOn = opts.failOn ?? DEFAULT_FAIL_ON;
  const aggs = new Map<string, Agg>();
  const stats: RuleStats[] = rules.map(() => ({ seen: 0, blocked: 0, docOnly: 0, legacy: 0, viaProxy: 0 }));
  const counters = { total: 0, audited: 0, outOfScope: 0, notAudited: 0 };
  // a row lane's targets (laneMatch, laneFold): rule lists and unexpected findings, numbered from 1
  const laneTargets: (readonly number[] | Agg | null)[] = [null];
  const laneTargetOf = new Map<readonly number[] | Agg, number>();
  /** The target number of a rule list or a finding, -1 when it would be maxTarget or more. */
  const laneTarget = (x: readonly number[] | Agg, maxTarget: number): number => {
    let t = laneTargetOf.get(x);
    if (t === undefined) {
      if (laneTargets.length >= maxTarget) return -1;
      t = laneTargets.length;
      laneTargets.push(x);
      laneTargetOf.set(x, t);
    }
    return t;
  };
  let initiatorsSeen = 0;
  // the flows' time span (first and last packet), kept as numbers: no object per flow
  // (in a Float64Array: a double kept in a closure variable would be boxed anew on every change)
  let wAny = false;
  const win = new Float64Array(4); // first s, first ns, last s, last ns
  // unexpected aggregates by numbers: originator roles → (responder roles, protocol, port key)
  const unexpectedIndex = new Map<number, Map<number, Map<number, Agg>>>();
  // matchFlow's answer besides the rule ids
  let mReversed = false, mViaProxy = false;
  // Dynamic RPC linking: endpoint-mapper exchanges and dynamic flows by host pair.
  const rpc = new RpcLinks();
  // the originator and responder roles of the dynamic-RPC rules: an exchange between hosts that
  // no such rule joins links nothing (an address's roles do not change in an audit that holds)
  // (a cloud rule may match through a proxy, whose roles are not the rule's: then every exchange is noted)
  const rpcInit: number[] = [], rpcResp: number[] = [];
  let rpcViaProxy = false;
  for (let i = 0; i < rules.length; i++) {
    if (!rules[i]!.rpcDynamic) continue;
    rpcInit.push(policy.ruleInit[i]!); rpcResp.push(policy.ruleResp[i]!);
    if (policy.ruleCloud[i]) rpcViaProxy = true;
  }
  /** Whether a dynamic-RPC rule joins these originator and responder roles (an endpoint-mapper exchange between them is noted). */
  const rpcJoins = (om: number, rm: number): boolean => {
    if (rpcViaProxy) return true;
    for (let j = 0; j < rpcInit.length; j++) if ((rpcInit[j]! & om) !== 0 && (rpcResp[j]! & rm) !== 0) return true;
    return false;
  };
  /** The host pair of these texts and keys (keys that are none, -1: by the texts alone). */
  const rpcPair = (oH: string, rH: string, oKey: number, rKey: number): number => {
    const p = rpc.byKeys(oKey, rKey);
    return p >= 0 ? p : rpc.byTexts(oH, rH, oKey, rKey);
  };
  const reportNew = opts.newFindings ?? true;
  // the findings the current addFlow created (NO_FINDINGS until one is)
  let created: Finding[] = NO_FINDINGS;
  const noteNew = (a: Agg): void => {
    if (!reportNew) return;
    if (created === NO_FINDINGS) created = [];
    created.push(snapshot(a));
  };
  const primaryOf = (list: readonly number[]): number =>
    list.length === 0 ? -1 : list.slice().sort((x, y) => LEVEL_RANK[rules[x]!.level] - LEVEL_RANK[rules[y]!.level] || x - y)[0]!;
  // match() answers are shared frozen arrays: each is sorted out once per protocol
  const matchedBy = [new WeakMap<readonly number[], Matched>(), new WeakMap<readonly number[], Matched>()];
  // (and the last answer in front of them: consecutive flows mostly match the same rules)
  let lastIds: readonly number[] | null = null, lastProto = -1, lastMatched: Matched | null = null;
  const classify = (ids: readonly number[], proto: number): Matched => {
    if (ids === lastIds && proto === lastProto) return lastMatched!;
    const memo = Object.isFrozen(ids) ? matchedBy[proto === 6 ? 0 : 1]! : null;
    const hit = memo?.get(ids);
    if (hit !== undefined) { lastIds = ids; lastProto = proto; lastMatched = hit; return hit; }
    const m = sortOut(ids, proto);
    memo?.set(ids, m);
    return m;
  };
  // (apart from classify: its closures over proto would make every classify call allocate a context)
  const sortOut = (ids: readonly number[], proto: number): Matched => {
    const protoName = PROTO_NAME[proto] as 'tcp' | 'udp';
    const real = ids.filter((i) => !rules[i]!.docOnly.includes(protoName));
    const nonLegacy = real.filter((i) => rules[i]!.level !== 'legacy');
    const m: Matched = {
      real, nonLegacy, primaryAll: primaryOf(ids), primaryReal: primaryOf(real), primaryNonLegacy: primaryOf(nonLegacy),
      rpcDynamic: nonLegacy.some((i) => rules[i]!.rpcDynamic),
    };
    return m;
  };
  // unknown-host aggregates by the role host's roles, then (direction, multicast peer, protocol, port)
  const unknownIndex = new Map<number, Map<number, Agg>>();
  // whether an address (by addFlow's key) is multicast or broadcast: 0 not looked up, 1 no, 2 yes
  let keyMcast = new Uint8Array(0);
  const multicastOf = (addr: string, key: number): boolean => {
    if (key < 0) return isMulticastOrBroadcast(addr);
    if (key >= keyMcast.length) { const m = new Uint8Array(Math.max(1024, key * 2)); m.set(keyMcast); keyMcast = m; }
    let v = keyMcast[key]!;
    if (v === 0) { v = isMulticastOrBroadcast(addr) ? 2 : 1; keyMcast[key] = v; }
    return v === 2;
  };
  const roles = (m: number) => policy.roleList(m);
  // roles by address key (addFlow's origKey/respKey), with a flag per key for "looked up"; reset when
  // names change roles. Integer arrays: a mask read back is a small integer, not a boxed double.
  let keyRoles = new Uint32Array(0);
  let keyKnown = new Uint8Array(0);
  let keyVersion = policy.rolesVersion;
  /** Forget the roles by key when names changed them (once per flow, before rolesByKey). */
  const syncKeyRoles = (): void => {
    const v = policy.rolesVersion;
    if (keyVersion !== v) { keyKnown.fill(0); keyVersion = v; }
  };
  const rolesByKey = (key: number, addr: string, words?: Uint32Array): number => {
    if (key >= keyKnown.length) {
      const n = Math.max(1024, key * 2);
      const roles2 = new Uint32Array(n), known2 = new Uint8Array(n);
      roles2.set(keyRoles); known2.set(keyKnown);
      keyRoles = roles2; keyKnown = known2;
    }
    if (keyKnown[key] === 1) return keyRoles[key]!;
    // (rolesOfWords: the answer of rolesOf(addr) without parsing the text again; a text is parsed
    // here rather than through rolesOf's cache of texts, as this one remembers the key)
    const w = words !== undefined ? [words[0]!, words[1]!, words[2]!, words[3]!] as const : parseAddr(addr);
    const m = w !== null ? policy.rolesOfWords(w) : 0;
    keyRoles[key] = m; keyKnown[key] = 1;
    return m;
  };
  const rolesText = (m: number) => (m === 0 ? 'an address in no role' : roles(m).join('+'));

  const newAgg = (key: string, init: AggInit, f: FlowRecord): Agg => {
    const a = new Agg(init, f);
    aggs.set(key, a);
    return a;
  };

  /** Take origH/respH/respP from f (oriented as the caller matched it) when f comes first in compareFlows order. */
  const represent = (a: Agg, f: FlowRecord, oH: string, rH: string, port: number): void => {
    if (f === a.rep || (a.rep !== null && compareFlows(f, a.rep) >= 0)) return;
    a.rep = { ...f }; a.origH = oH; a.respH = rH; a.respP = port;
    if (a.kind === 'unexpected') a.reasonStale = true;
  };

  // The numbers of the flow being audited, for countFlow, accountCounts and linkDynamic (times,
  // then packets and bytes each way): in a Float64Array, because doubles such as a timestamp's
  // seconds passed as arguments to a function that is not inlined are boxed, one object each.
  const FL_FSEC = 0, FL_FNSEC = 1, FL_LSEC = 2, FL_LNSEC = 3, FL_OPKT = 4, FL_RPKT = 5, FL_OBYT = 6, FL_RBYT = 7;
  const fl = new Float64Array(8);
  const loadRecord = (f: FlowRecord): void => {
    fl[FL_FSEC] = f.firstSec; fl[FL_FNSEC] = f.firstNsec; fl[FL_LSEC] = f.lastSec; fl[FL_LNSEC] = f.lastNsec;
    fl[FL_OPKT] = f.origPkts; fl[FL_RPKT] = f.respPkts; fl[FL_OBYT] = f.origIpBytes; fl[FL_RBYT] = f.respIpBytes;
  };
  const loadRow = (r: FlowRow): void => {
    fl[FL_FSEC] = r.firstSec; fl[FL_FNSEC] = r.firstNsec; fl[FL_LSEC] = r.lastSec; fl[FL_LNSEC] = r.lastNsec;
    fl[FL_OPKT] = r.origPkts; fl[FL_RPKT] = r.respPkts; fl[FL_OBYT] = r.origIpBytes; fl[FL_RBYT] = r.respIpBytes;
  };

  /** Add one flow to an aggregate. */
  const account = (a: Agg, f: FlowRecord, outcome: FlowOutcome): void => {
    loadRecord(f);
    accountCounts(a, f.connState, f.evidence, f.source, outcome, f.directionInferred);
    if (f.icmpErrors.length > 0 && (a.icmpRep === null || compareFlows(f, a.icmpRep) < 0)) a.icmpRep = { ...f };
    for (let i = 0; i < f.icmpErrors.length; i++) {
      const e = f.icmpErrors[i]!;
      const k = `${e.proto}/${e.type}/${e.code}/${e.from}`;
      const x = a.icmp.get(k);
      if (x) x.count += e.count;
      else a.icmp.set(k, { proto: e.proto, type: e.type, code: e.code, from: e.from, count: e.count });
    }
  };

  /** What account adds of a flow (its numbers in fl) but its ICMP errors. */
  const accountCounts = (a: Agg, connState: string, evidence: EvidenceKind, source: string, outcome: FlowOutcome, inferred: boolean): void => {
    a.flows++;
    const firstSec = fl[FL_FSEC]!, firstNsec = fl[FL_FNSEC]!, lastSec = fl[FL_LSEC]!, lastNsec = fl[FL_LNSEC]!;
    if (tsCompare(firstSec, firstNsec, a.fSec, a.fNsec) < 0) { a.fSec = firstSec; a.fNsec = firstNsec; }
    if (tsCompare(lastSec, lastNsec, a.lSec, a.lNsec) > 0) { a.lSec = lastSec; a.lNsec = lastNsec; }
    a.states.add(connState);
    if (evidence !== a.lastEvidence) { a.sources.add(evidence); a.lastEvidence = evidence; }
    if (source !== a.lastSource) { a.inputs.add(source); a.lastSource = source; }
    const o = a.outcomes;
    switch (outcome) {
      case 'answered': o.answered++; break;
      case 'no-answer': o['no-answer']++; break;
      case 'refused': o.refused++; break;
      case 'icmp-unreachable': o['icmp-unreachable']++; break;
      default: o.denied++; break;
    }
    a.origPkts += fl[FL_OPKT]!; a.respPkts += fl[FL_RPKT]!; a.origBytes += fl[FL_OBYT]!; a.respBytes += fl[FL_RBYT]!;
    if (inferred) a.inferred++;
  };

  /** Fold a matched flow into the finding of this kind for rule r, per originator roles, responder and port. */
  const fold = (kind: 'doc-only' | 'legacy' | 'blocked', r: number, f: FlowRecord, outcome: FlowOutcome, oH: string, rH: string,
    oM: number, rM: number, port: number, oKey: number, reversed: boolean, viaProxy: boolean): void => {
    const key = aggKey(kind, r, `roles:${oM}`, rH, f.proto, port);
    let agg = aggs.get(key);
    const isNew = agg === undefined;
    if (agg === undefined) agg = newAgg(key, { kind, rule: r, origH: oH, respH: rH, proto: f.proto, respP: port, origMask: oM, respMask: rM, reason: '' }, f);
    account(agg, f, outcome);
    if (reversed) agg.notes.add('originator guessed by the flow stage (no TCP handshake seen); matched with the sides swapped');
    if (viaProxy) agg.notes.add(`through the outbound proxy ${rH} (the destination behind the proxy is not visible)`);
    represent(agg, f, oH, rH, port);
    addPeer(agg, oH, oKey);
    if (isNew) noteNew(agg);
  };

  const addPeer = (a: Agg, h: string, key: number): void => {
    if (key >= 0 ? key !== a.lastPeerKey : h !== a.lastPeer) { a.peers.add(h, key); a.lastPeer = h; a.lastPeerKey = key; }
  };

  const aggKey = (kind: string, rule: number, o: string, r: string, proto: number, port: number) => `${kind}|${rule}|${o}|${r}|${proto}|${port}`;

  function snapshot(a: Agg): Finding {
    const f = buildFinding(a);
    a.finding = f;
    return f;
  }

  function buildFinding(a: Agg): Finding {
    if (a.kind === 'unexpected' && a.inferred > 0) a.notes.add('originator guessed by the flow stage (no TCP handshake seen)');
    if (a.reasonStale && a.rep !== null) {
      a.reason = unexpectedReason(a.rep, a.origMask, a.respMask) + otherProfiles(a.rep);
      a.reasonStale = false;
    }
    const rule = a.rule >= 0 ? rules[a.rule]! : null;
    const proto = PROTO_NAME[a.proto] ?? String(a.proto);
    const evidence: FindingEvidence = {
      conn_states: a.states.toRecord(),
      icmp: [...a.icmp.values()].sort((x, y) => cmpStr(`${x.proto}/${x.type}/${x.code}/${x.from}`, `${y.proto}/${y.type}/${y.code}/${y.from}`)),
      sources: [...a.sources].sort(),
      inputs: [...a.inputs].sort(),
      answered: a.outcomes.answered,
      no_answer: a.outcomes['no-answer'],
      refused: a.outcomes.refused,
      icmp_unreachable: a.outcomes['icmp-unreachable'],
      denied: a.outcomes.denied,
      orig_pkts: a.origPkts, resp_pkts: a.respPkts, orig_bytes: a.origBytes, resp_bytes: a.respBytes,
      direction_inferred: a.inferred,
      notes: [...a.notes].sort(),
    };
    if (a.kind === 'unknown-host' || a.peers.size > 1) {
      evidence.peers = a.peers.first(20);
      evidence.peer_count = a.peers.size;
    }
    for (const h of [a.origH, a.respH]) for (const n of policy.namesOf(h)) evidence.notes.push(`${h} is ${n}`);
    if (a.known.size > 1) {
      const count = a.known.size;
      evidence.notes.push(`${rolesText(a.origMask !== 0 ? a.origMask : a.respMask)} hosts (${count}): ${a.known.first(20).join(', ')}${count > 20 ? ', …' : ''}`);
    }
    if (a.respPeers.size > 1) {
      const count = a.respPeers.size;
      evidence.notes.push(`responders (${count}): ${a.respPeers.first(20).join(', ')}${count > 20 ? ', …' : ''}`);
    }
    // the distinct ports, ascending, when there are several (an unexpected finding's dynamic range)
    const ps = a.ports.size > 1 ? a.ports.sorted() : null;
    if (ps !== null) {
      evidence.notes.push(`ports (${ps.length} distinct in 49152-65535): ${ps.slice(0, 20).join(', ')}${ps.length > 20 ? ', …' : ''}`);
    }
    // Findings are aggregated per roles: several hosts on one side show as '*' (peers and notes list them).
    // unknown-host: `peers` are the addresses in no role, `known` the role hosts.
    const unknownHost = a.kind === 'unknown-host';
    const origH = unknownHost
      ? ((a.origMask === 0 ? a.peers.size : a.known.size) > 1 ? '*' : a.origH)
      : (a.peers.size > 1 ? '*' : a.origH);
    const respH = unknownHost
      ? ((a.respMask === 0 ? a.peers.size : a.known.size) > 1 ? '*' : a.respH)
      : (a.respPeers.size > 1 ? '*' : a.respH);
    const respP = ps !== null ? ps[0]! : a.respP;
    const severity = severityOf(a, rule);
    // (multicast/broadcast peers have unknown-host findings of their own, info: their folded side is named apart)
    const mc = unknownHost && severity === 'info' ? 'm' : '';
    return {
      // a side folded into '*' is named by its roles: two folds that differ only in roles keep distinct ids
      id: findingId(a.kind, rule?.id ?? '', origH === '*' ? `*${a.origMask}${a.origMask === 0 ? mc : ''}` : origH,
        respH === '*' ? `*${a.respMask}${a.respMask === 0 ? mc : ''}` : respH, proto, a.ports.size > 1 ? '49152-65535' : String(respP)),
      kind: a.kind,
      severity,
      rule: rule?.id ?? null,
      table: rule?.table ?? null,
      row: rule?.row ?? null,
      level: rule?.level ?? null,
      proto,
      orig_h: origH,
      orig_role: roles(a.origMask),
      resp_h: respH,
      resp_role: roles(a.respMask),
      resp_p: respP,
      flows: a.flows,
      first: tsToIso(a.fSec, a.fNsec),
      last: tsToIso(a.lSec, a.lNsec),
      evidence,
      explanation: explain(a, rule, proto, origH, respH),
    };
  }

  function severityOf(a: Agg, rule: Rule | null): Severity {
    const answered = a.outcomes.answered > 0;
    switch (a.kind) {
      case 'unexpected': return answered ? 'high' : 'medium';
      case 'blocked':
        if (rule === null) return 'medium';
        if (rule.level === 'optional' || rule.level === 'legacy') return 'info';
        return rule.level === 'conditional' && !rule.condition.some((c) => policy.features.has(c)) ? 'medium' : 'high';
      case 'unknown-host': return (a.origMask === 0 ? isMulticastOrBroadcast(a.origH) : isMulticastOrBroadcast(a.respH)) ? 'info' : 'low';
      default: return 'info';
    }
  }

  /** "no answer ×2, refused (RST)": how the failed attempts ended. */
  function attemptText(a: Agg): string {
    const times = (n: number) => (n > 1 ? ` ×${n}` : '');
    const parts: string[] = [];
    if (a.outcomes['no-answer']) parts.push(`no answer${times(a.outcomes['no-answer'])}`);
    if (a.outcomes.refused) parts.push(`refused (RST)${times(a.outcomes.refused)}`);
    if (a.outcomes['icmp-unreachable']) {
      const ic = a.icmpRep?.icmpErrors[0];
      parts.push(`ICMP unreachable${ic ? ` type ${ic.type} code ${ic.code} from ${ic.from}` : ''}${times(a.outcomes['icmp-unreachable'])}`);
    }
    if (a.outcomes.denied) parts.push(`denied by the flow log's rule${times(a.outcomes.denied)}`);
    return parts.join(', ');
  }

  function explain(a: Agg, rule: Rule | null, proto: string, origH: string, respH: string): string {
    const svc = a.ports.size > 1 ? `${proto}/49152-65535 (${a.ports.size} dynamic ports)` : a.kind === 'unexpected' || a.kind === 'unknown-host' ? serviceText(proto, a.respP) : `${proto}/${a.respP}`;
    const who = origH === '*' ? `${rolesText(a.origMask)} (${a.peers.size} hosts)` : `${rolesText(a.origMask)} ${origH}`;
    const to = respH === '*' ? `${rolesText(a.respMask)} (${a.respPeers.size} hosts)` : `${rolesText(a.respMask)} ${respH}`;
    const ref = rule ? `${rule.id} (Table ${rule.table} ${rule.row} ${formatPorts(rule.ports)}, ${rule.level})` : '';
    const n = a.flows === 1 ? '1 flow' : `${a.flows} flows`;
    switch (a.kind) {
      case 'unexpected': {
        const tried = a.outcomes.answered === 0 ? `attempted, ${attemptText(a)}` : `${n}, answered`;
        return `${who} ${a.outcomes.answered === 0 ? 'tried' : 'opened'} ${svc} to ${to} (${tried}) but ${a.reason}; if the traffic is intended add a rule to the profile, otherwise stop it at its source and close the port.`;
      }
      case 'blocked':
        return `${who} tried ${svc} to ${to} for ${ref}: ${a.flows} attempt${a.flows === 1 ? '' : 's'} failed (${attemptText(a)}); something between them (a firewall, NSG or host filter) drops or rejects traffic the reference ${rule?.level === 'optional' || rule?.level === 'legacy' ? 'lists' : 'requires'}: allow ${svc} from ${origH === '*' ? `the ${rolesText(a.origMask)} hosts` : origH} to ${respH}.`;
      case 'unknown-host': {
        const peerSide = a.origMask === 0 ? 'from' : 'to';
        const peers = a.peers.size === 1 ? a.peers.values()[0]! : `${a.peers.size} addresses`;
        const mask = a.origMask === 0 ? a.respMask : a.origMask;
        const known = a.known.size > 1 ? `${rolesText(mask)} (${a.known.size} hosts)` : `${rolesText(mask)} ${a.origMask === 0 ? a.respH : a.origH}`;
        return `${known} exchanged ${svc} traffic ${peerSide} ${peers} in no inventory role (${n}); add the address${a.peers.size > 1 ? 'es or their hostnames' : ' or its hostname'} to the right role, or find out why ${a.known.size > 1 ? 'these hosts talk' : 'this host talks'} to ${a.peers.size > 1 ? 'them' : 'it'}.`;
      }
      case 'doc-only':
        return `${who} sent ${svc} to ${to}: ${ref} lists ${proto.toUpperCase()} but the product never uses it on the wire (${n}); this is not the service the row means, find the program that sends it.`;
      case 'legacy':
        return `${who} ${a.outcomes.answered === 0 ? 'tried' : 'used'} ${svc} to ${to}, a legacy port (${ref}): an old agent or stale firewall guidance; update the agent and close the port once nothing uses it.`;
      default:
        return a.reason;
    }
  }

  // policy.match answers for recent (protocol, port class, masks), direct-mapped: most flows repeat
  // one (rule matching depends on the masks only, not on names, so an answer never goes stale)
  const MATCH_SLOTS = 4096;
  const mcPort = new Int32Array(MATCH_SLOTS).fill(-1), mcOrig = new Int32Array(MATCH_SLOTS), mcResp = new Int32Array(MATCH_SLOTS);
  const mcIds: (readonly number[])[] = new Array<readonly number[]>(MATCH_SLOTS).fill([]);
  // (policy.match answers the same for every port of a class, such as the whole dynamic range)
  const tcpClass = policy.portClass[0], udpClass = policy.portClass[1];
  const match = (proto: number, port: number, om: number, rm: number): readonly number[] => {
    const cls = proto === 6 ? tcpClass[port]! : proto === 17 ? udpClass[port]! : port;
    const pk = (proto << 16) | (cls & 0xffff), o = om | 0, r = rm | 0;
    const slot = (Math.imul(pk ^ Math.imul(o, 0x9e3779b1) ^ Math.imul(r, 0x85ebca77), 0x27d4eb2f) >>> 20) & (MATCH_SLOTS - 1);
    if (mcPort[slot] === pk && mcOrig[slot] === o && mcResp[slot] === r) return mcIds[slot]!;
    const ids = policy.match(proto, port, om, rm);
    mcPort[slot] = pk; mcOrig[slot] = o; mcResp[slot] = r; mcIds[slot] = ids;
    return ids;
  };

  /** The rules allowing the flow (mReversed/mViaProxy say how they matched). */
  function matchFlow(proto: number, respP: number, origP: number, inferred: boolean, respH: string, om: number, rm: number): readonly number[] {
    mReversed = false; mViaProxy = false;
    let ids = match(proto, respP, om, rm);
    if (ids.length > 0) return ids;
    if (inferred) {
      ids = match(proto, origP, rm, om);
      if (ids.length > 0) { mReversed = true; return ids; }
    }
    if (proto === 6 && om !== 0 && policy.isProxy(respH)) {
      // (a loop, not a closure: a closure over om would make every call allocate a context)
      const out: number[] = [];
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i]!;
        if (policy.ruleCloud[i] && (policy.ruleInit[i]! & om) !== 0 && r.level !== 'legacy' && r.protocols.includes('tcp') && !r.docOnly.includes('tcp')) out.push(i);
      }
      if (out.length > 0) { mViaProxy = true; return out; }
    }
    return ids;
  }

  function unexpectedReason(f: FlowRecord, om: number, rm: number): string {
    const proto = PROTO_NAME[f.proto]!;
    const rev = policy.match(f.proto, f.respP, rm, om);
    if (rev.length > 0) {
      const r = rules[rev[0]!]!;
      return `the profile allows ${proto}/${f.respP} only the other way (${r.initiator.join('/')} → ${r.responder.join('/')}, ${r.id}): this is the wrong direction`;
    }
    const onPort = policy.rulesOnPort(f.proto, f.respP);
    if (onPort.length > 0) {
      const pairs = [...new Set(onPort.map((i) => `${rules[i]!.initiator.join('/')} → ${rules[i]!.responder.join('/')} (${rules[i]!.id})`))];
      return `${proto}/${f.respP} is allowed only for ${pairs.slice(0, 3).join(', ')}${pairs.length > 3 ? ', …' : ''}, not from ${rolesText(om)} to ${rolesText(rm)}: wrong role pair`;
    }
    const plausible = isPlausibleUnlisted(proto, f.respP) ? ' (domain-member traffic the reference does not list: plausible, add a rule if it is expected)' : '';
    return `no rule in ${policy.profile.name} allows ${proto}/${f.respP} between any roles${plausible}`;
  }

  function otherProfiles(f: FlowRecord): string {
    const notes: string[] = [];
    for (const other of opts.compare ?? []) {
      const ids = other.match(f.proto, f.respP, other.rolesOf(f.origH), other.rolesOf(f.respH));
      if (ids.length === 0) continue;
      const r = other.rules[ids[0]!]!;
      notes.push(`${other.profile.name} allows it as ${r.id} (Table ${r.table} ${r.row}, ${r.level}${r.condition.length ? ` on ${r.condition.join(' or ')}` : ''})`);
    }
    return notes.length ? ` (${notes.join('; ')})` : '';
  }

  /** The flow's (in fl) share of the counters every flow goes into (total, time span). */
  function countFlow(): void {
    const firstSec = fl[FL_FSEC]!, firstNsec = fl[FL_FNSEC]!, lastSec = fl[FL_LSEC]!, lastNsec = fl[FL_LNSEC]!;
    counters.total++;
    if (!wAny || tsCompare(firstSec, firstNsec, win[0]!, win[1]!) < 0) { win[0] = firstSec; win[1] = firstNsec; }
    if (!wAny || tsCompare(lastSec, lastNsec, win[2]!, win[3]!) > 0) { win[2] = lastSec; win[3] = lastNsec; }
    wAny = true;
  }

  /** A flow (its times in fl) of the dynamic-RPC rules of m, between the hosts of `pair`: one link (or pending entry) per matched dynamic-RPC rule. */
  function linkDynamic(m: Matched, pair: number): void {
    const firstSec = fl[FL_FSEC]!, firstNsec = fl[FL_FNSEC]!;
    for (let j = 0; j < m.nonLegacy.length; j++) if (rules[m.nonLegacy[j]!]!.rpcDynamic) rpc.dynamic(pair, firstSec, firstNsec);
  }

  /** rpcPair for address keys (at least 0), their texts asked for only when the pair is new to them. */
  function rpcPairKeyed(oKey: number, rKey: number, texts: AddressTexts): number {
    const p = rpc.byKeys(oKey, rKey);
    return p >= 0 ? p : rpc.byTexts(texts.text(oKey), texts.text(rKey), oKey, rKey);
  }

  /** foldUnexpected for address keys (at least 0), their texts asked for only when a peer is new to the finding. */
  function foldUnexpectedKeyed(a: Agg, origKey: number, respKey: number, texts: AddressTexts, respP: number): void {
    // (lastPeer and lastResp, the texts compared for flows without keys, are left empty: such a
    // flow then adds its address again, which the peer sets keep once)
    if (origKey !== a.lastPeerKey) { a.peers.addKeyed(origKey, texts); a.lastPeer = ''; a.lastPeerKey = origKey; }
    if (respKey !== a.lastRespKey) { a.respPeers.addKeyed(respKey, texts); a.lastResp = ''; a.lastRespKey = respKey; }
    if (respP !== a.lastPort) { a.ports.add(respP); a.lastPort = respP; }
  }

  /** What an unexpected finding keeps of each flow besides account() and represent(). */
  function foldUnexpected(a: Agg, origH: string, origKey: number, respH: string, respKey: number, respP: number): void {
    addPeer(a, origH, origKey);
    if (respKey >= 0 ? respKey !== a.lastRespKey : respH !== a.lastResp) { a.respPeers.add(respH, respKey); a.lastResp = respH; a.lastRespKey = respKey; }
    if (respP !== a.lastPort) { a.ports.add(respP); a.lastPort = respP; }
    // (the note that an originator was guessed: buildFinding, from a.inferred)
  }

  // the unexpected aggregate of recent (originator roles, responder roles, protocol and port key),
  // direct-mapped in front of unexpectedIndex (aggregates are never removed: an entry stays right)
  const UC_SLOTS = 1024;
  const ucOrig = new Int32Array(UC_SLOTS), ucResp = new Int32Array(UC_SLOTS), ucKey = new Int32Array(UC_SLOTS).fill(-1);
  const ucAgg: (Agg | null)[] = new Array<Agg | null>(UC_SLOTS).fill(null);
  const ucSlot = (om: number, rm: number, numKey: number): number =>
    (Math.imul(numKey ^ Math.imul(om | 0, 0x9e3779b1) ^ Math.imul(rm | 0, 0x85ebca77), 0x27d4eb2f) >>> 22) & (UC_SLOTS - 1);
  function unexpectedAgg(om: number, rm: number, numKey: number): Agg | undefined {
    const slot = ucSlot(om, rm, numKey);
    if (ucKey[slot] === numKey && ucOrig[slot] === (om | 0) && ucResp[slot] === (rm | 0)) return ucAgg[slot]!;
    const agg = unexpectedIndex.get(om)?.get(rm)?.get(numKey);
    if (agg !== undefined) { ucKey[slot] = numKey; ucOrig[slot] = om; ucResp[slot] = rm; ucAgg[slot] = agg; }
    return agg;
  }
  function addUnexpectedAgg(om: number, rm: number, numKey: number, agg: Agg): void {
    let byRoles = unexpectedIndex.get(om);
    if (byRoles === undefined) { byRoles = new Map(); unexpectedIndex.set(om, byRoles); }
    let byOrig = byRoles.get(rm);
    if (byOrig === undefined) { byOrig = new Map(); byRoles.set(rm, byOrig); }
    byOrig.set(numKey, agg);
  }

  return {
    addName(obs) {
      policy.addName(obs);
      for (const other of opts.compare ?? []) other.addName(obs);
    },

    addFlow(f, origKey = -1, respKey = -1) {
      loadRecord(f);
      countFlow();
      if (f.proto !== 6 && f.proto !== 17) { counters.notAudited++; return NO_FINDINGS; }
      syncKeyRoles();
      const om = origKey >= 0 ? rolesByKey(origKey, f.origH) : policy.rolesOf(f.origH);
      const rm = respKey >= 0 ? rolesByKey(respKey, f.respH) : policy.rolesOf(f.respH);
      if (om === 0 && rm === 0) { counters.outOfScope++; return NO_FINDINGS; }
      counters.audited++;
      initiatorsSeen = (initiatorsSeen | om) >>> 0;
      if (f.directionInferred) initiatorsSeen = (initiatorsSeen | rm) >>> 0;
      const outcome = flowOutcome(f);
      created = NO_FINDINGS;
      const ids = matchFlow(f.proto, f.respP, f.origP, f.directionInferred, f.respH, om, rm);
      const reversed = mReversed, viaProxy = mViaProxy;
      const oH = reversed ? f.respH : f.origH, rH = reversed ? f.origH : f.respH;
      const oM = reversed ? rm : om, rM = reversed ? om : rm, port = reversed ? f.origP : f.respP;
      const oKey = reversed ? respKey : origKey;

      if (f.proto === 6 && port === 135 && outcome === 'answered' && rpcJoins(oM, rM)) {
        rpc.exchange(rpcPair(oH, rH, oKey, reversed ? origKey : respKey), f.firstSec, f.firstNsec);
      }

      if (ids.length > 0) {
        const m = classify(ids, f.proto);
        if (m.real.length === 0) {
          for (let j = 0; j < ids.length; j++) stats[ids[j]!]!.docOnly++;
          fold('doc-only', m.primaryAll, f, outcome, oH, rH, oM, rM, port, oKey, reversed, viaProxy);
          return created;
        }
        if (m.nonLegacy.length === 0) {
          for (let j = 0; j < m.real.length; j++) { const i = m.real[j]!; stats[i]!.legacy++; if (outcome === 'answered') stats[i]!.seen++; else stats[i]!.blocked++; }
          fold('legacy', m.primaryReal, f, outcome, oH, rH, oM, rM, port, oKey, reversed, viaProxy);
          return created;
        }
        for (let j = 0; j < m.nonLegacy.length; j++) {
          const i = m.nonLegacy[j]!;
          if (outcome === 'answered') stats[i]!.seen++; else stats[i]!.blocked++;
          if (viaProxy) stats[i]!.viaProxy++;
        }
        if (m.rpcDynamic) { loadRecord(f); linkDynamic(m, rpcPair(oH, rH, oKey, reversed ? origKey : respKey)); }
        if (outcome !== 'answered') fold('blocked', m.primaryNonLegacy, f, outcome, oH, rH, oM, rM, port, oKey, reversed, viaProxy);
        return created;
      }

      if (om === 0 || rm === 0) {
        // One side is in no role: one finding per (the role host's roles, direction, protocol, port),
        // with multicast/broadcast peers apart (their findings are info). A user subnet reaching an
        // unlisted server is one finding listing both sides, not one per user host.
        const knownIsOrig = om !== 0;
        const peer = knownIsOrig ? f.respH : f.origH, peerKey = knownIsOrig ? respKey : origKey;
        const host = knownIsOrig ? f.origH : f.respH, hostKey = knownIsOrig ? origKey : respKey;
        const mcast = multicastOf(peer, peerKey);
        const mask = knownIsOrig ? om : rm;
        const nk = ((knownIsOrig ? 2 : 0) + (mcast ? 1 : 0)) * 131072 + (f.proto === 17 ? 65536 : 0) + f.respP;
        let byService = unknownIndex.get(mask);
        if (byService === undefined) { byService = new Map(); unknownIndex.set(mask, byService); }
        let agg = byService.get(nk);
        const isNew = agg === undefined;
        if (agg === undefined) {
          const key = `${knownIsOrig ? aggKey('unknown-host', -1, `roles:${om}`, '>', f.proto, f.respP) : aggKey('unknown-host', -1, '<', `roles:${rm}`, f.proto, f.respP)}|${mcast ? 'm' : ''}`;
          agg = newAgg(key, { kind: 'unknown-host', rule: -1, origH: f.origH, respH: f.respH, proto: f.proto, respP: f.respP, origMask: om, respMask: rm, reason: '' }, f);
          byService.set(nk, agg);
        }
        account(agg, f, outcome);
        represent(agg, f, f.origH, f.respH, f.respP);
        addPeer(agg, peer, peerKey);
        if (host !== agg.lastKnown) { agg.known.add(host, hostKey); agg.lastKnown = host; }
        if (isNew) noteNew(agg);
        return created;
      }

      // One finding per (originator roles, responder, service): a user subnet of thousands of hosts
      // reaching a DC on a port no rule allows is one finding with its originators listed as peers.
      // Responders of the same roles fold in too, and ports of the dynamic range (49152–65535) count
      // as one service: a user subnet sweeping RPC ports on the DCs is one finding, not thousands.
      // Looked up by numbers first (most flows of a busy capture land here); the string key names it.
      const portKey = f.respP >= 49152 ? 49152 : f.respP;
      // (role masks can pass the small-integer range: one map level per mask, so no key is boxed)
      const numKey = (f.proto === 17 ? 65536 : 0) + portKey;
      let agg = unexpectedAgg(om, rm, numKey);
      const isNew = agg === undefined;
      if (agg === undefined) {
        agg = newAgg(aggKey('unexpected', -1, `roles:${om}`, `roles:${rm}`, f.proto, portKey),
          { kind: 'unexpected', rule: -1, origH: f.origH, respH: f.respH, proto: f.proto, respP: f.respP, origMask: om, respMask: rm, reason: unexpectedReason(f, om, rm) + otherProfiles(f) }, f);
        addUnexpectedAgg(om, rm, numKey, agg);
      }
      account(agg, f, outcome);
      represent(agg, f, f.origH, f.respH, f.respP);
      foldUnexpected(agg, f.origH, origKey, f.respH, respKey, f.respP);
      if (isNew) noteNew(agg);
      return created;
    },

    addRow(r, origKey, respKey, texts, src) {
      const proto = r.proto;
      if (proto !== 6 && proto !== 17) return false;
      syncKeyRoles();
      // (the words give the roles: no text)
      const om = rolesByKey(origKey, '', r.orig), rm = rolesByKey(respKey, '', r.resp);
      if (om === 0 && rm === 0) {
        loadRow(r);
        countFlow();
        counters.outOfScope++;
        return true;
      }
      // what addFlow would do with it, decided before anything changes: the rest goes to addFlow
      const evidence = src?.kind ?? 'pcap';
      const outcome = plainOutcome(proto, r.connState, r.respPkts, evidence);
      const inferred = r.directionInferred;
      // (the responder's text only matters with a proxy in the policy)
      const ids = matchFlow(proto, r.respP, r.origP, inferred, policy.anyProxy() ? texts.text(respKey) : '', om, rm);
      const reversed = mReversed;
      if (mViaProxy) return false;
      let m: Matched | null = null;
      let agg: Agg | undefined;
      if (ids.length > 0) {
        // allowed: only answered flows of real, not legacy rules
        m = classify(ids, proto);
        if (m.real.length === 0 || m.nonLegacy.length === 0 || outcome !== 'answered') return false;
      } else {
        // unexpected, into a finding that exists (none has an address in no role: those are
        // unknown-host) and whose representative flow comes first (compareFlows orders by the
        // first packet's second first: a later second changes nothing); not an endpoint-mapper
        // exchange (135) that addFlow notes for the dynamic RPC between the same hosts
        if (proto === 6 && r.respP === 135 && rpcJoins(om, rm)) return false;
        agg = unexpectedAgg(om, rm, (proto === 17 ? 65536 : 0) + (r.respP >= 49152 ? 49152 : r.respP));
        if (agg === undefined || agg.rep === null || r.firstSec <= agg.rep.firstSec) return false;
      }
      loadRow(r);
      countFlow();
      counters.audited++;
      initiatorsSeen = (initiatorsSeen | om) >>> 0;
      if (inferred) initiatorsSeen = (initiatorsSeen | rm) >>> 0;
      if (m !== null) {
        const nl = m.nonLegacy;
        for (let j = 0; j < nl.length; j++) stats[nl[j]!]!.seen++;
        // (an endpoint-mapper exchange is noted before the flow is linked, as addFlow does)
        const epm = proto === 6 && (reversed ? r.origP : r.respP) === 135 && (reversed ? rpcJoins(rm, om) : rpcJoins(om, rm));
        if (epm || m.rpcDynamic) {
          const pair = reversed ? rpcPairKeyed(respKey, origKey, texts) : rpcPairKeyed(origKey, respKey, texts);
          if (epm) rpc.exchange(pair, r.firstSec, r.firstNsec);
          if (m.rpcDynamic) linkDynamic(m, pair);
        }
        return true;
      }
      const a = agg!;
      accountCounts(a, r.connState, evidence, src?.name ?? '', outcome, inferred);
      foldUnexpectedKeyed(a, origKey, respKey, texts, r.respP);
      return true;
    },

    laneMatch(proto, port, om, rm, maxTarget) {
      if ((proto !== 6 && proto !== 17) || (om === 0 && rm === 0)) return 0;
      const ids = match(proto, port, om, rm);
      if (ids.length === 0) return 1;
      const m = classify(ids, proto);
      if (m.real.length === 0 || m.nonLegacy.length === 0 || m.rpcDynamic) return 0;
      const t = laneTarget(m.nonLegacy, maxTarget);
      return t < 0 ? 0 : t * 2;
    },

    laneFold(proto, port, om, rm, maxTarget) {
      // (not 135 between roles a dynamic-RPC rule joins: addFlow notes such an endpoint-mapper exchange)
      if ((proto !== 6 && proto !== 17) || (om === 0 && rm === 0) || policy.anyProxy() || (proto === 6 && port === 135 && rpcJoins(om, rm))) return 0;
      const agg = unexpectedAgg(om, rm, (proto === 17 ? 65536 : 0) + (port >= 49152 ? 49152 : port));
      if (agg === undefined || agg.rep === null) return 0;
      const t = laneTarget(agg, maxTarget);
      return t < 0 ? 0 : t;
    },

    laneRep(target) {
      const a = laneTargets[target];
      return a instanceof Agg && a.rep !== null ? a.rep.firstSec : Infinity;
    },

    addCounted(c, texts, sources) {
      counters.total += c.total;
      counters.outOfScope += c.outOfScope;
      counters.audited += c.audited;
      initiatorsSeen = (initiatorsSeen | c.initiators) >>> 0;
      const w = c.window;
      if (w !== null) {
        if (!wAny || tsCompare(w[0], w[1], win[0]!, win[1]!) < 0) { win[0] = w[0]; win[1] = w[1]; }
        if (!wAny || tsCompare(w[2], w[3], win[2]!, win[3]!) > 0) { win[2] = w[2]; win[3] = w[3]; }
        wAny = true;
      }
      for (const [t, n] of c.seen) {
        const nl = laneTargets[t] as readonly number[];
        for (let j = 0; j < nl.length; j++) stats[nl[j]!]!.seen += n;
      }
      for (const f of c.folds) {
        const a = laneTargets[f.target] as Agg;
        a.flows += f.flows;
        const w = f.window;
        if (tsCompare(w[0], w[1], a.fSec, a.fNsec) < 0) { a.fSec = w[0]; a.fNsec = w[1]; }
        if (tsCompare(w[2], w[3], a.lSec, a.lNsec) > 0) { a.lSec = w[2]; a.lNsec = w[3]; }
        a.origPkts += f.origPkts; a.respPkts += f.respPkts; a.origBytes += f.origBytes; a.respBytes += f.respBytes;
        a.outcomes.answered += f.answered; a.outcomes['no-answer'] += f.noAnswer; a.outcomes.refused += f.refused;
        a.inferred += f.inferred;
        a.states.addCounts(f.states);
      }
      const m = c.members;
      for (let i = 0; i + 1 < m.length; i += 2) {
        const k = m[i]!, a = laneTargets[k & 0x0fffffff] as Agg, v = m[i + 1]!;
        switch (k >>> 28) {
          case 0: a.peers.addKeyed(v, texts); break;
          case 1: a.respPeers.addKeyed(v, texts); break;
          case 2: a.ports.add(v); break;
          default: {
            const src = sources[v];
            a.sources.add(src?.kind ?? 'pcap'); a.inputs.add(src?.name ?? '');
          }
        }
      }
    },

    finish(evidence) {
      const inputs = (evidence?.inputs ?? []).map(inputReport);
      // The capture window: the inputs' time span when they report one, else the flows'.
      let first: [number, number] | null = null, last: [number, number] | null = null;
      for (const i of evidence?.inputs ?? []) {
        if (i.packets + i.records === 0) continue;
        if (first === null || tsCompare(i.firstSec, i.firstNsec, first[0], first[1]) < 0) first = [i.firstSec, i.firstNsec];
        if (last === null || tsCompare(i.lastSec, i.lastNsec, last[0], last[1]) > 0) last = [i.lastSec, i.lastNsec];
      }
      if (first === null && wAny) { first = [win[0]!, win[1]!]; last = [win[2]!, win[3]!]; }
      const seconds = first !== null && last !== null ? Math.max(0, tsDiff(last[0], last[1], first[0], first[1])) : 0;

      // RPC endpoint-mapper links.
      const rpcNotes = new Map<number, string>();
      const { linked, unlinked } = rpc.totals();
      rules.forEach((r, i) => {
        if (r.rpcDynamic && linked + unlinked > 0) {
          rpcNotes.set(i, `${linked} of ${linked + unlinked} dynamic RPC flows followed an endpoint-mapper (135) exchange between the same hosts${unlinked ? `; ${unlinked} had none in the capture (it may predate it)` : ''}`);
        }
      });
      for (const a of aggs.values()) {
        if (a.rule >= 0 && rpcNotes.has(a.rule)) a.notes.add(rpcNotes.get(a.rule)!);
      }

      const declared = [...policy.features].sort();
      const inferred = new Set<string>();
      const coverage: CoverageEntry[] = [];
      const extra: Agg[] = [];
      rules.forEach((r, i) => {
        const s = stats[i]!;
        const initPresent = (policy.ruleInit[i]! & policy.presentRoles) !== 0;
        const respPresent = (policy.ruleResp[i]! & policy.presentRoles) !== 0 || (policy.ruleCloud[i] === 1 && policy.inventory.proxy.length > 0);
        const active = r.level !== 'conditional' || r.condition.some((c) => policy.features.has(c));
        let status: CoverageEntry['status'];
        let reason = '';
        if (s.seen > 0) {
          status = 'seen';
          reason = s.viaProxy > 0 ? `${s.viaProxy} through the proxy` : '';
          if (r.level === 'conditional' && !active) {
            inferred.add(r.condition.join(' or '));
            reason = `condition ${r.condition.join(' or ')} inferred from the traffic`;
          }
        } else if (s.blocked > 0) {
          status = 'blocked';
        } else if (!initPresent || !respPresent) {
          status = 'not-applicable';
          const missingRoles = [...(initPresent ? [] : r.initiator), ...(respPresent ? [] : r.responder)];
          const named = missingRoles.filter((x) => (policy.namedRoles & (1 << policy.roleNames.indexOf(x))) !== 0);
          reason = named.length === missingRoles.length
            ? `no address of ${missingRoles.join('/')} is known: its hostnames never appeared in the capture's DNS answers or TLS SNI`
            : `no ${missingRoles.join('/')} in the inventory`;
        } else if (r.level === 'legacy') {
          status = 'not-applicable';
          reason = 'legacy: absence is the goal';
        } else if (r.level === 'optional') {
          status = 'not-observed';
          reason = 'optional';
        } else if (!active) {
          status = 'not-applicable';
          reason = `condition ${r.condition.join(' or ')} not declared`;
        } else if (r.satisfiedBy.some((id) => { const k = rules.findIndex((x) => x.id === id); return k >= 0 && stats[k]!.seen > 0; })) {
          status = 'not-observed';
          reason = `its alternative ${r.satisfiedBy.filter((id) => { const k = rules.findIndex((x) => x.id === id); return k >= 0 && stats[k]!.seen > 0; }).join(', ')} was seen instead`;
        } else {
          let why = '';
          if ((initiatorsSeen & policy.ruleInit[i]!) === 0) why = `the capture shows no traffic from any ${r.initiator.join('/')} host (vantage point)`;
          else if (r.cacheDependent) why = 'its answers are cached, so absence in one capture is not proof';
          else if (r.eventDriven) why = 'it only happens on events (wizard runs, sign-ins, renewals), so absence is not proof';
          else if (r.cadenceMinutes !== null && seconds < r.cadenceMinutes * 60) why = `the capture covers ${fmtDuration(seconds)}, shorter than the row's ${r.cadenceMinutes}-minute cadence`;
          else if (r.cadenceMinutes === 0 && seconds === 0) why = 'the capture has no time span';
          status = why === '' ? 'missing' : 'not-observed';
          reason = why;
          const svc = `${r.protocols.filter((p) => !r.docOnly.includes(p)).join('/')} ${formatPorts(r.ports)}`;
          const needs = r.level === 'conditional' ? `${r.level} on ${r.condition.filter((c) => policy.features.has(c)).join('/')}, which is declared` : 'required';
          const text = status === 'missing'
            ? `No successful ${svc} flow from ${r.initiator.join('/')} to ${r.responder.join('/')} in ${fmtDuration(seconds)} of capture, although Table ${r.table} ${r.row} (${r.id}) is ${needs}${r.cadenceMinutes ? ` and runs at least every ${r.cadenceMinutes} minutes` : r.cadenceMinutes === 0 ? ' and is continuous' : ''}: check that the ${r.initiator.join('/')} host can reach ${r.responder.join('/')} on ${svc}.`
            : `Table ${r.table} ${r.row} (${r.id}, ${svc}) was not observed: ${why}; capture longer or during the activity to prove it.`;
          extra.push(new Agg({
            kind: status === 'missing' ? 'missing' : 'not-observed', rule: i, origH: '', respH: '', proto: 0, respP: 0,
            origMask: policy.ruleInit[i]!, respMask: policy.ruleResp[i]!, reason: text,
          }, null));
        }
        if (rpcNotes.has(i)) reason = reason ? `${reason}; ${rpcNotes.get(i)}` : rpcNotes.get(i)!;
        coverage.push({
          rule: r.id, table: r.table, row: r.row, level: r.level, condition: r.condition,
          protocols: r.protocols, ports: formatPorts(r.ports), status, flows: s.seen, blocked: s.blocked, doc_only: s.docOnly, reason,
        });
      });

      const findings: Finding[] = [...aggs.values()].map(buildFinding);
      for (const a of extra) {
        const r = rules[a.rule]!;
        findings.push({
          id: findingId(a.kind, r.id, '', '', '', ''),
          kind: a.kind, severity: a.kind === 'missing' ? 'high' : 'info',
          rule: r.id, table: r.table, row: r.row, level: r.level,
          proto: r.protocols.filter((p) => !r.docOnly.includes(p)).join('/'),
          orig_h: null, orig_role: r.initiator, resp_h: null, resp_role: r.responder, resp_p: r.ports.length === 1 && r.ports[0]![0] === r.ports[0]![1] ? r.ports[0]![0] : null,
          flows: 0, first: null, last: null,
          evidence: { conn_states: {}, icmp: [], sources: [], inputs: [], answered: 0, no_answer: 0, refused: 0, icmp_unreachable: 0, denied: 0, orig_pkts: 0, resp_pkts: 0, orig_bytes: 0, resp_bytes: 0, direction_inferred: 0, notes: [] },
          explanation: a.reason,
        });
      }
      const ruleOrder = new Map(rules.map((r, i) => [r.id, i]));
      findings.sort((x, y) =>
        FINDING_KINDS.indexOf(x.kind) - FINDING_KINDS.indexOf(y.kind)
        || SEVERITIES.indexOf(x.severity) - SEVERITIES.indexOf(y.severity)
        || (ruleOrder.get(x.rule ?? '') ?? 1e9) - (ruleOrder.get(y.rule ?? '') ?? 1e9)
        || cmpStr(x.orig_h, y.orig_h) || cmpStr(x.resp_h, y.resp_h) || cmpStr(x.proto, y.proto)
        || (x.resp_p ?? -1) - (y.resp_p ?? -1) || cmpStr(x.id, y.id));

      const counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
      for (const f of findings) counts[f.kind]++;
      const failing = findings.some((f) => failOn.includes(f.kind) && f.severity !== 'info');
      const damaged = inputs.filter((i) => !i.end.clean).length;
      const tableOrder = Object.keys(policy.profile.tables);
      coverage.sort((a, b) => tableOrder.indexOf(a.table) - tableOrder.indexOf(b.table) || (ruleOrder.get(a.rule)! - ruleOrder.get(b.rule)!));
      return {
        tool: TOOL_NAME,
        version: VERSION,
        profile: { name: policy.profile.name, title: policy.profile.title, source: policy.profile.source, origin: policy.profile.origin, tables: { ...policy.profile.tables } },
        inventory: policy.inventory.file,
        features: { declared, inferred: [...inferred].filter((f) => !policy.features.has(f)).sort() },
        inputs,
        window: { first: first ? tsToIso(first[0], first[1]) : null, last: last ? tsToIso(last[0], last[1]) : null, seconds: Math.round(seconds * 1e6) / 1e6 },
        summary: {
          verdict: failing ? 'FAIL' : 'PASS',
          fail_on: [...failOn],
          counts,
          flows: { total: counters.total, audited: counters.audited, out_of_scope: counters.outOfScope, not_ip_tcp_udp: counters.notAudited, evicted: evidence?.evictions ?? 0 },
          damaged_inputs: damaged,
        },
        findings,
        coverage,
        warnings: [...policy.warnings],
      };
    },
  };
}

export function inputReport(i: InputSummary): InputReport {
  const has = i.packets + i.records > 0;
  return {
    file: i.file,
    format: i.format,
    compressed: i.compressed,
    packets: i.packets,
    records: i.records,
    bytes: i.bytes,
    first: has ? tsToIso(i.firstSec, i.firstNsec) : null,
    last: has ? tsToIso(i.lastSec, i.lastNsec) : null,
    seconds: has ? Math.round(tsDiff(i.lastSec, i.lastNsec, i.firstSec, i.firstNsec) * 1e6) / 1e6 : 0,
    anomalies: i.anomalies,
    end: i.end,
  };
}

/** Batch audit: names first (a capture's DNS answers explain its flows), then every flow in time order. */
export function audit(evidence: Evidence, policy: CompiledPolicy, opts: AuditOptions = {}): AuditReport {
  const a = createAuditor(policy, opts);
  for (const n of evidence.names) a.addName(n);
  const flows = evidence.flows.slice().sort((x, y) => tsCompare(x.firstSec, x.firstNsec, y.firstSec, y.firstNsec));
  for (const f of flows) a.addFlow(f);
  return a.finish(evidence);
}

/** The exit code --fail-on asks for: 1 when a non-info finding of those kinds exists. */
export function failingFindings(report: AuditReport, failOn: FindingKind[]): Finding[] {
  return report.findings.filter((f) => failOn.includes(f.kind) && f.severity !== 'info');
}
