/**
 * sortFlows (packed 64-bit time keys + native sort, ties ordered by compareFlows) must give
 * exactly the order of flows.sort(compareFlows), whatever the time range, ties and size.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareFlows, sortFlows } from '../../src/cli/gather.js';
import type { FlowRecord } from '../../src/flow/record.js';

let seed = 12345;
function rnd(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return Math.floor((seed / 4294967296) * n);
}

function flow(sec: number, nsec: number, i: number): FlowRecord {
  return {
    firstSec: sec, firstNsec: nsec, lastSec: sec + rnd(3), lastNsec: rnd(1e9), proto: [6, 17, 1][rnd(3)]!,
    origH: `10.0.${rnd(3)}.${rnd(4)}`, origP: rnd(4), respH: `10.1.0.${rnd(3)}`, respP: rnd(3),
    origPkts: 1, respPkts: 0, origIpBytes: 40, respIpBytes: 0, origFlags: 0, respFlags: 0, connState: 'S0', history: 'S',
    directionInferred: false, icmpErrors: [], vlan: rnd(3) === 0 ? null : rnd(2), tunnel: null, ifIndex: 0,
    communityId: `id${i}`, evidence: 'pcap', source: rnd(2) === 0 ? 'a.pcap' : 'b.pcap', verdict: null,
  };
}

const cases: [string, number, () => [number, number]][] = [
  ['one second, ties on the nanosecond', 5000, () => [1_700_000_000, rnd(50) * 1000]],
  ['an hour, µs timestamps', 20000, () => [1_700_000_000 + rnd(3600), rnd(1e6) * 1000]],
  ['years apart (few nanosecond bits left)', 10000, () => [rnd(2) === 0 ? 1_000_000_000 + rnd(4e8) : 1_700_000_000, rnd(1e9)]],
  ['from 0 to year 9999', 4096, () => [rnd(253402300799), rnd(1e9)]],
  ['few distinct times', 3000, () => [1_700_000_000 + rnd(2), rnd(2)]],
];

for (const [name, n, ts] of cases) {
  test(`sortFlows = sort(compareFlows): ${name} (${n} flows)`, () => {
    const flows: FlowRecord[] = [];
    for (let i = 0; i < n; i++) { const [s, ns] = ts(); flows.push(flow(s, ns, i)); }
    const want = flows.slice().sort(compareFlows).map((f) => f.communityId);
    const got = sortFlows(flows.slice()).map((f) => f.communityId);
    assert.equal(got, want);
  });
}

test('sortFlows with an invalid nanosecond value falls back to the comparator', () => {
  const flows: FlowRecord[] = [];
  for (let i = 0; i < 3000; i++) flows.push(flow(1_700_000_000, i === 7 ? 2e9 : rnd(1e9), i));
  assert.equal(sortFlows(flows.slice()).map((f) => f.communityId), flows.slice().sort(compareFlows).map((f) => f.communityId));
});

test.run();
