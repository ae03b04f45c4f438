/**
 * Property test of the flow table's open addressing (backward-shift deletion, rehash) together
 * with expiry and eviction: random packets over a small 5-tuple space (so slots are reused, keys
 * collide in probe runs and flows are deleted in every order), random time jumps, small maxFlows.
 * Invariants: every packet is counted in exactly one record of its own 5-tuple; records of the same
 * 5-tuple never overlap in time (no duplicate live flow for one key); after flush the table is
 * empty and every record is accounted for (evicted + expired + flushed + port reuse).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { run, type SynthPacket } from './synth.js';

const HOSTS = [...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `10.0.0.${i}`), ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `2001:db8::${i}`)];

const packetArb = fc.record({
  a: fc.integer({ min: 0, max: 7 }), b: fc.integer({ min: 0, max: 7 }), v6: fc.boolean(),
  sp: fc.constantFrom(53, 88, 445, 50000, 50001, 49667, 60000), dp: fc.constantFrom(53, 88, 445, 50000, 50001, 49667, 60000),
  udp: fc.boolean(), flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14),
  dt: fc.constantFrom(0, 0, 0, 0, 0, 0, 0.001, 0.001, 1, 10, 70, 400, 4000),
});

test('random packet sequences: counts conserved, no duplicate live flows, table empty after flush', () => {
  fc.assert(fc.property(fc.array(packetArb, { minLength: 50, maxLength: 600, size: 'max' }), fc.integer({ min: 1, max: 400 }), (arr, maxFlows) => {
    let t = 1_700_000_000;
    const pk: SynthPacket[] = arr.map((x) => {
      t += x.dt;
      const off = x.v6 ? 8 : 0;
      const src = HOSTS[Math.min(off + x.a, HOSTS.length - 1)]!, dst = HOSTS[Math.min(off + x.b, HOSTS.length - 1)]!;
      return x.udp
        ? { proto: 17, src, dst, sport: x.sp, dport: x.dp, len: 10, t }
        : { proto: 6, src, dst, sport: x.sp, dport: x.dp, flags: x.flags, len: x.flags === 0x18 ? 10 : 0, t };
    });
    const { flows, table, anomalies } = run(pk, { maxFlows, initialFlows: 16 });
    // per canonical 5-tuple: packets fed vs counted
    const key = (proto: number, h1: string, p1: number, h2: string, p2: number) =>
      `${proto}|${[`${h1}#${p1}`, `${h2}#${p2}`].sort().join('|')}`;
    const fed = new Map<string, number>();
    for (const p of pk) { const k = key(p.proto!, p.src, p.sport!, p.dst, p.dport!); fed.set(k, (fed.get(k) ?? 0) + 1); }
    const counted = new Map<string, number>();
    const byKey = new Map<string, typeof flows>();
    for (const f of flows) {
      const k = key(f.proto, f.origH, f.origP, f.respH, f.respP);
      counted.set(k, (counted.get(k) ?? 0) + f.origPkts + f.respPkts);
      byKey.set(k, [...(byKey.get(k) ?? []), f]);
      assert.ok(f.origPkts + f.respPkts >= 1);
    }
    assert.equal([...counted.entries()].sort(), [...fed.entries()].sort());
    for (const list of byKey.values()) {
      list.sort((x, y) => x.firstSec - y.firstSec || x.firstNsec - y.firstNsec);
      for (let i = 1; i < list.length; i++) {
        const p = list[i - 1]!, q = list[i]!;
        assert.ok(p.lastSec < q.firstSec || (p.lastSec === q.firstSec && p.lastNsec <= q.firstNsec), 'records of one 5-tuple do not overlap');
      }
    }
    assert.is(table.size, 0);
    assert.ok(table.evictions + table.expired + anomalies.get('flow.tcp.port_reuse') <= flows.length);
    assert.ok(flows.length <= pk.length);
  }), { numRuns: 100, seed: 20261126, endOnFailure: true });
});

test.run();
