/**
 * Property tests (fast-check): random bytes, truncations and bit flips of valid packets under every
 * link type never throw, only give outcomes, keep the field invariants, never hit the internal-error
 * safety net, and leave the decoder usable (a good packet decodes correctly right after).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Outcome } from '../../src/core/outcome.js';
import { parseDnsAnswers, parseDnsTcpAnswers } from '../../src/decode/app/dns.js';
import { parseTlsSni } from '../../src/decode/app/tls.js';
import { addr, eth, ethTagged, ext6, frag6, Harness, hex, icmp, ipv4, ipv6, LT, tcp, udp } from './helpers/build.js';

const LINKS = [LT.ETHERNET, LT.RAW, LT.NULL, LT.LOOP, LT.SLL, LT.SLL2, LT.IPV4, LT.IPV6, 12, 14, 42];
const GOOD = eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 1234, dport: 88 })));

const inner = ipv4({ src: '172.16.0.1' }, tcp({ dport: 445 }, Buffer.alloc(8)));
const SEEDS: [number, Buffer][] = [
  [LT.ETHERNET, GOOD],
  [LT.ETHERNET, ethTagged([[0x88a8, 5], [0x8100, 6]], 0x8864, Buffer.concat([hex('1100000100000021'), inner]))],
  [LT.ETHERNET, eth(0x86dd, ipv6({ nh: 0 }, Buffer.concat([ext6(44), frag6(17, 0, true, 9), udp(53, 53, Buffer.alloc(12))])))],
  [LT.IPV4, ipv4({ proto: 1 }, icmp(3, 3, Buffer.alloc(4), ipv4({ proto: 17 }, udp(1, 161, Buffer.alloc(8)))))],
  [LT.IPV6, ipv6({ nh: 58 }, icmp(1, 4, Buffer.alloc(4), ipv6({ nh: 6 }, tcp({ dport: 389 }))))],
  [LT.IPV4, ipv4({ proto: 47 }, Buffer.concat([hex('b000 6558 00000000 00000001 00000002'), eth(0x0800, inner)]))],
  [LT.IPV4, ipv4({ proto: 17 }, udp(1, 4789, Buffer.concat([hex('0800000000000100'), eth(0x0800, inner)])))],
  [LT.IPV4, ipv4({ proto: 17 }, udp(1, 6081, Buffer.concat([hex('0100 6558 00000100 01020301 00000000'), eth(0x0800, inner)])))],
  [LT.IPV4, ipv4({ proto: 17 }, udp(3544, 1, Buffer.concat([hex('0001 01 01 aa bb 0000000000000000 00'), hex('0000 1111 22222222'), ipv6({}, tcp({}))])))],
  [LT.IPV4, ipv4({ proto: 4 }, ipv4({ proto: 41 }, ipv6({ nh: 47 }, Buffer.concat([hex('3081 880b 0010 0001 00000001 00000002 ff03 0021'), inner]))))],
  [LT.NULL, Buffer.concat([hex('1e000000'), ipv6({}, tcp({}))])],
  [LT.SLL2, Buffer.concat([hex('0800 0000 00000002 0001 04 06 000000000000 0000'), inner])],
];

function check(h: Harness, lt: number, data: Buffer): void {
  const out = h.decode(lt, data);
  assert.ok(out.outcome >= Outcome.Ok && out.outcome <= Outcome.Unsupported);
  if (out.outcome === Outcome.Ok) assert.ok(out.ipVersion === 4 || out.ipVersion === 6, 'Ok has an IP layer');
  if (out.outcome === Outcome.Unsupported) assert.is(out.ipVersion, 0);
  if (out.hasPorts) assert.ok(out.ipVersion !== 0, 'ports imply addresses');
  assert.ok(out.payloadCaptured >= 0 && out.payloadCaptured <= out.payloadLen || out.payloadLen === 0);
  if (out.payloadCaptured > 0) assert.ok(out.payloadOffset >= 7 && out.payloadOffset + out.payloadCaptured <= 7 + data.length, 'payload inside the record');
  assert.ok(out.tunnelDepth >= 0 && out.tunnelDepth <= 8);
  assert.is(h.anomalies.get('decode.internal_error'), 0);
}

function stillWorks(h: Harness): void {
  const out = h.decode(LT.ETHERNET, GOOD);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(addr(out.src), '10.0.0.1');
  assert.equal([out.srcPort, out.dstPort, out.tunnel, out.hasQuoted, out.fragment], [1234, 88, 0, false, 0]);
}

test('random bytes under every link type', () => {
  const h = new Harness(8);
  fc.assert(fc.property(fc.constantFrom(...LINKS), fc.uint8Array({ maxLength: 200 }), (lt, bytes) => {
    check(h, lt, Buffer.from(bytes));
    stillWorks(h);
  }), { numRuns: 3000 });
});

test('every truncation of every seed packet', () => {
  const h = new Harness(8);
  for (const [lt, data] of SEEDS) {
    const full = h.decode(lt, data);
    assert.is(full.outcome, Outcome.Ok, `seed decodes: ${data.toString('hex').slice(0, 40)}`);
    for (let n = 0; n <= data.length; n++) {
      check(h, lt, data.subarray(0, n));
      const cut = h.decode(lt, data.subarray(0, n), data.length); // as if by snaplen
      assert.ok(cut.outcome <= Outcome.Unsupported);
    }
    stillWorks(h);
  }
});

test('bit flips and byte overwrites in seed packets', () => {
  const h = new Harness(8);
  fc.assert(fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.boolean(),
    (si, edits, flip) => {
      const [lt, seed] = SEEDS[si]!;
      const d = Buffer.from(seed);
      for (const [pos, v] of edits) { const i = pos % d.length; d[i] = flip ? d[i]! ^ (1 << (v & 7)) : v; }
      check(h, lt, d);
      stillWorks(h);
    }), { numRuns: 5000 });
});

test('DNS and TLS parsers never throw on random or mutated input', () => {
  const dns = hex('4fe88180000100040000000103777777056170706c6503636f6d0000010001c00c000500010000010f001a0d7777772d6170706c652d636f6d0176076161706c696d67c016c02b000500010000010f001b03777777056170706c6503636f6d07656467656b6579036e657400c051000500010000010f00190565363835380564736365390a616b616d616965646765c067c0780001000100000009000417c26518');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat(400), (rnd, edits, len) => {
    const d = Buffer.from(dns);
    for (const [pos, v] of edits) d[pos % d.length] = v;
    for (const b of [Buffer.from(rnd), d]) {
      parseDnsAnswers(b, 0, Math.min(len, b.length), () => {});
      parseDnsTcpAnswers(b, 0, b.length, () => {});
      const sni = parseTlsSni(b, 0, len);
      assert.ok(sni === null || /^[a-z0-9_.-]+$/.test(sni));
    }
  }), { numRuns: 3000 });
});

test.run();
