/**
 * --threads: the worker-thread path (src/flow/parallel) must give byte-identical evidence (flows,
 * names, input summaries with anomalies) to the one-thread path, for pcap and pcapng, little and
 * big endian, with ranges small enough to force many splits, fragments straddling range
 * boundaries, and payloads that imitate record headers (wrong re-synchronisation → re-read).
 * Ground truth is the sequential gatherEvidence (itself tested against tshark in reference.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBench } from '../../bench/gen/index.js';
import { buildPcap, buildPcapng, pcapRecord, type NgBlock, type PcapPacket } from '../helpers/capture-builder.js';
import { eth, ipv4, udp, icmp } from '../decode/helpers/build.js';
import { gatherParallel, gatherSequential } from './parallel-harness.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import type { ParallelStats } from '../../src/flow/parallel/gather-parallel.js';

const dir = mkdtempSync(join(tmpdir(), 'flowaudit-par-'));
const stats = (): ParallelStats => ({ ranges: 0, rereads: 0, workers: 0 });

/** Packets of a little-endian µs pcap (the generator's output) as builder records. */
function pcapPackets(b: Buffer): PcapPacket[] {
  const out: PcapPacket[] = [];
  for (let p = 24; p + 16 <= b.length;) {
    const incl = b.readUInt32LE(p + 8);
    out.push({ tsSec: b.readUInt32LE(p), tsNsec: b.readUInt32LE(p + 4) * 1000, origLen: b.readUInt32LE(p + 12), data: b.subarray(p + 16, p + 16 + incl) });
    p += 16 + incl;
  }
  return out;
}

const gen = generateBench({ out: null, format: 'pcap', options: { seed: 11 }, limits: { packets: 6000 } }).data!;
const pkts = pcapPackets(gen);
const files = {
  pcapLE: join(dir, 'gen-le.pcap'),
  pcapBE: join(dir, 'gen-be.pcap'),
  ngLE: join(dir, 'gen-le.pcapng'),
  ngBE: join(dir, 'gen-be.pcapng'),
};
writeFileSync(files.pcapLE, gen);
writeFileSync(files.pcapBE, buildPcap({ bigEndian: true, nanos: true, packets: pkts }));
const epbs = (ps: PcapPacket[]): NgBlock[] => ps.map((p) => ({ type: 'epb', tsSec: p.tsSec, tsNsec: p.tsNsec ?? 0, data: p.data, origLen: p.origLen ?? p.data.length }));
// pcapng with a second interface, NRB/ISB blocks between packets (non-packet blocks at boundaries)
const ngBlocks = (): NgBlock[] => {
  const b = epbs(pkts);
  for (let i = b.length - 1; i > 0; i -= 997) b.splice(i, 0, { type: 'isb', if: 0 });
  b.splice(3, 0, { type: 'nrb', records: [{ ip: '10.0.0.1', names: ['x.example'] }] });
  return b;
};
writeFileSync(files.ngLE, buildPcapng({ sections: [{ interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 1 }], blocks: ngBlocks() }] }));
writeFileSync(files.ngBE, buildPcapng({ sections: [{ bigEndian: true, interfaces: [{ linkType: 1 }], blocks: ngBlocks() }] }));

async function same(inputs: string[], threads: number, rangeBytes?: number): Promise<ParallelStats> {
  const seq = JSON.stringify(await gatherSequential(inputs));
  const st = stats();
  const ev = await gatherParallel(inputs, { threads, stats: st, ...(rangeBytes !== undefined ? { rangeBytes } : {}) });
  assert.ok(ev !== null, 'the parallel path accepted the inputs');
  const par = JSON.stringify(ev);
  if (par !== seq) {
    let i = 0;
    while (par[i] === seq[i]) i++;
    assert.fixture(par.slice(Math.max(0, i - 200), i + 200), seq.slice(Math.max(0, i - 200), i + 200));
  }
  return st;
}

test('generated capture: sanity (flows, names present, so the comparison means something)', async () => {
  const ev = await gatherSequential([files.pcapLE]);
  assert.ok(ev.flows.length > 100, `${ev.flows.length} flows`);
  assert.ok(ev.names.length > 0, 'DNS names observed');
  assert.is(ev.inputs[0]!.packets, 6000);
});

test('pcap LE: threads 2 (one range) and 3 with 64 KiB ranges are identical to 1 thread', async () => {
  const a = await same([files.pcapLE], 2);
  assert.is(a.ranges, 1);
  const b = await same([files.pcapLE], 3, 64 << 10);
  assert.ok(b.ranges > 10, `${b.ranges} ranges`);
  assert.is(b.rereads, 0, 'every boundary found was a real record start');
});

test('pcap BE (ns) with tiny ranges', async () => {
  const s = await same([files.pcapBE], 3, 20000);
  assert.ok(s.ranges > 50, `${s.ranges} ranges`);
});

test('pcapng LE (two interfaces, NRB/ISB between packets) and BE with small ranges', async () => {
  const a = await same([files.ngLE], 2, 48 << 10);
  assert.ok(a.ranges > 10);
  const b = await same([files.ngBE], 3, 30000);
  assert.ok(b.ranges > 20);
});

test('two inputs merged by time (pcap + pcapng), split into ranges', async () => {
  const s = await same([files.pcapLE, files.ngBE], 3, 100000);
  assert.ok(s.ranges > 10);
});

test('gatherEvidence({threads: 2}) (the CLI path) equals gatherEvidence() for pcap + pcapng inputs', async () => {
  const inputs = [files.pcapLE, files.ngLE];
  const seq = JSON.stringify(await gatherEvidence(inputs));
  const par = JSON.stringify(await gatherEvidence(inputs, { threads: 2 }));
  assert.ok(par === seq, 'identical evidence');
});

