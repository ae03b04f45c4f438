/**
 * The audit side of a live run: the compiled policy, the incremental auditor fed with finished
 * flows, a scratch auditor that judges each NEW flow on its first packet (so an `unexpected`
 * flow is reported at once), and the final report written with the same reporters as `audit`.
 */
import { createAuditor, type Auditor } from '../../../audit/auditor.js';
import type { Finding } from '../../../audit/types.js';
import type { Evidence, FlowRecord, NameObservation } from '../../../flow/record.js';
import { policyOf, type PolicyArgs } from '../../options/policy.js';
import { failOnOf, useColor, type AuditOutputArgs } from '../../options/audit-output.js';
import { openOutput } from '../../../report/output.js';
import { reporterFor, writeReport } from '../../../report/reporter.js';
import { ExitCode } from '../../exit-codes.js';

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
      const out = await openOutput(a.output);
      try {
        const reporter = reporterFor(a.format, { color: useColor(process.stdout, out.path !== undefined), width: Math.min(120, process.stdout.columns || 100) });
        const chunks: string[] = [];
        writeReport(report, reporter, (c) => { chunks.push(c); });
        for (const c of chunks) await out.write(c);
        await out.end();
      } catch (e) {
        await out.abort();
        throw e;
      }
      return report.summary.verdict === 'FAIL' ? ExitCode.Findings : ExitCode.Ok;
    },
  };
}
