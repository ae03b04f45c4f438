/**
 * `--threads N`: read and decode captures in worker threads, account flows in this thread.
 *
 * Design (exact by construction, see /work/notes/threads.md for why this one): each file is cut
 * into byte ranges starting on record boundaries (src/capture/split.ts); worker threads
 * (worker.ts) read their ranges with their own file handles, parse and decode, and send compact
 * per-packet summaries (layout.ts). This thread applies the summaries in the original packet
 * order (several files: merged by timestamp, ties to the input listed first, as readCaptures
 * does) to the ONE FlowEngine's table, with the same name inspection and expiry sweeps as
 * FlowEngine.packet. Cross-range state is handled here:
 *   - the IP fragment table: workers record the decoder's fragment-table inserts/lookups and this
 *     thread replays them in global order on its own FragmentTable per file;
 *   - anomaly first-packet indices: workers flag the packet at which a new anomaly name appeared;
 *     the range-local index is mapped to the global packet index when it is applied;
 *   - pcapng SPBs (no timestamp) before any timestamped packet of a range get the previous
 *     packet's time here;
 *   - a range whose reader does not land exactly on the next range's start (a wrong
 *     re-synchronisation), or that met an SHB/IDB (the later ranges had the wrong context), makes
 *     the rest of the file be re-read by one worker from the start of the file, emitting only
 *     packets from where the trusted part ended;
 *   - damage: the first range that stops (damage or truncation) ends the file, as in one thread;
 *     a file that stopped before its end is re-read (parse only) for its exact CaptureInfo.
 * Not parallel (returns null, the caller reads sequentially): stdin, gzip, unrecognised files,
 * more than MAX_LANES capture files.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../core/worker.js';
import { availableParallelism } from 'node:os';
import type { Outcome } from '../../core/outcome.js';
import type { CaptureInfo, PacketRecord } from '../../capture/types.js';
import { newCaptureInfo, newPacketRecord } from '../../capture/info.js';
import { readCaptures } from '../../capture/read.js';
import { planSplit, type SplitPlan } from '../../capture/split.js';
import { FragmentTable } from '../../decode/fragments.js';
import { DecodedPacket } from '../../decode/packet.js';
import { Anomalies } from '../../core/anomalies.js';
import type { FlowEngine } from '../engine.js';
import { BATCH, F, S, W, type FromWorker, type Job, type JobResult, type ToWorker } from './layout.js';

export interface ParallelOptions {
  /** Threads in all, this one included (>= 2 for any parallelism). Default: the number of cores. */
  threads?: number;
  /** Target range size in bytes (default: the file cut into 4 ranges per worker, at least 16 MiB each). */
  rangeBytes?: number;
  chunkSize?: number;
  /** Collect DNS/SNI names (default true). Must match the engine's nameParsers. */
  names?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
  /** Back-pressure for a streaming consumer: awaited (when it returns a promise) before each next batch of packets. */
  between?: () => Promise<void> | undefined;
  /** Filled in when given (tests, benchmarks): ranges planned, ranges re-read from the file start, workers. */
  stats?: ParallelStats;
}

export interface ParallelStats { ranges: number; rereads: number; workers: number }

/** Most capture files read in parallel (one worker each at least). */
export const MAX_LANES = 8;
const MIN_RANGE = 16 << 20;
const DEFAULT_CHUNK = 4 << 20;

interface Batch { lane: Lane; n: number; i32: Int32Array; f64: Float64Array; pay: Uint8Array; payBuf: Buffer }

class Lane {
  readonly worker: Worker;
  constructor(onMessage: (lane: Lane, m: FromWorker) => void, onError: (e: Error) => void) {
    this.worker = spawnWorker(import.meta.url, 'worker');
    this.worker.on('message', (m: FromWorker) => onMessage(this, m));
    this.worker.on('error', onError);
  }
  send(m: ToWorker): void { this.worker.postMessage(m); }
}

class JobState {
  readonly job: Job;
  readonly lane: Lane;
  readonly batches: Batch[] = [];
  done = false;
  result: JobResult | null = null;
  error: string | null = null;
  cancelled = false;
  /** Packets of this job applied so far (its range-local index), and local → global index of new anomalies. */
  applied = 0;
  readonly firstIndex = new Map<number, number>();
  constructor(job: Job, lane: Lane) { this.job = job; this.lane = lane; }
}

