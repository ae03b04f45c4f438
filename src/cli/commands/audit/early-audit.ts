/**
 * EarlyAudit: audits finished flows as they come, with the names known then (IncrementalAudit's
 * core: in the audit thread, or in this one with `--threads 1`). Names (DNS answers, TLS SNI) give
 * addresses roles, and the report must be the one of auditing every flow with every name known;
 * names come first in practice (a DNS answer before the connection it resolves, an SNI inside the
 * flow it names), so each batch is audited with the names known when it is handed over (its own
 * first). Each new name is checked (addNameChecked) for changing what an address already audited
 * is to the audit (its roles in the policy and in each compared policy, whether it is a proxy).
 * If one does, the early audit is dropped: the rest only collects names, and IncrementalAudit
 * audits its kept flows again (stdin, pipes) or asks for the files to be read again (as
 * `--two-pass`). Either way the report is the one of keeping every flow until the end; files do
 * without the ~100 B per flow that keeping them costs.
 */
import type { EvidenceKind, FlowRecord, IcmpErrorEvidence, NameObservation, TunnelEvidence } from '../../../flow/record.js';
import { RowRecords, type FlowRow } from '../../../flow/row.js';
import { PACKED_ROW_BYTES, PACKED_ROW_WORDS, unpackRow } from '../../../flow/table.js';
import { RowLane } from '../../../audit/row-lane.js';
import { AddressTable } from '../../../report/flows/address-table.js';
import { blankRecord } from '../../../report/flows/store.js';
import { canonicalAddr } from '../../../core/ip.js';
import type { Stage } from './incremental.js';

export class EarlyAudit {
  readonly #stage: Stage;
  /** Addresses of the flows audited from the table (ids: the auditor's address keys) when there is no lane. */
  readonly #addrs = new AddressTable();
  /** Addresses (canonical text) of the flows audited as records. */
  readonly #recordAddrs = new Set<string>();
  readonly #records = new RowRecords();
  readonly #rec = blankRecord();
  /** The flows that only count, counted in WebAssembly (auditRows); null when its memory could not be had. */
  readonly #lane: RowLane | null;
  #dropped: string | null = null;

  constructor(stage: Stage) {
    this.#stage = stage;
    this.#lane = RowLane.create(stage.policy, stage.auditor);
  }

  /** Rows the lane counted itself (not handed back), for tests. */
  laneRows = 0;

  /** Null while every flow has been audited with the names known; otherwise why the files must be read again. */
  get dropped(): string | null {
    return this.#dropped;
  }

