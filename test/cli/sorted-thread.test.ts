/**
 * Sorted `flows` with `--threads 2`: once every flow is read, the sorted order is formatted by
 * this thread and a format thread (sorted-thread.ts), each claiming the next slice, the format
 * thread reading the store in place (FlowStore `shared`). The bytes must be one thread's in every
 * format, with records kept as objects (ICMP errors), flow-log records that bring their own
 * Community ID, pcapng's evidence name and several inputs; both threads must really format; a
 * failing output must end the run with its error and stop the thread.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, cliSync } from '../helpers/same-audit.js';
import { generateBench } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { FlowStore, blankRecord } from '../../src/report/flows/store.js';
import { FLOW_FORMATS, writeFlows } from '../../src/report/flows/writer.js';
import { SLICE, writeSortedInTwoThreads, type SliceSplit } from '../../src/cli/commands/flows/sorted-thread.js';
import type { Output } from '../../src/report/output.js';

const AWS = path.join(ROOT, 'fixtures/evidence/aws/default.log');
const SURICATA = path.join(ROOT, 'fixtures/evidence/suricata/eve.json');

/**
 * An Output that keeps what is written; its byte writes fail with `failWith` after `okWrites`
 * writes. With `waitForThread` (the run's split), the first byte write waits (at most 60 s) until
 * the format thread has handed a slice back: the thread is up and has slices to format, however
 * slowly it started. Blocks in SharedArrayBuffers (the thread's) are released a turn after their
 * write, as a stream does, and counted: `shared` of them, `reused` in a buffer released before.
 */
function memoryOutput(failWith: Error | null = null, okWrites = 0, waitForThread: SliceSplit | null = null) {
  const written: Buffer[] = [];
  let writes = 0;
  const count = { shared: 0, reused: 0 };
  const out: Output = {
    path: undefined,
    write: async (t: string) => { written.push(Buffer.from(t)); },
    writeBytes: async (b: Uint8Array, released?: () => void) => {
      if (waitForThread !== null && writes === 0) for (const until = Date.now() + 60_000; waitForThread.thread === 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 5));
      if (failWith !== null && writes >= okWrites) throw failWith;
      writes++;
      written.push(Buffer.from(b));
      if (!(b.buffer instanceof SharedArrayBuffer)) { released?.(); return; }
      // (a buffer comes as a new object each time it is posted: its last byte, beyond these small
      // blocks, tells that it was released before)
      const whole = new Uint8Array(b.buffer), last = whole.length - 1;
      count.shared++;
      if (whole[last] === 0xab) count.reused++;
      setImmediate(() => { whole[last] = 0xab; released?.(); });
    },
    end: async () => undefined,
    abort: async () => undefined,
  };
  return { out, bytes: () => Buffer.concat(written), count };
}

/** A store filled as `flows` fills it (rows from the flow table, the rest as records), shared or not. */
async function storeOf(inputs: string[], shared: boolean): Promise<FlowStore> {
  const store = new FlowStore({ shared });
  const ev = await gatherEvidence(inputs, { onFlow: (f) => store.add(f), rowSink: store.rowSink() });
  for (const i of ev.inputs) if (i.format === 'pcapng') store.setEvidenceKind(i.file, 'pcap', 'pcapng');
  return store;
}

