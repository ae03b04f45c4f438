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
import { statSync } from 'node:fs';
import { FILE_BUFFERS, gunzipHead, readFileHead } from '../capture/source.js';
import { FlowauditError } from '../core/errors.js';
import { mapLimit } from '../core/map-limit.js';
import type { Evidence, EvidenceKind, FlowRecord, InputSummary, NameObservation } from '../flow/record.js';
import { compareFlows } from '../flow/order.js';

export { compareFlows };
import { FlowEngine, DEFAULT_NAME_PARSERS } from '../flow/engine.js';
import type { Timeouts } from '../flow/timeouts.js';
import type { FlowRowSink, RowBatchSink } from '../flow/table.js';
import { MERGE_BUFFER_BUDGET, MIN_MERGE_CHUNK, PREPARE_AT_ONCE, readCaptures } from '../capture/read.js';
import { DEFAULT_CHUNK_SIZE } from '../capture/info.js';
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
  /** Back-pressure for streaming consumers (onFlow): reading captures waits between chunks for the promise it returns (see ReadOptions.between). */
  between?: () => Promise<void> | undefined;
  /** Read size for captures (default 4 MiB). */
  chunkSize?: number;
  /** Collect DNS/SNI name observations (default true). */
  names?: boolean;
  /** Called with each new DNS/SNI name observation as it is found (before the flows that finish after it). */
  onName?: (obs: NameObservation) => void;
  /** Force every input to be read as this evidence kind (skips detection). */
  inputFormat?: EvidenceKind;
  /**
   * Streaming mode for bounded memory: when set, every flow record (from captures and flow logs)
   * is handed to onFlow as soon as it is finished and is NOT retained (Evidence.flows is empty).
   * Records then arrive in finishing order, not sorted (sort or aggregate them yourself; see
   * compareFlows). Records of one capture input arrive with their final `evidence` kind, except
   * pcapng read from stdin, which is labelled 'pcap' (its format is unknown until read).
   */
  onFlow?: (f: FlowRecord) => void;
  /**
   * Finished capture flows are offered here first, as flow-table rows, before any record object is
   * built (FlowTable.setRowSink; FlowStore.rowSink() keeps them compactly; a flow's tunnel and ICMP
   * errors are read with FlowTable.tunnelOf and icmpErrorsOf). Flows it does not take, and flow-log
   * records, go to onFlow or Evidence.flows.
   */
  rowSink?: FlowRowSink;
  /**
   * Finished capture flows packed into rows by the flow table's core and handed over in batches
   * (FlowTable.setRowBatches), before rowSink; the last rows when the captures are read. Flows with
   * ICMP errors or a tunnel kept, and flow-log records, go to onFlow or Evidence.flows.
   */
  rowBatches?: RowBatchSink;
  /** Row batches the flow table's core has room for (FlowTableOptions.rowBatches; default 1): for a rowBatches sink that lets another thread read them in place. */
  rowBatchCount?: number;
  /** Flow records from captures carry their Community ID (default true; the audit never reads it: false spares a SHA-1 per record). */
  communityIds?: boolean;
  /** Flow records from captures carry a tunnelled flow's tunnel (default true; the audit never reads it: false lets such flows be rows, FlowTableOptions.tunnelEndpoints). */
  tunnelEndpoints?: boolean;
  /** Threads for capture files, this one included (`--threads`); 2 or more: read and decode in worker threads (src/flow/parallel), same results. */
  threads?: number;
}

interface Plan {
  file: string;
  kind: 'capture' | 'evidence' | 'error';
  evidence?: EvidenceKind;
  error?: string;
  /** For captures: the container format when known from the first bytes. */
  format?: 'pcap' | 'pcapng';
}

/** Bytes read from a file's start to tell a capture from a flow log. */
const HEAD = 64 * 1024;

