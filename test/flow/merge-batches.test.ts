/**
 * Several capture files merged by time, their packets offered to a record sink straight from the
 * chunks (src/capture/read.ts merge: each run of one input's records up to the other inputs' next
 * packet; the core's batchBound). The merge must deliver exactly what it delivers one record at a
 * time: the same order, the same packet indices, ties at equal times in input order; and the
 * flow engine must give the same flows, names, anomalies and counts as through the JavaScript
 * reader and decoder, for files one after another in time, overlapping, identical (every packet
 * a tie), mixed pcap and pcapng, in large and small chunks, with the linear merge and the heap.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCaptures } from '../../src/capture/read.js';
import { DEFAULT_CHUNK_SIZE } from '../../src/capture/info.js';
import type { PcapHeader, PcapRecordSink, TakenRecords, TimeBound } from '../../src/capture/types.js';
import { chunkArena } from '../../src/cli/gather.js';
import { FlowEngine } from '../../src/flow/engine.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { generateBench } from '../../bench/gen/index.js';
import { buildPcap, buildPcapng, type NgBlock } from '../helpers/capture-builder.js';
import { eth, ipv4, udp } from '../decode/helpers/build.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

/** A classic pcap capture cut into `parts` files of consecutive records (each with the file header). */
function splitPcap(data: Buffer, parts: number): Buffer[] {
  const starts: number[] = [];
  for (let o = 24; o + 16 <= data.length; o += 16 + data.readUInt32LE(o + 8)) starts.push(o);
  const out: Buffer[] = [];
  for (let p = 0; p < parts; p++) {
    const a = starts[Math.floor((p * starts.length) / parts)]!;
    const b = p + 1 < parts ? starts[Math.floor(((p + 1) * starts.length) / parts)]! : data.length;
    out.push(Buffer.concat([data.subarray(0, 24), data.subarray(a, b)]));
  }
  return out;
}

/** An engine over `k` inputs and what came out of it. `arena`: its table lends read buffers (the core's path). */
class Run {
  readonly flows: string[] = [];
  readonly engine: FlowEngine;
  constructor(k: number, arena: boolean, chunk: number) {
    this.engine = new FlowEngine({
      onFlow: (f: FlowRecord) => { this.flows.push(JSON.stringify(f)); },
      ...(arena ? { chunkArena: chunkArena(k, chunk) } : {}),
    });
    for (let i = 0; i < k; i++) this.engine.addSource(i, `in${i}`, 'pcap');
  }
  result(): string {
    const e = this.engine;
    e.flush();
    return JSON.stringify({ flows: this.flows, names: e.names.list, anomalies: e.anomalies.map((a) => a.toJSON()), packets: e.packets, flowPackets: e.flowPackets, expired: e.table.expired, size: e.table.size }, null, 1);
  }
}

/** Read `files` merged both ways (the core taking runs; the JavaScript reader and decoder) and compare. */
async function compareMerged(files: string[], chunk: number, what: string): Promise<{ batched: number; packets: number }> {
  const a = new Run(files.length, true, chunk), b = new Run(files.length, false, chunk);
  const ia = await readCaptures(files, { chunkSize: chunk, chunkAlloc: (n) => a.engine.table.arenaChunk(n), chunkFree: (b) => a.engine.table.arenaReturn(b), recordSink: a.engine }, (r) => a.engine.packet(r));
  const ib = await readCaptures(files, { chunkSize: chunk }, (r) => b.engine.packet(r));
  assert.equal(JSON.stringify(ia), JSON.stringify(ib), `${what}: capture info`);
  const ra = a.result(), rb = b.result();
  if (ra !== rb) assert.fixture(ra, rb, `${what}: flows, names, anomalies, counts`);
  return { batched: a.engine.batchedPackets, packets: a.engine.packets };
}

/**
 * A classic pcap capture (µs) as pcapng whose packets go round `nIf` Ethernet interfaces in turn
 * (as a capture on several interfaces at once), of resolutions 10^-6 and 10^-9 s by turns.
 */
function alternatingPcapng(data: Buffer, nIf: number): Buffer {
  const blocks: NgBlock[] = [];
  for (let o = 24, i = 0; o + 16 <= data.length; o += 16 + data.readUInt32LE(o + 8), i++) {
    blocks.push({ type: 'epb', if: i % nIf, tsSec: data.readUInt32LE(o), tsNsec: data.readUInt32LE(o + 4) * 1000, data: data.subarray(o + 16, o + 16 + data.readUInt32LE(o + 8)) });
  }
  return buildPcapng({ sections: [{ interfaces: Array.from({ length: nIf }, (_, i) => ({ linkType: 1, tsresol: i % 2 === 0 ? 6 : 9 })), blocks }] });
}

