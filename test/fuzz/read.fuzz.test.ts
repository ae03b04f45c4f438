/**
 * Hostile files through readCaptures (the file/gzip/merge layer above the push parsers), fixed
 * seed: gzip-compressed corpus captures cut at many offsets (the packets read are the file's
 * first ones, the end is not clean, the reason names gzip or a cut record), garbage after a gzip
 * stream, a damaged file merged with intact ones, and sniffCapture on any first bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CaptureInfo, PacketRecord, ReadOptions } from '../../src/capture/types.js';
import { FuzzStats, SEED, CORPUS, corpusPresent, namedError } from './harness.js';
import { findExport, skip } from './modules.js';
import { expectFixed } from '../damage/known-bugs.js';

type ReadCaptures = (inputs: string[], opts: ReadOptions, onPacket: (rec: PacketRecord) => void) => Promise<CaptureInfo[]>;
type Sniff = (first: Buffer) => { kind: string; detail: string };

const stats = new FuzzStats();
const readCaptures = await findExport<ReadCaptures>('capture', 'readCaptures');
const sniffCapture = await findExport<Sniff>('capture', 'sniffCapture');
const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-read-'));

async function readAll(files: string[], chunkSize = 1 << 22): Promise<{ infos: CaptureInfo[] | null; keys: string[][]; error: string | null }> {
  const keys: string[][] = files.map(() => []);
  try {
    const infos = await readCaptures!(files, { chunkSize }, (r) => { keys[r.fileIndex]!.push(`${r.tsSec}.${r.tsNsec}|${r.capLen}|${r.data.subarray(r.offset, r.offset + r.capLen).toString('base64')}`); });
    return { infos, keys, error: null };
  } catch (e) {
    const n = namedError(e);
    if (n === null) throw e;
    return { infos: null, keys, error: n };
  }
}

test('gzip-compressed corpus captures cut at 40 offsets: the first packets, then a named end', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!readCaptures) return skip('src/capture has no readCaptures yet');
  let cases = 0;
  for (const name of ['krb-kinit-udp-tcp.pcap', 'ldap-gssapi-krb.pcapng', 'pcapng-gen-multisection-mixed-endian.pcapng']) {
    const raw = readFileSync(path.join(CORPUS, name));
    const gz = gzipSync(raw);
    const full = path.join(tmp, `${name}.gz`);
    writeFileSync(full, gz);
    const ref = await readAll([full]);
    assert.ok(ref.infos![0]!.end.clean, `${name}.gz reads cleanly`);
    assert.is(ref.infos![0]!.compressed, 'gzip');
    for (let i = 1; i <= 40; i++) {
      const n = Math.floor((gz.length * i) / 41);
      const f = path.join(tmp, `cut-${name}.gz`);
      writeFileSync(f, gz.subarray(0, n));
      const r = await readAll([f], i % 2 ? 1 << 22 : 4096);
      cases++;
      stats.count('read.gzip_cut');
      if (r.error) { stats.seen(r.error); continue; }
      const info = r.infos![0]!;
      stats.seen(info.end.code ?? 'clean');
      assert.not.ok(info.end.clean, `${name}.gz cut at ${n}/${gz.length}: not clean`);
      assert.ok((info.end.reason ?? '').length > 0);
      assert.equal(r.keys[0], ref.keys[0]!.slice(0, r.keys[0]!.length), `${name}.gz cut at ${n}: the packets read are the file's first ones`);
    }
  }
  // garbage after the gzip stream: the capture is complete; the garbage is reported, not silently ignored
  // (gzip -dc: "decompression OK, trailing garbage ignored"; hostile-bugs.md #8)
  const raw = readFileSync(path.join(CORPUS, 'cldap-udp.pcap'));
  const f = path.join(tmp, 'trailing.pcap.gz');
  writeFileSync(f, Buffer.concat([gzipSync(raw), Buffer.from('garbage after the stream')]));
  const r = await readAll([f]);
  if (r.infos) {
    const info = r.infos[0]!;
    expectFixed(8, r.keys[0]!.length === 2, `gzip + trailing garbage: both packets read (got ${r.keys[0]!.length}; end ${JSON.stringify(info.end)})`);
    assert.ok(!info.end.clean || Object.keys(info.anomalies ?? {}).length > 0, `trailing garbage is not silent: ${JSON.stringify(info.end)}`);
  }
  process.stdout.write(`gzip cuts read: ${cases}\n`);
});

test('a damaged file merged with intact ones: the others are read completely, the damaged up to its damage', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!readCaptures) return skip('src/capture has no readCaptures yet');
  const a = path.join(CORPUS, 'krb-kinit-udp-tcp.pcap');
  const cut = path.join(CORPUS, 'derived-cut-mid-record.pcap');
  const bad = path.join(CORPUS, 'corrupt-pcapng-shb-option.pcapng');
  const alone = await readAll([a]);
  for (const cs of [1 << 22, 777]) {
    const m = await readAll([cut, a, bad], cs);
    assert.is(m.keys[1]!.length, alone.keys[0]!.length, 'the intact input is read completely');
    assert.equal(m.keys[1], alone.keys[0], 'and identically');
    assert.is(m.keys[0]!.length, 100, 'the cut input up to its damage');
    assert.is(m.keys[2]!.length, 0);
    assert.is(m.infos![0]!.end.offset, 46138);
    assert.not.ok(m.infos![2]!.end.clean);
    stats.count('read.merge');
  }
});

test('sniffCapture on any first bytes: a known kind and a sentence, never an exception', () => {
  if (!sniffCapture) return skip('src/capture has no sniffCapture yet');
  const kinds = new Set(['pcap', 'pcapng', 'gzip', 'netmon', 'etl', 'unknown']);
  const prefixes = [[0xd4, 0xc3, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a], [0x1f, 0x8b], [0x47, 0x4d, 0x42, 0x55], [0x4d, 0x3c, 0xb2, 0xa1]];
  const arb = fc.tuple(fc.constantFrom([], ...prefixes), fc.uint8Array({ maxLength: 40 })).map(([p, r]) => Buffer.concat([Buffer.from(p), r]));
  fc.assert(fc.property(fc.oneof(arb, fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u))), (b) => {
    const s = sniffCapture(b);
    stats.count('sniff');
    stats.seen(`sniff:${s.kind}`);
    return kinds.has(s.kind) && typeof s.detail === 'string' && s.detail.length > 0;
  }), { seed: SEED, numRuns: 2000 });
});

test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(`${stats.summary('read fuzz')}\n`);
});

test.run();
