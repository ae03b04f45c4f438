/**
 * Run `flowaudit audit` (src/cli/main.ts through tsx) synchronously, and check that an option
 * that must not change the report does not: same stdout (the report), exit code and stderr.
 */
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBench } from '../../bench/gen/index.js';
import { runCliText } from './cli.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function cliSync(args: string[], input?: Buffer): { code: number | null; out: string; err: string } {
  const r = runCliText(args, { env: { NO_COLOR: '1' }, ...(input ? { input } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `audit INPUTS --inventory INV --format FORMAT` with `base` options and with `variant` options give the same report, exit code and stderr. */
export function sameAudit(inputs: string[], inventory: string, base: string[], variant: string[], opts: { input?: Buffer; format?: string } = {}): void {
  const args = ['audit', ...inputs, '--inventory', inventory, '--format', opts.format ?? 'json'];
  const one = cliSync([...args, ...base], opts.input);
  const two = cliSync([...args, ...variant], opts.input);
  assert.ok(one.code === 0 || one.code === 1, one.err);
  assert.ok(one.out.length > 200, 'a report was written');
  assert.is(two.code, one.code, two.err);
  assert.is(two.out, one.out, inputs.join(' '));
  assert.is(two.err, one.err);
}

const PILOT = path.join(ROOT, '../shared/corpus/pilot/');

/**
 * sameAudit over the usual samples: the demo (JSON, and text when asked), a generated capture of
 * `packets` packets (seed), and, when ../shared/corpus/pilot exists, two pilot captures together
 * and a pilot capture with Zeek logs (says so when it skips them).
 */
export function sameAuditOnSamples(base: string[], variant: string[], gen: { seed: number; packets: number; text?: boolean }): void {
  const demo = path.join(ROOT, 'fixtures/demo/sample.pcapng'), demoInv = path.join(ROOT, 'fixtures/demo/inventory.json');
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-same-'));
  try {
    sameAudit([demo], demoInv, base, variant);
    if (gen.text === true) sameAudit([demo], demoInv, base, variant, { format: 'text' });
    const file = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json');
    generateBench({ out: file, format: 'pcap', options: { seed: gen.seed }, limits: { packets: gen.packets }, inventory: inv });
    sameAudit([file], inv, base, variant);
    if (existsSync(PILOT)) {
      const pinv = path.join(ROOT, 'fixtures/inventories/pilot.json');
      sameAudit([PILOT + 'pilot-full.pcap', PILOT + 'pilot-no-ldaps.pcapng'], pinv, base, variant);
      sameAudit([PILOT + 'pilot-full.pcapng', path.join(ROOT, 'fixtures/evidence/zeek')], pinv, base, variant);
    } else console.log('skip: ../shared/corpus/pilot not present (pilot cases)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
