/**
 * Read buffers on a page (src/capture/page-buffers.ts): where a capture file's chunks are read to,
 * since the kernel's copy into a buffer 16 bytes past a page (where Node puts a large Buffer) ran
 * about 4.7× slower on the bench machine. The address itself is not visible from JavaScript; a
 * WebAssembly.Memory starts on a page, so a buffer's place is its byteOffset in one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isPageBuffer, pageBuffers } from '../../src/capture/page-buffers.js';
import { FILE_BUFFERS, openFile } from '../../src/capture/source.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const MiB = 1 << 20;

test('pageBuffers: each buffer starts on a page of one memory, apart from the others', () => {
  const bufs = pageBuffers(4 * MiB, 4);
  assert.is(bufs.length, 4);
  const ends: [number, number][] = [];
  for (const b of bufs) {
    assert.ok(isPageBuffer(b), 'a view into a page-aligned memory');
    assert.is(b.length, 4 * MiB);
    assert.is(b.byteOffset % 4096, 0, 'starts on a page');
    assert.is(b.buffer, bufs[0]!.buffer, 'one memory for all');
    ends.push([b.byteOffset, b.byteOffset + b.length]);
  }
  ends.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ends.length; i++) assert.ok(ends[i]![0] >= ends[i - 1]![1], 'no two overlap');
  // writing one leaves the others as they were
  bufs[1]!.fill(7); bufs[2]!.fill(9);
  assert.is(bufs[1]![bufs[1]!.length - 1], 7); assert.is(bufs[2]![0], 9);
});

test('pageBuffers: a shift puts each buffer that many bytes past a page (a read at a file position with the same remainder mod 64)', () => {
  for (const shift of [1, 24, 45, 63]) {
    const bufs = pageBuffers(MiB + 5, 2, shift);
    for (const b of bufs) {
      assert.ok(isPageBuffer(b));
      assert.is(b.byteOffset % 4096, shift, `shift ${shift}`);
      assert.is(b.length, MiB + 5);
    }
    assert.ok(bufs[1]!.byteOffset >= bufs[0]!.byteOffset + bufs[0]!.length, 'apart');
  }
});

test('pageBuffers: small buffers and a shift out of range are ordinary Buffers of the right size', () => {
  for (const b of pageBuffers(4096, 3)) { assert.not.ok(isPageBuffer(b)); assert.is(b.length, 4096); }
  for (const b of pageBuffers(MiB, 2, 64)) { assert.not.ok(isPageBuffer(b)); assert.is(b.length, MiB); }
  assert.not.ok(isPageBuffer(Buffer.allocUnsafe(4 * MiB)), 'an ordinary Buffer is not one');
});

test('FileSource reads large chunks into page buffers, and into the buffers a caller lends first', async () => {
  await withTmpDir('fa-pb-', async (dir) => {
    const file = path.join(dir, 'f'), bytes = randomBytes(5 * MiB + 77);
    writeFileSync(file, bytes);
    // its own buffers
    let { src } = await openFile(file, MiB);
    const parts: Buffer[] = [];
    for (let c = await src.read(); c !== null; c = await src.read()) {
      assert.ok(isPageBuffer(c), 'a chunk of its own is in a page buffer');
      assert.is(c.byteOffset % 4096, 0);
      parts.push(Buffer.from(c));
    }
    await src.close();
    assert.ok(Buffer.concat(parts).equals(bytes), 'every byte once, in order');
    // two buffers lent, the rest its own
    const lent = [Buffer.alloc(MiB), Buffer.alloc(MiB)];
    let k = 0;
    ({ src } = await openFile(file, MiB, () => lent[k++] ?? null));
    assert.is(k, FILE_BUFFERS, 'asked for every buffer');
    const seen = new Set<ArrayBufferLike>();
    parts.length = 0;
    for (let c = await src.read(); c !== null; c = await src.read()) { seen.add(c.buffer); parts.push(Buffer.from(c)); }
    await src.close();
    assert.ok(Buffer.concat(parts).equals(bytes), 'every byte once, in order, across lent and own buffers');
    assert.ok(seen.has(lent[0]!.buffer) && seen.has(lent[1]!.buffer), 'the lent buffers were used');
    assert.ok([...seen].some((b) => b !== lent[0]!.buffer && b !== lent[1]!.buffer), 'and buffers of its own');
  });
});

test.run();
