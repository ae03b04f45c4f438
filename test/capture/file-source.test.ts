/**
 * FileSource: a file read in chunks, small ones of a regular file synchronously when asked for,
 * larger ones with reads ahead (two at once from a regular file, one from a FIFO). Every byte
 * comes back once, in order, and each chunk stays as read until the read after next (the
 * ChunkSource contract the parsers rely on for records split across chunks).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SYNC_READ_MAX, openFile } from '../../src/capture/source.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

async function readAll(file: string, chunk: number): Promise<{ data: Buffer; chunks: number }> {
  const { src } = await openFile(file, chunk);
  const parts: Buffer[] = [];
  let prev: { view: Buffer; copy: Buffer } | null = null, chunks = 0;
  try {
    for (;;) {
      const c = await src.read();
      // the chunk before this one is still as it was read
      if (prev !== null) assert.ok(prev.view.equals(prev.copy), `chunk ${chunks - 1} unchanged until the read after next`);
      if (c === null) break;
      chunks++;
      parts.push(Buffer.from(c));
      prev = { view: c, copy: Buffer.from(c) };
    }
  } finally {
    await src.close();
  }
  return { data: Buffer.concat(parts), chunks };
}

test('a regular file: every byte once and in order, whatever its size against the chunk size', async () => {
  await withTmpDir('fa-src-', async (dir) => {
    for (const size of [0, 1, 4095, 4096, 4097, 5 * 4096, 7 * 4096 + 123, 64 * 4096 + 1]) {
      const file = path.join(dir, `f${size}`), bytes = randomBytes(size);
      writeFileSync(file, bytes);
      const got = await readAll(file, 4096);
      assert.ok(got.data.equals(bytes), `${size} bytes come back as written`);
      assert.is(got.chunks, Math.ceil(size / 4096), `${size} bytes: chunks`);
    }
  });
});

test('a regular file in chunks larger than SYNC_READ_MAX (read ahead in the thread pool): every byte once and in order', async () => {
  const chunk = 2 * SYNC_READ_MAX;
  await withTmpDir('fa-src-', async (dir) => {
    for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 123]) {
      const file = path.join(dir, `g${size}`), bytes = randomBytes(size);
      writeFileSync(file, bytes);
      const got = await readAll(file, chunk);
      assert.ok(got.data.equals(bytes), `${size} bytes come back as written`);
      assert.is(got.chunks, Math.ceil(size / chunk), `${size} bytes: chunks`);
    }
  });
});

test('closing a source twice closes its file once (the descriptor may be another file\'s by then)', async () => {
  await withTmpDir('fa-src-', async (dir) => {
    const a = path.join(dir, 'a'), b = path.join(dir, 'b');
    writeFileSync(a, randomBytes(10_000));
    writeFileSync(b, randomBytes(10_000));
    for (const chunk of [4096, 2 * SYNC_READ_MAX]) {
      const { src: first } = await openFile(a, chunk);
      await first.read();
      await first.close();
      // the next file opened gets the lowest free descriptor: the one just closed
      const { src: second } = await openFile(b, chunk);
      await first.close();
      const parts: Buffer[] = [];
      for (let c = await second.read(); c !== null; c = await second.read()) parts.push(Buffer.from(c));
      await second.close();
      assert.ok(Buffer.concat(parts).equals(readFileSync(b)), `chunks of ${chunk}: the second file is read whole after the first is closed again`);
    }
  });
});

test('a FIFO (read only in order): every byte once and in order', async () => {
  if (spawnSync('mkfifo', ['--version']).status !== 0) { console.log('  (skipped: no mkfifo)'); return; }
  await withTmpDir('fa-src-', async (dir) => {
    const file = path.join(dir, 'data'), fifo = path.join(dir, 'fifo'), bytes = randomBytes(37 * 4096 + 11);
    writeFileSync(file, bytes);
    assert.is(spawnSync('mkfifo', [fifo]).status, 0);
    const writer = spawn('sh', ['-c', `cat "${file}" > "${fifo}"`], { stdio: 'ignore' });
    const timer = setTimeout(() => writer.kill('SIGKILL'), 20_000);
    try {
      const got = await readAll(fifo, 4096);
      assert.ok(got.data.equals(bytes), 'the FIFO\'s bytes come back as written');
    } finally {
      clearTimeout(timer);
      writer.kill();
    }
  });
});

test.run();