const seq = generateBench({ out: null, format: 'pcap', options: { seed: 7 }, limits: { packets: 40_000 } }).data!;
const other = generateBench({ out: null, format: 'pcap', options: { seed: 21 }, limits: { packets: 15_000 } }).data!;
const otherNg = generateBench({ out: null, format: 'pcapng', options: { seed: 22, small: true }, limits: { packets: 15_000 } }).data!;

test('files one after another in time: the core takes nearly every packet, and gives what the reader and decoder give (linear merge and heap)', async () => {
  await withTmpDir('fa-merge-', async (dir) => {
    for (const [parts, chunks] of [[3, [DEFAULT_CHUNK_SIZE, 5000]], [10, [64 * 1024]]] as const) {
      const files = splitPcap(seq, parts).map((b, i) => { const f = path.join(dir, `seq${parts}-${i}.pcap`); writeFileSync(f, b); return f; });
      for (const chunk of chunks) {
        const r = await compareMerged(files, chunk, `${parts} parts, chunk ${chunk}`);
        assert.is(r.packets, 40_000);
        assert.ok(r.batched > r.packets * 0.8, `${parts} parts, chunk ${chunk}: ${r.batched} of ${r.packets} taken in the core's batches`);
      }
    }
  });
});

test('overlapping, identical and mixed-format inputs: the same as the reader and decoder', async () => {
  await withTmpDir('fa-merge-', async (dir) => {
    const w = (name: string, b: Buffer) => { const f = path.join(dir, name); writeFileSync(f, b); return f; };
    const [s0, s1] = splitPcap(seq, 2);
    const a = w('a.pcap', s0!), b = w('b.pcap', s1!), o = w('o.pcap', other), ng = w('o.pcapng', otherNg);
    const sets: [string, string[]][] = [
      ['overlapping pcap', [a, o, b]],
      ['pcap and pcapng', [ng, a, o]],
      ['one file twice (every packet a tie)', [o, o]],
      ['the same file three times and a later one', [b, b, a, b]],
      ['nine inputs (heap), some identical', [a, o, ng, b, o, a, ng, b, a]],
    ];
    for (const [what, files] of sets) {
      for (const chunk of [DEFAULT_CHUNK_SIZE, 7001]) await compareMerged(files, chunk, `${what}, chunk ${chunk}`);
    }
  });
});

test('pcapng inputs whose interfaces alternate, merged: the core takes the runs of each (its interface table follows the input), the same as the reader and decoder', async () => {
  await withTmpDir('fa-merge-ngif-', async (dir) => {
    const w = (name: string, b: Buffer) => { const f = path.join(dir, name); writeFileSync(f, b); return f; };
    const [s0, s1] = splitPcap(seq, 2);
    // two captures of the same time on three and two interfaces, then a later one on two
    const a = w('a3.pcapng', alternatingPcapng(other, 3)), b = w('b2.pcapng', alternatingPcapng(s0!, 2)), c = w('c2.pcapng', alternatingPcapng(s1!, 2));
    for (const chunk of [DEFAULT_CHUNK_SIZE, 7001]) {
      const r = await compareMerged([a, b, c], chunk, `alternating interfaces, chunk ${chunk}`);
      assert.is(r.packets, 55_000);
      assert.ok(r.batched > r.packets * 0.5, `chunk ${chunk}: ${r.batched} of ${r.packets} taken in the core's batches`);
    }
  });
});

/**
 * A sink that takes classic pcap records in JavaScript, honouring the bound, and notes what it
 * took: so the merge's own part (which runs it offers, up to where) is checked apart from the core.
 */
