/**
 * Committed capture fixtures (fixtures/pcap|pcapng/{le,be}): reproducible from their builder
 * descriptions, LE and BE variants decode identically, and (when tshark is installed) every
 * packet's timestamp, len and caplen agree with tshark, an independent reader.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CAPTURE_FIXTURES, fixturePath } from '../../fixtures/builder/capture-fixtures.js';
import { readCaptures } from '../../src/capture/read.js';
import { copyRec, type Rec } from '../helpers/capture-collect.js';

async function recsOf(path: string): Promise<{ recs: Rec[]; clean: boolean }> {
  const recs: Rec[] = [];
  const [info] = await readCaptures([path], {}, (r) => { recs.push(copyRec(r)); });
  return { recs, clean: info!.end.clean };
}

test('committed fixtures are exactly what the builder descriptions produce', () => {
  for (const f of CAPTURE_FIXTURES) for (const be of [false, true]) {
    assert.ok(readFileSync(fixturePath(f, be)).equals(f.build(be)), `${f.dir}/${be ? 'be' : 'le'}/${f.name} is stale: run node --import tsx fixtures/builder/capture-fixtures.ts`);
  }
});

test('LE and BE variants of every fixture decode identically (records, bytes, offsets)', async () => {
  for (const f of CAPTURE_FIXTURES) {
    const le = await recsOf(fixturePath(f, false)), be = await recsOf(fixturePath(f, true));
    assert.ok(le.clean && be.clean, f.name);
    assert.ok(le.recs.length > 0, f.name);
    assert.equal(be.recs, le.recs, f.name);
  }
});

test('fixtures agree with tshark (when installed)', async () => {
  const probe = spawnSync('tshark', ['-v']);
  if (probe.error || probe.status !== 0) { console.log('skip: tshark not installed'); return; }
  // LE files only: the BE variants were shown above to give the same records (tshark takes ~1 s per run)
  for (const f of CAPTURE_FIXTURES) {
    const p = fixturePath(f, false);
    const r = spawnSync('tshark', ['-n', '-r', p, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len']);
    assert.is(r.status, 0, r.stderr.toString());
    // rows without an interface id are pcapng custom blocks, which tshark 4.0 lists as frames
    const rows = r.stdout.toString().trimEnd().split('\n').map((l) => l.split('\t')).filter((c) => f.dir === 'pcap' || c[0] !== '');
    const { recs } = await recsOf(p);
    assert.is(recs.length, rows.length, p);
    recs.forEach((x, i) => {
      const [, time, len, cap] = rows[i]!;
      assert.is(x.origLen, Number(len), `${p} #${i + 1}`);
      assert.is(x.capLen, Number(cap), `${p} #${i + 1}`);
      if (time !== '') assert.is(`${x.tsSec}.${String(x.tsNsec).padStart(9, '0')}`, time, `${p} #${i + 1}`);
    });
  }
});

test.run();
