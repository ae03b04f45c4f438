#!/usr/bin/env node
// The README's test command: type-check everything, then run every uvu test file under test/,
// and close with the line the CI harness reads: `N passed, N failed, N skipped`.
// uvu prints Total/Passed/Skipped but no Failed line (failed = Total - Passed), exits 0 when no
// file matched, and has no timeout; this wrapper turns each of those into a failure.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const timeoutS = Number(process.env.TEST_TIMEOUT_S ?? 900);
const pattern = process.argv[2] ?? '\\.test\\.ts$';

let typeFailures = 0;
if (!process.env.SKIP_TYPECHECK) {
  process.stdout.write('typecheck: tsc -p tsconfig.json\n');
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: root, stdio: 'inherit',
  });
  if (tsc.status !== 0) { typeFailures = 1; process.stdout.write('typecheck: FAILED\n'); }
  else process.stdout.write('typecheck: ok\n');
}

const fcSeed = process.env.FC_SEED ?? '20261126';
process.stdout.write(`property tests: fast-check seed ${fcSeed} (set FC_SEED to change)\n`);
const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/fc-setup.mjs', path.join(root, 'node_modules/uvu/bin.js'), 'test', pattern, '--no-color'], {
  cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0', FC_SEED: fcSeed },
});
let out = '';
child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
const timer = setTimeout(() => { process.stdout.write(`\ntimed out after ${timeoutS}s\n`); child.kill('SIGKILL'); }, timeoutS * 1000);
child.on('close', (code) => {
  clearTimeout(timer);
  const num = (re) => { const m = out.match(re); return m ? Number(m[1]) : NaN; };
  const total = num(/Total:\s+(\d+)/), passed = num(/Passed:\s+(\d+)/), skipped = num(/Skipped:\s+(\d+)/);
  let failed;
  let p = passed;
  if (Number.isNaN(total) || Number.isNaN(passed)) { p = 0; failed = 1; }
  else failed = total - passed;
  if (failed === 0 && code !== 0) failed = 1;       // a crash after the summary
  if (p === 0 && failed === 0) failed = 1;          // zero tests ran: that is a failure
  failed += typeFailures;
  const sk = Number.isNaN(skipped) ? 0 : skipped;
  process.stdout.write(`\n${p} passed, ${failed} failed, ${sk} skipped\n`);
  process.exit(failed > 0 ? 1 : 0);
});
