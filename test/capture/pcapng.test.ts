/**
 * pcapng push core on builder-made files: sections of both byte orders, IDB options
 * (if_tsresol 10^-n and 2^-n, if_tsoffset, if_name), EPB/SPB/OPB, skipped block counting,
 * epb_flags direction, framing errors with their codes and offsets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PcapngParser } from '../../src/capture/pcapng-reader.js';
import { sniffCapture } from '../../src/capture/sniff.js';
import { buildPcapng, ethIpv4Udp, filler, idbBlock, ngBlock, shbBlock, Writer, type NgSection } from '../helpers/capture-builder.js';
import { parseWith } from '../helpers/capture-collect.js';

const A = ethIpv4Udp({ payload: 20 });
const B = filler(41, 2);
const C = filler(200, 3);

function twoSections(firstBE: boolean): NgSection[] {
  return [
    {
      bigEndian: firstBE,
      interfaces: [{ linkType: 1, snaplen: 0, name: 'eth0' }, { linkType: 0, snaplen: 0, tsresol: 9, name: 'lo0' }],
      blocks: [
        { type: 'epb', if: 0, tsSec: 1700000000, tsNsec: 123456000, data: A, flags: 1 },
        { type: 'nrb' },
        { type: 'epb', if: 1, tsSec: 1700000000, tsNsec: 123456789, data: B, origLen: 100, flags: 2 },
        { type: 'isb', if: 0 },
        { type: 'custom' },
        { type: 'custom', copy: false },
        { type: 'dsb' },
        { type: 'block', blockType: 0x1234, body: Buffer.alloc(8) },
      ],
    },
    {
      bigEndian: !firstBE,
      interfaces: [{ linkType: 101, snaplen: 128, tsresol: 0x80 | 20, tsoffset: 100 }],
      blocks: [
        { type: 'spb', data: C.subarray(0, 128), origLen: 200 },
        { type: 'opb', if: 0, tsSec: 1700000005, tsNsec: 500000000, data: A, flags: 3, drops: 0 },
        { type: 'epb', if: 0, tsSec: 1700000006, tsNsec: 0, data: B },
      ],
    },
  ];
}

test('sniff: pcapng in either byte order', () => {
  assert.is(sniffCapture(buildPcapng({ sections: [{ bigEndian: true }] })).kind, 'pcapng');
  assert.match(sniffCapture(buildPcapng({ sections: [{ bigEndian: true }] })).detail, /big-endian/);
  assert.match(sniffCapture(buildPcapng({ sections: [{}] })).detail, /little-endian/);
});

for (const firstBE of [false, true]) {
  test(`two sections, mixed endianness (first ${firstBE ? 'BE' : 'LE'}): packets, interfaces, options, skipped blocks`, () => {
    const file = buildPcapng({ sections: twoSections(firstBE) });
    const { recs, info } = parseWith(PcapngParser, file);
    assert.is(info.format, 'pcapng');
    assert.is(info.sections, 2);
    assert.is(info.byteOrder, 'mixed');
    assert.is(info.interfaces.length, 3);
    assert.equal(info.interfaces.map((i) => [i.id, i.section, i.linkType, i.name, i.snaplen]), [[0, 0, 1, 'eth0', 0], [1, 0, 0, 'lo0', 0], [2, 1, 101, null, 128]]);
    assert.is(info.interfaces[2]!.tsOffsetSec, 100);
    assert.equal(info.skippedBlocks, { NRB: 1, ISB: 1, custom: 2, DSB: 1, 'unknown:0x1234': 1 });
    assert.is(recs.length, 5);
    const [r0, r1, r2, r3, r4] = recs as [typeof recs[0], typeof recs[0], typeof recs[0], typeof recs[0], typeof recs[0]];
    // section 1, interface 0: default µs resolution
    assert.equal([r0.ifIndex, r0.linkType, r0.tsSec, r0.tsNsec, r0.capLen, r0.origLen, r0.direction], [0, 1, 1700000000, 123456000, A.length, A.length, 1]);
    assert.is(r0.hex, A.toString('hex'));
    // interface 1: if_tsresol 9 (ns), epb_flags outbound
    assert.equal([r1.ifIndex, r1.linkType, r1.tsSec, r1.tsNsec, r1.capLen, r1.origLen, r1.direction], [1, 0, 1700000000, 123456789, 41, 100, 2]);
    // section 2: SPB uses the section's only IDB snaplen (128) and has no timestamp (previous one repeated)
    assert.equal([r2.ifIndex, r2.linkType, r2.capLen, r2.origLen, r2.tsSec, r2.tsNsec], [2, 101, 128, 200, r1.tsSec, r1.tsNsec]);
    assert.is(r2.hex, C.subarray(0, 128).toString('hex'));
    // OPB with pack_flags 3 (direction bits = 3), 2^-20 resolution + if_tsoffset 100 s
    // 0.5 s = 524288 / 2^20 exactly
    assert.equal([r3.ifIndex, r3.tsSec, r3.tsNsec, r3.direction], [2, 1700000105, 500000000, 3]);
    assert.equal([r4.tsSec, r4.tsNsec, r4.direction], [1700000106, 0, 0]);
    assert.ok(info.end.clean);
    assert.is(info.end.offset, file.length);
    assert.is(info.interfaces[0]!.packets + info.interfaces[1]!.packets + info.interfaces[2]!.packets, 5);
  });
}

test('LE-first and BE-first variants decode identically (except file offsets, which match too)', () => {
  const a = parseWith(PcapngParser, buildPcapng({ sections: twoSections(false) }));
  const b = parseWith(PcapngParser, buildPcapng({ sections: twoSections(true) }));
  assert.equal(a.recs, b.recs);
});

test('if_tsresol: 10^-n for n = 0..12 and 2^-n for several n give exact (sec, nsec)', () => {
  const nsec = 987654321;
  for (const r of [0, 1, 3, 6, 7, 9, 10, 12, 15, 0x80 | 0, 0x80 | 10, 0x80 | 16, 0x80 | 20, 0x80 | 30, 0x80 | 32]) {
    // 64-bit units must hold the timestamp: 10^-12 and 10^-15 s only reach a few hours past 1970
    const sec = r === 12 || r === 15 ? 1712 : 1712345678;
    const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1, tsresol: r }], blocks: [{ type: 'epb', tsSec: sec, tsNsec: nsec, data: A }] }] });
    const { recs } = parseWith(PcapngParser, file);
    let exp: number;
    if (r & 0x80) {
      const n = BigInt(r & 0x7f);
      const units = (BigInt(sec) << n) + ((BigInt(nsec) << n) / 1000000000n);
      exp = Number(((units & ((1n << n) - 1n)) * 1000000000n) >> n);
    } else {
      exp = r >= 9 ? nsec : Math.floor(nsec / 10 ** (9 - r)) * 10 ** (9 - r);
    }
    assert.is(recs[0]!.tsSec, sec, `tsresol ${r}`);
    assert.is(recs[0]!.tsNsec, exp, `tsresol ${r}`);
  }
});

test('negative if_tsoffset moves timestamps back', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1, tsoffset: -3600 }], blocks: [{ type: 'epb', tsSec: 7200, tsNsec: 1000, data: A }] }] });
  const { recs, info } = parseWith(PcapngParser, file);
  assert.is(recs[0]!.tsSec, 3600);
  assert.is(info.interfaces[0]!.tsOffsetSec, -3600);
});

test('EPB on an interface the section does not have: counted, block skipped, reading goes on', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', if: 3, data: A }, { type: 'epb', if: 0, data: B }] }] });
  const { recs, info } = parseWith(PcapngParser, file);
  assert.is(recs.length, 1);
  assert.is(info.anomalies!['capture.pcapng.unknown_interface']!.count, 1);
  assert.ok(info.end.clean);
});

test('EPB caplen larger than the IDB snaplen is cut to snaplen (libpcap) and counted', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1, snaplen: 64 }], blocks: [{ type: 'epb', data: C }] }] });
  const { recs, info } = parseWith(PcapngParser, file);
  assert.is(recs[0]!.capLen, 64);
  assert.is(recs[0]!.hex, C.subarray(0, 64).toString('hex'));
  assert.is(info.anomalies!['capture.pcapng.caplen_exceeds_snaplen']!.count, 1);
});

// ---- framing: checked before any field is read; code + offset of the block
const shb = shbBlock({});
const idb = idbBlock({ linkType: 1 }, true);
const epbBody = new Writer(true).u32(0).u32(0).u32(0).u32(4).u32(4).bytes(Buffer.from([1, 2, 3, 4])).build();
const goodEpb = ngBlock(6, epbBody, true);
const at = shb.length + idb.length + goodEpb.length;

for (const [name, bad, code] of [
  ['length < 12', new Writer(true).u32(6).u32(8).u32(8).build(), 'capture.pcapng.block_too_short'],
  ['length not a multiple of 4', new Writer(true).u32(6).u32(14).u32(0).u16(0).u32(14).build(), 'capture.pcapng.block_length_not_aligned'],
  ['trailer differs from header', ngBlock(6, epbBody, true, { trailerLen: 40 }), 'capture.pcapng.block_length_mismatch'],
  ['length beyond maxBlockSize', new Writer(true).u32(6).u32(1 << 26).build(), 'capture.pcapng.block_too_large'],
] as [string, Buffer, string][]) {
  test(`framing: ${name} → ${code} at the block's offset`, () => {
    const file = Buffer.concat([shb, idb, goodEpb, bad, goodEpb]);
    const { recs, info } = parseWith(PcapngParser, file);
    assert.is(recs.length, 1);
    assert.is(info.end.clean, false);
    assert.is(info.end.code, code);
    assert.is(info.end.offset, at);
  });
}

test('framing: maxBlockSize option is honoured and named', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', data: filler(2000) }] }] });
  const { info } = parseWith(PcapngParser, file, undefined, { maxBlockSize: 1024 });
  assert.is(info.end.code, 'capture.pcapng.block_too_large');
  assert.match(info.end.reason!, /maximum of 1024/);
});

test('SHB option running past its block (trailer intact) → capture.pcapng.option_overrun at the option', () => {
  const file = buildPcapng({ sections: [{ shbOptions: [{ code: 4, value: 'tcpdump', len: 200 }], interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', data: A }] }] });
  const { recs, info } = parseWith(PcapngParser, file);
  assert.is(recs.length, 0);
  assert.is(info.end.code, 'capture.pcapng.option_overrun');
  assert.is(info.end.offset, 24); // options start after magic, length, BOM, version, section length
});

test('bad byte-order magic, missing SHB, unsupported version', () => {
  const badBom = Buffer.from(shb); badBom.writeUInt32LE(0x11223344, 8);
  assert.is(parseWith(PcapngParser, badBom).info.end.code, 'capture.pcapng.bad_byte_order_magic');
  const v2 = buildPcapng({ sections: [{ version: [2, 0] }] });
  const r = parseWith(PcapngParser, v2);
  assert.is(r.info.end.code, 'capture.pcapng.unsupported_version');
  assert.is(r.info.end.offset, 12);
});

test('cut inside a block: packets before it delivered, code and block offset reported', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', data: A }, { type: 'epb', data: C }] }] });
  const second = file.length - (32 + 200);
  const { recs, info } = parseWith(PcapngParser, file.subarray(0, second + 50));
  assert.is(recs.length, 1);
  assert.is(info.end.code, 'capture.pcapng.truncated_block');
  assert.is(info.end.offset, second);
  assert.is(info.end.reason, `file ends inside the EPB block at byte ${second} (needs 232 bytes, 50 present)`);
});

test('a packet-block option overrun is counted and the packet still delivered', () => {
  const file = buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: [{ type: 'epb', data: A, options: [{ code: 1, value: 'comment', len: 99 }] }] }] });
  const { recs, info } = parseWith(PcapngParser, file);
  assert.is(recs.length, 1);
  assert.is(info.anomalies!['capture.pcapng.option_overrun']!.count, 1);
});

test.run();
