/**
 * readCaptures / readCaptureStream: sniffing, gzip, formats we do not read, unopenable paths,
 * multi-file merge (against mergecap when installed), small chunks with borrowed buffers,
 * progress, and the CLI: `inspect -` from stdin, JSON output and exit codes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { spawn, spawnSync } from 'node:child_process';
import { MERGE_BUFFER_BUDGET, MIN_MERGE_CHUNK, mergeChunkSize, readCaptures, readCaptureStream, resumeChunkSize } from '../../src/capture/read.js';
import { isPageBuffer } from '../../src/capture/page-buffers.js';
import { FILE_BUFFERS } from '../../src/capture/source.js';
import { DEFAULT_CHUNK_SIZE } from '../../src/capture/info.js';
import { sniffCapture } from '../../src/capture/sniff.js';
import { PcapParser } from '../../src/capture/pcap-reader.js';
import { FlowauditError } from '../../src/core/errors.js';
import { buildPcap, buildPcapng, ethIpv4Udp, filler, pcapHeader, pcapRecord } from '../helpers/capture-builder.js';
import { copyRec, parseWith, type Rec } from '../helpers/capture-collect.js';
import { runCliText } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'flowaudit-capture-'));
const f = (name: string, b: Buffer) => { const p = join(dir, name); writeFileSync(p, b); return p; };

const P1 = buildPcap({ packets: [1, 3, 5, 5].map((t, i) => ({ tsSec: 1000 + t, tsNsec: 0, data: filler(60 + i, 10 + i) })) });
const P2 = buildPcap({ bigEndian: true, nanos: true, packets: [2, 3, 4, 5].map((t, i) => ({ tsSec: 1000 + t, tsNsec: 0, data: filler(70 + i, 20 + i) })) });
const NG = buildPcapng({ sections: [{ interfaces: [{ linkType: 1, tsresol: 9 }], blocks: [{ type: 'epb', tsSec: 1000, tsNsec: 1, data: ethIpv4Udp() }, { type: 'epb', tsSec: 1004, tsNsec: 500, data: filler(90) }] }] });

async function read(inputs: string[], chunkSize?: number): Promise<{ recs: Rec[]; infos: Awaited<ReturnType<typeof readCaptures>> }> {
  const recs: Rec[] = [];
  const infos = await readCaptures(inputs, chunkSize ? { chunkSize } : {}, (r) => { recs.push(copyRec(r)); });
  return { recs, infos };
}

test('format is sniffed from the bytes, not the name', async () => {
  const a = f('really-pcapng.pcap', NG);
  const { recs, infos } = await read([a]);
  assert.is(infos[0]!.format, 'pcapng');
  assert.is(recs.length, 2);
});

test('gzip input (.pcap.gz, .pcapng.gz) is decompressed on the fly', async () => {
  for (const [name, raw] of [['x.pcap.gz', P1], ['x.pcapng.gz', NG], ['no-extension', P2]] as [string, Buffer][]) {
    const plain = await read([f(name + '.plain', raw)]);
    const gz = await read([f(name, gzipSync(raw))], 64);
    assert.is(gz.infos[0]!.compressed, 'gzip');
    assert.ok(gz.infos[0]!.end.clean);
    assert.is(gz.infos[0]!.fileBytes, raw.length);
    assert.equal(gz.recs, plain.recs);
  }
});

test('cut gzip stream: packets before the break are delivered, end says why', async () => {
  const z = gzipSync(buildPcap({ packets: Array.from({ length: 200 }, (_, i) => ({ tsSec: i, data: filler(500, i) })) }));
  const { recs, infos } = await read([f('cut.pcap.gz', z.subarray(0, Math.floor(z.length * 0.6)))]);
  assert.ok(recs.length > 10 && recs.length < 200, String(recs.length));
  assert.is(infos[0]!.end.clean, false);
  // zlib reports "unexpected end of file"; that root cause is reported, not the half record it left
  assert.is(infos[0]!.end.code, 'capture.gzip.broken');
  assert.match(infos[0]!.end.reason!, /unexpected end of file/);
  assert.is(infos[0]!.end.offset, infos[0]!.fileBytes);
});

test('damage inside a gzip stream stops at the damage; an onPacket error is passed on and files are released', async () => {
  const parts = [pcapHeader(), pcapRecord({ tsSec: 1, data: filler(100) }), pcapRecord({ tsSec: 2, data: filler(10), inclLen: 9999999 })];
  for (let i = 0; i < 3000; i++) parts.push(pcapRecord({ tsSec: 3, data: filler(300, i) }));
  const p = f('damaged.pcap.gz', gzipSync(Buffer.concat(parts)));
  const { recs, infos } = await read([p], 4096);
  assert.is(recs.length, 1);
  assert.equal([infos[0]!.end.code, infos[0]!.end.offset], ['capture.pcap.record_too_large', 24 + 16 + 100]);
  let n = 0;
  try {
    await readCaptures([f('cb-throws.pcap', P1), f('cb-throws2.pcap', P2)], {}, () => { if (++n === 3) throw new Error('consumer failed'); });
    assert.unreachable('should pass the error on');
  } catch (e) {
    assert.is((e as Error).message, 'consumer failed');
  }
});

test('formats we do not read get a named outcome (never a throw)', async () => {
  const cases: [string, Buffer, string, RegExp][] = [
    ['nm.cap', Buffer.concat([Buffer.from('GMBU'), Buffer.alloc(100)]), 'capture.format.netmon', /Network Monitor 2\.x/],
    ['nm1.cap', Buffer.concat([Buffer.from('RTSS'), Buffer.alloc(100)]), 'capture.format.netmon', /Network Monitor 1\.x/],
    ['trace.etl', Buffer.from('0123456789abcdefghij'), 'capture.format.etl', /pktmon etl2pcap/],
    ['hdr.etl', Buffer.concat([Buffer.from([0, 0, 1, 0, 0x40, 0, 0, 0, 0x80, 0, 0, 0]), Buffer.alloc(64)]), 'capture.format.etl', /WMI buffer/],
    ['text.txt', Buffer.from('hello world, not a capture'), 'capture.format.unknown', /68 65 6c 6c 6f 20 77 6f/],
    ['empty.bin', Buffer.alloc(0), 'capture.format.empty', /empty/],
    ['notgzip.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), 'capture.gzip.broken', /broken gzip stream/],
    ['text.gz', gzipSync(Buffer.from('just some text, compressed')), 'capture.format.unknown', /gzip-compressed, and inside: not a pcap or pcapng file \(first bytes: 6a 75 73 74/],
  ];
  for (const [name, bytes, code, re] of cases) {
    const { recs, infos } = await read([f(name, bytes)]);
    assert.is(recs.length, 0);
    assert.is(infos[0]!.format, null, name);
    assert.is(infos[0]!.end.code, code, name);
    assert.match(infos[0]!.end.reason!, re);
  }
  assert.is(sniffCapture(Buffer.from('GMBU')).kind, 'netmon');
});

test('a path that cannot be opened throws FlowauditError naming the file', async () => {
  try {
    await read([f('ok.pcap', P1), join(dir, 'missing.pcap')]);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, FlowauditError);
    assert.match((e as Error).message, /missing\.pcap: cannot open: no such file/);
  }
});

test('merge: interleaved timestamps come out in order, ties in input order, indices across the stream', async () => {
  const a = f('a.pcap', P1), b = f('b.pcap', P2);
  for (const cs of [undefined, 7, 100]) {
    const { recs, infos } = await read([a, b], cs);
    assert.equal(recs.map((r) => `${r.fileIndex}:${r.tsSec - 1000}`), ['0:1', '1:2', '0:3', '1:3', '1:4', '0:5', '0:5', '1:5']);
    assert.equal(recs.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    // the bytes are each file's own (borrowed views were not overwritten by the other input's reads)
    const own = [...parseWith(PcapParser, P1).recs, ...parseWith(PcapParser, P2).recs].map((r) => r.hex).sort();
    assert.equal(recs.map((r) => r.hex).sort(), own);
    assert.equal(infos.map((i) => i.packets), [4, 4]);
  }
});

// Exact ties are left out of the mergecap comparison: mergecap 4.0.17 puts the LATER input first on
// equal timestamps (`mergecap a.pcap b.pcap` with both at 1003.0 gives b's packet first, and with the
// files swapped a's), while flowaudit keeps input order on ties as specified (tested above).
test('merge agrees with mergecap on interleaved, distinct timestamps (when installed)', async () => {
  const ts = (t: number) => ({ tsSec: 1000 + Math.floor(t), tsNsec: Math.round((t % 1) * 1e6) * 1000 });
  const a = f('ma.pcap', buildPcap({ packets: [1.1, 3.3, 5.5, 5.6, 9].map((t, i) => ({ ...ts(t), data: filler(60 + i, 10 + i) })) }));
  const b = f('mb.pcap', buildPcap({ packets: [2.2, 3.4, 4, 5.55, 5.57].map((t, i) => ({ ...ts(t), data: filler(70 + i, 20 + i) })) }));
  const r = spawnSync('mergecap', ['-F', 'pcap', '-w', '-', a, b]);
  if (r.error || r.status !== 0) { console.log(`skip: mergecap not available (${r.error?.message ?? r.stderr.toString()})`); return; }
  const theirs = parseWith(PcapParser, r.stdout).recs.map((x) => `${x.tsSec}.${x.tsNsec}|${x.hex}`);
  const ours = (await read([a, b])).recs.map((x) => `${x.tsSec}.${x.tsNsec}|${x.hex}`);
  assert.equal(ours, theirs);
});

test('merge of 3 and of 12 inputs (linear scan and heap) equals a stable sort by (time, input, position)', async () => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  for (const k of [3, 12]) {
    const files: string[] = [];
    const want: { t: number; i: number; j: number }[] = [];
    for (let i = 0; i < k; i++) {
      let t = 0;
      const pk = Array.from({ length: 5 + rnd(20) }, (_, j) => { t += rnd(3); want.push({ t, i, j }); return { tsSec: 2000 + t, tsNsec: 0, data: filler(8, i * 100 + j) }; });
      files.push(f(`heap-${k}-${i}.pcap`, buildPcap({ nanos: i % 2 === 1, bigEndian: i % 3 === 0, packets: pk })));
    }
    want.sort((a, b) => a.t - b.t || a.i - b.i || a.j - b.j);
    const { recs } = await read(files, k === 12 ? 50 : undefined);
    assert.equal(recs.map((r) => `${r.tsSec - 2000}/${r.fileIndex}/${r.hex}`), want.map((w) => `${w.t}/${w.i}/${filler(8, w.i * 100 + w.j).toString('hex')}`));
    assert.equal(recs.map((r) => r.index), recs.map((_, n) => n));
  }
});

test('merge of many inputs: the chunk sizes, and what files open at once hold between them', async () => {
  const MiB = 1 << 20;
  assert.is(mergeChunkSize(DEFAULT_CHUNK_SIZE, 1), DEFAULT_CHUNK_SIZE);
  assert.is(mergeChunkSize(DEFAULT_CHUNK_SIZE, 4), DEFAULT_CHUNK_SIZE, 'up to 4 inputs: 4 MiB each');
  for (const k of [5, 17, 40, 127]) {
    const c = mergeChunkSize(DEFAULT_CHUNK_SIZE, k);
    assert.ok(c < DEFAULT_CHUNK_SIZE && c % 4096 === 0 && c * k * FILE_BUFFERS <= MERGE_BUFFER_BUDGET, `${k} inputs: ${c}`);
  }
  assert.is(mergeChunkSize(DEFAULT_CHUNK_SIZE, 128), MIN_MERGE_CHUNK);
  assert.is(mergeChunkSize(DEFAULT_CHUNK_SIZE, 5000), MIN_MERGE_CHUNK, 'never below the minimum');
  assert.is(mergeChunkSize(50, 40), 50, 'a smaller chunk asked for is kept');
  assert.is(resumeChunkSize(DEFAULT_CHUNK_SIZE, 0), DEFAULT_CHUNK_SIZE, 'the first file open: 4 MiB');
  assert.is(resumeChunkSize(DEFAULT_CHUNK_SIZE, 2 * FILE_BUFFERS * MiB), DEFAULT_CHUNK_SIZE, 'a rotated set (one other file open): 4 MiB');
  assert.is(resumeChunkSize(DEFAULT_CHUNK_SIZE, MERGE_BUFFER_BUDGET), MIN_MERGE_CHUNK, 'the budget held: the minimum');
  assert.is(resumeChunkSize(50, 0), 50);

  // what the readers hold: the records' chunks are views into each input's buffers
  const held = async (k: number): Promise<number[]> => {
    const files: string[] = [];
    for (let i = 0; i < k; i++) files.push(f(`share-${k}-${i}.pcap`, buildPcap({ packets: [0, 1, 2].map((t) => ({ tsSec: 3000 + t, tsNsec: i, data: filler(8, i) })) })));
    const each = new Map<number, number>();
    let n = 0, last = -1;
    await readCaptures(files, {}, (r) => {
      assert.ok(isPageBuffer(r.data), 'a page buffer');
      each.set(r.fileIndex, r.data.buffer.byteLength);
      const key = (r.tsSec - 3000) * 1000 + r.fileIndex;
      assert.ok(key > last, 'in (time, input) order');
      last = key; n++;
    });
    assert.is(n, 3 * k);
    return [...each.values()];
  };
  const two = await held(2);
  assert.ok(two.every((b) => b >= FILE_BUFFERS * 4 * MiB), '2 inputs open at once: 4 MiB chunks');
  // forty files open at once (their packets interleave): about the budget between them, not 40 × 16 MiB
  const forty = await held(40);
  const total = forty.reduce((a, b) => a + b, 0);
  assert.ok(total <= MERGE_BUFFER_BUDGET + 40 * (FILE_BUFFERS * MIN_MERGE_CHUNK + 65536), `40 inputs: ${total} bytes in all`);
});

test('several files: each is open only from its first packet\'s time (or just before) to its last (a rotated set two or three at a time), and the merge is unchanged', async () => {
  const open = (): number => {
    // capture files of this test open in this process
    let n = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try { if (readlinkSync(`/proc/self/fd/${fd}`).includes('/rot-')) n++; } catch { /* closed meanwhile */ }
    }
    return n;
  };
  if (!existsSync('/proc/self/fd')) { console.log('  (skipped: no /proc/self/fd)'); return; }
  // ten files one after another in time, and three that overlap
  const files: string[] = [], over: string[] = [];
  for (let i = 0; i < 10; i++) files.push(f(`rot-${i}.pcap`, buildPcap({ packets: Array.from({ length: 40 }, (_, j) => ({ tsSec: 5000 + i * 100 + j, data: filler(200, i) })) })));
  for (let i = 0; i < 3; i++) over.push(f(`rot-o${i}.pcap`, buildPcap({ packets: Array.from({ length: 40 }, (_, j) => ({ tsSec: 5000 + j * 3 + i, data: filler(200, 50 + i) })) })));
  // (the next two files to come are opened ahead of their turn: two more)
  for (const [set, most] of [[files, 4], [over, 3], [[...files.slice(0, 5), ...over], 6]] as const) {
    let peak = 0, n = 0, last = -1;
    const calls: [number, number | null][] = [];
    await readCaptures([...set], { chunkSize: 4096, onProgress: (b, t) => calls.push([b, t]) }, (r) => {
      if (n++ % 7 === 0) peak = Math.max(peak, open());
      assert.ok(r.tsSec * 100 + r.fileIndex > last, 'in (time, input) order');
      last = r.tsSec * 100 + r.fileIndex;
    });
    assert.is(n, set.length * 40);
    assert.ok(peak >= 1 && peak <= most, `${set.length} inputs: at most ${most} open at once (${peak})`);
    assert.is(open(), 0, 'all closed at the end');
    let bytes = 0;
    for (const x of set) bytes += statSync(x).size;
    assert.equal(calls[calls.length - 1], [bytes, bytes], 'progress: every byte once, of the total');
  }
  // onPacket failing at a file's first packet, while the next file is being opened ahead: passed on, every file released
  let m = 0;
  try {
    await readCaptures(files, { chunkSize: 4096 }, () => { if (++m === 121) throw new Error('consumer failed'); });
    assert.unreachable('it throws');
  } catch (e) {
    assert.is((e as Error).message, 'consumer failed');
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.is(open(), 0, 'no file left open after the failure');
});

