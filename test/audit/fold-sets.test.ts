/**
 * What a finding folds its flows into besides PeerSet: PortSet (the distinct ports, a bitmap) and
 * StateCounts (flows per conn_state, an array for the flow table's states). Each must answer as the
 * Set and Map they stand for, in any order of adds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { PortSet } from '../../src/audit/port-set.js';
import { StateCounts } from '../../src/audit/state-counts.js';

test('PortSet: size and ascending ports of a Set of the same adds', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(0, 7, 8, 49152, 65535)), { maxLength: 200 }), (ports) => {
    const p = new PortSet(), s = new Set<number>();
    for (const x of ports) { p.add(x); s.add(x); }
    assert.is(p.size, s.size);
    assert.equal(p.sorted(), [...s].sort((a, b) => a - b));
  }));
});

test('StateCounts: the sorted record of a Map counting each state, with "" as "-" and states from flow logs too', () => {
  const states = ['SF', 'S0', 'REJ', 'RSTO', 'RSTOS0', 'RSTR', 'RSTRH', 'S1', 'S2', 'S3', 'SH', 'SHR', 'OTH', '', '-', 'established', 'CLOSED', 'Z'];
  fc.assert(fc.property(fc.array(fc.constantFrom(...states), { maxLength: 100 }), (seq) => {
    const c = new StateCounts(), m = new Map<string, number>();
    for (const st of seq) {
      c.add(st);
      const k = st === '' ? '-' : st;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    const want = Object.fromEntries([...m].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    assert.equal(c.toRecord(), want);
    assert.equal(Object.keys(c.toRecord()), Object.keys(want), 'in the same key order');
  }));
});

test.run();