class FileStream {
  readonly fi: number;
  readonly file: string;
  readonly plan: SplitPlan;
  readonly jobs: JobState[] = [];
  readonly frag = new FragmentTable(4096);
  cur = 0;
  batch: Batch | null = null;
  pos = 0;
  lastSec = 0; lastNsec = 0;
  packets = 0;
  firstSec = 0; firstNsec = 0; maxSec = 0; maxNsec = 0; minSec = 0; minNsec = 0;
  end: JobResult['end'] | null = null;
  stoppedEarly = false;
  constructor(fi: number, file: string, plan: SplitPlan) { this.fi = fi; this.file = file; this.plan = plan; }
}

/**
 * Read the capture files into `engine` with worker threads. Returns one CaptureInfo per file (as
 * readCaptures does), or null without touching the engine when the inputs cannot be read in
 * parallel (the caller then reads them sequentially).
 */
export async function readCapturesParallel(files: string[], engine: FlowEngine, opts: ParallelOptions = {}): Promise<CaptureInfo[] | null> {
  const threads = opts.threads ?? availableParallelism();
  if (threads < 2 || files.length === 0 || files.length > MAX_LANES) return null;
  const plans: SplitPlan[] = [];
  const workers = Math.max(threads - 1, files.length);
  const perFile = Math.max(1, Math.floor(workers / files.length));
  for (const f of files) {
    if (f === '-') return null;
    let plan: SplitPlan | null;
    try {
      const probe = await planSplit(f, Number.MAX_SAFE_INTEGER);
      if (probe === null) return null;
      const size = probe.size;
      const rb = opts.rangeBytes ?? (perFile > 1 ? Math.max(MIN_RANGE, Math.ceil(size / (perFile * 4))) : size + 1);
      plan = rb >= size ? probe : await planSplit(f, rb);
    } catch {
      return null;
    }
    if (plan === null) return null;
    plans.push(plan);
  }
  return new ParallelRun(files, plans, engine, opts, workers, perFile).run();
}

class ParallelRun {
  readonly #engine: FlowEngine;
  readonly #opts: ParallelOptions;
  readonly #streams: FileStream[];
  readonly #lanes: Lane[] = [];
  readonly #byId = new Map<number, JobState>();
  #nextId = 1;
  #wake: (() => void) | null = null;
  #fatal: Error | null = null;
  readonly #names: boolean;
  readonly #chunk: number;
  readonly #src = new Uint32Array(4);
  readonly #dst = new Uint32Array(4);
  /** The one record given to engine.packetDecoded(), with #pkt filled by #fill from the worker's summary. */
  readonly #rec: PacketRecord;
  readonly #pkt = new DecodedPacket();
  #cb: Batch | null = null;
  #ci = 0;
  #cHasPorts = false;
  #cPorts = 0;
  #index = 0;
  #bytesDone = 0;
  readonly #totalBytes: number;

