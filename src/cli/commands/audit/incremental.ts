/**
 * IncrementalAudit: audits finished flows batch by batch while the capture is still being read,
 * instead of all at the end: what the audit thread runs (audit-thread.ts), and this thread with
 * `--threads 1` (AuditThread.inThisThread).
 *
 * A flow can be audited for good only once every DNS/SNI name is known, because names give
 * addresses roles. Names come first in practice (a DNS answer before the connection it resolves;
 * an SNI inside the flow it names), so each batch is audited with the names known when it comes
 * (its own names first). That is the same as auditing it at the end unless a later name changes
 * the roles of an address that an audited flow already used. Each name is checked for exactly that
 * (the address's roles in the policy and in each compared policy, and whether it is a proxy, before
 * and after the name); if it happens, the early audit is dropped. With `keep` (stdin or a pipe, which cannot
 * be read again) every flow is kept in a FlowStore, and all are then audited again at the end, with
 * every name first, as if nothing had been audited early. Without it (files) no flow is kept
 * (EarlyAudit), and finish() asks for the inputs to be read again. Either way the report is the
 * one of auditing every flow with every name known: the audit does not depend on the order flows
 * come in.
 */
import { createAuditor, type Auditor } from '../../../audit/auditor.js';
import type { FindingKind, AuditReport } from '../../../audit/types.js';
import type { Evidence, EvidenceKind, FlowRecord, NameObservation } from '../../../flow/record.js';
import { FlowRow } from '../../../flow/row.js';
import { packedIcmpErrors, packedTunnel, type PackedBatch } from '../../../flow/packed-rows.js';
import { PACKED_ROW_WORDS, unpackRow } from '../../../flow/table.js';
import { FlowStore, blankRecord } from '../../../report/flows/store.js';
import { comparePolicies } from '../../../rules/compare.js';
import { compilePolicy, type CompiledPolicy } from '../../../rules/policy.js';
import type { Inventory } from '../../../rules/inventory.js';
import { EarlyAudit } from './early-audit.js';
import type { Profile } from '../../../rules/profile.js';

/** What an audit thread is started with (plain data: it crosses to the worker). */
export interface AuditSetup {
  profile: Profile;
  inventory: Inventory;
  /** Features on (the compiled policy's, inventory's and --features together). */
  features: string[];
  failOn: FindingKind[];
  /**
   * Keep every flow, to audit them all again should a late name ask for it (stdin or a pipe, which cannot
   * be read again). False: keep none (EarlyAudit); a late name then makes finish() ask for the
   * inputs to be read again.
   */
  keep: boolean;
}

/** What an audit ends with: the report, or why the inputs must be read again (a late name, when no flow was kept). */
export type AuditOutcome = { report: AuditReport } | { again: string };

/** Finished flows as the reading thread hands them over, with the names found since the previous batch. */
export interface FlowBatch extends Omit<PackedBatch, 'buf'> {
  /** The rows' buffer: a batch's own (PackedRows), or the flow table core's shared memory, read in place. */
  buf: ArrayBufferLike;
  names: NameObservation[];
  /** Flows that come as records (flow logs; tunnelled flows and flows with ICMP errors are rows in an audit). */
  records: FlowRecord[];
  /** Flows the table's core did not pack (those with ICMP errors), packed with their errors (PackedRows), or null. */
  own: PackedBatch | null;
}

export interface Stage {
  policy: CompiledPolicy;
  compare: CompiledPolicy[];
  auditor: Auditor;
}

export class IncrementalAudit {
  readonly #setup: AuditSetup;
  /** Every flow, when `setup.keep` (to audit them again should a late name ask for it); else null. */
  readonly store: FlowStore | null;
  #stage: Stage;
  /** The audit of each flow as it comes, with the names known then. */
  readonly #early: EarlyAudit;
  readonly #sources: { name: string; kind: EvidenceKind }[] = [];
  readonly #row = new FlowRow();
  /** Whether every input named so far is a packet capture (both directions seen): the row lane's condition. */
  #packetsOnly = true;

  private constructor(setup: AuditSetup, stage: Stage) {
    this.#setup = setup;
    this.#stage = stage;
    this.#early = new EarlyAudit(stage);
    this.store = setup.keep ? new FlowStore() : null;
  }

  static async create(setup: AuditSetup): Promise<IncrementalAudit> {
    return new IncrementalAudit(setup, await stageOf(setup));
  }

  /** Null while flows are audited as they come; otherwise why they must be audited again. */
  get dropped(): string | null {
    return this.#early.dropped;
  }

  /** Name the input behind a fileIndex of packed rows (FlowTable.sourceOf). */
  setSource(fileIndex: number, name: string, kind: EvidenceKind): void {
    this.#sources[fileIndex] = { name, kind };
    if (kind !== 'pcap' && kind !== 'pcapng' && kind !== 'live') this.#packetsOnly = false;
  }

