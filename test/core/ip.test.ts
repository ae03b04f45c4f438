import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAddr, formatAddr, canonicalAddr } from '../../src/core/ip.js';

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

test.run();