  /** Audit one finished flow read from a table (`src`: the input it came from). */
  auditRow(row: FlowRow, src: { name: string; kind: EvidenceKind } | undefined): void {
    if (this.#dropped !== null) return;
    // (the addresses' keys: the lane's ids when there is a lane, as its flows use them)
    const addrs = this.#lane ?? this.#addrs;
    this.#auditKeyed(row, addrs.idOfWords(row.orig), addrs.idOfWords(row.resp), addrs, src);
  }

  /**
   * Audit one row whose addresses have keys `o` and `r` (of `addrs`): most flows count into what is
   * there already without a record (addRow, which asks for an address's text only to keep it); the
   * rest as records.
   */
  #auditKeyed(row: FlowRow, o: number, r: number, addrs: RowLane | AddressTable, src: { name: string; kind: EvidenceKind } | undefined): void {
    const auditor = this.#stage.auditor;
    if (!auditor.addRow(row, o, r, addrs, src)) auditor.addFlow(this.#records.fillWith(row, src, this.#rec, addrs.text(o), addrs.text(r), false), o, r);
  }

  /**
   * Audit `n` packed rows (FlowTable.packRow) from byte `at` of `buf`, all from packet captures
   * (`src` by fileIndex): the lane counts the flows that only count, and the rest are audited one
   * by one (auditRow), in their order, refilling `row`.
   */
  auditRows(buf: ArrayBufferLike, n: number, at: number, src: readonly ({ name: string; kind: EvidenceKind } | undefined)[], row: FlowRow): void {
    if (this.#dropped !== null) return;
    const u = new Uint32Array(buf, at, n * PACKED_ROW_WORDS), d = new Float64Array(buf, at, (n * PACKED_ROW_WORDS) >>> 1);
    const lane = this.#lane;
    if (lane === null) {
      for (let k = 0; k < n; k++) { unpackRow(u, d, k * PACKED_ROW_WORDS, row); this.auditRow(row, src[row.fileIndex]); }
      return;
    }
    for (let k0 = 0, slots = lane.rowSlots; k0 < n; k0 += slots) {
      const m = Math.min(slots, n - k0);
      // (the lane's address ids are the auditor's keys, and it gives their texts)
      const slow = lane.run(buf, at + k0 * PACKED_ROW_BYTES, m, src);
      this.laneRows += m - slow.length / 3;
      for (let j = 0; j < slow.length; j += 3) {
        unpackRow(u, d, (k0 + slow[j]!) * PACKED_ROW_WORDS, row);
        this.#auditKeyed(row, slow[j + 1]!, slow[j + 2]!, lane, src[row.fileIndex]);
      }
    }
  }

  /**
   * A flow of a table that its core did not pack (ICMP errors; a tunnel, were it kept), as a row
   * with them: audited as a record keyed as the rows are (addresses by the lane's ids, texts made
   * once per address), unless the early audit was dropped. Returns the record: refilled for the
   * next one, or its own object when `fresh` (to be kept).
   */
  auditOwnRow(row: FlowRow, src: { name: string; kind: EvidenceKind } | undefined, icmpErrors: IcmpErrorEvidence[] | null, tunnel: TunnelEvidence | null, fresh: boolean): FlowRecord {
    const addrs = this.#lane ?? this.#addrs;
    const o = addrs.idOfWords(row.orig), r = addrs.idOfWords(row.resp);
    const f = this.#records.fillWith(row, src, fresh ? blankRecord() : this.#rec, addrs.text(o), addrs.text(r), false);
    if (icmpErrors !== null) f.icmpErrors = icmpErrors;
    f.tunnel = tunnel;
    if (this.#dropped === null) this.#stage.auditor.addFlow(f, o, r);
    return f;
  }

  /** A flow that comes as a record (flow logs; flows of a table come as rows, auditOwnRow): audit it now. */
  readonly onFlow = (f: FlowRecord): void => {
    if (this.#dropped !== null) return;
    // (a text already here is canonical: parsed only when new, as these few flows are rarely
    // optimised and parsing took about 11 µs a record)
    const seen = this.#recordAddrs;
    if (!seen.has(f.origH)) seen.add(canonicalAddr(f.origH) ?? f.origH);
    if (!seen.has(f.respH)) seen.add(canonicalAddr(f.respH) ?? f.respH);
    this.#stage.auditor.addFlow(f);
  };

  /** A name found in the capture, before the flows that finish after it. */
  readonly onName = (obs: NameObservation): void => {
    if (this.#dropped !== null) return;
    this.#dropped = addNameChecked(this.#stage, obs, (a) => (this.#lane ?? this.#addrs).has(a), this.#recordAddrs);
  };
}

/**
 * Give a name to the stage's auditor. Returns why auditing flows early no longer holds when the
 * name changed what an address that audited flows used is to the audit (`audited`: an address of
 * flows from the table; `recordAddrs`: canonical addresses of flows that came as records), else null.
 */
function addNameChecked(st: Stage, obs: NameObservation, audited: (addr: string) => boolean, recordAddrs: ReadonlySet<string>): string | null {
  if (!audited(obs.address) && !recordAddrs.has(canonicalAddr(obs.address) ?? obs.address)) { st.auditor.addName(obs); return null; }
  // an address that audited flows used: the name must not change what it is
  const before = rolesSeen(st, obs.address);
  st.auditor.addName(obs);
  return rolesSeen(st, obs.address) === before ? null : `the name ${obs.name} (${obs.via}) gave ${obs.address} roles after flows of it were audited`;
}

/** What an address is to the audit: its roles in the policy and in each compared one, and whether it is a proxy. */
function rolesSeen(st: Pick<Stage, 'policy' | 'compare'>, addr: string): string {
  let s = `${st.policy.rolesOf(addr)}${st.policy.isProxy(addr) ? 'p' : ''}`;
  for (const c of st.compare) s += `,${c.rolesOf(addr)}`;
  return s;
}