test('several files: one removed before the merge came to it is named as unreadable, and the others are read whole', async () => {
  // (the two files after the first are opened ahead of their turn when it starts: the fourth is removed)
  const files: string[] = [];
  for (let i = 0; i < 4; i++) files.push(f(`gone-${i}.pcap`, buildPcap({ packets: Array.from({ length: 30 }, (_, j) => ({ tsSec: 7000 + i * 100 + j, data: filler(100, i) })) })));
  let n = 0;
  const infos = await readCaptures(files, { chunkSize: 4096 }, () => { if (n++ === 0) rmSync(files[3]!); });
  assert.is(n, 90, 'the first three files whole');
  assert.is(infos[0]!.end.clean, true);
  assert.is(infos[2]!.end.clean, true);
  assert.is(infos[3]!.end.code, 'capture.read_error');
  assert.match(infos[3]!.end.reason ?? '', /gone-3\.pcap/);
});

test('several inputs with a FIFO among them: the FIFO is read once, in the merge', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) { console.log('  (skipped: no mkfifo)'); return; }
  const a = f('ff-a.pcap', buildPcap({ packets: [1, 4, 6].map((t) => ({ tsSec: 9000 + t, data: filler(60, t) })) }));
  const bBytes = buildPcap({ packets: [2, 3, 5, 7].map((t) => ({ tsSec: 9000 + t, data: filler(60, 10 + t) })) });
  const b = f('ff-b.pcap', bBytes), fifo = join(dir, 'ff-fifo');
  const want = (await read([a, b])).recs.map((r) => `${r.tsSec}/${r.fileIndex}/${r.hex}`);
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const writer = spawn('sh', ['-c', `cat "${b}" > "${fifo}"`], { stdio: 'ignore' });
  const timer = setTimeout(() => writer.kill('SIGKILL'), 20_000);
  try {
    const got = (await read([a, fifo])).recs.map((r) => `${r.tsSec}/${r.fileIndex}/${r.hex}`);
    assert.equal(got, want);
  } finally {
    clearTimeout(timer);
    writer.kill();
  }
});

