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

test('flows with ICMP errors are packed as rows with their errors, also a tunnelled one (both in the last word); read back, the table\'s records', async () => {
  await withTmpDir('fa-packed-', async (dir) => {
    const { buildPcap } = await import('../helpers/capture-builder.js');
    const { eth, ipv4, udp, icmp } = await import('../decode/helpers/build.js');
    const { writeFileSync } = await import('node:fs');
    const vxlan = (inner: Buffer) => eth(0x0800, ipv4({ src: '10.99.0.1', dst: '10.99.0.2', proto: 17 }, udp(40000, 4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0x10, 0]), inner]))));
    const packets = [];
    for (let i = 0; i < 40; i++) {
      // every flow refused by ICMP port unreachable; every other one inside VXLAN, every third answered twice
      const wrap = i % 2 === 0 ? (b: Buffer) => b : vxlan;
      const q = eth(0x0800, ipv4({ src: `10.1.1.${i + 1}`, dst: '10.2.2.2', proto: 17 }, udp(50000 + i, 5000, Buffer.alloc(12))));
      const err = eth(0x0800, ipv4({ src: i % 3 === 0 ? '10.2.2.254' : '10.2.2.2', dst: `10.1.1.${i + 1}`, proto: 1 }, icmp(3, 3, Buffer.alloc(4), q.subarray(14, 14 + 40))));
      packets.push({ tsSec: 1_700_000_000 + i, data: wrap(q) }, { tsSec: 1_700_000_000 + i, tsNsec: 500, data: wrap(err) });
      if (i % 3 === 0) packets.push({ tsSec: 1_700_000_000 + i, tsNsec: 900, data: wrap(err) });
    }
    const file = path.join(dir, 'icmp.pcap');
    writeFileSync(file, buildPcap({ packets }));
    const want = (await gatherEvidence([file])).flows;
    assert.is(want.filter((f) => f.icmpErrors.length > 0).length, 40);
    assert.is(want.filter((f) => f.icmpErrors.length > 0 && f.tunnel !== null).length, 20);
    const rows = new PackedRows(4);
    let records = 0;
    await gatherEvidence([file], { onFlow: () => { records++; }, rowSink: (t, f) => { rows.add(t, f); return true; } });
    assert.is(records, 0, 'no flow came as a record');
    const b = rows.take();
    assert.is(b.icmpErrors.length, 40);
    const got: FlowRecord[] = [], reader = new BatchReader(blankRecord());
    reader.read({ ...b, k: b.n, records: [] }, (f) => { got.push({ ...f }); });
    assert.equal(byPort(got), byPort(want));
    // and a copy taken out (takeCopy) reads the same (by the same reader: an input is named once)
    await gatherEvidence([file], { rowSink: (t, f) => { rows.add(t, f); return true; } });
    const c = rows.takeCopy();
    assert.is(rows.size, 0, 'emptied in place');
    assert.is(c.buf.byteLength, c.n * PACKED_ROW_WORDS * 4, 'a buffer of the rows\' size');
    const again: FlowRecord[] = [];
    reader.read({ ...c, k: c.n, records: [] }, (f) => { again.push({ ...f }); });
    assert.equal(byPort(again), byPort(want));
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
