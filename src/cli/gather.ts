/**
 * gatherEvidence: every input (capture files, `-` for stdin, flow-log files or folders) → one
 * Evidence value: flow records sorted deterministically (first packet time, then key), name
 * observations, one InputSummary per input (in the order given) and the eviction count.
 *
 * Captures go through readCaptures (one time-ordered merge of all capture inputs) → FlowEngine
 * (Decoder → FlowTable); flow-record files go through src/evidence. An input that cannot be opened
 * does not stop the others: its summary says why (end.clean false, packets and records 0), and
 * `unreadableInputs()` lists such inputs so the CLI can exit 2.
 */
import { open, stat } from 'node:fs/promises';
import type { Evidence, EvidenceKind, FlowRecord, InputSummary } from '../flow/record.js';
import { FlowEngine, DEFAULT_NAME_PARSERS } from '../flow/engine.js';
import type { Timeouts } from '../flow/timeouts.js';
import { readCaptures } from '../capture/read.js';
import { sniffCapture } from '../capture/sniff.js';
import type { CaptureInfo } from '../capture/types.js';
import { detectEvidence, detectEvidencePath, readEvidenceFile } from '../evidence/index.js';

export interface GatherOptions {
  /** Most flows held at once (default 4 194 304); evictions are counted in Evidence.evictions. */
  maxFlows?: number;
  /** Put the VLAN id in the flow key. */
  vlanInKey?: boolean;
  /** Idle timeouts (seconds of packet time) by protocol × state. */
  timeouts?: Partial<Timeouts>;
  /** Bytes read so far of the capture inputs, and their total (null when unknown: stdin). */
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
  /** Read size for captures (default 4 MiB). */
  chunkSize?: number;
  /** Collect DNS/SNI name observations (default true). */
  names?: boolean;
  /** Force every input to be read as this evidence kind (skips detection). */
  inputFormat?: EvidenceKind;
}

interface Plan {
  file: string;
  kind: 'capture' | 'evidence' | 'error';
  evidence?: EvidenceKind;
  error?: string;
}

const HEAD = 64 * 1024;

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD);
    const { bytesRead } = await fh.read(buf, 0, HEAD, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function planInput(file: string, forced: EvidenceKind | undefined): Promise<Plan> {
  if (file === '-') return forced && forced !== 'pcap' && forced !== 'pcapng' ? { file, kind: 'error', error: 'flow-record evidence cannot be read from stdin; give a file' } : { file, kind: 'capture' };
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      const k = forced ?? (await detectEvidencePath(file));
      if (k === null) return { file, kind: 'error', error: 'a folder with no recognised flow-log files' };
      return { file, kind: 'evidence', evidence: k };
    }
    if (forced !== undefined && forced !== 'pcap' && forced !== 'pcapng') return { file, kind: 'evidence', evidence: forced };
    const head = await readHead(file);
    const s = sniffCapture(head);
    if (s.kind === 'pcap' || s.kind === 'pcapng') return { file, kind: 'capture' };
    const k = detectEvidence(head, file);
    if (k !== null) return { file, kind: 'evidence', evidence: k };
    // gzip captures and unknown formats: the capture reader says precisely what it found
    return { file, kind: 'capture' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { file, kind: 'error', error: err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : String(err.message ?? e) };
  }
}

function errorSummary(file: string, reason: string): InputSummary {
  return {
    file, format: null, compressed: null, packets: 0, records: 0, bytes: 0,
    firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, anomalies: {},
    end: { clean: false, code: 'input.unreadable', offset: 0, reason },
  };
}

function captureSummary(info: CaptureInfo, anomalies: Record<string, { count: number; first_packet: number }>): InputSummary {
  return {
    file: info.file, format: info.format, compressed: info.compressed, packets: info.packets, records: 0,
    bytes: info.fileBytes, firstSec: info.firstTsSec, firstNsec: info.firstTsNsec, lastSec: info.lastTsSec, lastNsec: info.lastTsNsec,
    anomalies, end: { clean: info.end.clean, code: info.end.code, offset: info.end.offset, reason: info.end.reason },
  };
}