test('FlowStore.shareable → fromShared: every record of the copy equals the original (rows, records kept as objects, Community IDs from flow logs, pcapng evidence)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-sorted-'));
  try {
    const ng = path.join(dir, 'g.pcapng');
    generateBench({ out: ng, format: 'pcapng', options: { seed: 41 }, limits: { packets: 20_000 } });
    const store = await storeOf([ng, AWS, SURICATA], true);
    // an evidence override travels too (any one: the rows of the AWS log reported as another kind)
    store.setEvidenceKind(AWS, 'aws-vpc', 'zeek');
    const copy = FlowStore.fromShared(structuredClone(store.shareable()));
    assert.is(copy.size, store.size);
    assert.ok(store.size > 1000, `${store.size} flows`);
    let icmp = 0, logs = 0, ngs = 0, overridden = 0;
    for (let i = 0; i < store.size; i++) {
      const a = store.get(i), b = copy.get(i);
      assert.equal(b, a, `record ${i}`);
      if (a.icmpErrors.length > 0) icmp++;
      if (a.evidence !== 'pcap' && a.evidence !== 'pcapng') logs++;
      if (a.evidence === 'pcapng') ngs++;
      if (a.source === AWS && a.evidence === 'zeek') overridden++;
    }
    assert.ok(icmp > 0 && logs > 0 && ngs > 0 && overridden > 0, `records with ICMP errors ${icmp}, from flow logs ${logs}, from pcapng ${ngs}, overridden ${overridden}`);
    assert.equal(copy.order(), store.order());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeSortedInTwoThreads writes the bytes of one thread in every format, both threads formatting slices (small slices: many of them)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-sorted-'));
  try {
    const gen = path.join(dir, 'g.pcap'), ng = path.join(dir, 'g.pcapng');
    generateBench({ out: gen, format: 'pcap', options: { seed: 43 }, limits: { packets: 60_000 } });
    generateBench({ out: ng, format: 'pcapng', options: { seed: 47 }, limits: { packets: 20_000 } });
    const inputs = [gen, ng, AWS, SURICATA];
    const one = await storeOf(inputs, false), two = await storeOf(inputs, true);
    assert.ok(one.size > 5000, `${one.size} flows`);
    for (const format of FLOW_FORMATS) {
      const split: SliceSplit = { here: 0, thread: 0 };
      const a = memoryOutput(), b = memoryOutput(null, 0, split);
      const n1 = await writeFlows(a.out, one.sorted(true, blankRecord()), format);
      const n2 = await writeSortedInTwoThreads(b.out, two, format, 97, split);
      assert.is(n2, n1, `${format}: flows written`);
      assert.ok(a.bytes().equals(b.bytes()), `${format}: the same bytes (${a.bytes().length} and ${b.bytes().length})`);
      assert.ok(split.here > 0 && split.thread > 0, `${format}: slices formatted here ${split.here}, in the thread ${split.thread}`);
      assert.is(split.here + split.thread, Math.ceil(n1 / 97), `${format}: every slice formatted once`);
      // the thread's blocks are shared, not transferred, and reused once written (the thread gets
      // its credit for a slice as soon as the slice is written, and the buffers a turn later: it
      // formats some slices into new ones meanwhile, how many depending on how the two threads
      // are scheduled: as few as 5 of 42 in a clean-clone CI run)
      assert.is(b.count.shared, split.thread, `${format}: one shared block per slice of the thread`);
      if (split.thread >= 16) assert.ok(b.count.reused > 0, `${format}: ${b.count.reused} of ${split.thread} blocks reused`);
    }
    // fewer flows than two slices: this thread alone, the same bytes
    const split: SliceSplit = { here: 0, thread: 0 };
    const a = memoryOutput(), b = memoryOutput();
    await writeFlows(a.out, one.sorted(true, blankRecord()), 'json');
    await writeSortedInTwoThreads(b.out, two, 'json', one.size, split);
    assert.ok(a.bytes().equals(b.bytes()));
    assert.equal(split, { here: 0, thread: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeSortedInTwoThreads: a failing output ends it with that error (the thread stopped, no hang)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-sorted-'));
  try {
    const gen = path.join(dir, 'g.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 53 }, limits: { packets: 30_000 } });
    const store = await storeOf([gen], true);
    for (const okWrites of [0, 5]) {
      const o = memoryOutput(new Error('disk full'), okWrites);
      const err = await writeSortedInTwoThreads(o.out, store, 'ndjson', 50).then(() => null, (e: Error) => e);
      assert.is(err?.message, 'disk full', `after ${okWrites} writes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flows --threads 2 (sorted) writes the bytes of --threads 1 (a capture of more than two slices, and pcapng with flow logs)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-sorted-'));
  try {
    const gen = path.join(dir, 'g.pcap'), ng = path.join(dir, 'g.pcapng');
    generateBench({ out: gen, format: 'pcap', options: { seed: 59 }, limits: { packets: 150_000 } });
    generateBench({ out: ng, format: 'pcapng', options: { seed: 61 }, limits: { packets: 30_000 } });
    for (const args of [[gen], [ng, AWS, '--format', 'csv']]) {
      const one = cliSync(['flows', ...args, '--threads', '1']), two = cliSync(['flows', ...args, '--threads', '2']);
      assert.is(one.code, 0, one.err);
      assert.is(two.code, 0, two.err);
      assert.ok(one.out === two.out, `${args.join(' ')}: the same output (${one.out.length} and ${two.out.length} characters)`);
      assert.is(two.err, one.err);
    }
    const lines = cliSync(['flows', gen, '--threads', '2']).out.split('\n').length - 1;
    assert.ok(lines > 2 * SLICE, `${lines} flows: more than two slices of ${SLICE}, so the format thread ran`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
