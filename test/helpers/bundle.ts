/**
 * The CLI bundled from the current sources (tools/bundle.mjs, what `npm run build` puts in dist/bin)
 * into a scratch folder under node_modules/.cache, so that `cap` resolves as it does from dist/bin.
 * Tests that must run what users run (no tsx loader) use it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './same-audit.js';

export interface Bundle {
  /** The folder holding the bin and the worker entries. */
  dir: string;
  /** The bundled bin (the package's `bin`). */
  bin: string;
  /** The build's own result (status, stderr). */
  built: SpawnSyncReturns<string>;
  /** Remove the folder. */
  remove(): void;
}

/** Bundle the CLI into a new scratch folder (`prefix` names it). */
export function buildBundle(prefix: string): Bundle {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const cacheDir = path.join(ROOT, 'node_modules/.cache');
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(path.join(cacheDir, prefix));
  const built = spawnSync(process.execPath, [path.join(ROOT, 'tools/bundle.mjs'), dir], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { dir, bin: path.join(dir, path.basename(pkg.bin.flowaudit!)), built, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