// ---------------------------------------------------------------- fragments, names, ICMP across boundaries

const dgram = udp(5353, 53, Buffer.alloc(64, 9)); // 72-byte UDP datagram cut in three
const frag = (id: number, off8: number, mf: boolean, src = '10.1.0.1') =>
  eth(0x0800, ipv4({ proto: 17, id, mf, fragOff8: off8, src, dst: '10.1.0.2' }, dgram.subarray(off8 * 8, Math.min(72, off8 * 8 + 24))));

test('fragments whose first fragment is in an earlier range: identical, ports resolved', async () => {
  const ps: PcapPacket[] = [];
  let t = 1700000000;
  for (let id = 1; id <= 40; id++) {
    ps.push({ tsSec: t++, data: frag(id, 0, true) });
    ps.push({ tsSec: t++, data: eth(0x0800, ipv4({ proto: 17, src: '10.9.0.1', dst: '10.9.0.2' }, udp(1000 + id, 2000, Buffer.alloc(30)))) });
    ps.push({ tsSec: t++, data: frag(id, 3, true) });
    ps.push({ tsSec: t++, data: frag(id, 6, false) });
  }
  ps.push({ tsSec: t++, data: frag(999, 6, false) }); // first fragment never seen
  // ICMP port unreachable quoting one of the UDP flows (ICMP error attribution across ranges)
  const quoted = ipv4({ proto: 17, src: '10.9.0.1', dst: '10.9.0.2' }, udp(1001, 2000, Buffer.alloc(0)));
  ps.push({ tsSec: t++, data: eth(0x0800, ipv4({ proto: 1, src: '10.9.0.2', dst: '10.9.0.1' }, icmp(3, 3, Buffer.alloc(4), quoted))) });
  const f = join(dir, 'frag.pcap');
  writeFileSync(f, buildPcap({ packets: ps }));
  const ev = await gatherSequential([f]);
  const fl = ev.flows.find((x) => x.origH === '10.1.0.1' || x.respH === '10.1.0.1');
  assert.ok(fl !== undefined && (fl.origP === 5353 || fl.respP === 5353), 'later fragments joined the first fragment\'s flow');
  assert.is(ev.inputs[0]!.anomalies['decode.fragments.first_not_seen']?.count, 1);
  // ~one record per range: every fragment straddles a boundary
  const s = await same([f], 3, 64);
  assert.ok(s.ranges > 100, `${s.ranges} ranges`);
});

// ---------------------------------------------------------------- payloads imitating record headers

/** A UDP payload that is itself a chain of n valid-looking pcap records (LE, µs) near time t. */
export function fakeChain(n: number, t: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) parts.push(pcapRecord({ tsSec: t + i, data: Buffer.alloc(12, 0xee) }));
  return Buffer.concat(parts);
}

test('payloads holding fake record chains: a wrong boundary is detected and the rest re-read', async () => {
  const ps: PcapPacket[] = [];
  const t = 1700000000;
  for (let i = 0; i < 300; i++) {
    const payload = i % 3 === 0 ? fakeChain(12, t + i) : Buffer.alloc(40 + (i % 7), i & 255);
    ps.push({ tsSec: t + i, data: eth(0x0800, ipv4({ proto: 17, src: `10.2.${i % 5}.1`, dst: '10.2.0.9' }, udp(40000 + (i % 11), 9999, payload))) });
  }
  const f = join(dir, 'fake.pcap');
  writeFileSync(f, buildPcap({ packets: ps }));
  const s = await same([f], 3, 700);
  assert.ok(s.rereads >= 1, 'a fake chain was taken for a boundary and caught');
});

test('damaged inputs: truncated last record and a record too large mid-file', async () => {
  const ok = buildPcap({ packets: pkts.slice(0, 800) });
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, ok.subarray(0, ok.length - 30));
  await same([cut], 3, 30000);
  const big = buildPcap({ packets: [...pkts.slice(0, 400), { tsSec: 1700000000, data: Buffer.alloc(40), inclLen: 300000 }, ...pkts.slice(400, 800)] });
  const mid = join(dir, 'mid.pcap');
  writeFileSync(mid, big);
  await same([mid], 3, 30000);
});

// ---------------------------------------------------------------- corpus

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
/** Corpus files that exercise what splitting can break (fragments, SPB without timestamps, many IDBs, OPB, damage). All 65 public + 4 pilot files were compared with bench/data/corpus.mts (see /work/notes/threads.md). */
const CORPUS_FILES = [
  'public/ipv4-fragments-udp.pcap', 'public/pcapng-gen-be-spb.pcapng', 'public/pcapng-126idb-nrb-ldap.pcapng',
  'public/derived-opb-ldap-sasl-ntlm.pcapng', 'public/derived-cut-mid-record.pcap', 'pilot/pilot-full.pcap',
];

test('corpus files: identical with small ranges', async () => {
  if (!existsSync(corpus)) { console.log(`skip: ${corpus} not found`); return; }
  let checked = 0;
  for (const rel of CORPUS_FILES) {
    const f = join(corpus, rel);
    if (!existsSync(f)) { console.log(`skip: ${f} not found`); continue; }
    const seq = JSON.stringify(await gatherSequential([f]));
    const ev = await gatherParallel([f], { threads: 2, rangeBytes: 3000 });
    assert.ok(ev !== null, `${rel}: parallel path accepted it`);
    const par = JSON.stringify(ev);
    if (par !== seq) { let i = 0; while (par[i] === seq[i]) i++; assert.fixture(par.slice(Math.max(0, i - 200), i + 200), seq.slice(Math.max(0, i - 200), i + 200), f); }
    checked++;
  }
  assert.ok(checked > 0 || !existsSync(join(corpus, 'public')), 'some corpus files compared');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
