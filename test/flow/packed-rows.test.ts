/**
 * PackedRows (flow/packed-rows.ts): finished flows packed for another thread. A tunnelled flow is
 * a row like any other, its tunnel in the batch's `tunnels` (one entry per tunnel, however the
 * flows alternate between tunnels), and reading the batch back (BatchReader, as the format thread
 * does) gives the records the table itself makes, tunnels included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { gatherEvidence } from '../../src/cli/gather.js';
import { PackedRows, packedTunnel } from '../../src/flow/packed-rows.js';
import { PACKED_ROW_WORDS } from '../../src/flow/table.js';
import { blankRecord, type FlowRecord } from '../../src/flow/record.js';
import { BatchReader } from '../../src/cli/commands/flows/batch.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { TUNNELS, writeTunnelCapture } from '../helpers/tunnel-capture.js';

const byPort = (fs: FlowRecord[]) => [...fs].sort((x, y) => x.origP - y.origP);

test('tunnelled flows are packed as rows, each batch naming each of its tunnels once; read back, the records the table makes', async () => {
  await withTmpDir('fa-packed-', async (dir) => {
    const file = path.join(dir, 'tunnels.pcap');
    const flows = 240;
    writeTunnelCapture(file, flows);
    const want = (await gatherEvidence([file])).flows; // (no row sink: every flow as a record)
    assert.is(want.length, flows);
    const rows = new PackedRows(4);
    let records = 0;
    await gatherEvidence([file], { onFlow: () => { records++; }, rowSink: (t, f) => { rows.add(t, f); return true; } });
    assert.is(records, 0, 'no flow came as a record');
    assert.is(rows.size, flows);
    const b = rows.take();
    assert.is(b.tunnels.length, 3, 'one entry per tunnel (the flows alternate between three)');
    const u = new Uint32Array(b.buf);
    const seen = new Set<string>();
    for (let k = 0; k < b.n; k++) {
      const t = packedTunnel(u, k * PACKED_ROW_WORDS, b.tunnels);
      assert.ok(t !== null, `row ${k} has its tunnel`);
      seen.add(JSON.stringify(t));
    }
    assert.equal([...seen].sort(), TUNNELS.map((t) => JSON.stringify(t)).sort());
    const got: FlowRecord[] = [];
    new BatchReader(blankRecord()).read({ ...b, k: b.n, records: [] }, (f) => { got.push({ ...f }); });
    assert.equal(byPort(got), byPort(want));
    for (const f of got) assert.equal(f.tunnel, TUNNELS[(f.origP - 50000) % 3], `flow from port ${f.origP}`);
    // the next batch starts without them
    assert.is(rows.take().tunnels.length, 0);
  });
});

test('a flow without a tunnel is packed with a zero last word (no tunnel), whatever the buffer held before', async () => {
  await withTmpDir('fa-packed-', async (dir) => {
    const file = path.join(dir, 'tunnels.pcap');
    writeTunnelCapture(file, 6);
    const rows = new PackedRows(4);
    await gatherEvidence([file], { rowSink: (t, f) => { rows.add(t, f); return true; } });
    const b = rows.take();
    // reuse the buffer for flows without tunnels: their last words must read as none
    rows.giveBack(b.buf);
    assert.is(rows.take().n, 0); // (the empty batch made at the first take; the next one is filled in the buffer given back)
    const plain = path.join(dir, 'plain.pcap');
    const { buildPcap } = await import('../helpers/capture-builder.js');
    const { eth, ipv4, tcp } = await import('../decode/helpers/build.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(plain, buildPcap({ packets: [0, 1, 2, 3].map((i) => ({ tsSec: 1_700_000_000 + i, data: eth(0x0800, ipv4({ src: `10.3.3.${i + 1}`, dst: '10.2.2.2' }, tcp({ sport: 40000 + i, dport: 88, flags: 0x02 }))) })) }));
    await gatherEvidence([plain], { rowSink: (t, f) => { rows.add(t, f); return true; } });
    const c = rows.take();
    assert.is(c.buf, b.buf, 'the buffer given back was filled again');
    assert.is(c.n, 4);
    const u = new Uint32Array(c.buf);
    for (let k = 0; k < c.n; k++) assert.is(packedTunnel(u, k * PACKED_ROW_WORDS, c.tunnels), null, `row ${k}`);
  });
});

test.run();
