/**
 * The audit side of a live run: the compiled policy, the incremental auditor fed with finished
 * flows, a scratch auditor that judges each NEW flow on its first packet (so an `unexpected`
 * flow is reported at once), and the final report written with the same reporters as `audit`.
 */
import { createAuditor, type Auditor } from '../../../audit/auditor.js';
import type { Finding } from '../../../audit/types.js';
import type { Evidence, FlowRecord, NameObservation } from '../../../flow/record.js';
import { policyOf, type PolicyArgs } from '../../options/policy.js';
import { failOnOf, type AuditOutputArgs } from '../../options/audit-output.js';
import { writeAuditReport } from '../../write-report.js';

export interface LiveAudit {
  readonly outputPath: string | undefined;
  addName(obs: NameObservation): void;
  /** A finished flow: the findings it created. */
  addFlow(f: FlowRecord): Finding[];
  /**
   * A flow that just started (provisional record): findings a scratch auditor would create, for
   * flows whose two addresses already hold roles (else none: judged when the flow ends).
   */
  judgeNew(f: FlowRecord): Finding[];
  /** Build the report, write it (stdout or --output), and return the exit code. */
  finishAndReport(evidence: Pick<Evidence, 'inputs' | 'evictions'>, warnings: string[]): Promise<number>;
}

export async function liveAudit(a: PolicyArgs & AuditOutputArgs): Promise<LiveAudit> {
  const failOn = failOnOf(a);
  const policy = await policyOf(a);
  for (const w of policy.warnings) process.stderr.write(`flowaudit: warning: ${w}\n`);
  const real: Auditor = createAuditor(policy, { failOn });
  const scratch: Auditor = createAuditor(policy, { failOn });
  return {
    outputPath: a.output,
    addName(obs) { real.addName(obs); },
    addFlow(f) { return real.addFlow(f); },
    judgeNew(f) {
      // Only between addresses that already hold roles: a role that a DNS answer or TLS SNI
      // gives an address later (often within this very flow) could still change the verdict.
      if (policy.rolesOf(f.origH) === 0 || policy.rolesOf(f.respH) === 0) return [];
      return scratch.addFlow(f);
    },
    async finishAndReport(evidence, warnings) {
      const report = real.finish(evidence);
      report.warnings.push(...warnings);
      // Opened only now: the output module removes its temporary file on SIGINT/SIGTERM, which
      // is how a live run is normally ended.
      return writeAuditReport(report, a);
    },
  };
}
