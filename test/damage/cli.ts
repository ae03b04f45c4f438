/** Spawning the real CLI (src/cli/main.ts through tsx) for end-to-end hostile-input tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../fuzz/harness.js';

export const MAIN = path.join(ROOT, 'src/cli/main.ts');
export const INVENTORY = path.join(ROOT, 'test/damage/inventory.json');

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

export function cliAvailable(command: string): boolean {
  if (!existsSync(MAIN)) return false;
  return existsSync(path.join(ROOT, 'src/cli/commands', command, 'command.ts'));
}

export function startCli(args: string[], opts: { stdin?: 'ignore' | 'pipe'; stdout?: 'pipe' | 'ignore' } = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT, stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
}

export function runCli(args: string[], timeoutMs = 60000): Promise<CliResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = startCli(args);
    let out = '', err = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - t0 }); });
  });
}

/** Run several CLI invocations, at most `width` at a time. */
export async function runMany(argss: string[][], width = 3): Promise<CliResult[]> {
  const res: CliResult[] = new Array<CliResult>(argss.length);
  let next = 0;
  const worker = async () => { while (next < argss.length) { const i = next++; res[i] = await runCli(argss[i]!); } };
  await Promise.all(Array.from({ length: Math.min(width, argss.length) }, worker));
  return res;
}

/** A stack trace on stderr (a user error must be one line, no `    at …` frames). */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(stderr) || /internal error/i.test(stderr);
}
