/**
 * Hostile frames for the packet decoder (fixed seed, part of `npm test`): random and damaged
 * frames on every link type, deep VLAN stacks, tunnels in tunnels, IPv6 extension-header chains
 * with lying lengths, DNS compression loops and TLS length lies as payloads, snaplen cuts at
 * every offset of real corpus packets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Anomalies } from '../../src/core/anomalies.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { Outcome } from '../../src/core/outcome.js';
import { FuzzStats, SEED, CORPUS, corpusPresent, checkHeap, hex } from './harness.js';
import { findExport, skip } from './modules.js';
import { arbHostileFrame, arbDeepVlan, arbDeepTunnel, arbV6Chain, LINK_TYPES } from './gen.js';
import { decodeCase, record, snapshot, type DecoderCtor, type DecoderLike } from './decode-check.js';
import { PropertyFailure, type ParserCtor } from './capture-check.js';
import { goodUdpFrame, ethVlan, ipv4, udp, eth, ipv6, v6ext } from './bytes.js';
import { walk } from './walk.js';

const stats = new FuzzStats();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const Decoder = await findExport<DecoderCtor>('decode', 'Decoder');
const REGISTRY = await findExport<Record<string, number>>('decode', 'DECODE_ANOMALIES');

function shared(Ctor: DecoderCtor): { dec: DecoderLike; anomalies: Anomalies; good: ReturnType<typeof record>; goodSnap: string } {
  const anomalies = new Anomalies();
  const dec = new Ctor(anomalies);
  const good = record(goodUdpFrame(), 1);
  const o = new DecodedPacket();
  dec.decode(good, o);
  assert.is(o.outcome, Outcome.Ok, 'the good frame decodes');
  return { dec, anomalies, good, goodSnap: snapshot(o) };
}

const arbCase = fc.tuple(
  arbHostileFrame,
  fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.constantFrom(...LINK_TYPES) }),
  fc.nat(8),
  fc.oneof(fc.constant(Number.MAX_SAFE_INTEGER), fc.nat(120)),
  fc.oneof(fc.constant(-1), fc.nat(0xffff)),
);

function check(name: string, arb: fc.Arbitrary<[Uint8Array, number, number, number, number]>, runs: number): void {
  if (!Decoder || !REGISTRY) { skip('src/decode has no Decoder / DECODE_ANOMALIES yet'); return; }
  const sh = shared(Decoder);
  const r = fc.check(fc.property(arb, ([frame, lt, pad, cap, orig]) => {
    // for non-Ethernet link types, start at the IP header half the time
    const f = lt !== 1 && frame.length > 14 && (pad & 1) ? frame.subarray(14) : frame;
    const capLen = Math.min(cap, f.length);
    decodeCase({ stats, target: name, Ctor: Decoder, registry: REGISTRY, frame: f, linkType: lt, pad, capLen, origLen: orig < 0 ? capLen : orig, shared: sh });
  }), { seed: SEED, numRuns: runs });
  checkHeap(stats);
  if (r.failed) {
    const ce = r.counterexample?.[0];
    const err = r.errorInstance;
    assert.unreachable(`${name}: ${err instanceof PropertyFailure ? err.anomaly : 'exception'} (seed ${r.seed}, path ${r.counterexamplePath})\n${(err as Error)?.message}\nframe: ${ce ? hex(ce[0], 400) : '?'} linkType ${ce?.[1]} pad ${ce?.[2]} cap ${ce?.[3]} orig ${ce?.[4]}`);
  }
}

test('random and damaged frames on every link type', () => {
  check('decode.hostile', arbCase, RUNS * 2);
});

test('deep VLAN stacks, tunnels in tunnels, IPv6 extension-header chains', () => {
  const t = (a: fc.Arbitrary<Buffer>) => fc.tuple(a as fc.Arbitrary<Uint8Array>, fc.constant(1), fc.nat(4), fc.oneof(fc.constant(Number.MAX_SAFE_INTEGER), fc.nat(400)), fc.constant(-1));
  check('decode.vlan_deep', t(arbDeepVlan), RUNS >> 2);
  check('decode.tunnel_deep', t(arbDeepTunnel), RUNS >> 2);
  check('decode.v6_chain', t(arbV6Chain), RUNS);
});

test('named limits: 9 VLAN tags, 17 IPv6 extension headers, 2000-deep VLAN stack are Malformed with their anomaly', () => {
  if (!Decoder || !REGISTRY) return skip('decoder not there yet');
  const payload = ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 53, Buffer.alloc(4)));
  const cases: [string, Buffer, string][] = [
    ['2000 VLAN tags', ethVlan(Array.from({ length: 2000 }, (_, i) => i), 0x0800, payload), 'decode.vlan.too_many_tags'],
    ['40 destination-options headers', eth(0x86dd, ipv6('2001:db8::1', '2001:db8::2', 60, Buffer.concat([...Array.from({ length: 40 }, (_, i) => v6ext(i === 39 ? 17 : 60, 0)), udp(1, 2, Buffer.alloc(2))]))), 'decode.ipv6.too_many_ext_headers'],
  ];
  for (const [name, frame, anomaly] of cases) {
    const an = new Anomalies();
    const o = new DecodedPacket();
    new Decoder(an).decode(record(frame, 1), o);
    assert.is(o.outcome, REGISTRY[anomaly], `${name}: outcome`);
    assert.is(an.get(anomaly), 1, `${name}: ${anomaly} counted (have ${an.entries().map((e) => e.name).join(', ')})`);
  }
});

test('every packet of every corpus file, cut by a snaplen at every offset (sampled for long packets)', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!Decoder || !REGISTRY) return skip('decoder not there yet');
  const P = await findExport<ParserCtor>('capture', 'PcapParser');
  const Png = await findExport<ParserCtor>('capture', 'PcapngParser');
  {
    if (!P || !Png) return skip('capture parsers not there yet');
    const sh = shared(Decoder);
    let n = 0;
    for (const name of readdirSync(CORPUS).filter((x) => /\.(pcap|pcapng|cap)$/.test(x)).sort()) {
      const bytes = readFileSync(path.join(CORPUS, name));
      const w = walk(bytes);
      if (!w) continue;
      const frames: { data: Buffer; lt: number }[] = [];
      const p = new (w.format === 'pcap' ? P : Png)(name);
      p.push(bytes, (r) => { if (frames.length < 8) frames.push({ data: Buffer.from(r.data.subarray(r.offset, r.offset + r.capLen)), lt: r.linkType }); });
      p.end();
      for (const f of frames) {
        const step = f.data.length > 120 ? 5 : 1;
        for (let cut = 0; cut <= Math.min(f.data.length, 160); cut += step) {
          decodeCase({ stats, target: 'decode.corpus_cut', Ctor: Decoder, registry: REGISTRY, frame: f.data, linkType: f.lt, pad: 2, capLen: cut, origLen: f.data.length, shared: sh });
          n++;
        }
      }
    }
    process.stdout.write(`corpus packet cuts decoded: ${n}\n`);
    assert.ok(n > 1000);
  }
});

test.after(() => {
  process.stdout.write(`${stats.summary('decode fuzz')}\n`);
});

test.run();
