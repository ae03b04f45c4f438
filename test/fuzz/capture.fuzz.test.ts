/**
 * Hostile input for the capture push parsers (fixed seed, part of `npm test`):
 * generated pcap/pcapng files damaged in their length fields, random bytes, truncation of every
 * real corpus file at every offset (small files) or a sample of offsets (larger ones), and
 * absurd lengths (4 GiB records, zero-length blocks, snaplen 0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { FuzzStats, SEED, CORPUS, corpusPresent, checkHeap, hex } from './harness.js';
import { findExport, skip } from './modules.js';
import { arbDamagedPcap, arbDamagedPcapng, arbChunking, arbPcap, arbPcapng } from './gen.js';
import { captureCase, parse, PropertyFailure, type ParserCtor, type ParseResult } from './capture-check.js';
import { walk, expectCut } from './walk.js';
import { pcapFile, shb, idb, epb, goodUdpFrame, goodTcpFrame, ngBlock, pcapRecord, pcapHeader } from './bytes.js';

const stats = new FuzzStats();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const Pcap = await findExport<ParserCtor>('capture', 'PcapParser');
const Pcapng = await findExport<ParserCtor>('capture', 'PcapngParser');

const GOOD_PCAP = pcapFile({ records: [{ data: goodUdpFrame() }, { data: goodTcpFrame() }] });
const GOOD_PCAPNG = Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame() }), epb({ data: goodTcpFrame() })]);

function good(Ctor: ParserCtor, b: Buffer): { bytes: Buffer; result: ParseResult } {
  return { bytes: b, result: parse(Ctor, b, [1 << 22]) };
}

function run(name: string, Ctor: ParserCtor, arb: fc.Arbitrary<Buffer>, goodBytes: Buffer, runs = RUNS): void {
  const g = good(Ctor, goodBytes);
  assert.is(g.result.digests.length, 2, `${name}: the good file must give 2 packets`);
  const r = fc.check(fc.property(arb, arbChunking, (bytes, chunks) => { captureCase({ stats, target: name, Ctor, bytes, chunks, good: g }); }), { seed: SEED, numRuns: runs });
  checkHeap(stats);
  if (r.failed) {
    const ce = r.counterexample?.[0] as Buffer | undefined;
    const err = r.errorInstance;
    const what = err instanceof PropertyFailure ? err.anomaly : 'exception';
    assert.unreachable(`${name}: ${what} after ${r.numRuns} runs (seed ${r.seed}, path ${r.counterexamplePath})\n${(err as Error | undefined)?.stack ?? String(err)}\ninput: ${ce ? hex(ce, 512) : '?'}\nchunks: ${JSON.stringify(r.counterexample?.[1])}`);
  }
}

test('pcap: generated files with lying length fields, any chunking', () => {
  if (!Pcap) return skip('src/capture has no PcapParser yet');
  run('pcap.damaged', Pcap, arbDamagedPcap, GOOD_PCAP);
  run('pcap.intact', Pcap, arbPcap, GOOD_PCAP, RUNS >> 2);
});

test('pcapng: generated sections with lying block lengths, any chunking', () => {
  if (!Pcapng) return skip('src/capture has no PcapngParser yet');
  run('pcapng.damaged', Pcapng, arbDamagedPcapng, GOOD_PCAPNG);
  run('pcapng.intact', Pcapng, arbPcapng, GOOD_PCAPNG, RUNS >> 2);
});

test('random bytes into both parsers', () => {
  if (!Pcap || !Pcapng) return skip('capture parsers not there yet');
  const arb = fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u));
  // random bytes behind a valid header, so the parser gets past the magic
  const behindPcap = fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.concat([pcapHeader(), u]));
  const behindNg = fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.concat([shb(), idb(1), u]));
  run('pcap.random', Pcap, arb, GOOD_PCAP, RUNS >> 2);
  run('pcapng.random', Pcapng, arb, GOOD_PCAPNG, RUNS >> 2);
  run('pcap.random_after_header', Pcap, behindPcap, GOOD_PCAP, RUNS >> 1);
  run('pcapng.random_after_header', Pcapng, behindNg, GOOD_PCAPNG, RUNS >> 1);
});

test('absurd lengths: 4 GiB records, zero-length and 12-byte blocks, snaplen 0, block over the limit', () => {
  if (!Pcap || !Pcapng) return skip('capture parsers not there yet');
  const g = good(Pcap, GOOD_PCAP), gng = good(Pcapng, GOOD_PCAPNG);
  const cases: [string, ParserCtor, Buffer, (r: ParseResult) => void][] = [
    ['pcap incl_len 0xffffffff', Pcap, Buffer.concat([pcapHeader(), pcapRecord({ data: goodUdpFrame() }), pcapRecord({ data: Buffer.alloc(8), inclLen: 0xffffffff })]), (r) => {
      assert.is(r.digests.length, 1); assert.not.ok(r.info.end.clean); assert.is(r.info.end.offset, 24 + 16 + goodUdpFrame().length);
    }],
    ['pcap incl_len 4 GiB-16 and orig_len 4 GiB', Pcap, Buffer.concat([pcapHeader(), pcapRecord({ data: Buffer.alloc(4), inclLen: 0xfffffff0, origLen: 0xffffffff })]), (r) => {
      assert.is(r.digests.length, 0); assert.not.ok(r.info.end.clean); assert.is(r.info.end.offset, 24);
    }],
    ['pcap snaplen 0', Pcap, pcapFile({ snaplen: 0, records: [{ data: goodUdpFrame() }] }), (r) => {
      // libpcap treats snaplen 0 as "no limit" (pcap_adjust_snapshot): the record is read whole
      assert.is(r.digests.length, 1); assert.ok(r.info.end.clean); assert.ok(r.digests[0]!.includes(`|${goodUdpFrame().length}/`));
    }],
    ['pcap zero-length records', Pcap, pcapFile({ records: Array.from({ length: 50 }, () => ({ data: Buffer.alloc(0) })) }), (r) => {
      assert.is(r.digests.length, 50); assert.ok(r.info.end.clean);
    }],
    ['pcapng block length 0', Pcapng, Buffer.concat([shb(), idb(1), ngBlock(6, Buffer.alloc(20), true, { lead: 0 })]), (r) => {
      assert.is(r.digests.length, 0); assert.not.ok(r.info.end.clean); assert.is(r.info.end.offset, shb().length + idb(1).length);
    }],
    ['pcapng block length 12 (empty EPB)', Pcapng, Buffer.concat([shb(), idb(1), ngBlock(6, Buffer.alloc(0))]), (r) => {
      // framing is legal (12 bytes), the EPB body is not: skipped, but never silently
      assert.is(r.digests.length, 0); assert.ok(!r.info.end.clean || Object.keys(r.info.anomalies ?? {}).length > 0, 'not silent');
    }],
    ['pcapng block length 0xffffffff', Pcapng, Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame() }), ngBlock(6, Buffer.alloc(40), true, { lead: 0xffffffff })]), (r) => {
      assert.is(r.digests.length, 1); assert.not.ok(r.info.end.clean);
    }],
    ['pcapng block length not a multiple of 4', Pcapng, Buffer.concat([shb(), idb(1), ngBlock(6, Buffer.alloc(40), true, { lead: 50 })]), (r) => {
      assert.is(r.digests.length, 0); assert.not.ok(r.info.end.clean);
    }],
    ['pcapng trailing length differs', Pcapng, Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame() }, true, { trail: 12 })]), (r) => {
      assert.is(r.digests.length, 0); assert.not.ok(r.info.end.clean);
    }],
    ['pcapng EPB before any IDB', Pcapng, Buffer.concat([shb(), epb({ data: goodUdpFrame() })]), (r) => {
      assert.is(r.digests.length, 0); assert.ok(!r.info.end.clean || Object.keys(r.info.anomalies ?? {}).length > 0, 'not silent');
    }],
    ['pcapng EPB capLen larger than its block', Pcapng, Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame(), capLen: 0xfffffff0 })]), (r) => {
      assert.is(r.digests.length, 0); assert.ok(!r.info.end.clean || Object.keys(r.info.anomalies ?? {}).length > 0, 'not silent');
    }],
    ['pcapng SHB with a lying byte-order mark', Pcapng, (() => { const b = Buffer.concat([shb(), idb(1)]); b.writeUInt32LE(0xdeadbeef, 8); return b; })(), (r) => {
      assert.is(r.digests.length, 0); assert.not.ok(r.info.end.clean); assert.ok(r.info.end.offset <= 8, "offset of the SHB or its BOM");
    }],
    ['pcapng 10 000 empty unknown blocks', Pcapng, Buffer.concat([shb(), idb(1), ...Array.from({ length: 10000 }, () => ngBlock(0x0bad, Buffer.alloc(0)))]), (r) => {
      assert.is(r.digests.length, 0); assert.ok(r.info.end.clean);
    }],
  ];
  for (const [name, Ctor, bytes, check] of cases) {
    let res: ParseResult;
    try {
      res = captureCase({ stats, target: 'absurd', Ctor, bytes, chunks: [7, 1, 64], good: Ctor === Pcap ? g : gng });
    } catch (e) {
      assert.unreachable(`${name}: ${(e as Error).stack}`);
      return;
    }
    try { check(res); } catch (e) { throw new Error(`${name}: ${(e as Error).message}; end ${JSON.stringify(res.info.end)}`); }
    assert.ok(res.info.end.clean || (res.info.end.reason ?? '').length > 10, `${name}: a reason is given`);
  }
});

test('absurd timestamps: if_tsresol extremes, if_tsoffset ±2^63, 64-bit all-ones timestamps', () => {
  if (!Pcapng) return skip('capture parsers not there yet');
  const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return b; };
  const problems: string[] = [];
  for (const res of [0, 1, 6, 9, 19, 20, 63, 64, 127, 0x80, 0x81, 0x80 | 63, 0x80 | 64, 0xff]) {
    for (const off of [null, 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n]) {
      for (const hiLo of [[0, 0], [0, 1], [0x5f5e0ff, 0xffffffff], [0xffffffff, 0xffffffff]] as const) {
        const opts = [{ code: 9, value: Buffer.from([res]) }, ...(off === null ? [] : [{ code: 14, value: u64(off) }])];
        const e = epb({ data: goodUdpFrame() });
        e.writeUInt32LE(hiLo[0], 12); e.writeUInt32LE(hiLo[1], 16);
        const bytes = Buffer.concat([shb(), idb(1, 0, true, opts), e]);
        try {
          const r = captureCase({ stats, target: 'absurd.ts', Ctor: Pcapng, bytes, chunks: [] });
          if (r.digests.length === 0 && r.info.end.clean && Object.keys(r.info.anomalies ?? {}).length === 0) problems.push(`tsresol ${res} tsoffset ${off} ts ${hiLo}: packet dropped silently`);
        } catch (err) {
          problems.push(`tsresol ${res} tsoffset ${off} ts ${hiLo.map((x) => x.toString(16))}: ${(err as Error).message}`);
        }
      }
    }
  }
  if (problems.length) assert.unreachable(`${problems.length} case(s) (hostile-bugs.md #4):\n${problems.slice(0, 12).join('\n')}${problems.length > 12 ? '\n…' : ''}`);
});

function corpusFiles(): { name: string; bytes: Buffer }[] {
  return readdirSync(CORPUS).filter((n) => /\.(pcap|pcapng|cap)$/.test(n)).sort().map((name) => ({ name, bytes: readFileSync(path.join(CORPUS, name)) }));
}

test('every corpus file cut at every offset (small files) or 48 offsets (large): the intact prefix is delivered', () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!Pcap || !Pcapng) return skip('capture parsers not there yet');
  let cuts = 0;
  for (const { name, bytes } of corpusFiles()) {
    const w = walk(bytes);
    if (w === null || w.end !== bytes.length) continue; // damaged files are the damage test's job
    if (name.startsWith('corrupt-') || name.startsWith('derived-cut')) continue;
    const Ctor = w.format === 'pcap' ? Pcap : Pcapng;
    const full = parse(Ctor, bytes, [1 << 22]);
    // small files: every offset; larger: unit boundaries ±1 around a sample plus evenly spaced offsets
    let offsets: number[];
    if (bytes.length <= 2048) offsets = Array.from({ length: bytes.length }, (_, i) => i + 1);
    else {
      const s = new Set<number>();
      for (let i = 1; i <= 24; i++) s.add(Math.floor((bytes.length * i) / 25));
      const step = Math.max(1, Math.floor(w.units.length / 8));
      for (let i = 0; i < w.units.length; i += step) { const u = w.units[i]!; s.add(u.start + 1); s.add(u.end); s.add(u.end - 1); }
      s.add(bytes.length - 1);
      offsets = [...s].filter((n) => n > 0 && n <= bytes.length).sort((a, b) => a - b);
    }
    for (const n of offsets) {
      const cut = bytes.subarray(0, n);
      const r = captureCase({ stats, target: 'corpus.cut', Ctor, bytes: cut, chunks: n % 7 === 0 ? [n % 61 + 1] : [] });
      const exp = expectCut(w, n);
      const ctx = `${name} cut at ${n}: end ${JSON.stringify(r.info.end)}`;
      assert.is(r.digests.length, exp.packets, `${ctx}: packets`);
      assert.equal(r.digests, full.digests.slice(0, exp.packets), `${ctx}: the delivered packets are the file's first ones`);
      assert.is(r.info.end.clean, exp.clean, `${ctx}: clean`);
      if (!exp.clean) assert.is(r.info.end.offset, exp.damageAt, `${ctx}: damage offset is the start of the cut unit`);
      cuts++;
    }
  }
  process.stdout.write(`corpus cuts checked: ${cuts}\n`);
  assert.ok(cuts > 1000);
});

test('bit flips in the headers and length fields of corpus files', () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!Pcap || !Pcapng) return skip('capture parsers not there yet');
  const files = corpusFiles().filter((f) => f.bytes.length <= 40000);
  const arb = fc.constantFrom(...files).chain((f) => {
    const w = walk(f.bytes);
    const fields = w ? w.units.flatMap((u) => [u.start + 4, u.start + 8, u.start + 12, u.end - 4]).filter((x) => x >= 0 && x < f.bytes.length) : [];
    return fc.tuple(fc.constant(f), fc.array(fc.oneof(fields.length ? fc.constantFrom(...fields) : fc.constant(0), fc.nat(Math.min(f.bytes.length - 1, 96))), { minLength: 1, maxLength: 3 }), fc.nat(31));
  });
  const r = fc.check(fc.property(arb, ([f, offs, bit]) => {
    const b = Buffer.from(f.bytes);
    for (const o of offs) b[Math.min(o + (bit >> 3), b.length - 1)]! ^= 1 << (bit & 7);
    const Ctor = b.readUInt32LE(0) === 0x0a0d0d0a ? Pcapng : Pcap;
    captureCase({ stats, target: 'corpus.flip', Ctor, bytes: b, chunks: [1000] });
  }), { seed: SEED, numRuns: RUNS });
  if (r.failed) assert.unreachable(`corpus bit flip: ${(r.errorInstance as Error)?.stack}\n${JSON.stringify(r.counterexample?.[0]?.[0].name)} ${JSON.stringify(r.counterexample?.[0]?.[1])}`);
});

test.after(() => {
  process.stdout.write(`${stats.summary('capture fuzz')}\n`);
});

test.run();
