/**
 * AddressTable: each distinct address gets the next id, once, whatever the order, the mix of IPv4
 * (mapped) and IPv6 words, and collisions in its direct-mapped IPv4 cache; text comes back as the
 * address's canonical form (words) or exactly as given (text).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { AddressTable } from '../../src/report/flows/address-table.js';
import { formatAddr } from '../../src/core/ip.js';

const key = (w: Uint32Array, o: number): string => `${w[o]},${w[o + 1]},${w[o + 2]},${w[o + 3]}`;

test('ids: one per distinct address, in order of first sight, IPv4 and IPv6 words mixed (the IPv4 cache colliding)', () => {
  // (IPv4 from a pool larger than the cache, so that its slots are taken over again and again)
  const v4 = fc.integer({ min: 0, max: 60_000 }).map((i) => [0, 0, 0xffff, (0x0a000000 + i * 2654435761) >>> 0]);
  const v6 = fc.tuple(fc.nat(3), fc.nat(5)).map(([a, b]) => [0x20010db8, a, 0, b]);
  const near = fc.nat(3).map((i) => [0, 1, 0xffff, i]); // (not mapped: the last word alone must not match)
  fc.assert(fc.property(fc.array(fc.oneof(v4, v4, v4, v6, near), { minLength: 1, maxLength: 3000 }), (addrs) => {
    const t = new AddressTable(), seen = new Map<string, number>();
    const w = new Uint32Array(4);
    for (const a of addrs) {
      w.set(a);
      const id = t.idOfWords(w);
      const k = key(w, 0), want = seen.get(k) ?? seen.size;
      if (!seen.has(k)) seen.set(k, want);
      assert.is(id, want, `id of ${k}`);
      assert.is(t.text(id), formatAddr(w));
    }
    assert.is(t.size, seen.size);
  }), { numRuns: 300 });
});

test('text addresses keep their text; words and text of one address are different entries', () => {
  const t = new AddressTable();
  const a = t.idOfText('10.0.0.1'), b = t.idOfWords(new Uint32Array([0, 0, 0xffff, 0x0a000001])), c = t.idOfText('10.0.0.1');
  assert.is(a, 0); assert.is(b, 1); assert.is(c, 0);
  assert.is(t.text(a), '10.0.0.1'); assert.is(t.text(b), '10.0.0.1');
  assert.ok(t.has('10.0.0.1'));
  assert.is(t.idOfWords(new Uint32Array([0, 0, 0xffff, 0x0a000001])), 1, 'the cached IPv4 id');
});

test.run();