  constructor(files: string[], plans: SplitPlan[], engine: FlowEngine, opts: ParallelOptions, workers: number, perFile: number) {
    this.#engine = engine;
    this.#opts = opts;
    this.#names = opts.names ?? true;
    this.#chunk = opts.chunkSize ?? DEFAULT_CHUNK;
    this.#rec = newPacketRecord(0);
    this.#streams = files.map((f, i) => new FileStream(i, f, plans[i]!));
    this.#totalBytes = plans.reduce((a, p) => a + p.size, 0);
    const st = opts.stats;
    if (st !== undefined) { st.ranges = plans.reduce((a, p) => a + p.ranges.length, 0); st.rereads = 0; st.workers = workers; }
    for (let i = 0; i < workers; i++) {
      this.#lanes.push(new Lane((lane, m) => this.#onMessage(lane, m), (e) => { this.#fatal ??= e; this.#poke(); }));
    }
    // lanes of file f: every lane w with w % files === f (each lane serves one file only: no deadlock)
    for (const s of this.#streams) {
      const lanes = this.#lanes.filter((_, w) => w % files.length === s.fi).slice(0, Math.max(1, perFile));
      s.plan.ranges.forEach((r, k) => {
        const last = k === s.plan.ranges.length - 1;
        this.#addJob(s, lanes[k % lanes.length]!, {
          id: 0, file: s.file, fileIndex: s.fi, format: s.plan.head.format, context: s.plan.head.context,
          start: r.start, end: r.end, last, emitFrom: -1, chunkSize: this.#chunk, names: this.#names,
        });
      });
    }
  }

  #addJob(s: FileStream, lane: Lane, job: Job, at = s.jobs.length): void {
    job.id = this.#nextId++;
    const js = new JobState(job, lane);
    s.jobs.splice(at, 0, js);
    this.#byId.set(job.id, js);
    lane.send({ type: 'job', job });
  }

  #poke(): void {
    const w = this.#wake; this.#wake = null; w?.();
  }

  #onMessage(lane: Lane, m: FromWorker): void {
    const js = this.#byId.get(m.id);
    if (m.type === 'batch') {
      const pay = new Uint8Array(m.pay);
      const b: Batch = { lane, n: m.n, i32: new Int32Array(m.i32), f64: new Float64Array(m.f64), pay, payBuf: Buffer.from(pay.buffer, pay.byteOffset, pay.byteLength) };
      if (js === undefined || js.cancelled) this.#recycle(b);
      else js.batches.push(b);
    } else if (m.type === 'done') {
      if (js !== undefined) { js.done = true; js.result = m.result; }
    } else if (m.type === 'error') {
      if (js !== undefined && !js.cancelled) { js.error = m.message; js.done = true; }
    }
    this.#poke();
  }

  #recycle(b: Batch): void {
    b.lane.send({ type: 'credit', i32: b.i32.buffer as SharedArrayBuffer, f64: b.f64.buffer as SharedArrayBuffer, pay: b.pay.buffer as SharedArrayBuffer });
  }

  async #event(): Promise<void> {
    if (this.#fatal !== null) throw this.#fatal;
    await new Promise<void>((r) => { this.#wake = r; });
    if (this.#fatal !== null) throw this.#fatal;
  }

  /** Make sure stream s has a head packet; false when the file is done. */
  async #ensure(s: FileStream): Promise<boolean> {
    for (;;) {
      const b = s.batch;
      if (b !== null) {
        if (s.pos < b.n) return true;
        this.#recycle(b);
        s.batch = null;
        const wait = this.#opts.between?.();
        if (wait !== undefined) await wait;
      }
      const js = s.jobs[s.cur];
      if (js === undefined) return false;
      if (js.batches.length > 0) { s.batch = js.batches.shift()!; s.pos = 0; continue; }
      if (js.error !== null) throw new Error(`${s.file}: worker failed: ${js.error}`);
      if (js.done) { this.#finishJob(s, js); s.cur++; continue; }
      await this.#event();
    }
  }

  #cancelFrom(s: FileStream, k: number): void {
    for (let i = k; i < s.jobs.length; i++) {
      const js = s.jobs[i]!;
      js.cancelled = true;
      for (const b of js.batches) this.#recycle(b);
      js.batches.length = 0;
      js.lane.send({ type: 'cancel', id: js.job.id });
    }
    s.jobs.length = k;
  }

  #finishJob(s: FileStream, js: JobState): void {
    const r = js.result!;
    this.#bytesDone += js.job.end - js.job.start;
    this.#opts.onProgress?.(Math.min(this.#bytesDone, this.#totalBytes), this.#totalBytes);
    // decode anomalies of the range, first-packet indices made global
    if (r.anomalies.length > 0) {
      const a = new Anomalies();
      for (const [name, count, local, off] of r.anomalies) a.add(name, local >= 0 ? (js.firstIndex.get(local) ?? -1) : -1, off, count);
      this.#engine.anomalies[s.fi]!.merge(a);
    }
    if (r.stopped || r.landed < 0 || js.job.last) {
      s.end = r.end;
      s.stoppedEarly = r.stopped;
      this.#cancelFrom(s, s.cur + 1);
      return;
    }
    const next = s.jobs[s.cur + 1];
    if (r.contextChanged || next === undefined || next.job.start !== r.landed) {
      // re-read the rest with the full context: from the start of the file, emitting from `landed`
      this.#cancelFrom(s, s.cur + 1);
      if (this.#opts.stats !== undefined) this.#opts.stats.rereads++;
      this.#addJob(s, js.lane, {
        id: 0, file: s.file, fileIndex: s.fi, format: s.plan.head.format, context: new Uint8Array(0),
        start: 0, end: s.plan.size, last: true, emitFrom: r.landed, chunkSize: this.#chunk, names: this.#names,
      });
    }
  }

  async run(): Promise<CaptureInfo[]> {
    const streams = this.#streams;
    try {
      const live: FileStream[] = [];
      for (const s of streams) if (await this.#ensure(s)) live.push(s);
      if (live.length === 1) {
        const s = live[0]!;
        do {
          const b = s.batch!;
          this.#patchHead(s, b);
          this.#apply(s, b, s.pos++);
        } while (s.pos < s.batch!.n || (await this.#ensure(s)));
      } else {
        while (live.length > 0) {
          let best = -1, bs = 0, bn = 0;
          for (let i = 0; i < live.length; i++) {
            const s = live[i]!, b = s.batch!;
            this.#patchHead(s, b);
            const o = s.pos * S, sec = b.f64[s.pos]!, nsec = b.i32[o + W.TS_NSEC]!;
            if (best < 0 || sec < bs || (sec === bs && nsec < bn)) { best = i; bs = sec; bn = nsec; }
          }
          const s = live[best]!;
          this.#apply(s, s.batch!, s.pos++);
          if (s.pos >= s.batch!.n && !(await this.#ensure(s))) live.splice(best, 1);
        }
      }
    } finally {
      for (const l of this.#lanes) l.send({ type: 'exit' });
      await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
    }
    const infos: CaptureInfo[] = [];
    for (const s of streams) {
      if (s.stoppedEarly && s.end !== null && s.end.offset < s.plan.size) {
        // stopped at damage before the end: the exact CaptureInfo (bytes read etc.) from a parse-only pass
        const [info] = await readCaptures([s.file], { chunkSize: this.#chunk }, () => undefined);
        infos.push(info!);
        continue;
      }
      const info = newCaptureInfo(s.file);
      info.format = s.plan.head.format;
      info.byteOrder = s.plan.head.littleEndian ? 'little-endian' : 'big-endian';
      info.packets = s.packets;
      info.fileBytes = s.plan.size;
      info.firstTsSec = s.minSec; info.firstTsNsec = s.minNsec; info.lastTsSec = s.maxSec; info.lastTsNsec = s.maxNsec;
      if (s.end !== null) info.end = { ...s.end };
      infos.push(info);
    }
    return infos;
  }

  /** An SPB at the head whose time is the previous packet's. */
  #patchHead(s: FileStream, b: Batch): void {
    const o = s.pos * S;
    if ((b.i32[o + W.FLAGS]! & F.SPB_NO_TS) !== 0) {
      b.f64[s.pos] = s.lastSec; b.i32[o + W.TS_NSEC] = s.lastNsec;
      b.i32[o + W.FLAGS] = b.i32[o + W.FLAGS]! & ~F.SPB_NO_TS;
    }
  }

  /** Apply packet i of batch b: FlowEngine.packet with a record whose "decoding" copies the summary. */
  #apply(s: FileStream, b: Batch, i: number): void {
    const I = b.i32, o = i * S, fl = I[o + W.FLAGS]!;
    const sec = b.f64[i]!, nsec = I[o + W.TS_NSEC]!;
    const index = this.#index++;
    const js = s.jobs[s.cur]!;
    if ((fl & F.NEW_ANOMALY) !== 0) js.firstIndex.set(js.applied, index);
    js.applied++;
    // capture-level counters (notePacket)
    if (s.packets === 0) { s.minSec = sec; s.minNsec = nsec; s.maxSec = sec; s.maxNsec = nsec; }
    else {
      if (sec < s.minSec || (sec === s.minSec && nsec < s.minNsec)) { s.minSec = sec; s.minNsec = nsec; }
      if (sec > s.maxSec || (sec === s.maxSec && nsec > s.maxNsec)) { s.maxSec = sec; s.maxNsec = nsec; }
    }
    s.packets++;
    s.lastSec = sec; s.lastNsec = nsec;
    // the decoder's fragment table, replayed in global order
    let hasPorts = (fl & F.HAS_PORTS) !== 0;
    let ports = I[o + W.PORTS]!;
    if ((fl & (F.FRAG_INSERT | F.FRAG_LOOKUP)) !== 0) {
      const an = this.#engine.anomalies[s.fi]!;
      const src = this.#src, dst = this.#dst;
      for (let k = 0; k < 4; k++) { src[k] = I[o + W.SRC + k]!; dst[k] = I[o + W.DST + k]!; }
      if ((fl & F.FRAG_INSERT) !== 0) {
        const pp = I[o + W.INS_PORTS]!;
        if (s.frag.insert(src, dst, I[o + W.INS_ID]!, I[o + W.INS_PROTO]!, (pp >>> 16) & 0xffff, pp & 0xffff)) an.add('decode.fragments.table_full', index);
      }
      if ((fl & F.FRAG_LOOKUP) !== 0) {
        const r = s.frag.lookup(src, dst, I[o + W.LOOK_ID]!, I[o + W.LOOK_PROTO]!);
        if (r >= 0) { hasPorts = true; ports = r | 0; } else an.add('decode.fragments.first_not_seen', index);
      }
    }
    this.#cb = b; this.#ci = i; this.#cHasPorts = hasPorts; this.#cPorts = ports;
    const rec = this.#rec;
    rec.index = index;
    rec.fileIndex = s.fi;
    rec.ifIndex = I[o + W.IF_INDEX]!;
    rec.tsSec = sec; rec.tsNsec = nsec;
    rec.data = b.payBuf;
    const pkt = this.#pkt;
    pkt.outcome = this.#fill(pkt);
    this.#engine.packetDecoded(rec, pkt);
  }

  /** Fill `out` from the current summary (what the worker's decoder found); returns its outcome. */
  #fill(p: DecodedPacket): Outcome {
    const b = this.#cb!, I = b.i32, o = this.#ci * S, fl = I[o + W.FLAGS]!;
    // every field of DecodedPacket is set below (what reset() would clear included)
    const outcome = ((fl >>> F.OUTCOME_SHIFT) & 3) as Outcome;
    p.outcome = outcome;
    p.ipVersion = (fl >>> F.IPV_SHIFT) & 15;
    p.proto = (fl >>> F.PROTO_SHIFT) & 255;
    const src = p.src, dst = p.dst;
    for (let k = 0; k < 4; k++) { src[k] = I[o + W.SRC + k]!; dst[k] = I[o + W.DST + k]!; }
    const hasPorts = this.#cHasPorts, ports = this.#cPorts;
    p.hasPorts = hasPorts;
    p.srcPort = (ports >>> 16) & 0xffff; p.dstPort = ports & 0xffff;
    p.tcpFlags = (fl >>> F.TCP_FLAGS_SHIFT) & 255;
    p.tcpSeq = I[o + W.TCP_SEQ]! >>> 0; p.tcpAck = I[o + W.TCP_ACK]! >>> 0;
    p.tcpFlagsKnown = (fl & F.TCP_FLAGS_KNOWN) !== 0;
    p.ipLen = I[o + W.IP_LEN]!;
    p.payloadLen = I[o + W.PAYLOAD_LEN]!;
    const off = I[o + W.PAY_OFF]!;
    p.payloadCaptured = I[o + W.PAY_CAP]!;
    p.payloadOffset = off >= 0 ? off : 0;
    p.vlan = I[o + W.VLAN]!; p.innerVlan = I[o + W.INNER_VLAN]!;
    p.icmpType = I[o + W.ICMP_TYPE]!; p.icmpCode = I[o + W.ICMP_CODE]!;
    p.fragment = (fl >>> F.FRAG_SHIFT) & 3;
    p.tunnel = I[o + W.TUNNEL]!; p.tunnelDepth = I[o + W.TUNNEL_DEPTH]!;
    if (p.tunnel !== 0) for (let k = 0; k < 4; k++) { p.outerSrc[k] = I[o + W.OUTER_SRC + k]!; p.outerDst[k] = I[o + W.OUTER_DST + k]!; }
    if ((fl & F.HAS_QUOTED) !== 0) {
      p.hasQuoted = true;
      p.quotedHasPorts = (fl & F.QUOTED_HAS_PORTS) !== 0;
      p.quotedProto = I[o + W.QUOTED_PROTO]!;
      const qp = I[o + W.QUOTED_PORTS]!;
      p.quotedSrcPort = (qp >>> 16) & 0xffff; p.quotedDstPort = qp & 0xffff;
      for (let k = 0; k < 4; k++) { p.quotedSrc[k] = I[o + W.QUOTED_SRC + k]!; p.quotedDst[k] = I[o + W.QUOTED_DST + k]!; }
    } else {
      p.hasQuoted = false; p.quotedHasPorts = false; p.quotedProto = 0; p.quotedSrcPort = 0; p.quotedDstPort = 0;
    }
    return outcome;
  }
}

export { BATCH };
