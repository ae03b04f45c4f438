/**
 * Row batches (FlowTable.setRowBatches): the table's core packs finished flows into rows in its
 * memory and hands them over in batches. They must be exactly the rows a row sink packs one flow at
 * a time (FlowTable.packRow), in the same order, whichever way a flow ends (expiry sweeps, a
 * timed-out flow met again, port reuse, eviction when the table is full, the end of the input),
 * with flows that carry ICMP errors or a tunnel still given as records (the core packs neither: a
 * row sink may take them, FlowTable.tunnelOf and icmpErrorsOf, but this one declines them to compare).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gatherEvidence } from '../../src/cli/gather.js';
import { PACKED_ROW_WORDS } from '../../src/flow/table.js';
import { comparisonCaptures } from '../helpers/capture-files.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { buildPcap, ethIpv4Udp } from '../helpers/capture-builder.js';
import { eth, icmp, ipv4 } from '../decode/helpers/build.js';

interface Got { rows: Uint32Array; records: string[]; batches: number[]; names: string[] }

async function byRowSink(file: string, maxFlows?: number): Promise<Got> {
  const rows: number[] = [], records: string[] = [], one = new Uint32Array(PACKED_ROW_WORDS);
  const ev = await gatherEvidence([file], {
    ...(maxFlows !== undefined ? { maxFlows } : {}),
    onFlow: (f) => { records.push(JSON.stringify(f)); },
    rowSink: (t, f) => {
      if (t.tunnelOf(f) !== null || t.icmpErrorsOf(f) !== null) return false;
      t.packRow(f, one, 0); for (const w of one) rows.push(w); return true;
    },
  });
  return { rows: new Uint32Array(rows), records, batches: [], names: ev.names.map((o) => o.name) };
}

/** With `ring` row batches in the core, the sink has the core fill them in turn (as a thread reading each in place would). */
async function byRowBatches(file: string, maxFlows?: number, ring = 1): Promise<Got> {
  const parts: Uint32Array[] = [], records: string[] = [], batches: number[] = [];
  let want = 0, at0 = -1;
  const ev = await gatherEvidence([file], {
    ...(maxFlows !== undefined ? { maxFlows } : {}),
    ...(ring > 1 ? { rowBatchCount: ring } : {}),
    onFlow: (f) => { records.push(JSON.stringify(f)); },
    rowBatches: (t, buf, at, n, batch) => {
      assert.is(t.rowBatchCount, ring);
      assert.is(batch, want, 'the core fills the batch the sink chose');
      if (batch === 0) at0 = at;
      else if (at0 >= 0) assert.is(at - at0, batch * 4096 * PACKED_ROW_WORDS * 4, `batch ${batch} lies where it should`);
      parts.push(new Uint32Array(buf, at, n * PACKED_ROW_WORDS).slice()); batches.push(n);
      want = (batch + 1) % ring;
      return want;
    },
  });
  const rows = new Uint32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { rows.set(p, o); o += p.length; }
  return { rows, records, batches, names: ev.names.map((o2) => o2.name) };
}

function same(a: Got, b: Got, what: string): void {
  assert.is(a.rows.length, b.rows.length, `${what}: rows`);
  for (let i = 0; i < a.rows.length; i++) {
    if (a.rows[i] !== b.rows[i]) assert.unreachable(`${what}: row ${Math.floor(i / PACKED_ROW_WORDS)} differs at word ${i % PACKED_ROW_WORDS}`);
  }
  assert.equal(a.records, b.records, `${what}: records`);
  assert.equal(a.names, b.names, `${what}: names`);
}

test('row batches = rows packed one by one: fixtures, corpus and generated captures, also with a full table evicting', async () => {
  await withTmpDir('fa-rowb-', async (dir) => {
    const { files } = comparisonCaptures(dir, 'row batches');
    let records = 0, full = 0, evicting = 0;
    for (const f of files) {
      for (const maxFlows of [undefined, 300]) {
        const a = await byRowBatches(f, maxFlows), b = await byRowSink(f, maxFlows);
        same(a, b, `${path.basename(f)} (max flows ${maxFlows ?? 'default'})`);
        if (maxFlows === undefined) same(await byRowBatches(f, maxFlows, 3), b, `${path.basename(f)} (3 row batches in turn)`);
        records += a.records.length;
        full += a.batches.filter((n) => n === 4096).length;
        if (maxFlows !== undefined && a.rows.length / PACKED_ROW_WORDS > 300) evicting++;
        // every batch but the last is full
        assert.ok(a.batches.slice(0, -1).every((n) => n === 4096), `${path.basename(f)}: full batches`);
      }
    }
    assert.ok(full >= 4, `full batches handed over (${full})`);
    assert.ok(records > 0, `flows with ICMP errors or a tunnel came as records (${records})`);
    assert.ok(evicting >= 2, `captures with more flows than the table holds (${evicting})`);
  });
});

test('a flow with ICMP error evidence that the core finishes (met again after its timeout) still comes as a record', async () => {
  await withTmpDir('fa-rowb-', async (dir) => {
    const t0 = 1_700_000_000, file = path.join(dir, 'icmp-then-again.pcap');
    const q = ethIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 5353 });
    const unreachable = eth(0x0800, ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 1 }, icmp(3, 3, Buffer.alloc(4), q.subarray(14, 14 + 28))));
    const other = ethIpv4Udp({ src: '10.0.0.3', dst: '10.0.0.4', sport: 40001, dport: 5353 });
    writeFileSync(file, buildPcap({ packets: [
      { tsSec: t0, data: q }, { tsSec: t0, tsNsec: 1e8, data: unreachable }, { tsSec: t0 + 1, data: other },
      { tsSec: t0 + 1000, data: q }, // the first flow timed out: finished by the core's update, a new one starts
    ] }));
    const a = await byRowBatches(file), b = await byRowSink(file);
    same(a, b, 'icmp-then-again.pcap');
    const withIcmp = a.records.filter((r) => r.includes('"icmpErrors":[{'));
    assert.is(withIcmp.length, 1, `the flow with the ICMP error is a record (${a.records.length} records)`);
    assert.ok(JSON.parse(withIcmp[0]!).lastSec < t0 + 1000, 'the first flow, finished when met again');
    assert.is(a.rows.length / PACKED_ROW_WORDS, 2, 'the other two flows (the second of the same 5-tuple) are rows');
  });
});


test('a row-batch sink that names a batch the core does not have stops the run with why', async () => {
  await withTmpDir('fa-rowb-', async (dir) => {
    const { files } = comparisonCaptures(dir, 'row batches');
    let big: string | null = null;
    for (const f of files) { const g = await byRowSink(f); if (g.rows.length / PACKED_ROW_WORDS > 4096) { big = f; break; } }
    assert.ok(big !== null, 'a capture with a full batch of flows');
    try {
      await gatherEvidence([big!], { rowBatchCount: 2, rowBatches: () => 2 });
      assert.unreachable('batch 2 of 2');
    } catch (e) {
      assert.match((e as Error).message, /row batch 2: the table has 2/);
    }
  });
});

test.run();
