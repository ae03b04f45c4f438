/**
 * Run `flowaudit audit` (src/cli/main.ts through tsx) synchronously, and check that an option
 * that must not change the report does not: same stdout (the report), exit code and stderr.
 */
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function cliSync(args: string[], input?: Buffer): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' }, ...(input ? { input } : {}) });
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
