/**
 * mapLimit (src/core/map-limit.ts): results in the items' order whatever order the calls finish
 * in, never more than `limit` under way, every item tried, and the first failing item's error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapLimit } from '../../src/core/map-limit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('results in order, at most `limit` under way', async () => {
  let now = 0, most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0, 6, 1, 2], 3, async (x, i) => {
    now++; most = Math.max(most, now);
    await sleep(x * 3);
    now--;
    return `${i}:${x}`;
  });
  assert.equal(out, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6', '7:1', '8:2']);
  assert.is(most, 3);
  assert.equal(await mapLimit([], 4, async () => 1), []);
  assert.equal(await mapLimit([1, 2], 0, async (x) => x * 2), [2, 4], 'a limit below 1 still runs one at a time');
});

test('every item is tried; the error of the first failing item in order is thrown', async () => {
  const tried: number[] = [];
  try {
    await mapLimit([0, 1, 2, 3, 4, 5], 4, async (x) => {
      await sleep(x === 1 ? 20 : 1); // item 1 fails last in time, item 4 first
      tried.push(x);
      if (x === 1 || x === 4) throw new Error(`item ${x}`);
      return x;
    });
    assert.unreachable('it throws');
  } catch (e) {
    assert.is((e as Error).message, 'item 1');
  }
  assert.equal(tried.sort(), [0, 1, 2, 3, 4, 5]);
});

test.run();