test('merge with a slow synchronous callback and 1-byte chunks still delivers intact records', async () => {
  const a = f('sa.pcap', P1), b = f('sb.pcapng', NG);
  const seen: string[] = [];
  await readCaptures([a, b], { chunkSize: 1 }, (r) => {
    const t = Date.now(); while (Date.now() - t < 2) { /* busy */ }
    seen.push(r.data.toString('hex', r.offset, r.offset + r.capLen));
  });
  const want = [...parseWith(PcapParser, P1).recs.map((x) => x.hex), ethIpv4Udp().toString('hex'), filler(90).toString('hex')];
  assert.equal(seen.sort(), want.sort());
});

test('readCaptureStream reads from any Readable, in small pieces, and reports progress', async () => {
  const pieces: Buffer[] = [];
  for (let i = 0; i < NG.length; i += 5) pieces.push(NG.subarray(i, i + 5));
  const recs: Rec[] = [];
  let progressCalls = 0, last = 0;
  const info = await readCaptureStream(Readable.from(pieces), 'pipe', { onProgress: (n, total) => { progressCalls++; last = n; assert.is(total, null); } }, (r) => { recs.push(copyRec(r)); }, 3);
  assert.is(info.file, 'pipe');
  assert.is(recs.length, 2);
  assert.equal(recs.map((r) => r.fileIndex), [3, 3]);
  assert.ok(progressCalls >= 1);
  assert.is(last, NG.length);
});

