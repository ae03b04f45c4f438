/**
 * Chunking invariant: feeding the same bytes in chunks of any size (1 byte, random sizes, whole
 * file) yields identical records and the same end state. Also the 64-bit timestamp arithmetic
 * against BigInt on random values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { PcapParser } from '../../src/capture/pcap-reader.js';
import { PcapngParser } from '../../src/capture/pcapng-reader.js';
import * as T from '../../src/capture/timestamp.js';
import { buildPcap, buildPcapng, ethIpv4Udp, filler } from '../helpers/capture-builder.js';
import { parseWith, type PushParserCtor } from '../helpers/capture-collect.js';

const pcapFiles = [
  buildPcap({ nanos: true, bigEndian: true, snaplen: 100, packets: Array.from({ length: 9 }, (_, i) => ({ tsSec: 1000 + i, tsNsec: i * 111, data: filler(40 + i * 17, i) })) }),
  buildPcap({ packets: [{ tsSec: 1, data: ethIpv4Udp() }, { tsSec: 2, data: filler(0) }, { tsSec: 3, data: filler(1) }] }),
];
const ngFile = buildPcapng({
  sections: [
    { interfaces: [{ linkType: 1, tsresol: 9 }], blocks: [{ type: 'epb', tsSec: 5, tsNsec: 6, data: filler(33), flags: 1 }, { type: 'nrb' }, { type: 'spb', data: filler(10) }] },
    { bigEndian: true, interfaces: [{ linkType: 0, tsresol: 0x80 | 24 }, { linkType: 1 }], blocks: [{ type: 'custom' }, { type: 'epb', if: 1, tsSec: 7, data: filler(70) }, { type: 'opb', if: 0, tsSec: 8, tsNsec: 5e8, data: filler(3) }] },
  ],
});
const cases: [string, PushParserCtor, Buffer][] = [
  ['pcap BE ns', PcapParser, pcapFiles[0]!],
  ['pcap LE µs', PcapParser, pcapFiles[1]!],
  ['pcapng mixed', PcapngParser, ngFile],
  // cut-off variants: the end state must not depend on chunking either
  ['pcap cut', PcapParser, pcapFiles[0]!.subarray(0, pcapFiles[0]!.length - 13)],
  ['pcapng cut', PcapngParser, ngFile.subarray(0, ngFile.length - 30)],
];

for (const [name, Ctor, file] of cases) {
  test(`${name}: 1-byte chunks and the whole file give the same records and end`, () => {
    const whole = parseWith(Ctor, file);
    const bytes = parseWith(Ctor, file, [1]);
    assert.ok(whole.recs.length > 0);
    assert.equal(bytes.recs, whole.recs);
    assert.equal(bytes.info.end, whole.info.end);
    assert.equal(bytes.info.anomalies, whole.info.anomalies);
  });
  test(`${name}: random chunk sizes (fast-check) give the same records and end`, () => {
    const whole = parseWith(Ctor, file);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }), (sizes) => {
      const r = parseWith(Ctor, file, sizes);
      assert.equal(r.recs, whole.recs);
      assert.equal(r.info.end, whole.info.end);
    }), { seed: 42, numRuns: 150 });
  });
}

test('div64/unitsToTs agree with BigInt on random 64-bit values and resolutions', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.integer({ min: 0, max: 9 }), (v, n) => {
    const hi = Number(v >> 32n), lo = Number(v & 0xffffffffn);
    T.unitsToTs(hi, lo, false, n);
    const d = 10n ** BigInt(n);
    if (v / d > BigInt(Number.MAX_SAFE_INTEGER)) return;
    assert.is(T.TS[0], Number(v / d));
    assert.is(T.TS[1], Number((v % d) * 10n ** BigInt(9 - n)));
  }), { seed: 7, numRuns: 2000 });
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), fc.integer({ min: 0, max: 32 }), (v, n) => {
    const hi = Number(v >> 32n), lo = Number(v & 0xffffffffn);
    T.unitsToTs(hi, lo, true, n);
    const e = BigInt(n);
    if (v >> e > BigInt(Number.MAX_SAFE_INTEGER)) return;
    assert.is(T.TS[0], Number(v >> e));
    assert.is(T.TS[1], Number(((v & ((1n << e) - 1n)) * 1000000000n) >> e));
  }), { seed: 8, numRuns: 2000 });
});

test('unitsToTs agrees with BigInt on sequences of packet times (the same second, the next, back, across 2^32 units, resolutions changing)', () => {
  // a capture's times: steps forward within a second or past it, now and then back (merged
  // interfaces), across a low word's wrap, or under another interface's resolution
  const step = fc.oneof(
    fc.bigInt({ min: 0n, max: 2000n }),
    fc.bigInt({ min: 0n, max: 3_000_000_000n }),
    fc.bigInt({ min: -5_000_000n, max: 0n }),
    fc.constantFrom(1n << 32n, -1n, 1n),
    fc.constantFrom(-1, 0, 1), // to the last unit of this second, the next second's first, its second unit
  );
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 52n }), fc.array(fc.tuple(step, fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 60 }), (start, steps) => {
    let v = start;
    for (const [dv, n] of steps) {
      const d = 10n ** BigInt(n);
      v = typeof dv === 'bigint' ? v + dv : (v / d + 1n) * d + BigInt(dv);
      if (v < 0n) v = 0n;
      const hi = Number(v >> 32n), lo = Number(v & 0xffffffffn);
      // the words as the pcapng reader passes them (int32) and as read (uint32)
      if ((lo & 1) === 0) T.unitsToTs(hi | 0, lo | 0, false, n);
      else T.unitsToTs(hi, lo, false, n);
      assert.is(T.TS[0], Number(v / d), `seconds of ${v} at 10^-${n}`);
      assert.is(T.TS[1], Number((v % d) * 10n ** BigInt(9 - n)), `nanoseconds of ${v} at 10^-${n}`);
    }
  }), { seed: 9, numRuns: 3000 });
});

test.run();
