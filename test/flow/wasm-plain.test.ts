/**
 * Packets read into the flow table's memory are decoded and accounted by its WebAssembly core:
 * classic pcap records taken straight from the chunk (FlowEngine.takeRecords, the core's batch),
 * and any other packet there in one call (FlowTable.plain: the decoder's fast path and update
 * together). The engine must give exactly what it gives through the JavaScript reader and
 * decoder: the same flows, names, anomalies, counts and capture info, on the fixtures, the
 * corpus, generated captures, fast-check mutations of plain packets on every link type the fast
 * path takes, and sequences that exercise name inspection.
 */
import { FILE_BUFFERS } from '../../src/capture/source.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCaptures } from '../../src/capture/read.js';
import { DEFAULT_CHUNK_SIZE, newPacketRecord } from '../../src/capture/info.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { FlowEngine } from '../../src/flow/engine.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { eth, ethTagged, hex, ipv4, ipv6, tcp, udp } from '../decode/helpers/build.js';
import { clientHello, goodDnsResponse } from '../fuzz/bytes.js';
import { comparisonCaptures, ROOT } from '../helpers/capture-files.js';
import { generateBench } from '../../bench/gen/index.js';
import { buildPcapng, type NgBlock } from '../helpers/capture-builder.js';
import { withTmpDir } from '../helpers/tmp-dir.js';


/** An engine and what came out of it. `arena`: its table lends read buffers (the core's path). */
class Run {
  readonly flows: string[] = [];
  readonly engine: FlowEngine;
  constructor(arena: boolean, chunk = DEFAULT_CHUNK_SIZE, sweepPackets?: number, vlanInKey = false) {
    this.engine = new FlowEngine({
      onFlow: (f: FlowRecord) => { this.flows.push(JSON.stringify(f)); },
      ...(arena ? { chunkArena: FILE_BUFFERS * chunk } : {}), ...(sweepPackets !== undefined ? { sweepPackets } : {}), vlanInKey,
    });
    this.engine.addSource(0, 'x', 'pcap');
  }
  /** Everything observable, flushed. */
  result(): string {
    const e = this.engine;
    e.flush();
    return JSON.stringify({ flows: this.flows, names: e.names.list, anomalies: e.anomalies.map((a) => a.toJSON()), packets: e.packets, flowPackets: e.flowPackets, fastPath: e.fastPathPackets, expired: e.table.expired, size: e.table.size }, null, 1);
  }
}

/**
 * Read `file` both ways and compare (small chunks, so that records straddle chunk edges too;
 * `batch`: classic pcap records are offered to the engine straight from the chunk).
 */
async function compareFile(file: string, chunk: number, batch: boolean, sweepPackets?: number, vlanInKey = false): Promise<{ core: number; batched: number; packets: number; names: string[] }> {
  const a = new Run(true, chunk, sweepPackets, vlanInKey), b = new Run(false, chunk, sweepPackets, vlanInKey);
  const ia = await readCaptures([file], { chunkSize: chunk, chunkAlloc: (n) => a.engine.table.arenaChunk(n), ...(batch ? { recordSink: a.engine } : {}) }, (r) => a.engine.packet(r)).catch(() => null);
  const ib = await readCaptures([file], { chunkSize: chunk }, (r) => b.engine.packet(r)).catch(() => null);
  assert.equal(JSON.stringify(ia), JSON.stringify(ib), `${file}: capture info`);
  const ra = a.result(), rb = b.result();
  if (ra !== rb) assert.fixture(ra, rb, `${path.relative(ROOT, file)}: flows, names, anomalies, counts`);
  return { core: a.engine.corePackets, batched: a.engine.batchedPackets, packets: a.engine.packets, names: a.engine.names.list.map((o) => o.name) };
}

