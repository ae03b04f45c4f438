/**
 * Re-synchronisation (src/capture/split.ts): record boundaries found from arbitrary offsets, and
 * payloads that imitate record headers. Expected offsets are computed from the files as built
 * (the builder's record lengths), not from the code under test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findPcapBoundary, findPcapngBoundary, scanHead } from '../../src/capture/split.js';
import { buildPcap, buildPcapng, pcapRecord, type NgBlock, type PcapPacket } from '../helpers/capture-builder.js';

const T = 1700000000;
/** n packets whose payload bytes are `fill` (sizes vary), and the file offsets where each record starts. */
function pcapFile(ps: PcapPacket[], o: { bigEndian?: boolean; nanos?: boolean } = {}): { buf: Buffer; starts: number[] } {
  const buf = buildPcap({ ...o, packets: ps });
  const starts: number[] = [];
  let p = 24;
  for (const x of ps) { starts.push(p); p += 16 + x.data.length; }
  return { buf, starts };
}
const plain = (n: number): PcapPacket[] => Array.from({ length: n }, (_, i) => ({ tsSec: T + i, data: Buffer.alloc(60 + (i * 37) % 200, 0x11) }));

test('scanHead: pcap header as context; pcapng SHB + IDBs up to the first packet block', () => {
  const { buf } = pcapFile(plain(3), { bigEndian: true, nanos: true });
  const h = scanHead(buf)!;
  assert.is(h.format, 'pcap'); assert.is(h.littleEndian, false); assert.is(h.nanos, true);
  assert.is(h.context.length, 24); assert.is(h.dataStart, 24); assert.is(h.refSec, T);
  const ng = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }, { linkType: 101 }], blocks: [{ type: 'epb', data: Buffer.alloc(40) }] }] });
  const g = scanHead(ng)!;
  assert.is(g.format, 'pcapng'); assert.is(g.interfaces, 2);
  assert.is(ng.readUInt32LE(g.dataStart), 6, 'dataStart is the EPB');
  assert.is(scanHead(Buffer.from('not a capture at all, not at all')), null);
});

test('pcap: from every offset inside the file, the boundary found is the next real record start', () => {
  for (const o of [{}, { bigEndian: true }, { nanos: true }]) {
    const { buf, starts } = pcapFile(plain(40), o);
    const h = scanHead(buf)!;
    for (let from = 24; from < starts[30]!; from += 7) {
      const want = starts.find((s) => s >= from)!;
      assert.is(findPcapBoundary(buf, from, h, { fileSize: buf.length }), want, `from ${from}`);
    }
  }
});

test('pcap: a short fake chain in a payload is skipped; a long one is taken (and would be caught by the range check)', () => {
  // record 5's payload holds 3 fake records (too short a chain), then random bytes
  const fake3 = Buffer.concat([pcapRecord({ tsSec: T, data: Buffer.alloc(10, 0xee) }), pcapRecord({ tsSec: T, data: Buffer.alloc(10, 0xee) }), pcapRecord({ tsSec: T, data: Buffer.alloc(10, 0xee) }), Buffer.alloc(7, 0xff)]);
  const ps = plain(30);
  ps[5] = { tsSec: T + 5, data: Buffer.concat([Buffer.alloc(5, 0xff), fake3]) };
  let { buf, starts } = pcapFile(ps);
  let h = scanHead(buf)!;
  const inPayload = starts[5]! + 16 + 5;
  assert.is(findPcapBoundary(buf, inPayload, h), starts[6], 'the fake chain of 3 is rejected');
  // 12 fake records in one payload: a chain of 8 validates inside the payload
  const fake12 = Buffer.concat(Array.from({ length: 12 }, () => pcapRecord({ tsSec: T, data: Buffer.alloc(10, 0xee) })));
  ps[5] = { tsSec: T + 5, data: Buffer.concat([Buffer.alloc(5, 0xff), fake12]) };
  ({ buf, starts } = pcapFile(ps));
  h = scanHead(buf)!;
  assert.is(findPcapBoundary(buf, inPayload, h), inPayload, 'indistinguishable from records by its headers alone');
});

