/**
 * conn_state and history for every Zeek code, from hand-built packet sequences. Expected values
 * follow Zeek's definitions (conn.log docs: S0 "Connection attempt seen, no reply", REJ "Connection
 * attempt rejected", ...; history: upper case orig, lower case resp, each letter once).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, tcp, F } from './synth.js';
import { tcpConnState, udpConnState, Tcp, historyLetter } from '../../src/flow/tcp-state.js';

const C = '10.0.0.5', S = '10.0.0.10';
const SA = F.SYN | F.ACK, A = F.ACK, PA = F.PSH | F.ACK, FA = F.FIN | F.ACK, RA = F.RST | F.ACK;

function one(steps: [boolean, number, number?][], sp = 443) {
  const { flows } = run(tcp(C, 50000, S, sp, steps));
  assert.is(flows.length, 1, 'one flow');
  return flows[0]!;
}

const cases: [string, [boolean, number, number?][], string, string][] = [
  ['S0: SYN only', [[true, F.SYN], [true, F.SYN]], 'S0', 'S'],
  ['REJ: SYN answered by RST-ACK', [[true, F.SYN], [false, RA]], 'REJ', 'Sr'],
  ['SF: full session', [[true, F.SYN], [false, SA], [true, A], [true, PA, 100], [false, PA, 200], [true, FA], [false, FA], [true, A]], 'SF', 'ShADdFf'],
  ['S1: established, not closed', [[true, F.SYN], [false, SA], [true, A], [true, PA, 10]], 'S1', 'ShAD'],
  ['S2: orig FIN only', [[true, F.SYN], [false, SA], [true, A], [true, FA]], 'S2', 'ShAF'],
  ['S3: resp FIN only', [[true, F.SYN], [false, SA], [true, A], [false, FA]], 'S3', 'ShAf'],
  ['RSTO: orig aborts', [[true, F.SYN], [false, SA], [true, A], [true, RA]], 'RSTO', 'ShAR'],
  ['RSTR: resp aborts', [[true, F.SYN], [false, SA], [true, A], [false, RA]], 'RSTR', 'ShAr'],
  ['RSTOS0: SYN then orig RST, no SYN-ACK', [[true, F.SYN], [true, F.RST]], 'RSTOS0', 'SR'],
  ['SH: SYN then orig FIN, no SYN-ACK', [[true, F.SYN], [true, F.FIN]], 'SH', 'SF'],
];

for (const [name, steps, state, hist] of cases) {
  test(name, () => {
    const f = one(steps);
    assert.is(f.connState, state);
    assert.is(f.history, hist);
    assert.is(f.origH, C); assert.is(f.respH, S); assert.is(f.respP, 443); assert.is(f.origP, 50000);
  });
}

test('RSTRH: SYN-ACK then RST from the responder, no SYN (direction flipped: ^)', () => {
  const f = one([[false, SA], [false, F.RST]]);
  assert.is(f.connState, 'RSTRH');
  assert.is(f.history, '^hr');
  assert.is(f.respP, 443);
  assert.ok(f.directionInferred);
});

test('SHR: SYN-ACK then FIN from the responder, no SYN', () => {
  const f = one([[false, SA], [false, FA]]);
  assert.is(f.connState, 'SHR');
  assert.is(f.history, '^hf');
});

test('OTH: mid-stream traffic, no SYN, not closed', () => {
  const f = one([[true, PA, 10], [false, PA, 20], [true, A]]);
  assert.is(f.connState, 'OTH');
  assert.is(f.history, 'DdA');
  assert.ok(f.directionInferred);
});

test('missed SYN: SYN-ACK then ACK establishes (Zeek: S1 with ^)', () => {
  const f = one([[false, SA], [true, A], [true, PA, 5], [false, PA, 5]]);
  assert.is(f.connState, 'S1');
  assert.is(f.history, '^hADd');
});

test('multi-flag letters: SYN+FIN is Q, FIN+RST is I', () => {
  assert.is(historyLetter(F.SYN | F.FIN, 0), 6);
  assert.is(historyLetter(F.FIN | F.RST, 0), 7);
  const f = one([[true, F.SYN | F.FIN]]);
  assert.is(f.history, 'Q');
});

test('conn_state pure function corner: both RESET without payload is REJ, with payload RSTR', () => {
  assert.is(tcpConnState(Tcp.RESET, Tcp.RESET, 'SRr', false), 'REJ');
  assert.is(tcpConnState(Tcp.RESET, Tcp.RESET, 'ShADRr', true), 'RSTR');
  assert.is(tcpConnState(Tcp.RESET, Tcp.PARTIAL, 'DR', true), 'OTH');
});

test('UDP conn_state: both directions SF, one S0, only responder SHR', () => {
  assert.is(udpConnState(1, 1), 'SF');
  assert.is(udpConnState(2, 0), 'S0');
  assert.is(udpConnState(0, 1), 'SHR');
  const { flows } = run([
    { proto: 17, src: C, dst: S, sport: 53001, dport: 53, len: 30 },
    { proto: 17, src: S, dst: C, sport: 53, dport: 53001, len: 90 },
    { proto: 17, src: C, dst: S, sport: 53002, dport: 161, len: 40 },
  ]);
  assert.is(flows.length, 2);
  const dns = flows.find((f) => f.respP === 53)!;
  assert.is(dns.connState, 'SF'); assert.is(dns.history, 'Dd');
  assert.is(dns.origPkts, 1); assert.is(dns.respPkts, 1);
  assert.is(dns.origIpBytes, 20 + 8 + 30); assert.is(dns.respIpBytes, 20 + 8 + 90);
  const snmp = flows.find((f) => f.respP === 161)!;
  assert.is(snmp.connState, 'S0');
});

test('flags union per side', () => {
  const f = one([[true, F.SYN], [false, SA], [true, A], [true, FA]]);
  assert.is(f.origFlags, F.SYN | F.ACK | F.FIN);
  assert.is(f.respFlags, F.SYN | F.ACK);
});

test.run();
