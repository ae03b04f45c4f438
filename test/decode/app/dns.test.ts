import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDnsAnswers, parseDnsTcpAnswers } from '../../../src/decode/app/dns.js';
import { hex } from '../helpers/build.js';

function collect(buf: Buffer, tcp = false): { ok: boolean; pairs: string[] } {
  const pairs: string[] = [];
  const ok = (tcp ? parseDnsTcpAnswers : parseDnsAnswers)(buf, 0, buf.length, (n, a) => pairs.push(`${n}=${a}`));
  return { ok, pairs: pairs.sort() };
}

// pcapng-multi-interface-dns.pcapng frame 2, UDP payload: www.apple.com CNAME www-apple-com.v.aaplimg.com
// CNAME www.apple.com.edgekey.net CNAME e6858.dsce9.akamaiedge.net A 23.194.101.24 (+ EDNS OPT), all names
// compressed. Expected pairs from `tshark -V` of that frame: every name of the chain maps to the address.
const APPLE = hex(`4fe88180000100040000000103777777056170706c6503636f6d0000010001c00c000500010000010f001a0d7777772d6170706c652d636f6d0176076161706c696d67c016c02b000500010000010f001b03777777056170706c6503636f6d07656467656b6579036e657400c051000500010000010f00190565363835380564736365390a616b616d616965646765c067c0780001000100000009000417c2651800002904d0000000000000`);

test('CNAME chain of 3 with compression (pcapng-multi-interface-dns.pcapng #2)', () => {
  const { ok, pairs } = collect(APPLE);
  assert.ok(ok);
  assert.equal(pairs, [
    'e6858.dsce9.akamaiedge.net=23.194.101.24',
    'www-apple-com.v.aaplimg.com=23.194.101.24',
    'www.apple.com.edgekey.net=23.194.101.24',
    'www.apple.com=23.194.101.24',
  ]);
});

// teredo.pcap frame 22 (UDP payload): AAAA ipv6.google.com → CNAME ipv6.l.google.com → 2001:4860:0:2001::68;
// 7 NS records in authority and 7 A glue records in additional (not answers: not reported).
const GOOGLE6 = hex(`426381800001000200070007046970763606676f6f676c6503636f6d00001c0001046970763606676f6f676c6503636f6d0000050001000021cf00090469707636016cc026c03c001c00010000012c001020014860000020010000000000000068c041000200010001306300040161c041c041000200010001306300040162c041c041000200010001306300040163c041c041000200010001306300040164c041c041000200010001306300040165c041c041000200010001306300040166c041c041000200010001306300040167c041c06d000100010000258f0004d1558b09c07d000100010000266c000440e9b309c08d000100010001248f000440e9a109c09d0001000100012649000442f95d09c0ad00010001000026690004d1558909c0bd00010001000126490004480eeb09c0cd0001000100010a56000440e9a709`);

test('AAAA through a CNAME (teredo.pcap #22); TCP framing with two messages in one segment', () => {
  assert.equal(collect(GOOGLE6).pairs, ['ipv6.google.com=2001:4860:0:2001::68', 'ipv6.l.google.com=2001:4860:0:2001::68']);
  const len = (b: Buffer) => { const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return l; };
  const both = collect(Buffer.concat([len(APPLE), APPLE, len(GOOGLE6), GOOGLE6]), true);
  assert.ok(both.ok);
  assert.is(both.pairs.length, 6);
  // a segment cut in the middle of the second message still reports the first
  const cut = Buffer.concat([len(APPLE), APPLE, len(GOOGLE6), GOOGLE6.subarray(0, 20)]);
  assert.is(collect(cut, true).pairs.length, 4);
});

