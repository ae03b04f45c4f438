/**
 * `audit --two-pass`: names first, then every flow audited as it finishes, nothing kept. The report
 * must be exactly the one-pass report (same JSON, same exit code), with captures alone, several
 * captures, and captures mixed with flow logs; stdin is refused (it cannot be read twice).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, cliSync, sameAudit } from '../helpers/same-audit.js';
import { generateBench } from '../../bench/gen/index.js';

const PILOT = fileURLToPath(new URL('../../../shared/corpus/pilot/', import.meta.url));

/** The default one-pass audit and --two-pass give the same report. */
function same(inputs: string[], inventory: string): void {
  sameAudit(inputs, inventory, [], ['--two-pass']);
}

test('--two-pass gives the one-pass report: demo sample, a generated capture, pilot captures, capture + Zeek log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-two-'));
  try {
    same([path.join(ROOT, 'fixtures/demo/sample.pcapng')], path.join(ROOT, 'fixtures/demo/inventory.json'));
    const gen = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: gen, format: 'pcap', options: { seed: 21 }, limits: { packets: 80_000 }, inventory: inv });
    same([gen], inv);
    if (existsSync(PILOT)) {
      const pinv = path.join(ROOT, 'fixtures/inventories/pilot.json');
      same([PILOT + 'pilot-full.pcap', PILOT + 'pilot-no-ldaps.pcapng'], pinv);
      same([PILOT + 'pilot-full.pcapng', path.join(ROOT, 'fixtures/evidence/zeek')], pinv);
    } else console.log('skip: ../shared/corpus/pilot not present (pilot cases)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--two-pass refuses stdin (exit 2, says why)', () => {
  const r = cliSync(['audit', '-', '--inventory', path.join(ROOT, 'fixtures/demo/inventory.json'), '--two-pass'], Buffer.alloc(0));
  assert.is(r.code, 2);
  assert.match(r.err, /--two-pass reads the capture files twice/);
  assert.not.match(r.err, /\n\s+at /);
});

test.run();
