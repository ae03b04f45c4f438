import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseAddr, formatAddr, canonicalAddr, parseV4 } from '../../src/core/ip.js';

/** The definition parseV4 implements, as it was first written (split and a pattern). */
function parseV4Spec(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}

test('IPv4 round-trips through the mapped form', () => {
  const w = parseAddr('10.0.1.20');
  assert.equal(w, [0, 0, 0xffff, 0x0a000114]);
  assert.is(formatAddr(w!), '10.0.1.20');
});

test('IPv6 text is canonical (RFC 5952)', () => {
  assert.is(canonicalAddr('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.is(canonicalAddr('::1'), '::1');
  assert.is(canonicalAddr('fe80::1:0:0:1'), 'fe80::1:0:0:1');
  assert.is(canonicalAddr('::ffff:192.0.2.1'), '192.0.2.1');
  assert.is(canonicalAddr('2001:db8::192.0.2.1'), '2001:db8::c000:201');
});

test('invalid addresses are rejected, including ipaddr.js-style shorthands', () => {
  for (const s of ['1.2.3', '0x0a.1.2.3', '256.1.1.1', '1::2::3', 'gggg::1', '', '1.2.3.4.5']) {
    assert.is(parseAddr(s), null, s);
  }
});

test('parseV4 agrees with its definition: dotted quads, near misses and noise', () => {
  for (const s of ['0.0.0.0', '255.255.255.255', '010.001.000.009', '1.2.3.4', '1.2.3.256', '1.2.3.4.', '.1.2.3.4', '1..2.3', '1.2.3', '1.2.3.4.5',
    '1234.1.1.1', '1.2.3.0004', ' 1.2.3.4', '1.2.3.4 ', '１.2.3.4', '1.2.3.-4', '+1.2.3.4', '1e2.1.1.1', '', '::1', '192.0.2.1%eth0']) {
    assert.is(parseV4(s), parseV4Spec(s), JSON.stringify(s));
  }
  const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{0,4}$/), fc.string({ maxLength: 4 }));
  fc.assert(fc.property(fc.array(part, { minLength: 0, maxLength: 6 }), fc.constantFrom('.', '.', '.', ':', ' ', '..'), (parts, sep) => {
    const s = parts.join(sep);
    return parseV4(s) === parseV4Spec(s);
  }), { numRuns: 20000 });
  fc.assert(fc.property(fc.string({ maxLength: 16 }), (s) => parseV4(s) === parseV4Spec(s)), { numRuns: 20000 });
});

test.run();
