/**
 * `audit --two-pass`: names first, then every flow audited as it finishes, nothing kept. The report
 * must be exactly the one-pass report (same JSON, same exit code), with captures alone, several
 * captures, and captures mixed with flow logs; stdin is refused (it cannot be read twice). An
 * input that reads differently the second time is named on stderr (changedBetweenReads, used by
 * --two-pass and by the re-read after a late name).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { ROOT, cliSync, sameAuditOnSamples } from '../helpers/same-audit.js';
import { changedBetweenReads } from '../../src/cli/commands/audit/handler.js';
import type { InputSummary } from '../../src/flow/record.js';

test('--two-pass gives the one-pass report: demo sample, a generated capture, pilot captures, capture + Zeek log', () => {
  sameAuditOnSamples([], ['--two-pass'], { seed: 21, packets: 80_000 });
});

test('--two-pass refuses stdin (exit 2, says why)', () => {
  const r = cliSync(['audit', '-', '--inventory', path.join(ROOT, 'fixtures/demo/inventory.json'), '--two-pass'], Buffer.alloc(0));
  assert.is(r.code, 2);
  assert.match(r.err, /--two-pass reads the capture files twice/);
  assert.not.match(r.err, /\n\s+at /);
});

test('an input that reads differently the second time (a capture still being written) is named on stderr, with both reads', () => {
  const input = (file: string, bytes: number, packets: number, records = 0): InputSummary => ({
    file, format: records > 0 ? 'zeek' : 'pcapng', compressed: null, packets, records, bytes,
    firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, anomalies: {}, end: { clean: true, code: null, offset: 0, reason: null },
  });
  const first = [input('a.pcapng', 1000, 10), input('conn.log', 500, 0, 7)];
  assert.equal(changedBetweenReads(first, [input('a.pcapng', 1000, 10), input('conn.log', 500, 0, 7)]), [], 'the same reads: nothing to say');
  assert.equal(changedBetweenReads([first[0]!], [input('a.pcapng', 1000, 10), input('conn.log', 900, 0, 9)]), [], 'an input the first read did not read (a flow log in --two-pass): nothing');
  assert.equal(changedBetweenReads(first, [input('a.pcapng', 1400, 14), input('conn.log', 600, 0, 8)]), [
    "flowaudit: a.pcapng changed between the two reads (1000 bytes, 10 packets the first time, 1400 bytes, 14 packets the second): the report is the second read's",
    "flowaudit: conn.log changed between the two reads (500 bytes, 7 records the first time, 600 bytes, 8 records the second): the report is the second read's",
  ]);
});

test.run();
