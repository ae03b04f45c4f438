import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTlsSni, tlsRecordLength } from '../../../src/decode/app/tls.js';
import { hex } from '../helpers/build.js';

// sll2-tls.pcap frame 4, first 196 bytes of the TCP payload: TLS 1.2 record, ClientHello (0x1c0 bytes),
// 32-byte session id, 62 bytes of cipher suites, one compression method, extensions (0x139 bytes) starting
// with server_name "zeek.org" (tshark: tls.handshake.extensions_server_name = zeek.org).
const ZEEK = hex(`16030301c4010001c00303a021a50627aaf47999a11177afaf134b1567779546868cdb06d4f4e71b53a6e720a14023aebdc70f8d832511dd646b823f52c5afb346835af730d498318dcdc5ad003e130213011303c02cc02bcca9c030cca8c02f009fccaa00a3009e00a2c024c028c023c027006b006a00670040c00ac014c009c013003900380033003200ff010001390000000d000b0000087a65656b2e6f7267000500050100000000000a00160014001d001700180019001e`);

test('SNI from a real ClientHello (sll2-tls.pcap #4), at an offset in a bigger buffer', () => {
  assert.is(parseTlsSni(ZEEK, 0, ZEEK.length), 'zeek.org');
  const buf = Buffer.concat([Buffer.alloc(33, 0x16), ZEEK, Buffer.alloc(10)]);
  assert.is(parseTlsSni(buf, 33, ZEEK.length), 'zeek.org');
});

test('every truncation before the end of the name gives null, never a throw', () => {
  const nameEnd = ZEEK.indexOf(Buffer.from('zeek.org')) + 8;
  for (let n = 0; n < nameEnd; n++) assert.is(parseTlsSni(ZEEK, 0, n), null, `len ${n}`);
  assert.is(parseTlsSni(ZEEK, 0, nameEnd), 'zeek.org');
});

test('not a ClientHello / no SNI / bad names', () => {
  const sh = Buffer.from(ZEEK); sh[5] = 2; // ServerHello
  assert.is(parseTlsSni(sh, 0, sh.length), null);
  const app = Buffer.from(ZEEK); app[0] = 0x17;
  assert.is(parseTlsSni(app, 0, app.length), null);
  const noSni = Buffer.from(ZEEK); noSni.writeUInt16BE(0x0017, ZEEK.indexOf(hex('0000000d000b')));
  assert.is(parseTlsSni(noSni, 0, noSni.length), null);
  const bad = Buffer.from(ZEEK); bad[ZEEK.indexOf(Buffer.from('zeek.org')) + 4] = 0x00;
  assert.is(parseTlsSni(bad, 0, bad.length), null);
  const upper = Buffer.from(ZEEK); upper.write('ZEEK', ZEEK.indexOf(Buffer.from('zeek.org')), 'latin1');
  assert.is(parseTlsSni(upper, 0, upper.length), 'zeek.org');
  assert.is(parseTlsSni(Buffer.alloc(0), 0, 0), null);
  assert.is(parseTlsSni(ZEEK, -5, 10), null);
  assert.is(parseTlsSni(ZEEK, 0, 1e9), 'zeek.org');
});

test('tlsRecordLength: the first record size for reassembly (0x1c4 + 5 here)', () => {
  assert.is(tlsRecordLength(ZEEK, 0, 5), 0x1c4 + 5);
  assert.is(tlsRecordLength(ZEEK, 0, 4), -1);
  assert.is(tlsRecordLength(Buffer.from('GET / HTTP/1.1'), 0, 14), -1);
  // a ClientHello split across two segments parses once the segments are concatenated
  const a = ZEEK.subarray(0, 100), b = ZEEK.subarray(100);
  assert.is(parseTlsSni(a, 0, a.length), null);
  assert.is(parseTlsSni(Buffer.concat([a, b]), 0, ZEEK.length), 'zeek.org');
});

test.run();
