/**
 * bench/rotate.ts: a classic pcap capture cut into a rotated set for the benchmark's
 * flowaudit-rotated row. Every part is a pcap file with the original header; the parts' records,
 * in order, are the original's; the sizes are about equal; a second call reuses the parts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { generateBench } from '../../bench/gen/index.js';
import { rotatedSet } from '../../bench/rotate.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

test('rotatedSet: the records in order, each part a pcap file, sizes about equal, made once', async () => {
  await withTmpDir('fa-rot-', async (dir) => {
    const file = path.join(dir, 'g.pcap');
    generateBench({ out: file, format: 'pcap', options: { seed: 3 }, limits: { packets: 20_000 } });
    const whole = fs.readFileSync(file);
    const parts = rotatedSet(file, path.join(dir, 'rot'), 7);
    assert.is(parts.length, 7);
    const bodies = parts.map((p) => fs.readFileSync(p));
    for (const b of bodies) assert.ok(b.subarray(0, 24).equals(whole.subarray(0, 24)), 'the original file header');
    assert.ok(Buffer.concat([whole.subarray(0, 24), ...bodies.map((b) => b.subarray(24))]).equals(whole), 'the records, in order, once');
    const sizes = bodies.map((b) => b.length - 24), even = (whole.length - 24) / 7;
    for (const s of sizes) assert.ok(s > even * 0.9 && s < even * 1.1, `a part of ${s} bytes against ${Math.round(even)}`);
    const mtime = fs.statSync(parts[3]!).mtimeMs;
    assert.equal(rotatedSet(file, path.join(dir, 'rot'), 7), parts);
    assert.is(fs.statSync(parts[3]!).mtimeMs, mtime, 'made once');
    assert.throws(() => rotatedSet(path.join(dir, 'rot', 'DONE'), path.join(dir, 'x'), 2), /not a classic pcap/);
  });
});

test.run();
