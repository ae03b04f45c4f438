/**
 * `audit --two-pass`: names first, then every flow audited as it finishes, nothing kept. The report
 * must be exactly the one-pass report (same JSON, same exit code), with captures alone, several
 * captures, and captures mixed with flow logs; stdin is refused (it cannot be read twice).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { ROOT, cliSync, sameAuditOnSamples } from '../helpers/same-audit.js';

test('--two-pass gives the one-pass report: demo sample, a generated capture, pilot captures, capture + Zeek log', () => {
  sameAuditOnSamples([], ['--two-pass'], { seed: 21, packets: 80_000 });
});

test('--two-pass refuses stdin (exit 2, says why)', () => {
  const r = cliSync(['audit', '-', '--inventory', path.join(ROOT, 'fixtures/demo/inventory.json'), '--two-pass'], Buffer.alloc(0));
  assert.is(r.code, 2);
  assert.match(r.err, /--two-pass reads the capture files twice/);
  assert.not.match(r.err, /\n\s+at /);
});

test.run();
