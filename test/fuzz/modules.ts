/**
 * Finds the code under test by export name, so that the hostile-input tests wire themselves to
 * each stage as it lands (and say `skip: …` for a stage that is not there yet) without
 * type-checking against modules that may not exist yet.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { ROOT } from './harness.js';

const cache = new Map<string, Record<string, unknown>[]>();

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    // (a wasm/ folder holds AssemblyScript sources, compiled by tools/build-wasm.mjs, not modules to import)
    if (statSync(p).isDirectory()) { if (n !== 'wasm') out.push(...tsFiles(p)); }
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Import every module under src/<rel> (recursively). Modules that fail to import are skipped (reported once). */
export async function modulesUnder(rel: string): Promise<Record<string, unknown>[]> {
  const hit = cache.get(rel);
  if (hit) return hit;
  const mods: Record<string, unknown>[] = [];
  for (const f of tsFiles(path.join(ROOT, 'src', rel))) {
    if (/live|cap\.ts$|worker/.test(path.basename(f))) continue; // live capture wrappers load native code; worker entry points run at import
    try {
      mods.push((await import(pathToFileURL(f).href)) as Record<string, unknown>);
    } catch (e) {
      process.stdout.write(`note: cannot import ${path.relative(ROOT, f)}: ${(e as Error).message.split('\n')[0]}\n`);
    }
  }
  cache.set(rel, mods);
  return mods;
}

/** The first export called `name` under src/<rel>, or undefined. */
export async function findExport<T = unknown>(rel: string, name: string): Promise<T | undefined> {
  for (const m of await modulesUnder(rel)) if (name in m) return m[name] as T;
  return undefined;
}

/** Import one module by its path under src/ (e.g. `decode/decoder.ts`), or undefined when it is absent or broken. */
export async function tryImport(rel: string): Promise<Record<string, unknown> | undefined> {
  const f = path.join(ROOT, 'src', rel);
  if (!existsSync(f)) return undefined;
  try {
    return (await import(pathToFileURL(f).href)) as Record<string, unknown>;
  } catch (e) {
    process.stdout.write(`note: cannot import src/${rel}: ${(e as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

export function skip(what: string): void {
  process.stdout.write(`skip: ${what}\n`);
}
