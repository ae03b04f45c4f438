// The benchmark's check of issue #6's goals (bench/goals.ts): ratios of medians and paired ratios.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goalRows, goalTable, speedRatio, type TimedRun } from '../../bench/goals.js';

const runs = (...walls: number[]): TimedRun[] => walls.map((wall) => ({ wall, rssKiB: 200 * 1024 }));

test('speedRatio: slow ÷ fast from the medians, and the median of the rounds', () => {
  // round 2 is slow for both (the machine was busy): the paired ratio keeps 2.0, the medians do not
  const r = new Map([['a', runs(1, 3, 1.1)], ['b', runs(2, 6, 3)]]);
  const s = speedRatio(r, 'a', 'b');
  assert.is(+s.value!.toFixed(3), +(3 / 1.1).toFixed(3));
  assert.is(+s.paired!.toFixed(3), 2);
  assert.equal(speedRatio(r, 'a', 'missing'), { value: null, paired: null });
});

test('goalRows: met only when both figures reach the target; missing programs are not measured', () => {
  const results = new Map([
    ['flowaudit-audit', runs(2, 2, 2)],
    ['flowaudit-flows', runs(2.1, 2.1, 2.1)],
    ['floor-c', runs(1, 1, 1)],
    ['nfpcapd', runs(3.3, 3.1, 3.4)],
  ]);
  const rows = goalRows(results, 6_000_000, false);
  const by = (prefix: string) => rows.find((x) => x.goal.startsWith(prefix))!;
  assert.is(by('audit, one thread, ≥ 3 M').value, 3);
  assert.is(by('audit, one thread, ≥ 3 M').met, true);
  assert.is(by('audit, one thread, ≥ 0.65').value, 0.5);
  assert.is(by('audit, one thread, ≥ 0.65').met, false);
  assert.is(by('audit, one thread, ≥ 1.6 × nfpcapd').value, 1.65);
  assert.is(by('audit, one thread, ≥ 1.6 × nfpcapd').met, true);
  assert.is(by('audit, one thread, ≥ 20 × tshark').met, null);
  assert.is(by('audit within 10 %').met, true);
  assert.is(by('two threads').met, null);
  assert.is(by('peak memory ≤ 300 MiB (one thread)').value, 200);
  assert.is(goalRows(results, 6_000_000, true)[0]!.goal, 'audit, one thread, ≥ 4 M packets/s');
  // the medians reach the goal, the rounds do not (1.65, 1.5, 1.55): missed
  const drift = new Map([['flowaudit-audit', runs(2, 2.2, 2)], ['nfpcapd', runs(3.3, 3.3, 3.1)]]);
  const n = goalRows(drift, 1, false).find((x) => x.goal.includes('nfpcapd'))!;
  assert.is(n.value, 1.65);
  assert.is(+n.paired!.toFixed(2), 1.55);
  assert.is(n.met, false);
  assert.ok(goalTable(rows).some((l) => l.includes('| missed |')));
});

test.run();