test('onProgress reports bytes read and the total for files', async () => {
  const big = buildPcap({ packets: Array.from({ length: 300 }, (_, i) => ({ tsSec: i, data: filler(1000) })) });
  const p = f('big.pcap', big);
  const calls: [number, number | null][] = [];
  await readCaptures([p], { chunkSize: 4096, onProgress: (n, t) => calls.push([n, t]) }, () => {});
  assert.equal(calls[calls.length - 1], [big.length, big.length]);
});

// ---- CLI
function cli(args: string[], input?: Buffer): { status: number | null; out: string; err: string } {
  const r = runCliText(args, input ? { input } : {});
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: inspect - reads a (gzip) capture from standard input', () => {
  const r = cli(['inspect', '-', '--format', 'json'], gzipSync(NG));
  assert.is(r.status, 0, r.err);
  const j = JSON.parse(r.out) as { files: { file: string; format: string; compressed: string; packets: number; end: { clean: boolean }; interfaces: { linkType: number }[] }[] };
  assert.is(j.files.length, 1);
  assert.equal([j.files[0]!.file, j.files[0]!.format, j.files[0]!.compressed, j.files[0]!.packets, j.files[0]!.end.clean], ['-', 'pcapng', 'gzip', 2, true]);
  assert.is(j.files[0]!.interfaces[0]!.linkType, 1);
});

test('CLI: exit 0 when damaged files still yielded packets, 2 when an input is unreadable', () => {
  const good = f('cli-good.pcap', P1);
  const cut = f('cli-cut.pcap', P1.subarray(0, P1.length - 10));
  let r = cli(['inspect', good, cut]);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /NOT clean at byte \d+: capture\.pcap\.truncated_record/);
  assert.match(r.out, /decode: +decoded \d+, truncated \d+, malformed \d+, unsupported \d+/);
  r = cli(['inspect', good, f('cli.cap', Buffer.from('GMBU\0\0\0\0')), join(dir, 'nope.pcap'), '--format', 'json']);
  assert.is(r.status, 2);
  const j = JSON.parse(r.out) as { files: { readable: boolean; end: { code: string } }[] };
  assert.equal(j.files.map((x) => [x.readable, x.end.code]), [[true, null], [false, 'capture.format.netmon'], [false, 'capture.open.ENOENT']]);
});

test('cleanup', () => { rmSync(dir, { recursive: true, force: true }); });

test.run();
