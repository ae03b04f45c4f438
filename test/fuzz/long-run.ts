/**
 * The long fuzz run (`npm run fuzz`): every target in turn, in slices of a few seconds with a new
 * seed per slice, until FUZZ_SECONDS (default 120) have passed. A failing case is shrunk by
 * fast-check and written to fixtures/malformed/<anomaly>-<hash>.<ext> with a .txt note (target,
 * seed, path, message); the run then goes on with the other targets and exits 1 at the end.
 *
 *   FUZZ_SECONDS=300 npm run fuzz          # five minutes
 *   FUZZ_SEED=12345 FUZZ_SECONDS=60 npm run fuzz
 *   FUZZ_TARGETS=pcap,decode npm run fuzz  # only some targets
 *
 * Targets: pcap, pcapng (push parsers: damaged generated files, random bytes, any chunking),
 * decode (hostile frames on every link type), flow (hostile frames through the FlowEngine),
 * dns, tls (app-layer name parsers).
 */
import fc from 'fast-check';
import { Anomalies } from '../../src/core/anomalies.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { FuzzStats, checkHeap, saveReproducer, describeError } from './harness.js';
import { findExport } from './modules.js';
import { arbDamagedPcap, arbDamagedPcapng, arbChunking, arbPcap, arbPcapng, arbHostileFrame, LINK_TYPES, arbDnsPayload, arbTlsPayload } from './gen.js';
import { captureCase, parse, PropertyFailure, type ParserCtor } from './capture-check.js';
import { decodeCase, record, snapshot, type DecoderCtor } from './decode-check.js';
import { dnsCase, sniCase, type DnsParse, type SniParse } from './app-check.js';
import { flowCase, type EngineCtor } from './flow-check.js';
import { pcapFile, shb, idb, epb, goodUdpFrame, goodTcpFrame, pcapHeader } from './bytes.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 120);
const SLICE_MS = Number(process.env.FUZZ_SLICE_MS ?? 4000);
const BASE_SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 0x7fffffff));
const ONLY = process.env.FUZZ_TARGETS ? new Set(process.env.FUZZ_TARGETS.split(',')) : null;

const stats = new FuzzStats();
const failures: string[] = [];

interface Target {
  name: string;
  ext: string;
  /** The property over one generated value; the value is what a reproducer file holds. */
  prop: fc.IProperty<[Uint8Array, ...unknown[]]> | null;
}

async function targets(): Promise<Target[]> {
  const Pcap = await findExport<ParserCtor>('capture', 'PcapParser');
  const Pcapng = await findExport<ParserCtor>('capture', 'PcapngParser');
  const Decoder = await findExport<DecoderCtor>('decode', 'Decoder');
  const REG = await findExport<Record<string, number>>('decode', 'DECODE_ANOMALIES');
  const parseDns = await findExport<DnsParse>('decode/app', 'parseDnsAnswers');
  const parseSni = await findExport<SniParse>('decode/app', 'parseTlsSni');
  const Engine = await findExport<EngineCtor>('flow', 'FlowEngine');
  const out: Target[] = [];
  if (Pcap) {
    const goodB = pcapFile({ records: [{ data: goodUdpFrame() }, { data: goodTcpFrame() }] });
    const good = { bytes: goodB, result: parse(Pcap, goodB, [1 << 22]) };
    const arb = fc.oneof(arbDamagedPcap, arbPcap, fc.uint8Array({ maxLength: 2000 }).map((u) => Buffer.concat([pcapHeader(), u])));
    out.push({ name: 'pcap', ext: 'pcap', prop: fc.property(arb, arbChunking, (b, c) => { captureCase({ stats, target: 'pcap', Ctor: Pcap, bytes: b, chunks: c, good }); }) as never });
  }
  if (Pcapng) {
    const goodB = Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame() }), epb({ data: goodTcpFrame() })]);
    const good = { bytes: goodB, result: parse(Pcapng, goodB, [1 << 22]) };
    const arb = fc.oneof(arbDamagedPcapng, arbPcapng, fc.uint8Array({ maxLength: 2000 }).map((u) => Buffer.concat([shb(), idb(1), u])));
    out.push({ name: 'pcapng', ext: 'pcapng', prop: fc.property(arb, arbChunking, (b, c) => { captureCase({ stats, target: 'pcapng', Ctor: Pcapng, bytes: b, chunks: c, good }); }) as never });
  }
  if (Decoder && REG) {
    const anomalies = new Anomalies();
    const dec = new Decoder(anomalies);
    const good = record(goodUdpFrame(), 1);
    const o = new DecodedPacket();
    dec.decode(good, o);
    const shared = { dec, anomalies, good, goodSnap: snapshot(o) };
    const arb = fc.tuple(arbHostileFrame, fc.oneof(fc.constant(1), fc.constantFrom(...LINK_TYPES)), fc.nat(8), fc.oneof(fc.constant(1 << 30), fc.nat(200)), fc.oneof(fc.constant(-1), fc.nat(0xffff)));
    out.push({
      name: 'decode', ext: 'frame', prop: fc.property(arb.map(([f, ...r]) => [f, ...r] as const), ([f, lt, pad, cap, orig]) => {
        const capLen = Math.min(cap, f.length);
        decodeCase({ stats, target: 'decode', Ctor: Decoder, registry: REG, frame: f, linkType: lt, pad, capLen, origLen: orig < 0 ? capLen : orig, shared });
      }) as never,
    });
  }
  if (Engine) {
    out.push({ name: 'flow', ext: 'frames', prop: fc.property(fc.array(arbHostileFrame, { minLength: 1, maxLength: 30 }), (frames) => { flowCase(stats, Engine, frames); }) as never });
  }
  if (parseDns) out.push({ name: 'dns', ext: 'dns', prop: fc.property(arbDnsPayload, fc.nat(5), (m, p) => { dnsCase(stats, 'dns', parseDns, m, p); }) as never });
  if (parseSni) out.push({ name: 'tls', ext: 'tls', prop: fc.property(arbTlsPayload, fc.nat(4), (m, p) => { sniCase(stats, parseSni, m, p); }) as never });
  return out.filter((t) => ONLY === null || ONLY.has(t.name));
}

