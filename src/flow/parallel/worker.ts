/**
 * Worker thread: reads byte ranges of capture files (own file handle, large reads), runs the
 * pcap/pcapng parser and the Decoder, and sends per-packet summaries (layout.ts) in shared
 * batches. The main thread applies them to the one FlowTable in packet order.
 *
 * The decoder's fragment table is bypassed: inserts and lookups are recorded in the summary and
 * replayed by the main thread (lookups here always miss; the `decode.fragments.*` anomalies this
 * produces are dropped from the range's registry and counted by the main thread instead).
 * Back-pressure: a worker owns at most CREDITS batch buffers; the main thread returns each one
 * after applying it.
 */
import { parentPort } from 'node:worker_threads';
import { open } from 'node:fs/promises';
import { Anomalies } from '../../core/anomalies.js';
import { Outcome } from '../../core/outcome.js';
import { PcapParser } from '../../capture/pcap-reader.js';
import { PcapngParser } from '../../capture/pcapng-reader.js';
import type { ChunkedParser } from '../../capture/chunked.js';
import { pageBuffers } from '../../capture/page-buffers.js';
import { Decoder } from '../../decode/decoder.js';
import { DecodedPacket } from '../../decode/packet.js';
import { BATCH, F, PAYLOAD_BYTES, S, W, type FromWorker, type Job, type JobResult, type ToWorker } from './layout.js';

const CREDITS = 16;
const FRAG_NAMES = new Set(['decode.fragments.first_not_seen', 'decode.fragments.table_full']);
const SPB_NAME = 'capture.pcapng.spb_without_timestamp';

const port = parentPort!;
interface Bufs { i32: Int32Array; f64: Float64Array; pay: Uint8Array }
const pool: Bufs[] = [];
let waiting: (() => void) | null = null;
const jobs: Job[] = [];
const cancelled = new Set<number>();
let wakeJobs: (() => void) | null = null;
let exiting = false;

for (let i = 0; i < CREDITS; i++) {
  pool.push({ i32: new Int32Array(new SharedArrayBuffer(BATCH * S * 4)), f64: new Float64Array(new SharedArrayBuffer(BATCH * 8)), pay: new Uint8Array(new SharedArrayBuffer(PAYLOAD_BYTES)) });
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'credit') {
    pool.push({ i32: new Int32Array(m.i32), f64: new Float64Array(m.f64), pay: new Uint8Array(m.pay) });
    const w = waiting; waiting = null; w?.();
  } else if (m.type === 'job') {
    jobs.push(m.job);
    const w = wakeJobs; wakeJobs = null; w?.();
  } else if (m.type === 'cancel') {
    cancelled.add(m.id);
  } else if (m.type === 'exit') {
    exiting = true;
    const w = wakeJobs; wakeJobs = null; w?.();
  }
});

function post(m: FromWorker): void {
  port.postMessage(m);
}

async function takeBuffers(): Promise<Bufs> {
  while (pool.length === 0) await new Promise<void>((r) => { waiting = r; });
  return pool.pop()!;
}

