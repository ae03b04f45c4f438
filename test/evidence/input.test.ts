/**
 * The flow-record readers' byte sources (src/evidence/input.ts): a file's lines with their byte
 * offsets across chunk boundaries, plain and gzip, and a folder of many small flow-log files read
 * as the files one by one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { READ_CHUNK, forEachLine } from '../../src/evidence/input.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { collect, core } from './helpers/collect.js';

/** Lines of pseudo-random lengths (some longer than a chunk), CRLF now and then, the last without a newline. */
function text(seed: number, bytes: number): Buffer {
  let x = seed, out = '';
  const rnd = (n: number): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x % n; };
  let i = 0;
  while (out.length < bytes) {
    const len = i % 97 === 5 ? READ_CHUNK + rnd(5000) : rnd(300);
    out += `${i++} ${'abcdefghij'.repeat(Math.ceil(len / 10)).slice(0, len)}${rnd(7) === 0 ? '\r\n' : '\n'}`;
  }
  return Buffer.from(out + 'last line, no newline', 'latin1');
}

/** The lines and their byte offsets as forEachLine gives them, computed over the whole buffer. */
function linesOf(b: Buffer): [string, number][] {
  const out: [string, number][] = [];
  let start = 0;
  for (;;) {
    const nl = b.indexOf(10, start);
    const end = nl < 0 ? b.length : nl;
    if (nl < 0 && start === b.length) break;
    out.push([b.toString('utf8', start, end > start && b[end - 1] === 0x0d ? end - 1 : end), start]);
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

test('forEachLine: every line once, with its byte offset, across chunk boundaries (plain and gzip)', async () => {
  await withTmpDir('fa-ev-', async (dir) => {
    for (const [seed, bytes] of [[1, 0], [2, 1000], [3, READ_CHUNK - 7], [4, 3 * READ_CHUNK + 12345]] as const) {
      const data = text(seed, bytes), want = linesOf(data);
      for (const gz of [false, true]) {
        const file = path.join(dir, `t${seed}${gz ? '.gz' : ''}`);
        writeFileSync(file, gz ? gzipSync(data) : data);
        const got: [string, number][] = [];
        const r = await forEachLine(file, (line, off) => { got.push([line, off]); });
        assert.is(r.end.clean, true, `${file}: clean`);
        assert.is(r.bytes, data.length, `${file}: bytes`);
        assert.is(r.gzip, gz);
        assert.is(got.length, want.length, `${file}: lines`);
        for (let i = 0; i < want.length; i++) {
          if (got[i]![0] !== want[i]![0] || got[i]![1] !== want[i]![1]) assert.unreachable(`${file}: line ${i} at ${want[i]![1]}: got offset ${got[i]![1]}, ${got[i]![0].length} chars`);
        }
      }
    }
  });
});

test('a folder of many small AWS flow-log files (plain and gzip) gives the flows of its files read one by one', async () => {
  await withTmpDir('fa-ev-', async (dir) => {
    const folder = path.join(dir, 'logs');
    mkdirSync(folder);
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n';
    const files: string[] = [];
    for (let i = 0; i < 60; i++) {
      let body = header;
      for (let j = 0; j < 5; j++) {
        const t = 1700000000 + i * 300 + j, a = `10.0.${i % 4}.${j + 1}`, b = `10.1.0.${(i + j) % 9 + 1}`, sp = 50000 + i * 10 + j;
        body += `2 123456789010 eni-${i} ${a} ${b} ${sp} 389 6 10 4000 ${t} ${t + 60} ACCEPT OK\n`;
        body += `2 123456789010 eni-${i} ${b} ${a} 389 ${sp} 6 8 3000 ${t} ${t + 60} ${j === 4 ? 'REJECT' : 'ACCEPT'} OK\n`;
      }
      const file = path.join(folder, `eni-${String(i).padStart(3, '0')}.log${i % 2 === 1 ? '.gz' : ''}`);
      writeFileSync(file, i % 2 === 1 ? gzipSync(body) : body);
      files.push(file);
    }
    const whole = await collect(folder);
    assert.is(whole.kind, 'aws-vpc');
    assert.is(whole.info.files, 60);
    assert.is(whole.info.compressed, 'gzip');
    const one: ReturnType<typeof core>[] = [];
    for (const f of files) for (const x of (await collect(f, 'aws-vpc')).flows) one.push(core(x));
    const key = (c: ReturnType<typeof core>): string => JSON.stringify(c);
    assert.equal(whole.flows.map((x) => key(core(x))).sort(), one.map(key).sort());
    assert.is(whole.flows.length, 300);
  });
});

test.run();