  /** Rows the early audit's lane counted itself (EarlyAudit.laneRows), for tests. */
  get laneRows(): number {
    return this.#early.laneRows;
  }

  /** One batch: its inputs, then its names, then its flows. */
  addBatch(b: FlowBatch): void {
    for (const [i, name, kind] of b.sources) this.setSource(i, name, kind);
    for (const n of b.names) this.addName(n);
    if (b.n > 0) this.addRows(b.buf, b.n, b.at);
    if (b.own !== null) this.addOwnRows(b.own);
    if (b.records.length > 0) this.addRecords(b.records);
  }

  /** Rows of flows with ICMP errors or a tunnel, packed with them (PackedRows): audited (and kept) as records, keyed as rows are. */
  addOwnRows(b: PackedBatch): void {
    for (const [i, name, kind] of b.sources) this.setSource(i, name, kind);
    const words = b.n * PACKED_ROW_WORDS;
    const u = new Uint32Array(b.buf, b.at, words), d = new Float64Array(b.buf, b.at, words >>> 1), row = this.#row, store = this.store;
    for (let k = 0; k < b.n; k++) {
      const at = k * PACKED_ROW_WORDS;
      unpackRow(u, d, at, row);
      // (a record kept by the store is its own object; one refilled otherwise)
      const f = this.#early.auditOwnRow(row, this.#sources[row.fileIndex], packedIcmpErrors(u, at, b.icmpErrors), packedTunnel(u, at, b.tunnels), store !== null);
      store?.add(f);
    }
  }

  /** A new DNS/SNI name observation, before the flows that finished after it was found. */
  addName(obs: NameObservation): void {
    this.#early.onName(obs);
  }

  /** `n` packed rows (FlowTable.packRow) from byte `at` of `buf`: audited now (while the early audit holds), and kept with `keep`. */
  addRows(buf: ArrayBufferLike, n: number, at = 0): void {
    // (flows that are not kept go through the early audit's row lane when every input is a packet capture)
    if (this.store === null && this.#packetsOnly) { this.#early.auditRows(buf, n, at, this.#sources, this.#row); return; }
    const words = n * PACKED_ROW_WORDS;
    const u = new Uint32Array(buf, at, words), d = new Float64Array(buf, at, words >>> 1), row = this.#row, src = this.#sources, store = this.store, early = this.#early;
    for (let k = 0; k < n; k++) {
      unpackRow(u, d, k * PACKED_ROW_WORDS, row);
      const s = src[row.fileIndex];
      early.auditRow(row, s);
      if (store !== null) store.addRow(row, s?.name ?? '', s?.kind ?? 'pcap');
    }
  }

  /** Flow records (flow-log records; from a flow table, those that came as records). */
  addRecords(records: readonly FlowRecord[]): void {
    for (const f of records) {
      this.#early.onFlow(f);
      this.store?.add(f);
    }
  }

  /**
   * Every flow and name is in: the report (the evidence as gatherEvidence returned it). When the
   * early audit was dropped, the flows kept are audited again, every name first; without them, the
   * inputs are asked for again.
   */
  async finish(evidence: Pick<Evidence, 'names' | 'inputs' | 'evictions'>): Promise<AuditOutcome> {
    let again = this.#early.dropped;
    for (const i of evidence.inputs) {
      if (i.format !== 'pcapng') continue;
      // stdin's pcapng is labelled pcap until read through (gatherEvidence's own fix-up)
      if (again === null && this.#sources.some((s) => s !== undefined && s.name === i.file && s.kind === 'pcap')) again = `${i.file} turned out to be pcapng`;
      this.store?.setEvidenceKind(i.file, 'pcap', 'pcapng');
    }
    if (again === null) return { report: this.#stage.auditor.finish(evidence) };
    if (this.store === null) return { again };
    // as if nothing had been audited early: a fresh policy, every name, then every flow
    this.#stage = await stageOf(this.#setup);
    for (const n of evidence.names) this.#stage.auditor.addName(n);
    auditStored(this.#stage.auditor, this.store);
    return { report: this.#stage.auditor.finish(evidence) };
  }
}

/**
 * Audit the store's flows, in the order they finished, into `auditor`. One record is refilled for all (the auditor copies what it keeps), and the store's
 * address ids let it remember each address's roles and peers by number.
 */
function auditStored(auditor: Auditor, store: FlowStore): void {
  const rec = blankRecord();
  for (let i = 0; i < store.size; i++) auditor.addFlow(store.getInto(i, rec, false), store.origAddrId(i), store.respAddrId(i));
}

async function stageOf(s: AuditSetup): Promise<Stage> {
  const policy = compilePolicy(s.profile, s.inventory, s.features);
  const compare = await comparePolicies(policy);
  return { policy, compare, auditor: createAuditor(policy, { failOn: s.failOn, compare, newFindings: false }) };
}
