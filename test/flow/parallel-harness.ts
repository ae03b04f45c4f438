/**
 * Test harness for --threads: the capture branch of gatherEvidence with readCapturesParallel in
 * place of readCaptures (same engine options, same summaries), so tests compare the two paths.
 */
import { FlowEngine, DEFAULT_NAME_PARSERS } from '../../src/flow/engine.js';
import type { Evidence, FlowRecord, InputSummary } from '../../src/flow/record.js';
import { compareFlows, gatherEvidence } from '../../src/cli/gather.js';
import { readCapturesParallel, type ParallelOptions } from '../../src/flow/parallel/gather-parallel.js';

export interface HarnessOptions extends ParallelOptions { maxFlows?: number }

/** Evidence for capture files read with worker threads; null when the parallel path declined. */
export async function gatherParallel(files: string[], opts: HarnessOptions): Promise<Evidence | null> {
  const flows: FlowRecord[] = [];
  const engine = new FlowEngine({
    onFlow: (f) => flows.push(f),
    nameParsers: opts.names === false ? {} : DEFAULT_NAME_PARSERS,
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
  });
  files.forEach((n, j) => engine.addSource(j, n, 'pcap'));
  const infos = await readCapturesParallel(files, engine, opts);
  if (infos === null) return null;
  engine.flush();
  const inputs: InputSummary[] = infos.map((info, j) => ({
    file: info.file, format: info.format, compressed: info.compressed, packets: info.packets, records: 0,
    bytes: info.fileBytes, firstSec: info.firstTsSec, firstNsec: info.firstTsNsec, lastSec: info.lastTsSec, lastNsec: info.lastTsNsec,
    anomalies: engine.anomalies[j]?.toJSON() ?? {}, end: { clean: info.end.clean, code: info.end.code, offset: info.end.offset, reason: info.end.reason },
  }));
  const kinds = new Map<string, 'pcapng'>();
  infos.forEach((info, j) => { if (info.format === 'pcapng') kinds.set(files[j]!, 'pcapng'); });
  for (const f of flows) if (kinds.has(f.source)) f.evidence = 'pcapng';
  flows.sort(compareFlows);
  return { flows, names: engine.names.sorted(), inputs, evictions: engine.evictions };
}

export async function gatherSequential(files: string[], opts: { maxFlows?: number; names?: boolean } = {}): Promise<Evidence> {
  return gatherEvidence(files, { ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}), ...(opts.names !== undefined ? { names: opts.names } : {}) });
}
