/** `flowaudit audit <input...>`: audit captures / flow logs against a rule profile and an inventory. */
import type { Argv, CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';
import { withInputOptions, type InputArgs } from '../../options/input.js';
import { auditThreadsDefault, withFlowOptions, type FlowArgs } from '../../options/flow.js';
import { withPolicyOptions, type PolicyArgs } from '../../options/policy.js';
import { withAuditOutputOptions, type AuditOutputArgs } from '../../options/audit-output.js';

export type AuditArgs = InputArgs & FlowArgs & PolicyArgs & AuditOutputArgs & { progress?: boolean; 'two-pass'?: boolean };

export const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit <inputs...>',
  describe: 'Audit captures or flow logs against the hybrid-identity port tables (findings: unexpected, blocked, missing, ...)',
  builder: (y: Argv<object>) => {
    // yargs drops a lone "-" (stdin) from variadic positionals unless unknown options are kept as
    // arguments; the handler turns those back into the usual unknown-option error (inputsOf).
    const b = withAuditOutputOptions(withPolicyOptions(withFlowOptions(withInputOptions(y.parserConfiguration({ 'unknown-options-as-args': true })), {
      default: auditThreadsDefault(),
      describe: 'Threads, this one included (default: 2 on a machine with 2 or more cores). 2: the audit runs in its own thread while this one reads the captures; 3 or more: worker threads also read and decode. The same report whatever the number',
    })))
      .option('two-pass', {
        type: 'boolean', default: false,
        describe: 'Read the capture files twice, first for the DNS and TLS names, then auditing each flow as it finishes. Without it files are read once, the flows audited as they finish with the names seen so far, and read again only if a name comes after flows it concerns (rare; stderr says so). Either way memory is bounded by the flows open at once and the report is the same; this only saves work when late names are expected. Not for stdin or a pipe (whose flows are kept until every name is known)',
      })
      .example('$0 audit sync.pcapng --inventory inv.json', 'Text verdict, coverage per reference table, then each finding')
      .example('$0 audit week.pcapng --inventory inv.json', 'A capture of tens of millions of flows, in memory bounded by the flows open at once')
      .example('$0 audit a.pcap b.pcap --inventory inv.json --profile entra-connect-2025 --format json -o report.json', 'Current Microsoft page, JSON report to a file')
      .example('$0 audit nsg-logs/ --inventory inv.json --features phs,ldaps --fail-on unexpected', 'Azure NSG flow logs; fail only on unexpected traffic');
    return b as never;
  },
  handler: runHandler(async (a: AuditArgs) => (await import('./handler.js')).run(a)),
};
