#!/usr/bin/env node
/**
 * Bundle the CLI (the package's `bin`) into dist/bin with esbuild: flowaudit.js and the four
 * worker-thread entries next to it (spawnWorker finds `./<stem>.js` beside its caller).
 *
 * Why: tsc's output is ~135 modules, and with yargs, cli-progress and stream-json a small audit
 * loads ~180 files through Node's ESM loader before the first packet (about 200 ms of the demo's
 * 550). One file per entry loads in a fraction of that; the code is the same (no down-levelling:
 * the target is the Node the package requires), and tsc's dist/ stays for the library (`main`,
 * `types`). The native `cap` stays outside (optional, loaded on demand by `live`).
 *
 *   node tools/bundle.mjs [outdir]     (default dist/bin; run by `npm run build`)
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Entry name (the file's stem in outdir) → source. The worker stems are the ones spawnWorker is called with. */
export const ENTRIES = {
  flowaudit: 'src/cli/main.ts',
  worker: 'src/flow/parallel/worker.ts',
  'audit-worker': 'src/cli/commands/audit/audit-worker.ts',
  'format-worker': 'src/cli/commands/flows/format-worker.ts',
  'sorted-worker': 'src/cli/commands/flows/sorted-worker.ts',
};

/**
 * string-width (the ES module copies of yargs, cliui and wrap-ansi) builds a \p{RGI_Emoji}
 * regular expression and an Intl.Segmenter when its module is evaluated: about 30 ms of every run's start-up, for
 * text that only --help and usage errors measure. Each import of it gets a stand-in whose
 * stringWidth require()s the real module on its first call; esbuild bundles a require()d ES module
 * as one that is evaluated on that first require, not at start-up.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      // (ES module imports only: CommonJS copies, such as cli-progress', do nothing costly when loaded)
      if (args.pluginData === 'real' || args.kind !== 'import-statement') return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'real' });
      if (real.errors.length > 0) return { errors: real.errors };
      // (named by its path from the project, so that the bundle holds no path of the build machine)
      return { path: path.relative(ROOT, real.path), namespace: 'lazy-string-width', pluginData: real.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: `let real;\nexport default function stringWidth(text, options) {\n  real ??= require(${JSON.stringify(args.pluginData)}).default;\n  return real(text, options);\n}\n`,
      resolveDir: path.dirname(args.pluginData),
      loader: 'js',
    }));
  },
};

/** Bundle into `outdir`; resolves with esbuild's result (errors reject). */
export async function bundle(outdir = path.join(ROOT, 'dist/bin')) {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, path.join(ROOT, v)])),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['cap'],
    // version.ts reads package.json relative to itself when not bundled
    define: { FLOWAUDIT_BUNDLED_VERSION: JSON.stringify(version) },
    // CommonJS dependencies (cli-progress, stream-json) call require() for Node's modules
    banner: { js: "import { createRequire as __flowauditRequire } from 'node:module'; const require = __flowauditRequire(import.meta.url);" },
    plugins: [lazyStringWidth],
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(process.argv[2] !== undefined ? path.resolve(process.argv[2]) : undefined);
}
