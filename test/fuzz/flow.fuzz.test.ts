/**
 * Hostile packets through the flow stage (FlowEngine = Decoder + FlowTable + DNS/SNI parsers),
 * fixed seed, part of `npm test`: sequences of hostile frames, with time jumping backwards among
 * them, then a good TCP connection that must come out exactly as it does alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { FuzzStats, SEED, checkHeap } from './harness.js';
import { findExport, skip } from './modules.js';
import { arbHostileFrame } from './gen.js';
import { flowCase, type EngineCtor } from './flow-check.js';
import { PropertyFailure } from './capture-check.js';

const stats = new FuzzStats();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const Engine = await findExport<EngineCtor>('flow', 'FlowEngine');

test('hostile frame sequences (time going backwards too), then a good connection', () => {
  if (!Engine) return skip('src/flow has no FlowEngine yet');
  const arb = fc.array(fc.tuple(arbHostileFrame, fc.oneof(fc.integer({ min: 1700000000, max: 1700000999 }), fc.constantFrom(0, 1, 1699999999))), { minLength: 1, maxLength: 25 });
  const r = fc.check(fc.property(arb, (xs) => { flowCase(stats, Engine, xs.map((x) => x[0]), xs.map((x) => x[1])); }), { seed: SEED, numRuns: RUNS >> 1 });
  checkHeap(stats);
  if (r.failed) {
    const e = r.errorInstance;
    assert.unreachable(`${e instanceof PropertyFailure ? e.anomaly : 'exception'}: ${(e as Error)?.message} (seed ${r.seed}, path ${r.counterexamplePath})`);
  }
});

test.after(() => { process.stdout.write(`${stats.summary('flow fuzz')}\n`); });

test.run();
