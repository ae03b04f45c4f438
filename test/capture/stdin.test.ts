/**
 * Standard input read three ways (src/capture/source.ts openStdin, GatheredSource): a file
 * redirected to it is read as a file, a pipe as a stream gathered into chunks where the flow table
 * lends them, a socket (what Node gives its own child processes) as a plain stream. Each must give
 * exactly the flows of reading the file by its path; the first two through the core's batches.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBench } from '../../bench/gen/index.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const CHILD = fileURLToPath(new URL('../helpers/read-engine-child.ts', import.meta.url));
const node = (arg: string) => `"${process.execPath}" --import tsx "${CHILD}" ${arg}`;

interface Out { packets: number; batched: number; flowCount: number; flows: string; info: Record<string, unknown> }
function run(cmd: string, input?: Buffer): Out {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : {}), cwd: path.dirname(CHILD) });
  assert.is(r.status, 0, `${cmd}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Out;
}

test('stdin from a file, a pipe and a socket: the flows of the file read by its path; the file and the pipe through the core', async () => {
  if (spawnSync('sh', ['-c', 'true']).status !== 0) { console.log('  (skipped: no sh)'); return; }
  await withTmpDir('fa-stdin-', async (dir) => {
    const f = path.join(dir, 'g.pcap'), gz = path.join(dir, 'g.pcap.gz');
    generateBench({ out: f, format: 'pcap', options: { seed: 5 }, limits: { packets: 30_000 } });
    writeFileSync(gz, gzipSync(readFileSync(f)));
    const byPath = run(node(`"${f}"`));
    assert.is(byPath.packets, 30_000);
    assert.ok(byPath.batched > byPath.packets * 0.8, `by path: the core took ${byPath.batched}`);
    const same = (o: Out, what: string, compressed: string | null = null) => {
      assert.is(o.packets, byPath.packets, `${what}: packets`);
      assert.is(o.flowCount, byPath.flowCount, `${what}: flow count`);
      assert.is(o.flows, byPath.flows, `${what}: the same flows`);
      assert.is(o.info['compressed'], compressed, `${what}: compressed`);
      const { fileBytes: _a, compressed: _c, ...i1 } = o.info, { fileBytes: _b, compressed: _d, ...i2 } = byPath.info;
      assert.equal(i1, i2, `${what}: capture info`);
    };
    const redirected = run(`${node('-')} < "${f}"`);
    same(redirected, 'a file redirected to stdin');
    assert.ok(redirected.batched > redirected.packets * 0.8, `redirected: the core took ${redirected.batched}`);
    const piped = run(`cat "${f}" | ${node('-')}`);
    same(piped, 'a shell pipe');
    assert.ok(piped.batched > piped.packets * 0.8, `piped: the core took ${piped.batched}`);
    const socket = run(node('-'), readFileSync(f));
    same(socket, 'a socket (Node\'s stdin for its children)');
    // gzip through a pipe and a redirect: decompressed on the fly, the same flows
    same(run(`cat "${gz}" | ${node('-')}`), 'gzip through a pipe', 'gzip');
    same(run(`${node('-')} < "${gz}"`), 'gzip redirected', 'gzip');
  });
});

test.run();
