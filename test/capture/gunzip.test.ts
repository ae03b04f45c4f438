/**
 * GunzipSource: a small member whole in hand is inflated at once, anything else (a member not all
 * read yet, damage, a member cut short) slice by slice. Both ways give the same packets and the
 * same end, so each case is read in whole-file chunks (the member inflated at once when it can
 * be) and in 64-byte chunks (never whole: always slice by slice).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCaptures } from '../../src/capture/read.js';
import { buildPcap, filler } from '../helpers/capture-builder.js';
import { copyRec, type Rec } from '../helpers/capture-collect.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const PCAP = buildPcap({ packets: Array.from({ length: 300 }, (_, i) => ({ tsSec: 2000 + i, data: filler(200 + (i % 50), i) })) });

async function both(file: string): Promise<{ recs: Rec[]; end: { clean: boolean; code: string | null; reason: string | null } }> {
  const out = [];
  for (const chunkSize of [undefined, 64]) {
    const recs: Rec[] = [];
    const infos = await readCaptures([file], chunkSize === undefined ? {} : { chunkSize }, (r) => { recs.push(copyRec(r)); });
    const e = infos[0]!.end;
    out.push({ recs, end: { clean: e.clean, code: e.code, reason: e.reason } });
  }
  assert.equal(out[0]!.end, out[1]!.end, `${path.basename(file)}: the same end either way`);
  assert.equal(out[0]!.recs, out[1]!.recs, `${path.basename(file)}: the same packets either way`);
  return out[0]!;
}

test('gzip: one member, two members, damage, a bad CRC, trailing bytes and a cut member read the same whole or in slices', async () => {
  await withTmpDir('fa-gz-', async (dir) => {
    const put = (name: string, b: Buffer): string => { const p = path.join(dir, name); writeFileSync(p, b); return p; };
    const one = gzipSync(PCAP);
    const half = Math.floor(PCAP.length / 2);
    const two = Buffer.concat([gzipSync(PCAP.subarray(0, half)), gzipSync(PCAP.subarray(half))]);

    let r = await both(put('one.pcap.gz', one));
    assert.is(r.recs.length, 300);
    assert.is(r.end.clean, true);

    r = await both(put('two.pcap.gz', two));
    assert.is(r.recs.length, 300, 'every packet of both members');
    assert.is(r.end.clean, true);

    // the CRC in the first member's trailer (8 bytes before its end) off by one
    const badCrc = Buffer.from(two);
    const firstLen = gzipSync(PCAP.subarray(0, half)).length;
    badCrc[firstLen - 8] = badCrc[firstLen - 8]! ^ 1;
    r = await both(put('crc.pcap.gz', badCrc));
    assert.is(r.recs.length > 0, true);
    assert.is(r.end.clean, false);
    assert.match(r.end.reason ?? '', /CRC mismatch/);

    r = await both(put('trailing.pcap.gz', Buffer.concat([one, Buffer.from('not another member, only trailing bytes')])));
    assert.is(r.recs.length, 300, 'every packet before the trailing bytes');
    assert.match(r.end.reason ?? '', /trailing bytes/);

    r = await both(put('cut.pcap.gz', one.subarray(0, Math.floor(one.length * 0.7))));
    assert.ok(r.recs.length > 0 && r.recs.length < 300, String(r.recs.length));
    assert.is(r.end.code, 'capture.gzip.broken');

    // a flipped byte in the deflate data: what came before it is delivered either way
    const damaged = Buffer.from(one);
    const at = Math.floor(one.length / 2);
    damaged[at] = damaged[at]! ^ 0x55;
    r = await both(put('damaged.pcap.gz', damaged));
    assert.is(r.end.clean, false);
  });
});

test.run();
