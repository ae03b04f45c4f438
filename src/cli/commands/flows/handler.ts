/** Handler of `flowaudit flows`: gather evidence, write one record per flow, summary on stderr. */
import { ExitCode } from '../../exit-codes.js';
import { gatherEvidence, unreadableInputs, type GatherOptions } from '../../gather.js';
import { progressBar } from '../../progress.js';
import { inputFormatOf } from '../../options/input.js';
import { flowOptionsOf, readThreadsOf } from '../../options/flow.js';
import { openOutput, type Output } from '../../../report/output.js';
import { FlowStreamWriter, writeFlows } from '../../../report/flows/writer.js';
import { FlowStore, blankRecord } from '../../../report/flows/store.js';
import type { Evidence } from '../../../flow/record.js';
import type { FlowsArgs } from './command.js';
import { FormatThread } from './format-thread.js';
import { writeSortedInTwoThreads } from './sorted-thread.js';

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

/**
 * Gather the inputs with the command's options and a progress bar; flows go to `sinks`. The
 * second of `--threads` is the format thread's (--unsorted); a third and more read and decode.
 */
async function gather(a: FlowsArgs, sinks: Pick<GatherOptions, 'onFlow' | 'rowSink' | 'between'>): Promise<Evidence> {
  const forced = inputFormatOf(a);
  const fo = flowOptionsOf(a);
  const bar = progressBar();
  try {
    return await gatherEvidence(a.inputs, { ...fo, threads: readThreadsOf(fo.threads), ...bar.opts, ...(forced !== undefined ? { inputFormat: forced } : {}), ...sinks });
  } finally {
    bar.stop();
  }
}

/** Open the output, run `write`, then end it (or remove it when `write` fails). */
async function intoOutput<T>(file: string | undefined, write: (out: Output) => Promise<T>): Promise<T> {
  const out = await openOutput(file);
  try {
    const r = await write(out);
    await out.end();
    return r;
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** The closing stderr lines, and the exit code: 2 when an input could not be read at all. */
function finish(ev: Evidence, flowCount: number): number {
  for (const l of summaryLines(ev, flowCount)) process.stderr.write(l + '\n');
  return unreadableInputs(ev).length > 0 ? ExitCode.Error : ExitCode.Ok;
}

export async function run(a: FlowsArgs): Promise<number> {
  if (a.unsorted === true) return runUnsorted(a);
  // flows are kept compactly (typed columns) rather than as objects, then written in sorted order;
  // with two threads or more the second helps format them (sorted-thread.ts), reading the store in place
  const two = flowOptionsOf(a).threads >= 2;
  const store = new FlowStore({ shared: two });
  const ev = await gather(a, { onFlow: (f) => store.add(f), rowSink: store.rowSink() });
  // as gatherEvidence does for retained flows: a capture read as pcapng says so
  for (const i of ev.inputs) if (i.format === 'pcapng') store.setEvidenceKind(i.file, 'pcap', 'pcapng');
  // (the writer is done with each record before the next: one object is refilled for all)
  await intoOutput(a.output, (out) => two ? writeSortedInTwoThreads(out, store, a.format) : writeFlows(out, store.sorted(true, blankRecord()), a.format));
  return finish(ev, store.size);
}

/**
 * `--unsorted`: each flow is written as it finishes (finishing order: deterministic for the same
 * inputs and options); nothing is kept, and the reader waits while the output is behind.
 */
async function runUnsorted(a: FlowsArgs): Promise<number> {
  if (flowOptionsOf(a).threads >= 2) {
    // the flows are formatted in a second thread while this one reads, and here when it is behind (format-thread.ts)
    const { ev, count } = await intoOutput(a.output, async (out) => {
      const t = new FormatThread(out, a.format);
      try {
        const ev = await gather(a, { onFlow: t.onFlow, rowSink: t.rowSink, between: t.between });
        return { ev, count: await t.end() };
      } finally {
        await t.close();
      }
    });
    return finish(ev, count);
  }
  const { ev, count } = await intoOutput(a.output, async (out) => {
    const w = new FlowStreamWriter(out, a.format);
    // flows taken straight from the flow table are refilled into one record (the writer keeps nothing)
    const rec = blankRecord();
    const ev = await gather(a, { onFlow: (f) => w.add(f), rowSink: (t, f) => { w.add(t.recordInto(f, rec)); return true; }, between: () => w.pending() });
    return { ev, count: await w.end() };
  });
  return finish(ev, count);
}