async function runJob(job: Job): Promise<void> {
  const anomalies = new Anomalies();
  const dec = new Decoder(anomalies);
  const pkt = new DecodedPacket();
  const parser: ChunkedParser = job.format === 'pcap' ? new PcapParser(job.file, {}, job.fileIndex) : new PcapngParser(job.file, {}, job.fileIndex);
  let cur = await takeBuffers();
  let i32 = cur.i32, f64 = cur.f64, pay = cur.pay;
  let n = 0, o = 0, payLen = 0;
  // fragment-table events go into the current summary slot
  const ft = dec.fragments;
  ft.insert = (_src, _dst, id, proto, sp, dp) => {
    i32[o + W.FLAGS] = i32[o + W.FLAGS]! | F.FRAG_INSERT;
    i32[o + W.INS_ID] = id; i32[o + W.INS_PROTO] = proto; i32[o + W.INS_PORTS] = ((sp << 16) | dp);
    return false;
  };
  ft.lookup = (_src, _dst, id, proto) => {
    i32[o + W.FLAGS] = i32[o + W.FLAGS]! | F.FRAG_LOOKUP;
    i32[o + W.LOOK_ID] = id; i32[o + W.LOOK_PROTO] = proto;
    return -1;
  };

  const flush = async (): Promise<void> => {
    if (n === 0) return;
    post({ type: 'batch', id: job.id, n, i32: i32.buffer as SharedArrayBuffer, f64: f64.buffer as SharedArrayBuffer, pay: pay.buffer as SharedArrayBuffer });
    cur = await takeBuffers();
    i32 = cur.i32; f64 = cur.f64; pay = cur.pay; n = 0; o = 0; payLen = 0;
  };

  let packets = 0, landed = -1, seenTs = false, spbCount = 0;
  let sections = 0, ifaces = 0;
  const primed = job.context.length > 0;
  if (primed) {
    parser.feed(Buffer.from(job.context.buffer, job.context.byteOffset, job.context.byteLength));
    while (parser.next()) { /* the context holds no packets */ }
    sections = parser.info.sections; ifaces = parser.info.interfaces.length;
    parser.continueAt(job.start);
  }
  const fh = await open(job.file, 'r');
  // the range starts anywhere: each read lands as far past a 64-byte boundary as its file position (see page-buffers.ts)
  const bufs = pageBuffers(job.chunkSize, 2, job.start % 64);
  let which = 0, at = job.start, done = false;
  try {
    while (!done) {
      if (cancelled.has(job.id)) { pool.push(cur); return; }
      const b = bufs[which]!; which ^= 1;
      let got = 0;
      while (got < b.length) {
        const { bytesRead } = await fh.read(b, got, b.length - got, at + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      at += got;
      if (got === 0) { parser.end(); break; }
      parser.feed(b.subarray(0, got));
      while (parser.next()) {
        const rec = parser.rec;
        if (rec.fileOffset >= job.end && !job.last) { landed = rec.fileOffset; done = true; break; }
        if (rec.fileOffset < job.emitFrom) continue;
        // an SPB before any timestamped packet of a primed range: the main thread gives it the previous packet's time
        let spb = false;
        if (!seenTs) {
          if (primed && job.format === 'pcapng') {
            const c = parser.info.anomalies?.[SPB_NAME]?.count ?? 0;
            spb = c !== spbCount;
            spbCount = c;
          }
          if (!spb) seenTs = true;
        }
        rec.index = packets;
        const before = anomalies.size;
        i32[o + W.FLAGS] = 0;
        dec.decode(rec, pkt);
        let fl = i32[o + W.FLAGS]! | (pkt.fragment << F.FRAG_SHIFT) | (pkt.proto << F.PROTO_SHIFT) | (pkt.tcpFlags << F.TCP_FLAGS_SHIFT) |
          (pkt.outcome << F.OUTCOME_SHIFT) | ((pkt.ipVersion & 15) << F.IPV_SHIFT);
        if (spb) fl |= F.SPB_NO_TS;
        if (anomalies.size !== before) fl |= F.NEW_ANOMALY;
        if (pkt.hasPorts) fl |= F.HAS_PORTS;
        if (pkt.hasQuoted) fl |= F.HAS_QUOTED;
        if (pkt.quotedHasPorts) fl |= F.QUOTED_HAS_PORTS;
        if (pkt.tcpFlagsKnown) fl |= F.TCP_FLAGS_KNOWN;
        f64[n] = rec.tsSec;
        i32[o + W.TS_NSEC] = rec.tsNsec;
        i32[o + W.IF_INDEX] = rec.ifIndex;
        i32[o + W.PORTS] = (pkt.srcPort << 16) | pkt.dstPort;
        i32[o + W.IP_LEN] = pkt.ipLen;
        i32[o + W.PAYLOAD_LEN] = pkt.payloadLen;
        i32[o + W.VLAN] = pkt.vlan;
        i32[o + W.INNER_VLAN] = pkt.innerVlan;
        i32[o + W.ICMP_TYPE] = pkt.icmpType;
        i32[o + W.ICMP_CODE] = pkt.icmpCode;
        i32[o + W.TCP_SEQ] = pkt.tcpSeq;
        i32[o + W.TCP_ACK] = pkt.tcpAck;
        i32[o + W.TUNNEL] = pkt.tunnel;
        i32[o + W.TUNNEL_DEPTH] = pkt.tunnelDepth;
        const s = pkt.src, d = pkt.dst;
        i32[o + W.SRC] = s[0]!; i32[o + W.SRC + 1] = s[1]!; i32[o + W.SRC + 2] = s[2]!; i32[o + W.SRC + 3] = s[3]!;
        i32[o + W.DST] = d[0]!; i32[o + W.DST + 1] = d[1]!; i32[o + W.DST + 2] = d[2]!; i32[o + W.DST + 3] = d[3]!;
        if (pkt.tunnel !== 0) {
          const a = pkt.outerSrc, c = pkt.outerDst;
          for (let k = 0; k < 4; k++) { i32[o + W.OUTER_SRC + k] = a[k]!; i32[o + W.OUTER_DST + k] = c[k]!; }
        }
        if (pkt.hasQuoted) {
          i32[o + W.QUOTED_PROTO] = pkt.quotedProto;
          i32[o + W.QUOTED_PORTS] = (pkt.quotedSrcPort << 16) | pkt.quotedDstPort;
          const a = pkt.quotedSrc, c = pkt.quotedDst;
          for (let k = 0; k < 4; k++) { i32[o + W.QUOTED_SRC + k] = a[k]!; i32[o + W.QUOTED_DST + k] = c[k]!; }
        }
        // payload for the engine's DNS/SNI inspection (it decides per flow whether to look at it)
        const cap = pkt.payloadCaptured;
        i32[o + W.PAY_CAP] = cap;
        i32[o + W.PAY_OFF] = -1;
        if (job.names && cap > 0 && pkt.outcome === Outcome.Ok && !pkt.hasQuoted) {
          if (payLen + cap > pay.length) {
            // the payload area is full: send the batch so far, then this packet starts the next one
            const keep = i32.slice(o, o + S), ts = f64[n]!;
            await flush();
            i32.set(keep, 0); f64[0] = ts;
          }
          rec.data.copy(pay, payLen, pkt.payloadOffset, pkt.payloadOffset + cap);
          i32[o + W.PAY_OFF] = payLen;
          payLen += (cap + 7) & ~7;
        }
        i32[o + W.FLAGS] = fl;
        packets++;
        n++; o += S;
        if (n === BATCH) await flush();
      }
      if (parser.stopped) break;
    }
    await flush();
  } finally {
    await fh.close();
  }
  const contextChanged = primed && (parser.info.sections !== sections || parser.info.interfaces.length !== ifaces);
  const an: [string, number, number, number][] = [];
  for (const e of anomalies.entries()) if (!FRAG_NAMES.has(e.name)) an.push([e.name, e.count, e.firstPacket, e.firstOffset]);
  const end = parser.info.end;
  const result: JobResult = {
    packets, landed, stopped: !end.clean,
    end: { clean: end.clean, code: end.code, offset: end.offset, reason: end.reason },
    contextChanged, anomalies: an,
  };
  pool.push(cur);
  post({ type: 'done', id: job.id, result });
}

async function main(): Promise<void> {
  for (;;) {
    while (jobs.length === 0 && !exiting) await new Promise<void>((r) => { wakeJobs = r; });
    if (jobs.length === 0) break;
    const job = jobs.shift()!;
    if (cancelled.has(job.id)) { post({ type: 'done', id: job.id, result: cancelledResult() }); continue; }
    try {
      await runJob(job);
      if (cancelled.has(job.id)) post({ type: 'done', id: job.id, result: cancelledResult() });
    } catch (e) {
      post({ type: 'error', id: job.id, message: (e as Error).message ?? String(e) });
    }
  }
  port.close();
}

function cancelledResult(): JobResult {
  return { packets: 0, landed: -1, stopped: false, end: { clean: true, code: null, offset: 0, reason: null }, contextChanged: false, anomalies: [] };
}

void main();