test('core path = decoder + table on every packet of the fixtures, the corpus and generated captures', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-core-'));
  try {
    const { generated: gen, files } = comparisonCaptures(dir, 'core path');
    let core = 0, all = 0;
    for (const f of files) {
      const r = await compareFile(f, 64 * 1024, true);
      core += r.core; all += r.packets;
      await compareFile(f, 64 * 1024, false);
    }
    for (const f of gen) {
      await compareFile(f, DEFAULT_CHUNK_SIZE, true);
      await compareFile(f, 64 * 1024, true, 997); // expiry sweeps inside the core's batches
    }
    process.stdout.write(`core path: ${all} packets of ${files.length} captures, ${core} by the WebAssembly core, all equal\n`);
    assert.ok(core > all * 0.5, `most packets took the core path (${core} of ${all})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A packet's bytes copied into a buffer the table lent (or an ordinary one), as a record. */
function place(rec: PacketRecord, buf: Buffer, pkt: Buffer, cap: number, wire: number, link: number, i: number): void {
  buf.fill(0xee);
  pkt.copy(buf, 5, 0, cap);
  rec.linkType = link; rec.data = buf; rec.offset = 5; rec.capLen = cap; rec.origLen = cap + wire; rec.index = i;
  rec.tsSec = 1_700_000_000 + (i >> 4); rec.tsNsec = (i & 15) * 1000;
}

const SEEDS: Buffer[] = [
  eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50000, dport: 88, seq: 0xfffffff0, ack: 0x80000001 }, Buffer.alloc(30, 1)))),
  eth(0x0800, ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }, tcp({ sport: 88, dport: 50000, flags: 0x12 }))),
  eth(0x0800, ipv4({ proto: 17 }, udp(53, 61000, Buffer.alloc(40, 2)))),
  // UDP lengths shorter than the IP payload (trailing bytes are not payload): none, and some
  eth(0x0800, ipv4({ proto: 17 }, udp(53, 61000, Buffer.alloc(20, 2), 8))),
  eth(0x0800, ipv4({ proto: 17 }, udp(61000, 389, Buffer.alloc(20, 2), 12))),
  ethTagged([[0x8100, 12]], 0x0800, ipv4({ proto: 17 }, udp(389, 389, Buffer.alloc(12)))),
  ethTagged([[0x8100, 4095]], 0x86dd, ipv6({ nh: 6 }, tcp({ dport: 636, options: Buffer.alloc(12, 1) }, Buffer.alloc(7)))),
  // QinQ (802.1ad outer tag, 802.1Q inner), two 802.1Q tags, a 0x9100 tag, three tags (the general path's)
  ethTagged([[0x88a8, 100], [0x8100, 12]], 0x0800, ipv4({ proto: 17 }, udp(50000, 88, Buffer.alloc(12, 4)))),
  ethTagged([[0x8100, 7], [0x8100, 4000]], 0x86dd, ipv6({ nh: 6 }, tcp({ dport: 389 }, Buffer.alloc(9, 5)))),
  ethTagged([[0x9100, 3]], 0x0800, ipv4({ proto: 6 }, tcp({ dport: 445 }, Buffer.alloc(3)))),
  ethTagged([[0x88a8, 1], [0x8100, 2], [0x8100, 3]], 0x0800, ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(4)))),
  eth(0x86dd, ipv6({ nh: 17 }, udp(4500, 88, Buffer.alloc(25, 3)))),
  eth(0x0800, ipv4({ proto: 17 }, udp(1, 4789, Buffer.alloc(30)))),
  eth(0x0800, ipv4({ proto: 6 }, tcp({ dport: 445 }))),
];
/** Link types the fast path takes besides Ethernet (the frame re-framed: cooked v1/v2 keep the EtherType, raw IP drops the link header). */
const LINKS = [1, 1, 1, 113, 276, 101, 228, 229] as const;
function reframe(frame: Buffer, link: number): Buffer {
  if (link === 1) return frame;
  const type = frame.readUInt16BE(12);
  if (link === 113) { const h = Buffer.alloc(16); h.writeUInt16BE(type, 14); return Buffer.concat([h, frame.subarray(14)]); }
  if (link === 276) { const h = Buffer.alloc(20); h.writeUInt16BE(type, 0); return Buffer.concat([h, frame.subarray(14)]); }
  return Buffer.from(frame.subarray(type === 0x8100 ? 18 : 14));
}

test('core path = decoder + table on mutated plain packets of every link type it takes', () => {
  const a = new Run(true), b = new Run(false);
  const abuf = a.engine.table.arenaChunk(256)!, bbuf = Buffer.alloc(256);
  assert.ok(abuf !== null);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  let i = 0;
  fc.assert(fc.property(
    fc.constantFrom(...SEEDS),
    fc.constantFrom(...LINKS),
    fc.array(fc.tuple(fc.nat(79), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.option(fc.nat(120), { nil: undefined }), // capLen cut
    fc.nat(2), // bytes on the wire beyond capLen (0: none)
    fc.nat(6), // padding after the packet (Ethernet trailer)
    (seed, link, changes, cut, wire, pad) => {
      const pkt = Buffer.concat([reframe(seed, link), Buffer.alloc(pad, 0xaa)]);
      for (const [at, v] of changes) if (at < pkt.length) pkt[at] = v;
      const cap = cut === undefined ? pkt.length : Math.min(cut, pkt.length);
      place(ra, abuf, pkt, cap, wire, link, i); place(rb, bbuf, pkt, cap, wire, link, i);
      i++;
      a.engine.packet(ra); b.engine.packet(rb);
    },
  ), { numRuns: 30_000 });
  assert.ok(a.engine.corePackets > 1000, `the core path was taken (${a.engine.corePackets} times)`);
  assert.ok(a.engine.corePackets < a.engine.packets, 'and the decoder too');
  assert.is(b.engine.corePackets, 0);
  const x = a.result(), y = b.result();
  if (x !== y) assert.fixture(x, y, 'flows, names, anomalies, counts');
});

test('core path: a flow\'s first eight payload packets from port 53 use up its inspections, as in the decoder + table', () => {
  // one-byte "answers" count as inspected packets: the real answer after them is not parsed
  for (const ones of [7, 8]) {
    const a = new Run(true), b = new Run(false);
    const abuf = a.engine.table.arenaChunk(512)!, bbuf = Buffer.alloc(512);
    const ra = newPacketRecord(0), rb = newPacketRecord(0);
    const frames = [...Array.from({ length: ones }, () => Buffer.from([7])), goodDnsResponse('dc9.corp.example', '10.0.0.99')]
      .map((m) => eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.0.0.1', proto: 17 }, udp(53, 40000, m))));
    frames.forEach((fr, i) => {
      place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
      a.engine.packet(ra); b.engine.packet(rb);
    });
    assert.is(a.engine.corePackets, ones + 1);
    assert.is(a.engine.names.list.length, ones === 7 ? 1 : 0, `${ones} one-byte messages first`);
    assert.is(a.result(), b.result());
  }
});

test('core path: a client\'s first eight payload packets use up its inspections, as in the decoder + table', () => {
  // the core counts a client payload that is not a TLS record as looked at; a ClientHello after
  // eight of them is not parsed, after seven it is
  for (const others of [7, 8]) {
    const a = new Run(true), b = new Run(false);
    const abuf = a.engine.table.arenaChunk(1024)!, bbuf = Buffer.alloc(1024);
    const ra = newPacketRecord(0), rb = newPacketRecord(0);
    const msgs = [...Array.from({ length: others }, () => Buffer.from('GET / HTTP/1.1')), clientHello('sso.corp.example')];
    let seq = 1000;
    const frames = [eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50000, dport: 443, flags: 0x02, seq: seq++ })))];
    for (const m of msgs) { frames.push(eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50000, dport: 443, flags: 0x18, seq }, m)))); seq += m.length; }
    frames.forEach((fr, i) => {
      place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
      a.engine.packet(ra); b.engine.packet(rb);
    });
    assert.is(a.engine.corePackets, frames.length);
    assert.is(a.engine.names.list.length, others === 7 ? 1 : 0, `${others} other payloads first`);
    assert.is(a.result(), b.result());
  }
});

test('core path: a ClientHello split across two segments is put together, as in the decoder + table', () => {
  const a = new Run(true), b = new Run(false);
  const abuf = a.engine.table.arenaChunk(1024)!, bbuf = Buffer.alloc(1024);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  const hello = clientHello('split.corp.example'), cut = 40;
  const seg = (seq: number, m: Buffer, flags = 0x18) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50001, dport: 443, flags, seq }, m)));
  const frames = [seg(999, Buffer.alloc(0), 0x02), seg(1000, hello.subarray(0, cut)), seg(1000 + cut, hello.subarray(cut))];
  frames.forEach((fr, i) => {
    place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
    a.engine.packet(ra); b.engine.packet(rb);
  });
  assert.is(a.engine.corePackets, frames.length);
  assert.equal(a.engine.names.list.map((o) => o.name), ['split.corp.example']);
  // (a first segment too short to name a server is kept by the core: only the last comes to the engine)
  assert.is(a.engine.namePackets, 1);
  assert.is(b.engine.namePackets, 2);
  assert.is(a.result(), b.result());
});

test('core path: a ClientHello\'s first segment is put together by the core when it is too short to name a server, by the engine when it is not', () => {
  // cut at 58 bytes (the most that names no server) and 59 (the fewest that can: a one-byte name
  // right after empty lists), for a ClientHello whose name ends at byte 59 and one with a longer name
  const tiny = Buffer.concat([
    Buffer.from([0x16, 3, 1, 0, 54, 1, 0, 0, 50, 3, 3]), Buffer.alloc(32), // record and handshake headers, version, random
    Buffer.from([0, 0, 0, 0, 0, 10, 0, 0, 0, 6, 0, 4, 0, 0, 1]), Buffer.from('z'), // no session id, suites or compression; server_name "z"
  ]);
  assert.is(tiny.length, 59);
  for (const [hello, name] of [[tiny, 'z'], [clientHello('long.corp.example'), 'long.corp.example']] as const) {
    for (const cut of [6, 40, 58, 59, 60]) {
      const a = new Run(true), b = new Run(false);
      const abuf = a.engine.table.arenaChunk(4096)!, bbuf = Buffer.alloc(4096);
      const ra = newPacketRecord(0), rb = newPacketRecord(0);
      const seg = (seq: number, m: Buffer, flags = 0x18) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50001, dport: 443, flags, seq }, m)));
      const frames = [seg(999, Buffer.alloc(0), 0x02), seg(1000, hello.subarray(0, cut))];
      if (cut < hello.length) frames.push(seg(1000 + cut, hello.subarray(cut)));
      frames.forEach((fr, i) => {
        place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
        a.engine.packet(ra); b.engine.packet(rb);
      });
      assert.is(a.engine.corePackets, frames.length);
      assert.equal(a.engine.names.list.map((o) => o.name), [name], `${name}, cut at ${cut}`);
      assert.is(a.engine.namePackets, cut < 59 ? frames.length - 2 : frames.length - 1, `${name}, cut at ${cut}: packets looked at by the engine`);
      assert.is(a.result(), b.result());
    }
  }
});

test('core path: a split ClientHello left unfinished is dropped when its flow id is taken by a new flow, whose own split ClientHello is put together', () => {
  const a = new Run(true), b = new Run(false);
  const abuf = a.engine.table.arenaChunk(1024)!, bbuf = Buffer.alloc(1024);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  const first = clientHello('first.corp.example'), second = clientHello('second.corp.example'), cut = 40;
  const c2s = (seq: number, m: Buffer, flags = 0x18) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50001, dport: 443, flags, seq }, m)));
  const s2c = (flags: number) => eth(0x0800, ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }, tcp({ sport: 443, dport: 50001, flags, seq: 5000, ack: 1000 + cut })));
  const frames = [
    c2s(999, Buffer.alloc(0), 0x02), c2s(1000, first.subarray(0, cut)), // the first ClientHello's first segment only
    s2c(0x14), // the server resets: the connection is closed
    c2s(7999, Buffer.alloc(0), 0x02), // the same 5-tuple again: the old flow ends, the new one takes its id
    c2s(8000, second.subarray(0, cut)), c2s(8000 + cut, second.subarray(cut)),
  ];
  frames.forEach((fr, i) => {
    place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
    a.engine.packet(ra); b.engine.packet(rb);
  });
  assert.is(a.engine.corePackets, frames.length);
  assert.equal(a.engine.names.list.map((o) => o.name), ['second.corp.example']);
  const x = a.result();
  assert.ok(x.includes('flow.tcp.port_reuse'), 'the second SYN reused the closed flow\'s 5-tuple');
  assert.is(x, b.result());
});

test('a split ClientHello left unfinished gives its slot back when its flow ends: a burst of cut handshakes does not stop later names', () => {
  // 4200 clients send the first segment of a ClientHello and are reset (more than the 4096 slots);
  // then UDP flows, released after them by the same sweep (their ids are taken first after it);
  // then a client whose ClientHello comes in two segments must still be named
  const a = new Run(true), b = new Run(false);
  const abuf = a.engine.table.arenaChunk(4096)!, bbuf = Buffer.alloc(4096);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  const hello = clientHello('late.corp.example'), cut = 40;
  const host = (k: number) => `10.1.${k >> 8}.${k & 255}`;
  let i = 0, sec = 1_700_000_000;
  const send = (fr: Buffer) => {
    place(ra, abuf, fr, fr.length, 0, 1, i); place(rb, bbuf, fr, fr.length, 0, 1, i);
    ra.tsSec = rb.tsSec = sec; ra.tsNsec = rb.tsNsec = (i % 1000) * 1000; i++;
    a.engine.packet(ra); b.engine.packet(rb);
  };
  const c2s = (src: string, sport: number, seq: number, m: Buffer, flags = 0x18) => eth(0x0800, ipv4({ src, dst: '10.0.0.2' }, tcp({ sport, dport: 443, flags, seq }, m)));
  for (let k = 0; k < 4200; k++) {
    send(c2s(host(k), 40000, 999, Buffer.alloc(0), 0x02));
    send(c2s(host(k), 40000, 1000, hello.subarray(0, cut)));
    send(eth(0x0800, ipv4({ src: '10.0.0.2', dst: host(k) }, tcp({ sport: 443, dport: 40000, flags: 0x14, seq: 5000, ack: 1000 + cut }))));
  }
  sec += 10;
  for (let k = 0; k < 100; k++) send(eth(0x0800, ipv4({ src: host(k), dst: '10.0.0.3', proto: 17 }, udp(50000 + k, 5353, Buffer.alloc(20, 1)))));
  sec += 3600;
  for (const r of [a, b]) r.engine.expire(sec, 0);
  assert.is(a.engine.table.size, 0, 'every flow ended');
  send(c2s('10.9.0.1', 41000, 999, Buffer.alloc(0), 0x02));
  send(c2s('10.9.0.1', 41000, 1000, hello.subarray(0, cut)));
  send(c2s('10.9.0.1', 41000, 1000 + cut, hello.subarray(cut)));
  assert.equal(a.engine.names.list.map((o) => o.name), ['late.corp.example']);
  assert.is(a.result(), b.result());
});

/**
 * A classic pcap (µs, Ethernet) of these frames, one per 10 ms; `rec` may change a record's header
 * words (seconds, fraction, captured and wire lengths) and `snaplen` the file's.
 */
function pcapOf(file: string, frames: Buffer[], rec?: (i: number, w: number[]) => void, snaplen = 262144): string {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(snaplen, 16); h.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const w = [1_700_000_000, i * 10_000, f.length, f.length];
    rec?.(i, w);
    const r = Buffer.alloc(16);
    r.writeUInt32LE(w[0]!, 0); r.writeUInt32LE(w[1]!, 4); r.writeUInt32LE(w[2]!, 8); r.writeUInt32LE(w[3]!, 12);
    return Buffer.concat([r, f]);
  });
  writeFileSync(file, Buffer.concat([h, ...recs]));
  return file;
}

test('core batches: records the reader counts an anomaly for are left to it (time fraction, snaplen, cut records)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-core-rec-'));
  try {
    // plain UDP packets with 4 bytes of Ethernet trailer (a record cut there is still decodable)
    const frames = Array.from({ length: 40 }, (_, i) => Buffer.concat([eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(50000 + (i % 3), 389, Buffer.alloc(10, i)))), Buffer.alloc(4)]));
    const len = frames[0]!.length;
    const cases: [string, (i: number, w: number[]) => void, number][] = [
      ['fraction', (i, w) => { if (i % 7 === 3) w[1] = 1_000_000 + i; }, 262144],
      ['cut', (i, w) => { if (i % 5 === 2) w[3] = w[2]! + 4; }, 262144],
      ['snaplen', () => undefined, len - 2],
    ];
    for (const [name, mod, snaplen] of cases) {
      const r = await compareFile(pcapOf(path.join(dir, `${name}.pcap`), frames, mod, snaplen), 64 * 1024, true);
      assert.ok(r.core > 0 || name === 'snaplen', `${name}: the core took packets`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('core batches of records the snaplen cut (headers only, part of the payload): taken by the core, the same as the reader and decoder', async () => {
  await withTmpDir('fa-core-snap-', async (dir) => {
    const frames: Buffer[] = [];
    for (let i = 0; i < 120; i++) {
      const c = `10.5.${i % 4}.1`, sv = `10.6.${i % 3}.2`;
      switch (i % 6) {
        case 0: frames.push(eth(0x0800, ipv4({ src: c, dst: sv, proto: 17 }, udp(50000 + (i % 9), 389, Buffer.alloc(200, i))))); break;
        case 1: frames.push(eth(0x0800, ipv4({ src: '10.0.0.53', dst: c, proto: 17 }, udp(53, 40000 + (i % 5), goodDnsResponse(`h${i % 4}.corp.example`, '10.0.0.9'))))); break;
        case 2: frames.push(eth(0x0800, ipv4({ src: c, dst: sv }, tcp({ sport: 51000 + (i % 7), dport: 443, flags: 0x02, seq: 999 })))); break;
        case 3: frames.push(eth(0x0800, ipv4({ src: c, dst: sv }, tcp({ sport: 51000 + ((i - 1) % 7), dport: 443, flags: 0x18, seq: 1000 }, clientHello(`s${i % 5}.corp.example`))))); break;
        case 4: frames.push(eth(0x0800, ipv4({ src: sv, dst: c }, tcp({ sport: 443, dport: 51000 + ((i - 2) % 7), flags: 0x18, seq: 5000 }, Buffer.alloc(900, 7))))); break;
        default: frames.push(eth(0x86dd, ipv6({ src: 'fd00::1', dst: `fd00::${(i % 5) + 2}`, nh: 17 }, udp(40000 + (i % 3), 88, Buffer.alloc(300, 3))))); break;
      }
    }
    for (const snap of [54, 62, 68, 96, 128, 400]) {
      const cut = frames.map((f) => f.subarray(0, Math.min(f.length, snap)));
      const file = pcapOf(path.join(dir, `snap${snap}.pcap`), cut, (i, w) => { w[3] = frames[i]!.length; }, snap);
      for (const chunk of [DEFAULT_CHUNK_SIZE, 4096]) {
        const r = await compareFile(file, chunk, true);
        // (before, a record not captured whole went to the JavaScript reader and decoder)
        assert.ok(r.batched > r.packets * 0.6, `snaplen ${snap}: the core's batches took ${r.batched} of ${r.packets} packets (chunk ${chunk})`);
      }
      await compareFile(file, 4096, true, 5); // expiry sweeps inside the batches
    }
  });
});