// Hand-built: header, question "a.example" A, answer with a pointer to itself (offset 0x1b → 0x1b).
test('compression loops and forward pointers are rejected, no hang', () => {
  const q = hex('01 61 07 6578616d706c65 00 0001 0001'); // a.example
  const hdr = hex('1234 8180 0001 0001 0000 0000');
  const self = Buffer.concat([hdr, q, hex('c01b 0001 0001 00000000 0004 0a000001')]);
  assert.is(self.indexOf(Buffer.from([0xc0, 0x1b])), 0x1b);
  assert.equal(collect(self), { ok: false, pairs: [] });
  // two pointers to each other
  const mutual = Buffer.concat([hdr, q, hex('c01d c01b 0001 0001 00000000 0004 0a000001')]);
  assert.not.ok(collect(mutual).ok);
  // label followed by a pointer back to that label
  const back = Buffer.concat([hdr, q, hex('0162 c01b 0001 0001 00000000 0004 0a000001')]);
  assert.not.ok(collect(back).ok);
  // a legal backward pointer to the question name
  const good = Buffer.concat([hdr, q, hex('c00c 0001 0001 00000000 0004 0a000001')]);
  assert.equal(collect(good), { ok: true, pairs: ['a.example=10.0.0.1'] });
});

test('CNAME loops in the data terminate; queries, truncation and junk are not answers', () => {
  const hdr = hex('1234 8180 0001 0003 0000 0000');
  const q = hex('01 61 00 0001 0001'); // "a" at 0x0c
  // a CNAME b, b CNAME a, b A 10.0.0.2
  const body = hex('c00c 0005 0001 00000000 0004 0162 0000' + ' 0162 00 0005 0001 00000000 0002 c00c' + ' 0162 00 0001 0001 00000000 0004 0a000002');
  const m = Buffer.concat([hdr, q, body]);
  const r = collect(m);
  assert.ok(r.ok);
  assert.equal(r.pairs, ['a=10.0.0.2', 'b=10.0.0.2']);
  const query = Buffer.from(APPLE); query.writeUInt16BE(0x0100, 2); // QR = 0
  assert.not.ok(collect(query).ok);
  assert.not.ok(collect(APPLE.subarray(0, 11)).ok);
  const cut = collect(APPLE.subarray(0, 100));
  assert.not.ok(cut.ok);
  assert.equal(cut.pairs, []);
  assert.not.ok(collect(Buffer.alloc(64, 0xff)).ok);
});

test('names are in presentation format: no raw control characters (hostile-bugs.md #2)', () => {
  // answer owner: label "x\x1b[2J\nPASS.a" then "login" — built by hand
  const label = Buffer.from('x\x1b[2J\nPASS.a\\', 'latin1');
  const name = Buffer.concat([Buffer.from([label.length]), label, Buffer.from([5]), Buffer.from('LOGIN'), Buffer.from([0])]);
  const m = Buffer.concat([hex('0001 8180 0000 0001 0000 0000'), name, hex('0001 0001 00000000 0004 0a000063')]);
  const { ok, pairs } = collect(m);
  assert.ok(ok);
  assert.equal(pairs, ['x\\027[2j\\010pass\\.a\\\\.login=10.0.0.99']);
  assert.not.match(pairs[0]!, /[\x00-\x1f\x7f]/);
});

test('CNAME fan-out is bounded (hostile-bugs.md #1: 1000 aliases × 1000 A records)', () => {
  // question t.x at 0x0c; 1000 CNAMEs "<i>.t.x → t.x" (label + pointer to 0x0c), 1000 A records for t.x (pointer)
  const parts: Buffer[] = [hex('0001 8180 0001 07d0 0000 0000'), hex('01 74 01 78 00 0001 0001')];
  for (let i = 0; i < 1000; i++) {
    const label = Buffer.from(String(i));
    parts.push(Buffer.from([label.length]), label, hex('c00c 0005 0001 00000000 0002 c00c'));
  }
  for (let i = 0; i < 1000; i++) parts.push(hex('c00c 0001 0001 00000000 0004 0a00'), Buffer.from([i >> 8, i & 255]));
  const m = Buffer.concat(parts);
  m.writeUInt16BE(2000, 6);
  let n = 0, limited = 0;
  const t0 = Date.now();
  assert.ok(parseDnsAnswers(m, 0, m.length, () => { n++; }, () => { limited++; }));
  assert.ok(Date.now() - t0 < 500);
  assert.ok(n <= 16 + Math.floor(m.length / 8), `${n} answers from ${m.length} bytes`);
  assert.is(limited, 1);
  // the normal case is not limited
  let l2 = 0;
  parseDnsAnswers(APPLE, 0, APPLE.length, () => {}, () => { l2++; });
  assert.is(l2, 0);
});

test.run();