async function planInput(file: string, forced: EvidenceKind | undefined): Promise<Plan> {
  if (file === '-') return forced && forced !== 'pcap' && forced !== 'pcapng' ? { file, kind: 'error', error: 'flow-record evidence cannot be read from stdin; give a file' } : { file, kind: 'capture' };
  try {
    const st = statSync(file);
    if (st.isDirectory()) {
      const k = forced ?? (await detectEvidencePath(file));
      if (k === null) return { file, kind: 'error', error: 'a folder with no recognised flow-log files' };
      return { file, kind: 'evidence', evidence: k };
    }
    if (forced !== undefined && forced !== 'pcap' && forced !== 'pcapng') return { file, kind: 'evidence', evidence: forced };
    // A pipe or FIFO (`<(zcat x.pcap.gz)`, mkfifo, /dev/stdin) can be read once and not sought: the
    // capture reader reads it as a stream and sniffs its first chunk itself.
    if (!st.isFile()) return { file, kind: 'capture' };
    const head = readFileHead(file, HEAD);
    const s = sniffCapture(head);
    if (s.kind === 'pcap' || s.kind === 'pcapng') return { file, kind: 'capture', format: s.kind };
    if (s.kind === 'gzip') {
      const inner = gunzipHead(head);
      if (inner !== null) { const si = sniffCapture(inner); if (si.kind === 'pcap' || si.kind === 'pcapng') return { file, kind: 'capture', format: si.kind }; }
    }
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

/**
 * Sort flows in place in compareFlows order. For many flows, the first-packet times are packed
 * with each flow's position into 64-bit integers (relative seconds, the top bits of the
 * nanoseconds, index) and sorted natively (no comparator calls on objects); runs that tie on the
 * packed time are then ordered with compareFlows. Same result as flows.sort(compareFlows).
 */
export function sortFlows(flows: FlowRecord[]): FlowRecord[] {
  const n = flows.length;
  if (n < 2048) return flows.sort(compareFlows);
  let minSec = Infinity, maxSec = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = flows[i]!.firstSec, ns = flows[i]!.firstNsec;
    if (!Number.isSafeInteger(s) || !Number.isInteger(ns) || ns < 0 || ns >= 2 ** 30) return flows.sort(compareFlows);
    if (s < minSec) minSec = s;
    if (s > maxSec) maxSec = s;
  }
  const range = maxSec - minSec;
  if (!Number.isSafeInteger(minSec) || !Number.isSafeInteger(range)) return flows.sort(compareFlows);
  const idxBits = Math.max(1, Math.ceil(Math.log2(n)));
  const secBits = range === 0 ? 0 : Math.floor(Math.log2(range)) + 1;
  const q = Math.min(30, 64 - secBits - idxBits, 52 - idxBits);
  if (idxBits > 30 || q < 0) return flows.sort(compareFlows);
  const L = idxBits + q, idxMask = 2 ** idxBits - 1;
  const keys = new BigUint64Array(n);
  const w = new Uint32Array(keys.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const LO = little ? 0 : 1, HI = little ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const f = flows[i]!;
    const low = Math.floor(f.firstNsec / 2 ** (30 - q)) * 2 ** idxBits + i; // < 2^L ≤ 2^52
    const rel = f.firstSec - minSec;
    let lo: number, hi: number;
    if (L >= 32) { lo = low % 4294967296; hi = Math.floor(low / 4294967296) + rel * 2 ** (L - 32); }
    else { const m = 2 ** (32 - L); lo = low + (rel % m) * 2 ** L; hi = Math.floor(rel / m); }
    w[i * 2 + LO] = lo; w[i * 2 + HI] = hi;
  }
  keys.sort();
  const src = flows.slice();
  for (let i = 0; i < n; i++) flows[i] = src[w[i * 2 + LO]! & idxMask]!;
  // order the flows that tie on the packed time (same second and nanosecond prefix) fully
  let start = 0;
  const tieHi = (i: number): number => w[i * 2 + HI]!;
  const tieLo = (i: number): number => (w[i * 2 + LO]! - (w[i * 2 + LO]! & idxMask));
  for (let i = 1; i <= n; i++) {
    if (i < n && tieHi(i) === tieHi(start) && tieLo(i) === tieLo(start)) continue;
    if (i - start > 1) {
      const run = flows.slice(start, i).sort(compareFlows);
      for (let j = 0; j < run.length; j++) flows[start + j] = run[j]!;
    }
    start = i;
  }
  return flows;
}

/** Inputs whose summary shows they could not be read at all (nothing read, not clean). */
export function unreadableInputs(ev: Evidence): InputSummary[] {
  return ev.inputs.filter((i) => !i.end.clean && i.packets === 0 && i.records === 0);
}

/**
 * Bytes of the flow table's memory to lend capture files as read buffers (FlowTable.arenaChunk):
 * one file's FILE_BUFFERS chunks; for several, the merge's budget (their chunks shrink as more are
 * open at once, see resumeChunkSize) and the small chunks they are first read in, PREPARE_AT_ONCE
 * at a time. A file that finds no room left reads into buffers of its own, and its packets are
 * decoded one by one in JavaScript instead of in the core.
 */
export function chunkArena(inputs: number, chunkSize: number): number {
  return inputs <= 1 ? FILE_BUFFERS * chunkSize : MERGE_BUFFER_BUDGET + PREPARE_AT_ONCE * FILE_BUFFERS * MIN_MERGE_CHUNK;
}

export async function gatherEvidence(inputs: string[], opts: GatherOptions = {}): Promise<Evidence> {
  const plans: Plan[] = [];
  // (a thousand files of a rotated set are planned several at a time: each waits on the file system)
  plans.push(...await mapLimit(inputs, PREPARE_AT_ONCE, (f) => planInput(f, opts.inputFormat)));
  const flows: FlowRecord[] = [];
  const sink: (f: FlowRecord) => void = opts.onFlow ?? ((f) => { flows.push(f); });
  const summaries: (InputSummary | undefined)[] = new Array<InputSummary | undefined>(inputs.length);
  const engine = new FlowEngine({
    onFlow: sink,
    nameParsers: opts.names === false ? {} : DEFAULT_NAME_PARSERS,
    ...(opts.onName !== undefined ? { onName: opts.onName } : {}),
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
    ...(opts.vlanInKey !== undefined ? { vlanInKey: opts.vlanInKey } : {}),
    ...(opts.timeouts !== undefined ? { timeouts: opts.timeouts } : {}),
    ...(opts.rowBatchCount !== undefined ? { rowBatches: opts.rowBatchCount } : {}),
    ...(opts.communityIds !== undefined ? { communityIds: opts.communityIds } : {}),
    ...(opts.tunnelEndpoints !== undefined ? { tunnelEndpoints: opts.tunnelEndpoints } : {}),
    // capture files read in this thread read into the flow table's memory (see FlowTable.arenaChunk)
    chunkArena: chunkArena(plans.filter((p) => p.kind === 'capture').length, opts.chunkSize ?? DEFAULT_CHUNK_SIZE),
  });
  if (opts.rowSink !== undefined) engine.table.setRowSink(opts.rowSink);
  if (opts.rowBatches !== undefined) engine.table.setRowBatches(opts.rowBatches);

  // captures: one merged, time-ordered read
  const capIdx: number[] = [];
  plans.forEach((p, i) => { if (p.kind === 'capture') capIdx.push(i); });
  if (capIdx.length > 0) {
    const names = capIdx.map((i) => plans[i]!.file);
    names.forEach((n, j) => engine.addSource(j, n, plans[capIdx[j]!]!.format ?? 'pcap'));
    let infos: CaptureInfo[];
    try {
      const par = (opts.threads ?? 1) > 1 ? await (await import('../flow/parallel/gather-parallel.js')).readCapturesParallel(names, engine, {
        threads: opts.threads!, names: opts.names !== false,
        ...(opts.between !== undefined ? { between: opts.between } : {}),
        ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
        ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
      }) : null;
      infos = par ?? await readCaptures(names, {
        ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
        chunkAlloc: (n: number) => engine.table.arenaChunk(n), chunkFree: (b: Buffer) => engine.table.arenaReturn(b), recordSink: engine,
        ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
        ...(opts.between !== undefined ? { between: opts.between } : {}),
      }, (rec) => engine.packet(rec));
    } catch (e) {
      // Only an input that vanished between planning and reading (an open error) is worked around,
      // by reading the others one by one; anything else (a consumer's failure reported through
      // `between`, say, such as a full disk under `flows --unsorted`) stops the run.
      if (!(e instanceof FlowauditError) || !e.code.startsWith('capture.open.')) throw e;
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
    engine.table.takeRows();
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
      const info = await readEvidenceFile(p.file, p.evidence!, sink);
      summaries[i] = {
        file: p.file, format: info.kind, compressed: info.compressed ?? null, packets: 0, records: info.records, bytes: info.bytes,
        firstSec: info.firstSec ?? 0, firstNsec: info.firstNsec ?? 0, lastSec: info.lastSec ?? 0, lastNsec: info.lastNsec ?? 0,
        anomalies: info.anomalies, end: info.end,
      };
    } catch (e) {
      summaries[i] = errorSummary(p.file, (e as Error).message ?? String(e));
    }
  }

  sortFlows(flows);
  return {
    flows,
    names: engine.names.sorted(),
    inputs: summaries.map((s, i) => s ?? errorSummary(inputs[i]!, 'not read')),
    evictions: engine.evictions,
  };
}