/** A tunnel's encapsulation of an inner Ethernet frame (its outer packet tagged with VLAN `vlan` when given), and a damaged one. */
interface Encap { name: string; wrap: (inner: Buffer, vlan?: number) => Buffer; damaged: (inner: Buffer) => Buffer }
const outerFrame = (proto: number, body: Buffer, vlan?: number): Buffer => {
  const ip = ipv4({ src: '10.99.0.1', dst: '10.99.0.2', proto }, body);
  return vlan === undefined ? eth(0x0800, ip) : ethTagged([[0x8100, vlan]], 0x0800, ip);
};
const outerFrame6 = (nh: number, body: Buffer, vlan?: number): Buffer => {
  const ip = ipv6({ src: 'fd99::1', dst: 'fd99::2', nh }, body);
  return vlan === undefined ? eth(0x86dd, ip) : ethTagged([[0x8100, vlan]], 0x86dd, ip);
};
/** An Ethernet frame's IP packet and its EtherType (one 802.1Q tag at most), for tunnels that carry IP. */
const ipOf = (frame: Buffer): [Buffer, number] => frame.readUInt16BE(12) === 0x8100 ? [frame.subarray(18), frame.readUInt16BE(16)] : [frame.subarray(14), frame.readUInt16BE(12)];
const ENCAPS: Encap[] = [
  { name: 'VXLAN', wrap: (x, v) => outerFrame(17, udp(40000, 4789, Buffer.concat([hex('08000000 00001000'), x])), v), damaged: (x) => outerFrame(17, udp(40000, 4789, Buffer.concat([hex('00000000 00001000'), x]))) },
  { name: 'Geneve (Ethernet, an option)', wrap: (x, v) => outerFrame(17, udp(40000, 6081, Buffer.concat([hex('02 00 6558 000010 00 0102 03 01 00000000'), x])), v), damaged: (x) => outerFrame(17, udp(40000, 6081, Buffer.concat([hex('40 00 6558 000010 00'), x]))) },
  { name: 'Geneve (IP)', wrap: (x, v) => { const [ip, t] = ipOf(x); return outerFrame(17, udp(40000, 6081, Buffer.concat([hex(`00 00 ${t.toString(16).padStart(4, "0")} 000010 00`), ip])), v); }, damaged: (x) => outerFrame(17, udp(40000, 6081, Buffer.concat([hex('00 00 0806 000010 00'), x]))) },
  { name: 'GRE (Ethernet, a key)', wrap: (x, v) => outerFrame(47, Buffer.concat([hex('2000 6558 00000007'), x]), v), damaged: (x) => outerFrame(47, Buffer.concat([hex('4000 6558 00000000'), x])) },
  { name: 'GRE (IP, a checksum: the JavaScript side)', wrap: (x, v) => { const [ip, t] = ipOf(x); return outerFrame(47, Buffer.concat([hex(`8000 ${t.toString(16).padStart(4, "0")} 00000000`), ip]), v); }, damaged: (x) => outerFrame(47, Buffer.concat([hex('0002 0800'), ipOf(x)[0]])) },
  { name: 'GRE (IP)', wrap: (x, v) => { const [ip, t] = ipOf(x); return outerFrame(47, Buffer.concat([hex(`0000 ${t.toString(16).padStart(4, "0")}`), ip]), v); }, damaged: (x) => outerFrame(47, Buffer.concat([hex('0000 86dd'), ipOf(x)[0]])) },
  { name: 'ERSPAN type I', wrap: (x, v) => outerFrame(47, Buffer.concat([hex('0000 88be'), x]), v), damaged: (x) => outerFrame(47, Buffer.concat([hex('0001 88be'), x])) },
  { name: 'ERSPAN type II', wrap: (x, v) => outerFrame(47, Buffer.concat([hex('1000 88be 0000002a 1007 0005 00000003'), x]), v), damaged: (x) => outerFrame(47, Buffer.concat([hex('1000 88be 0000002a 3007 0005 00000003'), x])) },
  { name: 'ERSPAN type III (platform subheader)', wrap: (x, v) => outerFrame(47, Buffer.concat([hex('1000 22eb 0000002a 2007 0005 01020304 0000 0001 0c000001 05060708'), x]), v), damaged: (x) => outerFrame(47, Buffer.concat([hex('1000 22eb 0000002a 2007 0005 01020304 0000 0400'), x])) },
  { name: 'ERSPAN type II over IPv6', wrap: (x, v) => outerFrame6(47, Buffer.concat([hex('1000 88be 0000002a 1007 0005 00000003'), x]), v), damaged: (x) => outerFrame6(47, Buffer.concat([hex('1000 88be 0000002a 1007'), x.subarray(0, 2)])) },
  { name: 'VXLAN over IPv6', wrap: (x, v) => outerFrame6(17, udp(40000, 4789, Buffer.concat([hex('08000000 00001000'), x])), v), damaged: (x) => outerFrame6(17, udp(40000, 4789, Buffer.concat([hex('08000000'), x.subarray(0, 3)]))) },
  { name: 'ERSPAN type III (IP frame type: the JavaScript side)', wrap: (x, v) => outerFrame(47, Buffer.concat([hex('1000 22eb 0000002a 2007 0005 01020304 0000 0800'), ipOf(x)[0]]), v), damaged: (x) => outerFrame(47, Buffer.concat([hex('1000 22eb 0000002a 2007 0005 01020304 0000 0800 00'), x])) },
];