/** The bytes a reproducer file holds for a counterexample. */
function bytesOf(ce: unknown[]): Uint8Array {
  const v = ce[0];
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v) && v[0] instanceof Uint8Array) {
    // frame tuples / frame lists: a list of frames is written as a pcap so it can be replayed
    if (v.every((x) => x instanceof Uint8Array)) return pcapFile({ records: (v as Uint8Array[]).map((data) => ({ data })) });
    return v[0];
  }
  return Buffer.from(JSON.stringify(ce));
}

async function main(): Promise<void> {
  const ts = await targets();
  if (ts.length === 0) { process.stdout.write('fuzz: no targets available\n'); process.exit(1); }
  process.stdout.write(`fuzz: ${SECONDS} s over ${ts.map((t) => t.name).join(', ')}; base seed ${BASE_SEED}; slices of ${SLICE_MS} ms\n`);
  const deadline = Date.now() + SECONDS * 1000;
  let slice = 0;
  const broken = new Set<string>();
  while (Date.now() < deadline) {
    const live = ts.filter((t) => !broken.has(t.name));
    if (live.length === 0) break;
    const t = live[slice % live.length]!;
    const seed = (BASE_SEED + slice * 7919) | 0;
    slice++;
    const ms = Math.min(SLICE_MS, deadline - Date.now());
    if (ms <= 0) break;
    const r = fc.check(t.prop!, { seed, numRuns: 1e9, interruptAfterTimeLimit: ms, markInterruptAsFailure: false });
    checkHeap(stats);
    if (r.failed) {
      const err = r.errorInstance;
      const anomaly = err instanceof PropertyFailure ? `${t.name}.${err.anomaly}` : `${t.name}.exception`;
      const ce = (r.counterexample ?? []) as unknown[];
      const note = `target ${t.name}; seed ${r.seed}; path ${r.counterexamplePath}; replay: FUZZ_SEED=${r.seed} FUZZ_TARGETS=${t.name}\n${describeError(err)}\ncounterexample: ${JSON.stringify(ce, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)).slice(0, 4000)}`;
      const file = saveReproducer(anomaly, t.ext, bytesOf(ce), note);
      failures.push(`${anomaly}: ${file}`);
      process.stdout.write(`FAIL ${anomaly} → ${file}\n${note.split('\n').slice(0, 4).join('\n')}\n`);
      broken.add(t.name); // one reproducer per target per run; fix it, then run again
    }
  }
  process.stdout.write(`${stats.summary(`fuzz (${SECONDS} s requested, base seed ${BASE_SEED})`)}\n`);
  process.stdout.write(failures.length ? `${failures.length} failure(s):\n  ${failures.join('\n  ')}\n` : 'no failures\n');
  process.exit(failures.length ? 1 : 0);
}

await main();
