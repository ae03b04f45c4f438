/**
 * The property the packet decoder must hold on any frame: it returns one of the four outcomes
 * and never throws; every non-Ok outcome is explained by a counted anomaly registered in
 * src/decode/anomalies.ts with that outcome; `decode.internal_error` (a caught bug) never
 * appears; the result depends only on data[offset, offset + capLen) (garbage after the capture
 * end changes nothing); bounded time; and the same Decoder decodes a good packet identically
 * afterwards.
 */
import { Anomalies } from '../../src/core/anomalies.js';
import { Outcome } from '../../src/core/outcome.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { FuzzStats, withinBudget } from './harness.js';
import { PropertyFailure } from './capture-check.js';

export interface DecoderLike { decode(rec: PacketRecord, out: DecodedPacket): number }
export type DecoderCtor = new (anomalies: Anomalies, opts?: { maxFragments?: number }) => DecoderLike;

export function record(data: Buffer, linkType: number, capLen = data.length, offset = 0, origLen = capLen, index = 0): PacketRecord {
  return { index, fileIndex: 0, ifIndex: 0, linkType, tsSec: 1700000000, tsNsec: 0, capLen, origLen, data, offset, direction: 0, fileOffset: 24 };
}

/** Every field of a DecodedPacket, as text (for "identical results" comparisons). */
export function snapshot(p: DecodedPacket): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) o[k] = v instanceof Uint32Array ? Array.from(v) : v;
  return JSON.stringify(o);
}

function fail(anomaly: string, msg: string): never {
  throw new PropertyFailure(anomaly, msg);
}

export interface DecodeCaseOptions {
  stats: FuzzStats;
  target: string;
  Ctor: DecoderCtor;
  registry: Record<string, number>;
  frame: Uint8Array;
  linkType: number;
  /** Bytes of garbage placed before the frame in the buffer, and after the captured end. */
  pad: number;
  /** capLen cut (≤ frame length). */
  capLen: number;
  origLen: number;
  /** A decoder that has seen other packets, with a good packet's expected snapshot. */
  shared: { dec: DecoderLike; anomalies: Anomalies; good: PacketRecord; goodSnap: string };
}

export function decodeCase(c: DecodeCaseOptions): number {
  const frame = Buffer.from(c.frame);
  const cap = Math.min(c.capLen, frame.length);
  const mk = (fill: number) => {
    const b = Buffer.alloc(c.pad + frame.length + c.pad, fill);
    frame.copy(b, c.pad);
    // bytes past the capture end are garbage the decoder must not look at
    b.fill(fill, c.pad + cap);
    return record(b, c.linkType, cap, c.pad, c.origLen, 7);
  };
  const anomalies = new Anomalies();
  const dec = new c.Ctor(anomalies);
  const out = new DecodedPacket();
  let res = -1;
  const recA = mk(0x00);
  withinBudget(c.stats, c.target, frame.length, () => {
    try { res = dec.decode(recA, out); } catch (e) { fail('decoder_threw', `decode threw: ${(e as Error).stack ?? String(e)}`); }
  });
  if (!(res === Outcome.Ok || res === Outcome.Truncated || res === Outcome.Malformed || res === Outcome.Unsupported)) fail('bad_outcome', `decode returned ${res}`);
  if (out.outcome !== res) fail('outcome_mismatch', `returned ${res} but out.outcome ${out.outcome}`);
  const snapA = snapshot(out);
  const names = anomalies.entries();
  for (const e of names) {
    if (!(e.name in c.registry)) fail('unregistered_anomaly', `anomaly ${e.name} is not in DECODE_ANOMALIES`);
    if (e.name === 'decode.internal_error') fail('internal_error', 'decode.internal_error counted: an out-of-bounds read or other bug was caught');
    c.stats.seen(e.name, e.count);
  }
  c.stats.seen(`decode:${['decoded', 'truncated', 'malformed', 'unsupported'][res]}`);
  if (res !== Outcome.Ok && !names.some((e) => c.registry[e.name] === res)) {
    fail('silent_outcome', `outcome ${res} without an anomaly of that outcome (counted: ${names.map((e) => e.name).join(', ') || 'none'})`);
  }
  if (res === Outcome.Ok) {
    if (out.ipVersion !== 4 && out.ipVersion !== 6) fail('ok_without_ip', `Ok with ipVersion ${out.ipVersion}`);
    if (out.hasPorts && (out.srcPort < 0 || out.srcPort > 65535 || out.dstPort < 0 || out.dstPort > 65535)) fail('bad_port', `ports ${out.srcPort}/${out.dstPort}`);
    if (out.payloadCaptured < 0 || out.payloadCaptured > out.payloadLen) fail('bad_payload_captured', `payloadCaptured ${out.payloadCaptured} payloadLen ${out.payloadLen}`);
    if (out.payloadCaptured > 0 && (out.payloadOffset < c.pad || out.payloadOffset + out.payloadCaptured > c.pad + cap)) fail('payload_outside_capture', `payload [${out.payloadOffset}, +${out.payloadCaptured}) outside the capture [${c.pad}, ${c.pad + cap})`);
  }
  // the same frame with different garbage after the capture end gives the same result
  const out2 = new DecodedPacket();
  new c.Ctor(new Anomalies()).decode(mk(0xff), out2);
  if (snapshot(out2) !== snapA) fail('reads_past_capture', `result changes with the bytes after capLen: ${snapA} vs ${snapshot(out2)}`);
  // the long-lived decoder: decode the hostile frame, then a good packet must decode as before
  const s = c.shared;
  try { s.dec.decode(recA, new DecodedPacket()); } catch (e) { fail('decoder_threw', `shared decoder threw: ${(e as Error).stack}`); }
  const g = new DecodedPacket();
  s.dec.decode(s.good, g);
  if (snapshot(g) !== s.goodSnap) fail('decoder_unusable_after', `good packet decodes differently after the hostile one: ${snapshot(g)} vs ${s.goodSnap}`);
  c.stats.count(c.target);
  return res;
}
