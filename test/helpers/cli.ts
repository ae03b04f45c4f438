/**
 * flowaudit's CLI (src/cli/main.ts through tsx), run synchronously from the project root: what the
 * end-to-end tests spawn. (test/damage/cli.ts runs it asynchronously, several at a time.)
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './capture-files.js';

export const MAIN = path.join(ROOT, 'src/cli/main.ts');

export interface CliOptions {
  /** Standard input (none: an empty pipe). */
  input?: Buffer | string;
  /** Milliseconds before the run is killed (default 120 s). */
  timeout?: number;
  /** Added to the environment. */
  env?: Record<string, string>;
}

function spawnOptions(o: CliOptions) {
  return {
    cwd: ROOT, timeout: o.timeout ?? 120_000, maxBuffer: 1 << 29,
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.env !== undefined ? { env: { ...process.env, ...o.env } } : {}),
  };
}

/** `flowaudit ARGS`, its stdout and stderr as text. */
export function runCliText(args: readonly string[], o: CliOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { ...spawnOptions(o), encoding: 'utf8' });
}

/** `flowaudit ARGS`, its stdout and stderr as bytes (for byte-for-byte comparisons). */
export function runCliBytes(args: readonly string[], o: CliOptions = {}): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], spawnOptions(o));
}
