/**
 * EarlyAudit: on capture files, `audit` audits the flows as they finish, in batches, and keeps
 * none (IncrementalAudit without keeping: in the audit thread, or in this one with `--threads 1`).
 * Names (DNS answers, TLS SNI) give addresses roles, and the report must be the one of auditing
 * every flow with every name known; names come first in practice (a DNS answer before the
 * connection it resolves, an SNI inside the flow it names), so each batch is audited with the
 * names known when it is handed over. Each new name is checked (addNameChecked) for changing what
 * an address already audited is to the audit (its roles in the policy and in each compared policy,
 * whether it is a proxy). If one does, the early audit is dropped: the rest of the read only
 * collects names, and the caller reads the files again with every name known first (as
 * `--two-pass`). Either way the report is the one of keeping every flow until the end, without
 * the ~100 B per flow that keeping them costs.
 */
import type { EvidenceKind, FlowRecord, NameObservation } from '../../../flow/record.js';
import { RowRecords, type FlowRow } from '../../../flow/row.js';
import { AddressTable } from '../../../report/flows/address-table.js';
import { blankRecord } from '../../../report/flows/store.js';
import { addNameChecked, noteAddresses, type Stage } from './incremental.js';

export class EarlyAudit {
  readonly #stage: Stage;
  /** Addresses of the flows audited from the table (ids: the auditor's address keys). */
  readonly #addrs = new AddressTable();
  /** Addresses (canonical text) of the flows audited as records. */
  readonly #recordAddrs = new Set<string>();
  readonly #records = new RowRecords();
  readonly #rec = blankRecord();
  #dropped: string | null = null;

  constructor(stage: Stage) {
    this.#stage = stage;
  }

  /** Null while every flow has been audited with the names known; otherwise why the files must be read again. */
  get dropped(): string | null {
    return this.#dropped;
  }

  /** Audit one finished flow read from a table (`src`: the input it came from). */
  auditRow(row: FlowRow, src: { name: string; kind: EvidenceKind } | undefined): void {
    if (this.#dropped !== null) return;
    const addrs = this.#addrs;
    const o = addrs.idOfWords(row.orig), r = addrs.idOfWords(row.resp);
    this.#stage.auditor.addFlow(this.#records.fillWith(row, src, this.#rec, addrs.text(o), addrs.text(r), false), o, r);
  }

  /** A flow that comes as a record (ICMP errors, tunnels): audit it now. */
  readonly onFlow = (f: FlowRecord): void => {
    if (this.#dropped !== null) return;
    noteAddresses(this.#recordAddrs, f);
    this.#stage.auditor.addFlow(f);
  };

  /** A name found in the capture, before the flows that finish after it. */
  readonly onName = (obs: NameObservation): void => {
    if (this.#dropped !== null) return;
    this.#dropped = addNameChecked(this.#stage, obs, (a) => this.#addrs.has(a), this.#recordAddrs);
  };
}
