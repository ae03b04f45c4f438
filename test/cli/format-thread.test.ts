/**
 * `flows --unsorted --threads 2`: the flows are formatted in a second thread (format-thread.ts)
 * while this one reads, and here when that thread is behind. The output must be byte-identical to
 * one thread's in every format, whichever thread formats a batch; the reading must wait while too
 * many batches are out, and a failing output must stop the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCliBytes } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/same-audit.js';
import { generateBench } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { FormatThread, MAX_IN_FLIGHT } from '../../src/cli/commands/flows/format-thread.js';
import { FLOW_FORMATS, writeFlows } from '../../src/report/flows/writer.js';
import type { Output } from '../../src/report/output.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

const DEMO = path.join(ROOT, 'fixtures/demo/sample.pcapng');

const cli = (args: string[], input?: Buffer) => runCliBytes(args, { timeout: 180_000, ...(input ? { input } : {}) });

test('--unsorted --threads 2 writes the bytes of --threads 1, in every format (a capture of many batches with ICMP errors, the demo, pcapng on stdin)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-fmt-'));
  try {
    const gen = path.join(dir, 'g.pcap'), genNg = path.join(dir, 'g.pcapng');
    generateBench({ out: gen, format: 'pcap', options: { seed: 29 }, limits: { packets: 200_000 } });
    generateBench({ out: genNg, format: 'pcapng', options: { seed: 31 }, limits: { packets: 60_000 } });
    const cases: [string, string[], Buffer | undefined][] = [];
    for (const format of FLOW_FORMATS) cases.push([`generated, ${format}`, [gen, '--format', format], undefined]);
    cases.push(['demo (fewer flows than a batch: no thread)', [DEMO], undefined]);
    cases.push(['pcapng on stdin', ['-'], readFileSync(genNg)]);
    for (const [name, args, input] of cases) {
      const one = cli(['flows', ...args, '--unsorted', '--threads', '1'], input);
      const two = cli(['flows', ...args, '--unsorted', '--threads', '2'], input);
      assert.is(one.status, 0, `${name}: ${one.stderr}`);
      assert.is(two.status, 0, `${name}: ${two.stderr}`);
      assert.ok(one.stdout.length > 1000, `${name}: flows were written`);
      assert.ok(Buffer.compare(one.stdout, two.stdout) === 0, `${name}: the same bytes (${one.stdout.length} and ${two.stdout.length})`);
      assert.is(two.stderr.toString(), one.stderr.toString(), `${name}: the same summary`);
    }
    // the generated capture has flows with ICMP errors (rows that carry them): they kept them
    assert.match(cli(['flows', gen, '--unsorted', '--threads', '2']).stdout.toString(), /"icmp_errors":\[\{/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--unsorted --threads 2 of mirrored traffic (every flow tunnelled, in rows with their tunnel): the bytes of --threads 1 and of sorted output', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-fmt-'));
  try {
    const gen = path.join(dir, 'erspan.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 37 }, limits: { packets: 120_000 }, encap: 'erspan' });
    const one = cli(['flows', gen, '--unsorted', '--threads', '1']);
    const two = cli(['flows', gen, '--unsorted', '--threads', '2']);
    assert.is(one.status, 0, one.stderr.toString());
    assert.is(two.status, 0, two.stderr.toString());
    assert.ok(Buffer.compare(one.stdout, two.stdout) === 0, `the same bytes (${one.stdout.length} and ${two.stdout.length})`);
    const lines = one.stdout.toString().trimEnd().split('\n');
    assert.ok(lines.length > 3 * 4096, `${lines.length} flows: several batches`);
    for (const l of lines) assert.ok(l.includes('"tunnel":{"kind":"erspan"'), `a tunnelled flow: ${l.slice(0, 200)}`);
    // the same flows as sorted output (another path: the flow store's columns)
    const sorted = cli(['flows', gen, '--threads', '2']);
    assert.is(sorted.status, 0, sorted.stderr.toString());
    assert.equal(sorted.stdout.toString().trimEnd().split('\n').sort(), [...lines].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An Output that records what is written, whose writes wait while `gate` is closed, and can be made to fail. */
function gatedOutput() {
  const written: Buffer[] = [];
  let open!: () => void;
  let gate = new Promise<void>((r) => { open = r; });
  let failWith: Error | null = null;
  const out: Output = {
    path: undefined,
    write: async (t: string) => { written.push(Buffer.from(t)); },
    writeBytes: async (b: Uint8Array) => { await gate; if (failWith !== null) throw failWith; written.push(Buffer.from(b)); },
    end: async () => undefined,
    abort: async () => undefined,
  };
  return { out, written, release: () => { open(); gate = Promise.resolve(); }, fail: (e: Error) => { failWith = e; } };
}

async function demoRecords(): Promise<FlowRecord[]> {
  const ev = await gatherEvidence([DEMO], {}); // every flow as a record
  assert.ok(ev.flows.length > 10);
  return ev.flows;
}

