/**
 * The nanosecond pcap writer. Expected bytes are derived by hand from pcap-savefile(5):
 * magic 0xa1b23c4d (little-endian on disk: 4d 3c b2 a1), version 2.4, thiszone 0, sigfigs 0,
 * snaplen, linktype; then per record ts_sec, ts_nsec, incl_len, orig_len and the bytes.
 * Round trips: through our reader (readCaptureStream) and, when installed, through tshark.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PcapWriter, type BlockSink } from '../../src/capture/pcap-writer.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { readCaptureStream } from '../../src/capture/read.js';

function memSink() {
  const chunks: Buffer[] = [];
  let closed = false;
  const sink: BlockSink = {
    write(buf, len) { chunks.push(Buffer.from(buf.subarray(0, len))); },
    close() { closed = true; },
  };
  return { sink, bytes: () => Buffer.concat(chunks), closed: () => closed, writes: () => chunks.length };
}

test('header and records are the bytes pcap-savefile(5) specifies', () => {
  const m = memSink();
  const w = new PcapWriter('mem', 1, { snaplen: 65535 }, m.sink);
  const shared = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]);
  w.writePacket(0x6553f100, 123_456_789, shared, 1, 3, 60);
  shared.fill(0);                                   // the caller's buffer is reused: the writer copied
  w.close();
  w.close();
  assert.ok(m.closed());
  const hex = m.bytes().toString('hex');
  assert.is(hex,
    '4d3cb2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000' +
    '00f15365' + '15cd5b07' + '03000000' + '3c000000' + 'adbeef');
  assert.is(w.packets, 1);
  assert.is(w.bytes, 24 + 16 + 3);
});

test('buffered: one sink write per block, and nothing after close', () => {
  const m = memSink();
  const w = new PcapWriter('mem', 101, { blockSize: 70_000 }, m.sink);
  const pkt = Buffer.alloc(1000, 7);
  for (let i = 0; i < 200; i++) w.writePacket(1, i, pkt, 0, 1000, 1000);
  assert.ok(m.writes() >= 2 && m.writes() <= 4, `writes ${m.writes()}`);
  w.close();
  w.writePacket(1, 1, pkt, 0, 1000, 1000);
  assert.is(m.bytes().length, 24 + 200 * 1016);
  assert.is(m.bytes().readUInt32LE(20), 101);
});

test('the link type can be set until the first block is written', () => {
  const m = memSink();
  const w = new PcapWriter('mem', 0, { blockSize: 70_000 }, m.sink);
  assert.ok(w.setLinkType(113));
  w.writePacket(1, 2, Buffer.alloc(100), 0, 100, 100);
  const big = Buffer.alloc(40_000);
  w.writePacket(1, 3, big, 0, big.length, big.length);
  w.writePacket(1, 4, big, 0, big.length, big.length);   // forces the first block out
  assert.not.ok(w.setLinkType(1));
  assert.ok(w.setLinkType(113));
  w.close();
  assert.is(m.bytes().readUInt32LE(20), 113);
  assert.is(w.linkType, 113);
});

function sampleRecords(): { tsSec: number; tsNsec: number; data: Buffer; origLen: number }[] {
  const out = [];
  for (let i = 0; i < 5; i++) {
    const data = Buffer.alloc(60 + i * 7);
    for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j) & 255;
    out.push({ tsSec: 1_700_000_000 + i, tsNsec: i * 111_111_111 + 7, data, origLen: data.length + (i === 2 ? 100 : 0) });
  }
  return out;
}

test('a written file reads back with our reader: same timestamps (ns), lengths and bytes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-pw-'));
  try {
    const file = path.join(dir, 'x.pcap');
    const w = new PcapWriter(file, 1);
    const recs = sampleRecords();
    for (const r of recs) w.writePacket(r.tsSec, r.tsNsec, r.data, 0, r.data.length, r.origLen);
    w.close();
    const got: { tsSec: number; tsNsec: number; capLen: number; origLen: number; data: string; linkType: number }[] = [];
    const info = await readCaptureStream(createReadStream(file), file, {}, (rec: PacketRecord) => {
      got.push({ tsSec: rec.tsSec, tsNsec: rec.tsNsec, capLen: rec.capLen, origLen: rec.origLen, linkType: rec.linkType,
        data: rec.data.subarray(rec.offset, rec.offset + rec.capLen).toString('hex') });
    });
    assert.is(info.format, 'pcap');
    assert.is(info.tsPrecision, 'nanoseconds');
    assert.ok(info.end.clean);
    assert.is(info.packets, 5);
    assert.equal(got, recs.map((r) => ({ tsSec: r.tsSec, tsNsec: r.tsNsec, capLen: r.data.length, origLen: r.origLen, data: r.data.toString('hex'), linkType: 1 })));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('tshark reads the file with nanosecond timestamps (independent reader)', () => {
  const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) { console.log('skip: tshark not installed'); return; }
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-pw-'));
  try {
    const file = path.join(dir, 'x.pcap');
    const w = new PcapWriter(file, 1);
    const recs = sampleRecords();
    for (const r of recs) w.writePacket(r.tsSec, r.tsNsec, r.data, 0, r.data.length, r.origLen);
    w.close();
    assert.is(readFileSync(file).readUInt32LE(0), 0xa1b23c4d);
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.equal(lines, recs.map((x) => [`${x.tsSec}.${String(x.tsNsec).padStart(9, '0')}`, String(x.data.length), String(x.origLen)]));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
