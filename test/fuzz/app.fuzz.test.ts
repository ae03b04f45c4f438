/**
 * Hostile application payloads for the name parsers in src/decode/app (fixed seed, `npm test`):
 * DNS compression loops, lying counts and lengths, TCP-framed DNS with lying prefixes, TLS
 * ClientHellos with every length lying. Property: no exception, no read outside
 * buf[off, off+len), work and output linear in the input (≤ 1 answer per 8 bytes + 16), every
 * reported address canonical, every name a bounded string, SNI only host-name characters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { FuzzStats, SEED } from './harness.js';
import { dnsCase as dnsCase0, sniCase as sniCase0, type DnsParse, type SniParse } from './app-check.js';
import { findExport, skip } from './modules.js';
import { mutate, DNS_HOSTILE, TLS_HOSTILE, arbDnsPayload, arbTlsPayload } from './gen.js';
import { clientHello, goodDnsResponse, dnsName, dnsPtr, u16, u32 } from './bytes.js';


const stats = new FuzzStats();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const parseDns = await findExport<DnsParse>('decode/app', 'parseDnsAnswers');
const parseDnsTcp = await findExport<DnsParse>('decode/app', 'parseDnsTcpAnswers');
const parseSni = await findExport<SniParse>('decode/app', 'parseTlsSni');
const dnsCase = (target: string, fn: DnsParse, msg: Uint8Array, pad?: number) => dnsCase0(stats, target, fn, msg, pad);
const sniCase = (msg: Uint8Array, pad?: number) => sniCase0(stats, parseSni!, msg, pad);


// eslint-disable-next-line @typescript-eslint/no-explicit-any
function check(name: string, r: fc.RunDetails<any>): void {
  if (r.failed) assert.unreachable(`${name}: ${(r.errorInstance as Error)?.message} (seed ${r.seed}, path ${r.counterexamplePath})`);
}

test('DNS: compression loops, lying counts and lengths (hand-made cases)', () => {
  if (!parseDns) return skip('src/decode/app has no parseDnsAnswers yet');
  const good: string[] = [];
  assert.ok(parseDns(goodDnsResponse(), 0, goodDnsResponse().length, (n, a) => good.push(`${n} ${a}`)));
  assert.equal(good, ['dc1.corp.example 10.0.0.10'], 'a plain response gives its answer');
  for (const d of DNS_HOSTILE) {
    const got: string[] = [];
    let ok = true;
    try { ok = parseDns(d.msg, 0, d.msg.length, (n, a) => got.push(`${n} ${a}`)); } catch (e) { assert.unreachable(`${d.name}: threw ${(e as Error).stack}`); }
    dnsCase('app.dns', parseDns, d.msg);
    // loops, pointers out of the message, over-long names and lying lengths are not clean parses
    if (['self-pointer', 'label-loop', 'ping-pong', 'pointer-past-end', 'name-too-long', 'answer-self', 'rdlength-lie', 'count-lie', 'reserved-label'].includes(d.name)) {
      assert.not.ok(ok, `${d.name}: must be reported as malformed (got ${JSON.stringify(got)})`);
    }
  }
});

test('DNS: work and output are linear in the message size (CNAME fan-out)', () => {
  if (!parseDns) return skip('src/decode/app has no parseDnsAnswers yet');
  // 1 question t.x, N CNAMEs <alias_i>.t.x → t.x, M A records t.x → 10.0.i.j (compression pointers)
  const amp = (N: number, M: number) => {
    const h = Buffer.alloc(12); h.writeUInt16BE(0x8180, 2); h.writeUInt16BE(1, 4); h.writeUInt16BE(N + M, 6);
    const parts: Buffer[] = [h, dnsName('t.x'), u16(1), u16(1)];
    for (let i = 0; i < N; i++) {
      parts.push(Buffer.from([2, 0x61 + (i % 26), 0x61 + (Math.floor(i / 26) % 26), 1, 0x61 + (Math.floor(i / 676) % 26)]), dnsPtr(12), u16(5), u16(1), u32(60), u16(2), dnsPtr(12));
    }
    for (let i = 0; i < M; i++) parts.push(dnsPtr(12), u16(1), u16(1), u32(60), u16(4), u32(0x0a000000 + i));
    return Buffer.concat(parts);
  };
  for (const [n, m] of [[3, 3], [40, 40], [400, 400]] as const) dnsCase('app.dns.fanout', parseDns, amp(n, m));
});

test('DNS over UDP and TCP: generated hostile messages', () => {
  if (!parseDns || !parseDnsTcp) return skip('src/decode/app DNS parsers not there yet');
  check('dns', fc.check(fc.property(arbDnsPayload, fc.nat(5), (m, pad) => { dnsCase('app.dns', parseDns, m, pad); }), { seed: SEED, numRuns: RUNS }));
  // TCP: 2-byte length prefixes that lie, several messages per segment
  const arbTcp = fc.array(fc.tuple(arbDnsPayload, fc.oneof(fc.constant(-1), fc.nat(0xffff))), { minLength: 1, maxLength: 4 })
    .map((ms) => Buffer.concat(ms.flatMap(([m, lie]) => [u16(lie < 0 ? m.length : lie), Buffer.from(m)])));
  check('dns-tcp', fc.check(fc.property(arbTcp, (m) => { dnsCase('app.dns_tcp', parseDnsTcp, m); }), { seed: SEED, numRuns: RUNS >> 1 }));
});

test('TLS: every length of a ClientHello lying, mutations, random bytes', () => {
  if (!parseSni) return skip('src/decode/app has no parseTlsSni yet');
  const good = clientHello();
  assert.is(parseSni(good, 0, good.length), 'login.microsoftonline.com');
  for (const l of TLS_HOSTILE) {
    try { sniCase(l.msg); } catch (e) { assert.unreachable(`${l.name}: ${(e as Error).message}`); }
  }
  // a ClientHello cut at every offset never yields a name that is not in it
  for (let n = 0; n < good.length; n++) sniCase(good.subarray(0, n));
  // hostile host names: control characters, spaces, escape sequences are refused
  for (const name of ['evil\nInjected: line', 'a\x1b[31mred', 'has space.example', 'x'.repeat(300)]) {
    const r = parseSni(clientHello(name), 0, clientHello(name).length);
    if (name.length < 300) assert.is(r, null, `${JSON.stringify(name)} refused`);
    sniCase(clientHello(name));
  }
  check('tls', fc.check(fc.property(arbTlsPayload, fc.nat(4), (m, pad) => { sniCase(m, pad); }), { seed: SEED, numRuns: RUNS }));
  check('tls-mut', fc.check(fc.property(mutate(good), (m) => { sniCase(m); }), { seed: SEED, numRuns: RUNS >> 1 }));
});

test.after(() => {
  process.stdout.write(`${stats.summary('app-layer fuzz')}\n`);
});

test.run();
