/**
 * No threaded run detaches an ArrayBuffer. Transferring one (postMessage with a transfer list)
 * detaches it in the sending thread, and the first detach in a thread invalidates V8's
 * ArrayBufferDetaching protector there: every function compiled without detach checks is
 * deoptimised (about 40 hot functions at once on the bench capture) and typed-array accesses
 * compiled after carry the checks. Batches of rows, output blocks and reader-worker summaries are
 * therefore SharedArrayBuffers, posted without a transfer list (see src/flow/packed-rows.ts).
 * V8 reports each invalidation with --trace-protector-invalidation. The bundled CLI is run (what
 * users run): tsx's module loader detaches buffers of its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/same-audit.js';
import { buildBundle } from '../helpers/bundle.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { generateBench } from '../../bench/gen/index.js';

const INVALIDATED = /Invalidating protector cell ArrayBufferDetaching/;

const bundle = buildBundle('flowaudit-detach-test-');

/** Run the bundled CLI with V8 tracing protector invalidations. */
function traced(args: string[]): { code: number | null; err: string; out: string } {
  const r = spawnSync(process.execPath, ['--trace-protector-invalidation', bundle.bin, ...args],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

test('V8 reports a detach with --trace-protector-invalidation (the check below can see one)', () => {
  const r = spawnSync(process.execPath, ['--trace-protector-invalidation', '-e', 'const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] });'], { encoding: 'utf8' });
  assert.match(r.stdout + r.stderr, INVALIDATED);
});

test('audit and flows with worker threads detach no ArrayBuffer (audit thread, format threads, reader workers)', async () => {
  assert.is(bundle.built.status, 0, bundle.built.stderr);
  await withTmpDir('fa-detach-', (dir) => {
    // about 25 000 flows: several batches of 4096 cross to each thread
    const cap = path.join(dir, 'g.pcap'), inv = path.join(dir, 'inv.json'), out = path.join(dir, 'out');
    generateBench({ out: cap, format: 'pcap', options: { seed: 37 }, limits: { packets: 150_000 }, inventory: inv });
    const runs: [string, string[]][] = [
      ['audit --threads 2', ['audit', cap, '--inventory', inv, '--threads', '2', '--format', 'json']],
      ['audit --threads 3', ['audit', cap, '--inventory', inv, '--threads', '3', '--format', 'json']],
      ['flows --unsorted --threads 2', ['flows', cap, '--unsorted', '--threads', '2']],
      ['flows --threads 2 (sorted)', ['flows', cap, '--threads', '2']],
      ['flows --unsorted --threads 3', ['flows', cap, '--unsorted', '--threads', '3']],
    ];
    for (const [what, args] of runs) {
      const r = traced([...args, '--output', out]);
      assert.ok(r.code === 0 || r.code === 1, `${what}: exit ${r.code}: ${r.err}`);
      assert.not.match(r.out + r.err, INVALIDATED, `${what} detached an ArrayBuffer`);
    }
  });
});

test.after(() => bundle.remove());
test.run();
