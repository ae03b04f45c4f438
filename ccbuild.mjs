import { build } from 'esbuild';
const ROOT = '/tmp/ccrepo';
await build({ absWorkingDir: ROOT, entryPoints: { flowaudit: ROOT + '/src/cli/main.ts' }, outdir: '/tmp/cc/out', bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['cap'],
  define: { FLOWAUDIT_BUNDLED_VERSION: '"0.1.0"', 'import.meta.url': '__fa_url', 'import.meta.resolve': '__fa_resolve' },
  banner: { js: "const __fa_url = require('node:url').pathToFileURL(__filename).href; const __fa_resolve = (s) => s;" }, logLevel: 'warning' });