for (const enc of ENCAPS) {
  const core = !enc.name.includes('JavaScript side');
  test(`core batches of ${enc.name} packets: ${core ? 'the inner packets taken by the core (a new flow with its tunnel), ' : ''}the same as the reader and decoder (new flows, expiry, reuse, names, nesting, damage)`, async () => {
    await withTmpDir('fa-core-tunnel-', async (dir) => {
      const vx = (inner: Buffer) => enc.wrap(inner);
      const vxTagged = (inner: Buffer) => enc.wrap(inner, 5); // (the outer VLAN is the flow's)
      const seg = (c: string, sp: number, dp: number, flags: number, seq: number, body = Buffer.alloc(0), rev = false) =>
        eth(0x0800, rev ? ipv4({ src: '10.2.2.2', dst: c }, tcp({ sport: dp, dport: sp, flags, seq }, body)) : ipv4({ src: c, dst: '10.2.2.2' }, tcp({ sport: sp, dport: dp, flags, seq }, body)));
      const frames: Buffer[] = [], times: number[] = [];
      let t = 0;
      const add = (f: Buffer, dt = 1) => { t += dt; frames.push(f); times.push(t); };
      for (let i = 0; i < 12; i++) {
        const c = `10.1.1.${i + 1}`, sp = 50000 + i;
        add(vx(seg(c, sp, 389, 0x02, 100)));
        add(vx(seg(c, sp, 389, 0x12, 500, Buffer.alloc(0), true)));
        for (let k = 0; k < 6; k++) add(vx(seg(c, sp, 389, 0x18, 101 + k * 10, Buffer.alloc(10, k))));
        add(vx(seg(c, sp, 389, 0x18, 501, Buffer.alloc(40, i), true)));
      }
      // DNS answers and a ClientHello inside (looked at for names), a split ClientHello
      add(vx(eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.1.1.1', proto: 17 }, udp(53, 41000, goodDnsResponse('vx.corp.example', '10.0.0.5'))))));
      add(vx(eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.1.1.1', proto: 17 }, udp(53, 41000, goodDnsResponse('vx2.corp.example', '10.0.0.6'))))));
      const hello = Buffer.from(clientHello('tls.vx.example'));
      add(vx(seg('10.1.1.40', 52000, 443, 0x02, 999)));
      add(vx(seg('10.1.1.40', 52000, 443, 0x18, 1000, hello.subarray(0, 30))));
      add(vx(seg('10.1.1.40', 52000, 443, 0x18, 1030, hello.subarray(30))));
      // inner VLAN tag, inner IPv6, the same 5-tuple bare, nested tunnels, a damaged header, a cut inner frame
      const v6 = eth(0x86dd, ipv6({ src: 'fd00::1', dst: 'fd00::2', nh: 17 }, udp(40001, 88, Buffer.alloc(20, 1))));
      for (let k = 0; k < 3; k++) add(vx(ethTagged([[0x8100, 7]], 0x0800, ipv4({ src: '10.3.3.3', dst: '10.4.4.4', proto: 17 }, udp(40002, 88, Buffer.alloc(20, k))))));
      for (let k = 0; k < 3; k++) add(vx(v6));
      for (let k = 0; k < 3; k++) add(vxTagged(ethTagged([[0x8100, 7]], 0x0800, ipv4({ src: '10.3.3.9', dst: '10.4.4.4', proto: 17 }, udp(40003, 88, Buffer.alloc(20, k))))));
      add(seg('10.1.1.1', 50000, 389, 0x18, 200, Buffer.alloc(5)));
      add(vx(vx(seg('10.1.1.2', 50001, 389, 0x18, 300, Buffer.alloc(5)))));
      add(enc.damaged(seg('10.1.1.3', 50002, 389, 0x18, 300, Buffer.alloc(5))));
      add(Buffer.from(vx(seg('10.1.1.4', 50003, 389, 0x18, 300, Buffer.alloc(50))).subarray(0, 80)));
      // a TCP flow closed, then a SYN reusing its 5-tuple; a UDP flow idle past its timeout, then again
      add(vx(seg('10.1.1.5', 50004, 389, 0x05, 400)));
      add(vx(seg('10.1.1.5', 50004, 389, 0x04, 900, Buffer.alloc(0), true)));
      add(vx(seg('10.1.1.5', 50004, 389, 0x02, 100)));
      add(vx(seg('10.1.1.5', 50004, 389, 0x18, 101, Buffer.alloc(3))));
      add(vx(ethTagged([[0x8100, 7]], 0x0800, ipv4({ src: '10.3.3.3', dst: '10.4.4.4', proto: 17 }, udp(40002, 88, Buffer.alloc(20, 9))))), 400);
      add(vx(ethTagged([[0x8100, 7]], 0x0800, ipv4({ src: '10.3.3.3', dst: '10.4.4.4', proto: 17 }, udp(40002, 88, Buffer.alloc(20, 8))))));
      const file = pcapOf(path.join(dir, 'tunnel.pcap'), frames, (i, w) => { w[0] = 1_700_000_000 + times[i]!; w[1] = 0; });
      for (const chunk of [DEFAULT_CHUNK_SIZE, 4096]) {
        const r = await compareFile(file, chunk, true);
        // (before, every such packet went to the JavaScript reader and decoder; then each new flow's first one)
        if (core) assert.ok(r.batched > r.packets * 0.88, `the core's batches took ${r.batched} of ${r.packets} packets (chunk ${chunk})`);
        else assert.ok(r.batched < r.packets * 0.2, `the core's batches took ${r.batched} of ${r.packets} packets (chunk ${chunk})`);
        assert.equal(r.names, ['vx.corp.example', 'vx2.corp.example', 'tls.vx.example']);
      }
      await compareFile(file, 4096, true, 5); // expiry sweeps inside the batches
      await compareFile(file, 4096, true, undefined, true); // the VLAN in the flow key: the outer packet's
    });
  });
}

test('core batches: the inspection sequences read from a file give what the reader and decoder give', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-core-seq-'));
  try {
    const dns = (ones: number) => [...Array.from({ length: ones }, () => Buffer.from([7])), goodDnsResponse('dc9.corp.example', '10.0.0.99')]
      .map((m) => eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.0.0.1', proto: 17 }, udp(53, 40000, m))));
    const seg = (seq: number, m: Buffer, flags = 0x18) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50001, dport: 443, flags, seq }, m)));
    const tls = (others: number) => {
      const msgs = [...Array.from({ length: others }, () => Buffer.from('GET / HTTP/1.1')), clientHello('sso.corp.example')];
      const out = [seg(999, Buffer.alloc(0), 0x02)];
      let seq = 1000;
      for (const m of msgs) { out.push(seg(seq, m)); seq += m.length; }
      return out;
    };
    const hello = clientHello('split.corp.example');
    // a split ClientHello, then plain traffic of another flow (taken one by one until it is put together)
    const split = [seg(999, Buffer.alloc(0), 0x02), seg(1000, hello.subarray(0, 40)),
      ...Array.from({ length: 5 }, (_, i) => eth(0x0800, ipv4({ src: '10.0.0.7', dst: '10.0.0.8', proto: 17 }, udp(40000 + i, 389, Buffer.alloc(9))))),
      seg(1040, hello.subarray(40)), eth(0x0800, ipv4({ src: '10.0.0.7', dst: '10.0.0.8', proto: 17 }, udp(41000, 389, Buffer.alloc(9))))];
    // a ClientHello in three segments: a retransmission is passed over, a gap gives it up, and a
    // segment the JavaScript decoder takes (IPv4 options: not the fast path) is appended there
    const h3 = clientHello('three.corp.example'), c1 = 30, c2 = 70;
    const segOpt = (seq: number, m: Buffer) => eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: Buffer.from([1, 1, 1, 0]) }, tcp({ sport: 50001, dport: 443, flags: 0x18, seq }, m)));
    const three = (mid: Buffer[]) => [seg(999, Buffer.alloc(0), 0x02), seg(1000, h3.subarray(0, c1)), ...mid, seg(1000 + c2, h3.subarray(c2))];
    // a ClientHello in k segments: its first and seven more fit the flow's eight inspections
    const inK = (k: number) => {
      const size = Math.ceil(h3.length / k), out = [seg(999, Buffer.alloc(0), 0x02)];
      for (let i = 0; i < k; i++) out.push(seg(1000 + i * size, h3.subarray(i * size, (i + 1) * size)));
      return out;
    };
    const cases: [string, Buffer[], string[]][] = [
      ['in8', inK(8), ['three.corp.example']], ['in9', inK(9), []],
      ['dns7', dns(7), ['dc9.corp.example']], ['dns8', dns(8), []],
      ['tls7', tls(7), ['sso.corp.example']], ['tls8', tls(8), []],
      ['split', split, ['split.corp.example']],
      ['three', three([seg(1000 + c1, h3.subarray(c1, c2))]), ['three.corp.example']],
      ['retransmitted', three([seg(1000, h3.subarray(0, c1)), seg(1000 + c1, h3.subarray(c1, c2)), seg(1000 + c1, h3.subarray(c1, c2))]), ['three.corp.example']],
      ['gap', three([seg(1000 + c1 + 5, h3.subarray(c1 + 5, c2))]), []],
      ['decoder-middle', three([segOpt(1000 + c1, h3.subarray(c1, c2))]), ['three.corp.example']],
      ['decoder-last', [seg(999, Buffer.alloc(0), 0x02), seg(1000, h3.subarray(0, c1)), seg(1000 + c1, h3.subarray(c1, c2)), segOpt(1000 + c2, h3.subarray(c2))], ['three.corp.example']],
    ];
    for (const [name, frames, names] of cases) {
      const r = await compareFile(pcapOf(path.join(dir, `${name}.pcap`), frames), 64 * 1024, true);
      assert.equal(r.names, names, name);
      assert.ok(r.core > 0, `${name}: the core took packets`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('core batches of pcapng blocks: interfaces, resolutions, offsets, options, SPBs and every anomaly the reader counts give what the reader and decoder give', async () => {
  await withTmpDir('fa-core-ng-', async (dir) => {
    const T0 = 1_700_000_000;
    let k = 0;
    const frame = (len = 0) => { k++; return eth(0x0800, ipv4({ src: `10.0.${k % 7}.1`, dst: `10.1.${k % 5}.2`, proto: 17 }, udp(40000 + (k % 13), 389, Buffer.alloc(9 + len, k & 255)))); };
    const epb = (i: number, extra: Partial<Extract<NgBlock, { type: 'epb' }>> = {}): NgBlock => ({ type: 'epb', if: i, tsSec: T0 + (k >> 2), tsNsec: (k * 7919) % 1e9, data: frame(), ...extra });
    const run = (i: number, n: number) => Array.from({ length: n }, () => epb(i));
    const dnsFrame = eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.0.0.1', proto: 17 }, udp(53, 40000, goodDnsResponse('ng.corp.example', '10.0.0.77'))));
    const helloFrame = eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50001, dport: 443, flags: 0x18, seq: 1000 }, clientHello('sso.ng.example'))));
    const blocks: NgBlock[] = [
      ...run(0, 20), ...run(1, 15), ...run(0, 5),
      epb(0, { flags: 1 }), epb(0, { options: [{ code: 1, value: 'a comment' }] }), ...run(0, 5), // options: taken
      epb(0, { options: [{ code: 1, value: 'overrun', len: 200 }] }), ...run(0, 3), // an option past the block
      epb(0, { data: frame(300) }), ...run(0, 3), // more than the interface's snaplen (250)
      epb(0, { origLen: 5000 }), ...run(0, 3), // not captured whole
      epb(0, { origLen: 30 }), ...run(0, 3), // fewer bytes on the wire than captured
      epb(7), ...run(0, 3), // an unknown interface
      epb(0, { units: 0xffffffffffffffffn }), ...run(0, 3), // a time out of range
      { type: 'spb', data: frame() }, ...run(0, 3),
      { type: 'block', blockType: 6, body: Buffer.alloc(8) }, ...run(0, 3), // an EPB shorter than its fixed part
      { type: 'isb', if: 0 }, ...run(1, 4),
      { type: 'epb', if: 1, tsSec: T0 + 50, data: dnsFrame }, ...run(1, 3), // looked at for names inside a batch
      { type: 'epb', if: 0, tsSec: T0 + 51, data: helloFrame }, ...run(0, 3),
      { type: 'epb', if: 2, tsSec: T0 + 52, data: frame() }, ...run(2, 6), // 2^-20 s: not offered
    ];
    const file = path.join(dir, 'variants.pcapng');
    writeFileSync(file, buildPcapng({ sections: [
      { interfaces: [{ linkType: 1, snaplen: 250 }, { linkType: 1, tsresol: 9, tsoffset: 3600 }, { linkType: 1, tsresol: 0x94 }], blocks },
      { bigEndian: true, interfaces: [{ linkType: 1 }], blocks: run(0, 30) },
    ] }));
    for (const chunk of [DEFAULT_CHUNK_SIZE, 4096]) {
      const r = await compareFile(file, chunk, true);
      assert.ok(r.batched > r.packets * 0.6, `the core's batches took ${r.batched} of ${r.packets} packets (chunk ${chunk})`);
      assert.equal(r.names, ['ng.corp.example', 'sso.ng.example']);
    }
    await compareFile(file, 4096, true, 7); // expiry sweeps inside the batches
    // the generated captures as pcapng
    const gen = path.join(dir, 'mix.pcapng');
    generateBench({ out: gen, format: 'pcapng', options: { seed: 19 }, limits: { packets: 40_000 } });
    const g = await compareFile(gen, 64 * 1024, true, 997);
    assert.ok(g.batched > g.packets * 0.9, `generated pcapng: the core's batches took ${g.batched} of ${g.packets}`);
  });
});

