import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PrefixTrie, formatPrefix, parseCidr } from '../../src/rules/prefix-trie.js';

function trieOf(entries: Array<[string, string]>): PrefixTrie<string> {
  const t = new PrefixTrie<string>();
  for (const [c, v] of entries) { const p = parseCidr(c)!.prefix; t.insert(p.words, p.len, v); }
  return t;
}

test('longest prefix wins, IPv4 and IPv6 in one space', () => {
  const t = trieOf([['10.0.0.0/8', 'wide'], ['10.20.0.0/24', 'corp'], ['10.20.0.10', 'dc'], ['2001:db8::/32', 'v6'], ['2001:db8:1::/48', 'v6-sub'], ['0.0.0.0/0', 'any-v4']]);
  assert.is(t.lookup('10.20.0.10')?.value, 'dc');
  assert.is(t.lookup('10.20.0.11')?.value, 'corp');
  assert.is(t.lookup('10.99.0.1')?.value, 'wide');
  assert.is(t.lookup('192.0.2.1')?.value, 'any-v4');
  assert.is(t.lookup('2001:db8:1::5')?.value, 'v6-sub');
  assert.is(t.lookup('2001:db8:2::5')?.value, 'v6');
  assert.is(t.lookup('2001:db9::1'), undefined, 'IPv4 /0 is ::ffff:0:0/96 and does not cover IPv6');
  assert.is(t.lookup('::ffff:10.20.0.10')?.value, 'dc', 'mapped form is the same address');
  assert.is(t.lookup('10.20.0.10')?.len, 128);
  assert.is(t.lookup('not an address'), undefined);
});

test('prefix edges: first and last address of a /24 and their neighbours', () => {
  const t = trieOf([['10.20.0.0/24', 'corp']]);
  assert.is(t.lookup('10.20.0.0')?.value, 'corp');
  assert.is(t.lookup('10.20.0.255')?.value, 'corp');
  assert.is(t.lookup('10.19.255.255'), undefined);
  assert.is(t.lookup('10.20.1.0'), undefined);
});

test('covering lists every enclosing prefix, shortest first', () => {
  const t = trieOf([['10.0.0.0/8', 'a'], ['10.20.0.0/16', 'b'], ['10.20.0.5', 'c']]);
  const p = parseCidr('10.20.0.5')!.prefix;
  assert.equal(t.covering(p.words, p.len).map((x) => x.value), ['a', 'b', 'c']);
});

test('parseCidr is strict', () => {
  assert.is(parseCidr('1.2.3'), null);
  assert.is(parseCidr('0x0a.1.2.3'), null);
  assert.is(parseCidr('server01'), null);
  assert.throws(() => parseCidr('10.0.0.0/33'), /expected 0–32/);
  assert.throws(() => parseCidr('10.0.0.1/24'), /host bits are set.*10\.0\.0\.0\/24/);
  assert.throws(() => parseCidr('2001:db8::1/32'), /2001:db8::\/32/);
  assert.throws(() => parseCidr('10.0.0.0/x'), /bad prefix length/);
  assert.is(formatPrefix(parseCidr('10.1.0.0/16')!.prefix), '10.1.0.0/16');
  assert.is(formatPrefix(parseCidr('2001:db8::/32')!.prefix), '2001:db8::/32');
  assert.is(parseCidr('fe80::1')!.prefix.len, 128);
});

test.run();