class NotingSink implements PcapRecordSink {
  readonly arena: SharedArrayBuffer;
  #next = 0;
  readonly taken: string[] = [];
  constructor(bytes: number) { this.arena = new SharedArrayBuffer(bytes); }
  alloc(n: number): Buffer | null {
    if (this.#next + n > this.arena.byteLength) return null;
    const b = Buffer.from(this.arena, this.#next, n);
    this.#next += n;
    return b;
  }
  takeRecords(chunk: Buffer, pos: number, lim: number, h: PcapHeader, fileIndex: number, index0: number, out: TakenRecords, bound: TimeBound | null): number {
    let n = 0, bytes = 0;
    const rd = (o: number) => (h.littleEndian ? chunk.readUInt32LE(o) : chunk.readUInt32BE(o));
    while (lim - pos >= 16) {
      const sec = rd(pos), nsec = rd(pos + 4) * (h.nanoseconds ? 1 : 1000), incl = rd(pos + 8);
      if (pos + 16 + incl > lim || rd(pos + 12) !== incl) break;
      if (bound !== null && (sec > bound.sec || (sec === bound.sec && (nsec > bound.nsec || (nsec === bound.nsec && !bound.tie))))) break;
      if (n === 0) { out.firstSec = sec; out.firstNsec = nsec; }
      this.taken.push(`${index0 + n} ${fileIndex} ${sec}.${nsec} ${chunk.subarray(pos + 16, pos + 16 + incl).toString('hex')}`);
      out.lastSec = sec; out.lastNsec = nsec; out.tailSec = sec; out.tailNsec = nsec;
      bytes += incl; n++; pos += 16 + incl;
    }
    out.end = pos; out.bytes = bytes;
    return n;
  }
  takeBlocks(): number { return 0; }
}

async function mergedOrder(files: string[], sink: NotingSink | null, chunk: number): Promise<{ order: string[]; taken: number }> {
  const got: string[] = [];
  await readCaptures(files, { chunkSize: chunk, ...(sink !== null ? { recordSink: sink, chunkAlloc: (n: number) => sink.alloc(n) } : {}) }, (r) => {
    got.push(`${r.index} ${r.fileIndex} ${r.tsSec}.${r.tsNsec} ${r.data.subarray(r.offset, r.offset + r.capLen).toString('hex')}`);
  });
  const taken = sink?.taken.length ?? 0;
  const order = [...got, ...(sink?.taken ?? [])].sort((x, y) => Number(x.split(' ')[0]) - Number(y.split(' ')[0]));
  return { order, taken };
}

test('the merge offers each input\'s runs up to the others\' next packet: the same order and indices, ties in input order', async () => {
  await withTmpDir('fa-merge-', async (dir) => {
    const pkt = (sport: number, dport: number, tag: number) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(sport, dport, Buffer.from([tag]))));
    const at = (sec: number, tag: number) => ({ tsSec: 1000 + sec, tsNsec: 0, data: pkt(40000, 40001, tag) });
    // A: 2, 2, 3;  B: 1, 2, 5, 6, 7 (nanosecond, big-endian);  C: 2, 4 (pcapng: this sink takes none).
    // After B1, B's offer stops at its 2 (A's 2 is listed first); after A's first 2 A's offer takes
    // its second 2 (A is listed before B, whose head is at 2) and stops at 3; after B5 B's offer
    // takes 6 and 7 (the others are done).
    const A = path.join(dir, 'A.pcap'), B = path.join(dir, 'B.pcap'), C = path.join(dir, 'C.pcapng');
    writeFileSync(A, buildPcap({ packets: [at(2, 1), at(2, 2), at(3, 3)] }));
    writeFileSync(B, buildPcap({ nanos: true, bigEndian: true, packets: [at(1, 4), at(2, 5), at(5, 6), at(6, 7), at(7, 8)] }));
    writeFileSync(C, buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', tsSec: 1002, tsNsec: 0, data: pkt(1, 2, 10) }, { type: 'epb', tsSec: 1004, tsNsec: 0, data: pkt(1, 2, 11) }] }] }));
    const plain = await mergedOrder([A, B, C], null, 4096);
    // time, then input: B1 A2 A2' B2 C2 A3 C4 B5 B6 B7
    assert.equal(plain.order.map((s) => s.split(' ').slice(1, 3).join('@')),
      ['1@1001.0', '0@1002.0', '0@1002.0', '1@1002.0', '2@1002.0', '0@1003.0', '2@1004.0', '1@1005.0', '1@1006.0', '1@1007.0']);
    const sink = new NotingSink(16 << 20);
    const offered = await mergedOrder([A, B, C], sink, 4096);
    assert.equal(offered.order, plain.order, 'the same records, order and indices');
    assert.equal(sink.taken.map((t) => t.split(' ').slice(0, 3).join(' ')), ['2 0 1002.0', '8 1 1006.0', '9 1 1007.0'], 'taken: A\'s second 2, B\'s 6 and 7');
    // generated captures, overlapping and one after another, tiny chunks, linear merge and heap
    const [s0, s1, s2] = splitPcap(seq, 3);
    const w = (name: string, b: Buffer) => { const f = path.join(dir, name); writeFileSync(f, b); return f; };
    const files = [w('s0.pcap', s0!), w('o.pcap', other), w('s1.pcap', s1!), w('s2.pcap', s2!)];
    const eight = splitPcap(seq, 8).map((b, i) => w(`e${i}.pcap`, b));
    for (const set of [files, [...eight, files[1]!], [...files, ...files]]) {
      for (const chunk of [3000, 65536]) {
        const p = await mergedOrder(set, null, chunk);
        const s = new NotingSink(64 << 20);
        const q = await mergedOrder(set, s, chunk);
        assert.is(q.order.length, p.order.length);
        assert.ok(q.order.every((x, i) => x === p.order[i]), `${set.length} inputs, chunk ${chunk}: the same records, order and indices`);
        // (every input twice: no input ever has a run to itself)
        if (set.length !== 8) assert.ok(q.taken > p.order.length / 4, `${set.length} inputs, chunk ${chunk}: runs were offered and taken (${q.taken} of ${p.order.length})`);
      }
    }
  });
});

test.run();
