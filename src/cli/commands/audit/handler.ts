/** The audit command: gather evidence, audit it, write the report, choose the exit code. */
import { statSync } from 'node:fs';
import { createAuditor, type Auditor } from '../../../audit/auditor.js';
import { blankRecord } from '../../../report/flows/store.js';
import { progressBar } from '../../progress.js';
import { detectEvidencePath, isEvidenceFormat } from '../../../evidence/index.js';
import type { Evidence, InputSummary } from '../../../flow/record.js';
import { ExitCode } from '../../exit-codes.js';
import { UsageError } from '../../../core/errors.js';
import { gatherEvidence, unreadableInputs, type GatherOptions } from '../../gather.js';
import { inputFormatOf } from '../../options/input.js';
import { flowOptionsOf, readThreadsOf } from '../../options/flow.js';
import { policyOf } from '../../options/policy.js';
import { failOnOf } from '../../options/audit-output.js';
import { writeAuditReport } from '../../write-report.js';
import type { AuditArgs } from './command.js';
import { comparePolicies } from '../../../rules/compare.js';
import { AuditThread } from './audit-thread.js';

/**
 * The inputs, with unknown options (kept as arguments so that yargs does not drop a lone "-")
 * reported as such.
 */
export function inputsOf(a: Pick<AuditArgs, 'inputs'>): string[] {
  const list = (a.inputs ?? []).map(String);
  const bad = list.filter((x) => x.startsWith('-') && x !== '-');
  if (bad.length > 0) throw new UsageError('usage.unknown_option', `Unknown argument${bad.length > 1 ? 's' : ''}: ${bad.join(', ')} (see flowaudit audit --help)`);
  if (list.length === 0) throw new UsageError('usage.no_input', 'name at least one input: a capture or flow-log file, or - for stdin');
  return list;
}

export async function run(a: AuditArgs): Promise<number> {
  const inputs = inputsOf(a);
  const failOn = failOnOf(a);
  const policy = await policyOf(a);
  for (const w of policy.warnings) process.stderr.write(`flowaudit: warning: ${w}\n`);
  const fo = flowOptionsOf(a);
  const forced = inputFormatOf(a);
  // A flow is audited right only with every DNS/SNI name about its addresses known (names give
  // addresses roles), and the report does not depend on the order flows come in. Names come before
  // the flows that use them in practice, so finished flows are audited in batches as they come, with
  // the names seen so far (IncrementalAudit: in the audit thread, or here with --threads 1), and a
  // name that changes what an audited address is drops that early audit: capture files are then
  // read again with every name known first (EarlyAudit keeps no flow); flows from stdin or a pipe,
  // which cannot be read again, are kept (FlowStore rows, ~100 B per flow) and audited again at
  // the end.
  // Flow logs alone carry no names, and --two-pass learns them in a first read: then each flow goes
  // into the auditor as it finishes, here (streaming).
  const twoPass = a['two-pass'] === true;
  const rereadable = canReadTwice(inputs);
  if (twoPass && !rereadable) throw new UsageError('usage.two_pass_stdin', '--two-pass reads the capture files twice, and stdin or a pipe can be read only once: give a file');
  const streaming = twoPass || await onlyFlowRecords(inputs, forced);
  // --threads 2 or more: the second thread is the audit's (audit-thread.ts), except when streaming;
  // a third thread and more read and decode (gatherEvidence's threads).
  const readThreads = readThreadsOf(fo.threads);
  const gather = async (list: string[], sinks: Pick<GatherOptions, 'onFlow' | 'rowSink' | 'rowBatches' | 'rowBatchCount' | 'names' | 'onName' | 'between'>, label = ''): Promise<Evidence> => {
    const bar = progressBar(label);
    try {
      return await gatherEvidence(list, {
        // (no finding shows a flow's Community ID)
        maxFlows: fo.maxFlows, vlanInKey: fo.vlanInKey, timeouts: fo.timeouts, threads: readThreads, communityIds: false, tunnelEndpoints: false, ...bar.opts,
        ...(forced !== undefined ? { inputFormat: forced } : {}), ...sinks,
      });
    } finally {
      bar.stop();
    }
  };
  // a late name dropped the early audit of files: read them again, every name known first
  const again = async (reason: string, first: Evidence): Promise<number> => {
    process.stderr.write(`flowaudit: ${reason}; reading the inputs again with every name known first\n`);
    const fresh = await policyOf(a);
    const auditor = createAuditor(fresh, { failOn, compare: await comparePolicies(fresh), newFindings: false });
    for (const n of first.names) auditor.addName(n);
    const second = await gather(inputs, { ...intoAuditor(auditor), names: false }, 'reading again');
    for (const l of changedBetweenReads(first.inputs, second.inputs)) process.stderr.write(l + '\n');
    // (damage was reported by the first read)
    if (second.inputs.length > 0 && unreadableInputs(second).length === second.inputs.length) return ExitCode.Error;
    return await writeAuditReport(auditor.finish(second), a);
  };
  if (!streaming) {
    // the audit thread compiles the policy and audits while this thread reads; with --threads 1
    // the same batches are audited here as they fill
    const setup = { profile: policy.profile, inventory: policy.inventory, features: [...policy.features], failOn, keep: !rereadable };
    const thread = fo.threads >= 2 ? new AuditThread(setup) : await AuditThread.inThisThread(setup);
    try {
      const evidence = await gather(inputs, { onFlow: thread.onFlow, rowSink: thread.rowSink, rowBatches: thread.rowBatches, rowBatchCount: thread.rowBatchCount, onName: thread.onName, between: thread.between });
      if (!reportDamage(evidence)) return ExitCode.Error;
      const outcome = await thread.report(evidence);
      if ('again' in outcome) {
        await thread.close();
        return await again(outcome.again, evidence);
      }
      return await writeAuditReport(outcome.report, a);
    } finally {
      await thread.close();
    }
  }
  // (the report is built by finish(): addFlow need not return the findings each flow creates)
  const auditor = createAuditor(policy, { failOn, compare: await comparePolicies(policy), newFindings: false });
  let firstPass: InputSummary[] | null = null;
  if (twoPass) {
    // pass 1: the capture files' DNS answers and TLS SNI only (every flow is dropped as it finishes)
    const captures: string[] = [];
    for (const i of inputs) if (forced === undefined ? !(await isFlowRecordInput(i)) : !isEvidenceFormat(forced)) captures.push(i);
    const first = await gather(captures, { onFlow: () => undefined, rowSink: () => true }, 'pass 1/2 (names)');
    for (const n of first.names) auditor.addName(n);
    firstPass = first.inputs;
  }
  // streaming: --two-pass's second read, or flow logs alone (no names)
  const evidence = await gather(inputs, { ...intoAuditor(auditor), ...(twoPass ? { names: false } : {}) }, twoPass ? 'pass 2/2 (flows)' : '');
  if (firstPass !== null) for (const l of changedBetweenReads(firstPass, evidence.inputs)) process.stderr.write(l + '\n');
  if (!reportDamage(evidence)) return ExitCode.Error;
  return await writeAuditReport(auditor.finish(evidence), a);
}