test('pcap: zero-filled bytes, caplen > snaplen, caplen > orig_len and far timestamps are not records', () => {
  const h = scanHead(buildPcap({ snaplen: 100, packets: [{ tsSec: T, data: Buffer.alloc(50) }] }))!;
  const zeros = Buffer.alloc(4096);
  assert.is(findPcapBoundary(zeros, 0, h), -1);
  const chain = (p: PcapPacket) => Buffer.concat(Array.from({ length: 10 }, () => pcapRecord(p)));
  assert.is(findPcapBoundary(chain({ tsSec: T, data: Buffer.alloc(120) }), 0, h), -1, 'caplen 120 > snaplen 100');
  assert.is(findPcapBoundary(chain({ tsSec: T, data: Buffer.alloc(60), origLen: 40 }), 0, h), -1, 'caplen > orig_len');
  assert.is(findPcapBoundary(chain({ tsSec: T + 20 * 366 * 86400, data: Buffer.alloc(60) }), 0, h), -1, '20 years after the first record');
  assert.is(findPcapBoundary(chain({ tsSec: T + 60, data: Buffer.alloc(60) }), 0, h), 0, 'a plausible chain is accepted');
});

test('pcap: a chain that ends exactly at the end of the file is accepted', () => {
  const { buf, starts } = pcapFile(plain(4));
  const h = scanHead(buf)!;
  assert.is(findPcapBoundary(buf, starts[2]! - 3, h, { fileSize: buf.length }), starts[2]);
  assert.is(findPcapBoundary(buf, starts[2]! - 3, h, { fileSize: buf.length + 100 }), -1, 'not the end of the file: chain too short');
});

function ngFile(blocks: NgBlock[], bigEndian = false): { buf: Buffer; starts: number[] } {
  const buf = buildPcapng({ sections: [{ bigEndian, interfaces: [{ linkType: 1 }, { linkType: 1 }], blocks }] });
  const starts: number[] = [];
  let p = 0;
  while (p + 8 <= buf.length) {
    const type = bigEndian ? buf.readUInt32BE(p) : buf.readUInt32LE(p);
    const len = bigEndian ? buf.readUInt32BE(p + 4) : buf.readUInt32LE(p + 4);
    if (type === 6 || type === 3 || type === 2) starts.push(p);
    p += len;
  }
  return { buf, starts };
}

test('pcapng LE/BE: boundaries are packet blocks (not ISB/NRB), found from any offset', () => {
  for (const be of [false, true]) {
    const blocks: NgBlock[] = [];
    for (let i = 0; i < 30; i++) {
      blocks.push({ type: 'epb', if: i % 2, tsSec: T + i, data: Buffer.alloc(50 + (i * 13) % 90, 0x22) });
      if (i % 7 === 3) blocks.push({ type: 'isb', if: 0 });
    }
    const { buf, starts } = ngFile(blocks, be);
    const h = scanHead(buf)!;
    for (let from = h.dataStart; from < starts[20]!; from += 5) {
      const want = starts.find((s) => s >= from)!;
      assert.is(findPcapngBoundary(buf, from, h), want, `be=${be} from ${from}`);
    }
  }
});

test('pcapng: a fake EPB inside a payload is rejected unless a whole chain follows it', () => {
  const fakeBlock = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', data: Buffer.alloc(16, 0xee) }] }] });
  // the EPB of that tiny file (after its SHB and IDB) inside another packet's payload
  const epbBytes = fakeBlock.subarray(scanHead(fakeBlock)!.dataStart);
  assert.is(epbBytes.readUInt32LE(0), 6);
  const blocks: NgBlock[] = [];
  for (let i = 0; i < 20; i++) blocks.push({ type: 'epb', tsSec: T + i, data: i === 4 ? Buffer.concat([Buffer.alloc(4), epbBytes, Buffer.alloc(8, 0xff)]) : Buffer.alloc(60, 0x33) });
  const { buf, starts } = ngFile(blocks);
  const h = scanHead(buf)!;
  const fakeAt = starts[4]! + 28 + 4;
  assert.is(buf.readUInt32LE(fakeAt), 6);
  assert.is(findPcapngBoundary(buf, fakeAt, h), starts[5], 'the fake EPB is followed by garbage, not a chain');
  assert.is(findPcapngBoundary(buf, fakeAt, h, { chain: 1 }), fakeAt, 'with a chain of 1 it would be taken');
});

test.run();