test('core batches of pcapng blocks whose interfaces alternate (link types, resolutions, offsets, snaplens; two sections): taken by the core, the same as the reader and decoder', async () => {
  await withTmpDir('fa-core-ngif-', async (dir) => {
    const T0 = 1_700_000_000;
    let k = 0;
    const ip = () => { k++; return ipv4({ src: `10.2.${k % 5}.1`, dst: `10.3.${k % 3}.2`, proto: 17 }, udp(41000 + (k % 11), 88, Buffer.alloc(12 + (k % 4), k & 255))); };
    // interface 0: Ethernet (µs, snaplen 250); 1: raw IP (ns, an hour's offset); 2: Ethernet (ns); 3: 2^-20 s (not taken by the core)
    const frameOf = (i: number) => (i === 1 ? ip() : eth(0x0800, ip()));
    const dnsOn1 = ipv4({ src: '10.0.0.53', dst: '10.0.0.1', proto: 17 }, udp(53, 40000, goodDnsResponse('alt.corp.example', '10.0.0.78')));
    const blocks: NgBlock[] = [];
    let slow = 0;
    for (let j = 0; j < 600; j++) {
      const i = j % 7 === 6 ? 2 : j & 1;
      blocks.push({ type: 'epb', if: i, tsSec: T0 + (j >> 3), tsNsec: (j * 7919) % 1e9, data: frameOf(i) });
      if (j === 300) blocks.push({ type: 'epb', if: 1, tsSec: T0 + 40, data: dnsOn1 }); // looked at for names: the raw-IP interface's
      if (j % 97 === 50) { blocks.push({ type: 'epb', if: 3, tsSec: T0 + (j >> 3), data: frameOf(3) }); slow++; }
    }
    // (in the second section interface 0 is raw IP and interface 1 Ethernet)
    const second: NgBlock[] = Array.from({ length: 200 }, (_, j) => ({ type: 'epb' as const, if: j % 3 === 0 ? 1 : 0, tsSec: T0 + 100 + (j >> 2), data: j % 3 === 0 ? eth(0x0800, ip()) : ip() }));
    const file = path.join(dir, 'alternating.pcapng');
    writeFileSync(file, buildPcapng({ sections: [
      { interfaces: [{ linkType: 1, snaplen: 250 }, { linkType: 101, tsresol: 9, tsoffset: 3600 }, { linkType: 1, tsresol: 9 }, { linkType: 1, tsresol: 0x94 }], blocks },
      // a second section (big-endian) whose link types are the other way round: the core's interface table is the new section's
      { bigEndian: true, interfaces: [{ linkType: 101 }, { linkType: 1 }], blocks: second },
    ] }));
    for (const chunk of [DEFAULT_CHUNK_SIZE, 4096]) {
      const r = await compareFile(file, chunk, true);
      assert.is(r.packets, 601 + 200 + slow);
      // (without the interface table, every block of another interface than the last one's went to the JavaScript reader)
      assert.ok(r.batched > (r.packets - slow) * 0.9, `the core's batches took ${r.batched} of ${r.packets} packets (chunk ${chunk})`);
      assert.equal(r.names, ['alt.corp.example']);
    }
    await compareFile(file, 4096, true, 5); // expiry sweeps inside the batches
  });
});

test('core batches go on while split ClientHellos are put together (small packets): the same as the reader and decoder, and most packets taken by the core', async () => {
  await withTmpDir('fa-core-split-', async (dir) => {
    const f = path.join(dir, 'small.pcap');
    generateBench({ out: f, format: 'pcap', options: { seed: 12, small: true }, limits: { packets: 60_000 } });
    // (ClientHellos here span more segments than a flow's inspections: each one's first segments are kept, then given up)
    const r = await compareFile(f, DEFAULT_CHUNK_SIZE, true);
    assert.ok(r.batched > r.packets * 0.9, `the core's batches took ${r.batched} of ${r.packets} packets`);
    await compareFile(f, 64 * 1024, true, 997);
  });
});

test.run();
