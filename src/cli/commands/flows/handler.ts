/** Handler of `flowaudit flows`: gather evidence, write one record per flow, summary on stderr. */
import { ExitCode } from '../../exit-codes.js';
import { gatherEvidence, unreadableInputs } from '../../gather.js';
import { progressBar } from '../../progress.js';
import { inputFormatOf } from '../../options/input.js';
import { flowOptionsOf } from '../../options/flow.js';
import { openOutput } from '../../../report/output.js';
import { FlowStreamWriter, writeFlows } from '../../../report/flows/writer.js';
import { FlowStore } from '../../../report/flows/store.js';
import type { Evidence } from '../../../flow/record.js';
import type { FlowsArgs } from './command.js';

/** The closing stderr lines: totals, then one line per input that did not end cleanly. */
export function summaryLines(ev: Evidence, flowCount = ev.flows.length): string[] {
  const packets = ev.inputs.reduce((n, i) => n + i.packets, 0);
  const records = ev.inputs.reduce((n, i) => n + i.records, 0);
  let anomalies = 0;
  for (const i of ev.inputs) for (const v of Object.values(i.anomalies)) anomalies += v.count;
  const lines = [
    `flowaudit: ${ev.inputs.length} input${ev.inputs.length === 1 ? '' : 's'}, ${packets} packets` +
      (records > 0 ? `, ${records} flow-log records` : '') +
      `, ${flowCount} flows, ${ev.evictions} evictions, ${anomalies} anomalies`,
  ];
  for (const i of ev.inputs) {
    if (!i.end.clean) lines.push(`flowaudit: ${i.file}: ${i.end.offset > 0 ? `at byte ${i.end.offset}: ` : ''}${i.end.reason ?? i.end.code ?? 'damaged'}`);
  }
  return lines;
}

export async function run(a: FlowsArgs): Promise<number> {
  if (a.unsorted === true) return runUnsorted(a);
  const flowOpts = flowOptionsOf(a);
  const forced = inputFormatOf(a);
  const bar = progressBar();
  let ev: Evidence;
  // flows are kept compactly (typed columns) rather than as objects, then written in sorted order
  const store = new FlowStore();
  try {
    ev = await gatherEvidence(a.inputs, {
      ...flowOpts, ...bar.opts, ...(forced !== undefined ? { inputFormat: forced } : {}), onFlow: (f) => store.add(f), rowSink: store.rowSink(),
    });
  } finally {
    bar.stop();
  }
  // as gatherEvidence does for retained flows: a capture read as pcapng says so
  for (const i of ev.inputs) if (i.format === 'pcapng') store.setEvidenceKind(i.file, 'pcap', 'pcapng');
  const out = await openOutput(a.output);
  try {
    await writeFlows(out, store.sorted(), a.format);
    await out.end();
  } catch (e) {
    await out.abort();
    throw e;
  }
  for (const l of summaryLines(ev, store.size)) process.stderr.write(l + '\n');
  return unreadableInputs(ev).length > 0 ? ExitCode.Error : ExitCode.Ok;
}

/**
 * `--unsorted`: each flow is written as it finishes (finishing order: deterministic for the same
 * inputs and options); nothing is kept, and the reader waits while the output is behind.
 */
async function runUnsorted(a: FlowsArgs): Promise<number> {
  const flowOpts = flowOptionsOf(a);
  const forced = inputFormatOf(a);
  const out = await openOutput(a.output);
  const w = new FlowStreamWriter(out, a.format);
  const bar = progressBar();
  let ev: Evidence;
  try {
    try {
      ev = await gatherEvidence(a.inputs, {
        ...flowOpts, ...bar.opts, ...(forced !== undefined ? { inputFormat: forced } : {}),
        onFlow: (f) => w.add(f), between: () => w.pending(),
      });
    } finally {
      bar.stop();
    }
    await w.end();
    await out.end();
  } catch (e) {
    await out.abort();
    throw e;
  }
  for (const l of summaryLines(ev, w.count)) process.stderr.write(l + '\n');
  return unreadableInputs(ev).length > 0 ? ExitCode.Error : ExitCode.Ok;
}