/**
 * One stderr line per input that read differently the second time (a capture still being
 * written, say): the report is the second read's, and names found only in what the first read did
 * not see were not known first.
 */
export function changedBetweenReads(first: readonly InputSummary[], second: readonly InputSummary[]): string[] {
  const lines: string[] = [];
  for (const s of second) {
    const f = first.find((x) => x.file === s.file);
    if (f === undefined || (f.bytes === s.bytes && f.packets === s.packets && f.records === s.records)) continue;
    const what = (i: InputSummary): string => `${i.bytes} bytes, ${i.records > 0 ? `${i.records} records` : `${i.packets} packets`}`;
    lines.push(`flowaudit: ${s.file} changed between the two reads (${what(f)} the first time, ${what(s)} the second): the report is the second read's`);
  }
  return lines;
}

/**
 * Sinks that audit each flow as it finishes. Flows from the flow table refill one record, which the
 * auditor copies from where it keeps anything, and skip the Community ID, which the audit does not use.
 */
function intoAuditor(auditor: Auditor): Pick<GatherOptions, 'onFlow' | 'rowSink'> {
  const rec = blankRecord();
  return { onFlow: (f) => { auditor.addFlow(f); }, rowSink: (t, f) => { auditor.addFlow(t.recordInto(f, rec, false)); return true; } };
}

/**
 * Say on stderr which inputs ended early (file, byte offset, why). False when nothing could be
 * read at all: then there is no report (it would say PASS about no evidence).
 */
function reportDamage(evidence: Evidence): boolean {
  for (const i of evidence.inputs) {
    if (i.end.clean) continue;
    const nothing = i.packets + i.records === 0;
    const where = nothing && i.end.offset === 0 ? '' : ` at byte ${i.end.offset}:`;
    process.stderr.write(`flowaudit: ${i.file}:${where} ${i.end.reason ?? i.end.code ?? 'damaged'}${nothing ? '' : ' (what came before was audited)'}\n`);
  }
  return evidence.inputs.length === 0 || unreadableInputs(evidence).length < evidence.inputs.length;
}

/**
 * Whether every input can be read a second time: regular files and folders, not stdin, a pipe
 * (`<(zcat x.gz)`), a FIFO or a device. (An input that cannot be opened is reported by the read.)
 */
function canReadTwice(inputs: readonly string[]): boolean {
  for (const i of inputs) {
    if (i === '-') return false;
    try {
      const s = statSync(i);
      if (!s.isFile() && !s.isDirectory()) return false;
    } catch {
      // reported when read
    }
  }
  return true;
}

/** True when every input is a flow-record file or folder (no packets: no names to wait for). */
async function onlyFlowRecords(inputs: string[], forced: string | undefined): Promise<boolean> {
  if (forced !== undefined) return isEvidenceFormat(forced);
  for (const i of inputs) if (!(await isFlowRecordInput(i))) return false;
  return inputs.length > 0;
}

/** A flow-record file or folder (flow logs, Zeek, Suricata), not a capture (unreadable: false; gatherEvidence reports it). */
async function isFlowRecordInput(input: string): Promise<boolean> {
  if (input === '-') return false;
  try {
    return (await detectEvidencePath(input)) !== null;
  } catch {
    return false;
  }
}
