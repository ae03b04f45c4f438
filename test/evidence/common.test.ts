import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  aIsService, communityId, epochSecOrMs, flagsFromHistory, parseAnyTs, parseIsoTs, protoNumber, splitDecimalSeconds,
} from '../../src/evidence/common.js';
import { communityId as flowCommunityId } from '../../src/flow/community-id.js';
import { parseAddr } from '../../src/core/ip.js';

test('epoch timestamps: 10-digit seconds and 13-digit milliseconds (VNet doc samples use both)', () => {
  assert.equal(epochSecOrMs('1663146003599'), [1663146003, 599000000]);
  assert.equal(epochSecOrMs('1663146003'), [1663146003, 0]);
  assert.equal(epochSecOrMs('1521911721.255387'), [1521911721, 255387000]);
  assert.is(epochSecOrMs('-1'), null);
  assert.is(epochSecOrMs('12a'), null);
  assert.equal(splitDecimalSeconds('1.1234567891'), [1, 123456789]);
});

test('ISO timestamps: Z, ±hh:mm, ±hhmm, fractions to nanoseconds', () => {
  const base = Date.UTC(2019, 4, 28, 21, 32, 29) / 1000;
  assert.equal(parseIsoTs('2019-05-28T23:32:29.025256+0200'), [base, 25256000]);
  assert.equal(parseIsoTs('2019-05-28T23:32:29.025256+02:00'), [base, 25256000]);
  assert.equal(parseIsoTs('2019-05-28T21:32:29.025256789Z'), [base, 25256789]);
  assert.equal(parseIsoTs('2019-05-28T17:32:29-0400'), [base, 0]);
  assert.is(parseIsoTs('yesterday'), null);
  assert.equal(parseAnyTs(1547188415.857497), [1547188415, 857497000]);
  assert.equal(parseAnyTs('2019-01-11T06:33:36.123456Z'), [Date.UTC(2019, 0, 11, 6, 33, 36) / 1000, 123456000]);
  assert.is(parseAnyTs(undefined), null);
});

test('protocol names and letters', () => {
  assert.is(protoNumber('T'), 6);
  assert.is(protoNumber('U'), 17);
  assert.is(protoNumber('TCP'), 6);
  assert.is(protoNumber('IPv6-ICMP'), 58);
  assert.is(protoNumber('047'), 47);
  assert.is(protoNumber('999'), -1);
  assert.is(protoNumber('bogus'), -1);
});

test('service-side heuristic: service port list, then ephemeral range, then lower port', () => {
  assert.is(aIsService(445, 50000), true);
  assert.is(aIsService(50000, 3268), false);
  assert.is(aIsService(5001, 43416), true);   // 43416 is in the ephemeral range
  assert.is(aIsService(49690, 49200), false); // both ephemeral: lower wins (why flags beat this)
  assert.is(aIsService(80, 80), null);
});

test('Community ID v1 (spec test vector) and from the reverse direction', () => {
  assert.is(communityId(6, '128.232.110.120', 34855, '66.35.250.204', 80), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  assert.is(communityId(6, '66.35.250.204', 80, '128.232.110.120', 34855), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  assert.is(communityId(6, 'nope', 1, '1.1.1.1', 2), '');
});

test('Community ID: the evidence readers and the flow stage agree (random TCP/UDP/ICMP/ICMPv6, v4 and v6)', () => {
  let seed = 99;
  const r = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  for (let i = 0; i < 2000; i++) {
    const v6 = r(2) === 0;
    const addr = () => v6 ? `2001:db8::${r(4).toString(16)}:${r(65536).toString(16)}` : `10.${r(3)}.${r(3)}.${r(256)}`;
    const proto = [6, 17, 132, 47, v6 ? 58 : 1][r(5)]!;
    const icmp = proto === 1 || proto === 58;
    const sh = addr(), dh = r(10) === 0 ? sh : addr();
    const sp = icmp ? [0, 3, 8, 11, 128, 129, 135, 136][r(8)]! : r(65536), dp = icmp ? r(4) : r(65536);
    assert.is(communityId(proto, sh, sp, dh, dp), flowCommunityId(parseAddr(sh)!, parseAddr(dh)!, proto, sp, dp), `${proto} ${sh}:${sp} ${dh}:${dp}`);
  }
});

test('TCP flags from Zeek history letters', () => {
  assert.equal(flagsFromHistory('ShADadFf'), [0x02 | 0x10 | 0x01, 0x12 | 0x10 | 0x01]);
  assert.equal(flagsFromHistory('Sr'), [0x02, 0x04]);
  assert.equal(flagsFromHistory(''), [0, 0]);
});

test.run();
