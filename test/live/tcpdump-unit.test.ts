/**
 * tcpdump engine pieces that need no capture: argument list, the closing statistics and
 * `tcpdump -D` parsing (texts as tcpdump 4.99.3 / libpcap 1.10.3 print them), error cleanup,
 * link-type names; and the interface listing with injected sources.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTcpdumpStats, parseTcpdumpInfoLine, parseTcpdumpD, tcpdumpArgs, tcpdumpErrorText, tcpdumpLinkType, findTcpdump } from '../../src/capture/live-tcpdump.js';
import { listInterfaces } from '../../src/capture/live-interfaces.js';
import { classifyPcapError, LiveErrorCode } from '../../src/capture/live-errors.js';
import type { CapModule } from '../../src/capture/live-cap.js';

test('tcpdump arguments: no shell, filter after --, buffer in KiB', () => {
  assert.equal(tcpdumpArgs('eth0', ''), ['-i', 'eth0', '-U', '-w', '-', '-n', '--immediate-mode', '--time-stamp-precision=nano']);
  const a = tcpdumpArgs('lo', '-not a flag; rm -rf /', 64 * 1024 * 1024);
  assert.equal(a.slice(-4), ['-B', '65536', '--', '-not a flag; rm -rf /']);
});

test('closing statistics, singular and plural', () => {
  const s = parseTcpdumpStats('tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n1 packet captured\n2 packets received by filter\n17 packets dropped by kernel\n');
  assert.equal(s, { captured: 1, receivedByFilter: 2, droppedByKernel: 17, droppedByInterface: null });
  const t = parseTcpdumpStats('0 packets captured\n0 packets received by filter\n0 packets dropped by kernel\n3 packets dropped by interface\n');
  assert.is(t.droppedByInterface, 3);
  assert.equal(parseTcpdumpStats(''), { captured: null, receivedByFilter: null, droppedByKernel: null, droppedByInterface: null });
});

test('SIGUSR1 statistics line (as tcpdump 4.99.3 prints it)', () => {
  assert.equal(parseTcpdumpInfoLine('tcpdump: 0 packets captured, 0 packets received by filter, 0 packets dropped by kernel'),
    { captured: 0, receivedByFilter: 0, droppedByKernel: 0, droppedByInterface: null });
  assert.equal(parseTcpdumpInfoLine('tcpdump: 1 packet captured, 12 packets received by filter, 7 packets dropped by kernel, 2 packets dropped by interface'),
    { captured: 1, receivedByFilter: 12, droppedByKernel: 7, droppedByInterface: 2 });
  assert.is(parseTcpdumpInfoLine('17 packets dropped by kernel'), null);
});

test('tcpdump -D lines', () => {
  const l = parseTcpdumpD('1.eth0 [Up, Running, Connected]\n2.any (Pseudo-device that captures on all interfaces) [Up, Running]\n3.lo [Up, Running, Loopback]\n4.ifb0 [none]\n');
  assert.equal(l, [
    { name: 'eth0', description: null, flags: ['up', 'running', 'connected'] },
    { name: 'any', description: 'Pseudo-device that captures on all interfaces', flags: ['up', 'running'] },
    { name: 'lo', description: null, flags: ['up', 'running', 'loopback'] },
    { name: 'ifb0', description: null, flags: [] },
  ]);
});

test('error texts are cleaned and classified', () => {
  assert.is(tcpdumpErrorText('tcpdump: nosuch0: No such device exists\n(No such device exists)\n', 'nosuch0'), 'No such device exists');
  assert.is(tcpdumpErrorText("tcpdump: lo: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n", 'lo'),
    "You don't have permission to perform this capture on that device (socket: Operation not permitted)");
  assert.is(classifyPcapError('No such device exists'), LiveErrorCode.NoInterface);
  assert.is(classifyPcapError("You don't have permission to perform this capture on that device (socket: Operation not permitted)"), LiveErrorCode.Permission);
  assert.is(classifyPcapError("can't parse filter expression: syntax error"), LiveErrorCode.Filter);
  assert.is(classifyPcapError('something else entirely'), LiveErrorCode.Open);
});

test('tcpdump link-type names', () => {
  assert.is(tcpdumpLinkType('EN10MB (Ethernet)'), 1);
  assert.is(tcpdumpLinkType('LINUX_SLL2 (Linux cooked v2)'), 276);
  assert.is(tcpdumpLinkType('RAW (Raw IP)'), 101);
  assert.is(tcpdumpLinkType('IEEE802_11 (802.11)'), -1);
});

test('FLOWAUDIT_TCPDUMP that does not exist means no tcpdump', () => {
  assert.is(findTcpdump('/nonexistent/tcpdump'), null);
});

const fakeCap = {
  Cap: Object.assign(function Cap() { /* unused */ }, {
    deviceList: () => [
      { name: 'eth0', addresses: [{ addr: '10.0.0.4', netmask: '255.255.255.0' }, { addr: 'fe80::0:1', netmask: 'ffff:ffff:ffff:ffff::' }] },
      { name: 'lo', addresses: [{ addr: '127.0.0.1', netmask: '255.0.0.0' }], flags: 'PCAP_IF_LOOPBACK' },
      { name: 'any', description: 'Pseudo-device that captures on all interfaces', addresses: [] },
    ],
    findDevice: () => 'eth0',
  }),
} as unknown as CapModule;

test('interfaces from libpcap (cap), flags merged from tcpdump -D', () => {
  const l = listInterfaces({ cap: fakeCap, tcpdumpD: parseTcpdumpD('1.eth0 [Up, Running, Connected]\n3.lo [Up, Running, Loopback]\n'), os: {} });
  assert.is(l.source, 'libpcap');
  assert.equal(l.interfaces.map((i) => i.name), ['eth0', 'lo', 'any']);
  assert.equal(l.interfaces[0]!.addresses, [
    { family: 'ipv4', address: '10.0.0.4', netmask: '255.255.255.0' },
    { family: 'ipv6', address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::' },
  ]);
  assert.equal(l.interfaces[1]!.flags, ['loopback', 'up', 'running']);
  assert.is(l.interfaces[2]!.description, 'Pseudo-device that captures on all interfaces');
});

test('interfaces without cap: tcpdump -D names + OS addresses; without both: OS list', () => {
  const os = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;
  const t = listInterfaces({ cap: null, tcpdumpD: parseTcpdumpD('1.lo [Up, Running, Loopback]\n2.any (Pseudo) [Up]\n'), os: os as never });
  assert.is(t.source, 'tcpdump');
  assert.equal(t.interfaces[0], { name: 'lo', description: null, addresses: [{ family: 'ipv4', address: '127.0.0.1', netmask: '255.0.0.0' }], flags: ['up', 'running', 'loopback'] });
  assert.equal(t.interfaces[1]!.addresses, []);
  const o = listInterfaces({ cap: null, tcpdumpD: null, os: os as never });
  assert.is(o.source, 'os');
  assert.equal(o.interfaces[0]!.flags, ['loopback']);
  assert.ok(o.notes.length >= 1);
});

test.run();