/** Deterministic flow order: first packet time, then protocol, endpoints, VLAN, source. */
export function compareFlows(a: FlowRecord, b: FlowRecord): number {
  if (a.firstSec !== b.firstSec) return a.firstSec - b.firstSec;
  if (a.firstNsec !== b.firstNsec) return a.firstNsec - b.firstNsec;
  if (a.proto !== b.proto) return a.proto - b.proto;
  if (a.origH !== b.origH) return a.origH < b.origH ? -1 : 1;
  if (a.origP !== b.origP) return a.origP - b.origP;
  if (a.respH !== b.respH) return a.respH < b.respH ? -1 : 1;
  if (a.respP !== b.respP) return a.respP - b.respP;
  const av = a.vlan ?? -1, bv = b.vlan ?? -1;
  if (av !== bv) return av - bv;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.lastSec !== b.lastSec) return a.lastSec - b.lastSec;
  return a.lastNsec - b.lastNsec;
}

/** Inputs whose summary shows they could not be read at all (nothing read, not clean). */
export function unreadableInputs(ev: Evidence): InputSummary[] {
  return ev.inputs.filter((i) => !i.end.clean && i.packets === 0 && i.records === 0);
}

export async function gatherEvidence(inputs: string[], opts: GatherOptions = {}): Promise<Evidence> {
  const plans: Plan[] = [];
  for (const f of inputs) plans.push(await planInput(f, opts.inputFormat));
  const flows: FlowRecord[] = [];
  const summaries: (InputSummary | undefined)[] = new Array<InputSummary | undefined>(inputs.length);
  const engine = new FlowEngine({
    onFlow: (f) => flows.push(f),
    nameParsers: opts.names === false ? {} : DEFAULT_NAME_PARSERS,
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
    ...(opts.vlanInKey !== undefined ? { vlanInKey: opts.vlanInKey } : {}),
    ...(opts.timeouts !== undefined ? { timeouts: opts.timeouts } : {}),
  });

  // captures: one merged, time-ordered read
  const capIdx: number[] = [];
  plans.forEach((p, i) => { if (p.kind === 'capture') capIdx.push(i); });
  if (capIdx.length > 0) {
    const names = capIdx.map((i) => plans[i]!.file);
    names.forEach((n, j) => engine.addSource(j, n, 'pcap'));
    let infos: CaptureInfo[];
    try {
      infos = await readCaptures(names, {
        ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
        ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
      }, (rec) => engine.packet(rec));
    } catch (e) {
      // an input vanished between planning and reading: read the others one by one
      infos = [];
      for (let j = 0; j < names.length; j++) {
        try {
          const one = await readCaptures([names[j]!], {}, (rec) => { rec.fileIndex = j; engine.packet(rec); });
          infos.push(one[0]!);
        } catch (e2) {
          const msg = (e2 as Error).message ?? String(e2);
          const info = { file: names[j]!, format: null, packets: 0 } as unknown as CaptureInfo;
          summaries[capIdx[j]!] = errorSummary(names[j]!, msg);
          infos.push(info);
        }
      }
      void e;
    }
    engine.flush();
    const kindOf = new Map<string, EvidenceKind>();
    infos.forEach((info, j) => {
      const i = capIdx[j]!;
      if (summaries[i] === undefined) summaries[i] = captureSummary(info, engine.anomalies[j]?.toJSON() ?? {});
      if (info.format === 'pcapng') kindOf.set(names[j]!, 'pcapng');
    });
    if (kindOf.size > 0) for (const f of flows) { const k = kindOf.get(f.source); if (k !== undefined && f.evidence === 'pcap') f.evidence = k; }
  }

  // flow-record evidence
  for (let i = 0; i < plans.length; i++) {
    const p = plans[i]!;
    if (p.kind === 'error') { summaries[i] = errorSummary(p.file, p.error ?? 'cannot be read'); continue; }
    if (p.kind !== 'evidence') continue;
    try {
      const info = await readEvidenceFile(p.file, p.evidence!, (f) => flows.push(f));
      summaries[i] = {
        file: p.file, format: info.kind, compressed: info.compressed ?? null, packets: 0, records: info.records, bytes: info.bytes,
        firstSec: info.firstSec ?? 0, firstNsec: info.firstNsec ?? 0, lastSec: info.lastSec ?? 0, lastNsec: info.lastNsec ?? 0,
        anomalies: info.anomalies, end: info.end,
      };
    } catch (e) {
      summaries[i] = errorSummary(p.file, (e as Error).message ?? String(e));
    }
  }

  flows.sort(compareFlows);
  return {
    flows,
    names: engine.names.sorted(),
    inputs: summaries.map((s, i) => s ?? errorSummary(inputs[i]!, 'not read')),
    evictions: engine.evictions,
  };
}
