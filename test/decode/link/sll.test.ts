import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Outcome } from '../../../src/core/outcome.js';
import { addr, decodeOnce, hex, LT } from '../helpers/build.js';

// sll-smb.pcap frame 1: Linux cooked v1, packet type 4 (outgoing), ARPHRD 1, 6-byte address, protocol 0x0800,
// IPv4 192.168.1.100 → 192.168.1.3, TCP 41688 → 445 SYN (tshark reference row 1).
const SLL = hex(`
  0004 0001 0006 00302bd9384c0000 0800
  4500003c c526 4000 4006 f1dd c0a80164 c0a80103
  a2d8 01bd e028b45a 00000000 a0 02 7210 83e6 0000 020405b4`);

// sll2-tls.pcap frame 1: Linux cooked v2, protocol 0x0800, ifindex 2, ARPHRD 1, type 4, addr len 6,
// IPv4 192.168.64.6 → 192.0.78.150, TCP 55058 → 443 SYN.
const SLL2 = hex(`
  0800 0000 00000002 0001 04 06 fa37dc8dafab0000
  4500003c 7ba7 4000 4006 afcf c0a84006 c0004e96
  d712 01bb 3a10e02e 00000000 a0 02 faf0 3488 0000 020405b4`);

test('SLL (113) → IPv4/TCP (sll-smb.pcap #1)', () => {
  const { out } = decodeOnce(LT.SLL, SLL, 76);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(addr(out.src), '192.168.1.100');
  assert.is(addr(out.dst), '192.168.1.3');
  assert.equal([out.srcPort, out.dstPort, out.tcpFlags], [41688, 445, 0x02]);
});

test('SLL2 (276) → IPv4/TCP (sll2-tls.pcap #1)', () => {
  const { out } = decodeOnce(LT.SLL2, SLL2, 80);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(addr(out.src), '192.168.64.6');
  assert.is(addr(out.dst), '192.0.78.150');
  assert.equal([out.srcPort, out.dstPort], [55058, 443]);
});

test('SLL/SLL2 truncated and non-IP protocols', () => {
  const t1 = decodeOnce(LT.SLL, SLL.subarray(0, 15));
  assert.is(t1.out.outcome, Outcome.Truncated);
  assert.is(t1.anomalies.get('decode.sll.truncated'), 1);
  const t2 = decodeOnce(LT.SLL2, SLL2.subarray(0, 19));
  assert.is(t2.anomalies.get('decode.sll2.truncated'), 1);
  const arp = Buffer.from(SLL); arp.writeUInt16BE(0x0806, 14);
  const a = decodeOnce(LT.SLL, arp);
  assert.is(a.out.outcome, Outcome.Unsupported);
  assert.is(a.anomalies.get('decode.sll.non_ip'), 1);
  const llc = Buffer.from(SLL2); llc.writeUInt16BE(0x0004, 0);
  assert.is(decodeOnce(LT.SLL2, llc).out.outcome, Outcome.Unsupported);
});

test('SLL with a VLAN protocol walks the tag', () => {
  const d = Buffer.concat([SLL.subarray(0, 14), hex('8100 0007 0800'), SLL.subarray(16)]);
  const { out } = decodeOnce(LT.SLL, d);
  assert.is(out.outcome, Outcome.Ok);
  assert.is(out.vlan, 7);
  assert.is(out.dstPort, 445);
});

test.run();