test('FormatThread: reading waits while MAX_IN_FLIGHT batches are not written, then goes on; the output is one thread\'s', async () => {
  const flows = await demoRecords();
  const o = gatedOutput();
  const t = new FormatThread(o.out, 'ndjson');
  const all: FlowRecord[] = [];
  try {
    assert.is(t.between(), undefined, 'nothing out yet: no wait');
    // the output does not take anything: batches (1024 records each) stay out
    while (t.inFlight < MAX_IN_FLIGHT) { const f = flows[all.length % flows.length]!; all.push(f); t.onFlow(f); }
    assert.ok(t.started);
    const wait = t.between();
    assert.ok(wait instanceof Promise, 'the reading is told to wait');
    let settled = false;
    void wait!.then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 300));
    assert.is(settled, false, 'and it waits while the output is stuck');
    o.release();
    await wait;
    assert.ok(t.inFlight <= MAX_IN_FLIGHT / 2, `in flight after the wait: ${t.inFlight}`);
    for (let i = 0; i < 1500; i++) { const f = flows[i % flows.length]!; all.push(f); t.onFlow(f); }
    assert.is(await t.end(), all.length);
  } finally {
    await t.close();
  }
  const expected = gatedOutput();
  expected.release();
  await writeFlows(expected.out, all, 'ndjson');
  assert.ok(Buffer.concat(o.written).equals(Buffer.concat(expected.written)), 'the bytes of writeFlows over the same flows');
});

test('FormatThread: the thread\'s blocks are SharedArrayBuffers (not transferred), given back once written and reused', async () => {
  const flows = await demoRecords();
  const written: Buffer[] = [];
  let blocks = 0, reused = 0;
  const out: Output = {
    path: undefined,
    write: async (t: string) => { written.push(Buffer.from(t)); },
    writeBytes: async (b: Uint8Array, released?: () => void) => {
      blocks++; written.push(Buffer.from(b));
      assert.instance(b.buffer, SharedArrayBuffer);
      // a buffer comes as a new object each time it is posted: the last byte of a buffer given
      // back (beyond these blocks of about 450 KB) tells that it was given back before
      const whole = new Uint8Array(b.buffer), last = whole.length - 1;
      if (whole[last] === 0xab) reused++;
      setImmediate(() => { whole[last] = 0xab; released?.(); }); // as a stream does, once written
    },
    end: async () => undefined,
    abort: async () => undefined,
  };
  const t = new FormatThread(out, 'ndjson');
  const all: FlowRecord[] = [];
  try {
    // 60 batches of 1024 records, each formatted into its own block, handed over a few at a time
    for (let b = 0; b < 60; b++) {
      for (let i = 0; i < 1024; i++) { const f = flows[all.length % flows.length]!; all.push(f); t.onFlow(f); }
      await t.between();
      if (b % 4 === 3) await new Promise((r) => setTimeout(r, 5));
    }
    assert.is(await t.end(), all.length);
  } finally {
    await t.close();
  }
  assert.ok(blocks >= 60, `blocks written: ${blocks}`);
  assert.ok(reused >= blocks / 2, `${reused} of ${blocks} blocks in a buffer given back: written blocks are reused`);
  const expected = gatedOutput();
  expected.release();
  await writeFlows(expected.out, all, 'ndjson');
  assert.ok(Buffer.concat(written).equals(Buffer.concat(expected.written)), 'the bytes of writeFlows over the same flows');
});

test('FormatThread: this thread formats batches too while the thread is behind; the bytes are one thread\'s in every format', async () => {
  await withTmpDir('fa-fmt-', async (dir) => {
    const gen = path.join(dir, 'g.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 53 }, limits: { packets: 150_000 } });
    for (const format of FLOW_FORMATS) {
      const o = gatedOutput();
      o.release();
      // (taking a turn whenever the thread has a batch to format: both threads format many)
      const t = new FormatThread(o.out, format, 1);
      let n: number;
      try {
        await gatherEvidence([gen], { onFlow: t.onFlow, rowSink: t.rowSink, between: t.between });
        n = await t.end();
      } finally {
        await t.close();
      }
      assert.ok(t.batchesHere >= 1 && t.batchesThere >= 1, `${format}: batches formatted here ${t.batchesHere}, in the thread ${t.batchesThere}`);
      const expected = gatedOutput();
      expected.release();
      const flows: FlowRecord[] = [];
      await gatherEvidence([gen], { onFlow: (f) => flows.push(f), rowSink: (tb, f) => { flows.push(tb.toRecord(f)); return true; } });
      assert.is(n, flows.length, `${format}: every flow`);
      await writeFlows(expected.out, flows, format);
      assert.ok(Buffer.concat(o.written).equals(Buffer.concat(expected.written)), `${format}: the bytes of one thread`);
    }
  });
});

test('FormatThread: a failing output stops the reading with its error, and end() says it', async () => {
  const flows = await demoRecords();
  const o = gatedOutput();
  o.fail(new Error('disk full'));
  o.release();
  const t = new FormatThread(o.out, 'csv');
  try {
    let err: unknown = null;
    // batches until the failure comes back (the thread's start-up may take a while on a busy machine)
    const until = Date.now() + 60_000;
    for (let i = 0; err === null && Date.now() < until; i++) {
      // (handing a batch over throws the failure too, once it is known)
      try { t.onFlow(flows[i % flows.length]!); } catch (e) { err = e; break; }
      if (i % 1024 === 1023) { await new Promise((r) => setTimeout(r, 20)); err = await t.between()?.then(() => null, (e: unknown) => e) ?? null; }
    }
    assert.instance(err, Error);
    assert.is((err as Error).message, 'disk full');
    const end = await t.end().then(() => null, (e: Error) => e);
    assert.is(end?.message, 'disk full');
  } finally {
    await t.close();
  }
});

test.run();
