/**
 * `flows --unsorted`: every flow written as it finishes. The same records as the sorted output
 * (as a set of lines), in every format that frames records; and the writer holds the reader back
 * while its output is behind (bounded memory).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCliText } from '../helpers/cli.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowStreamWriter } from '../../src/report/flows/writer.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import type { Output } from '../../src/report/output.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { generateBench } from '../../bench/gen/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pilot = fileURLToPath(new URL('../../../shared/corpus/pilot/pilot-full.pcapng', import.meta.url));
const sample = path.join(root, 'fixtures/demo/sample.pcapng');

const cli = (args: string[]) => runCliText(args);

function lines(s: string): string[] {
  return s.trimEnd().split('\n');
}

test('--unsorted writes the same records as the sorted output (demo sample, pilot, a generated capture with expiries)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-unsorted-'));
  try {
    const gen = path.join(dir, 'g.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 3 }, limits: { packets: 150_000 } });
    const files = [sample, gen, ...(existsSync(pilot) ? [pilot] : [])];
    for (const f of files) {
      for (const format of ['ndjson', 'csv']) {
        const sorted = cli(['flows', f, '--format', format]);
        const streamed = cli(['flows', f, '--format', format, '--unsorted']);
        assert.is(sorted.status, 0, sorted.stderr);
        assert.is(streamed.status, 0, streamed.stderr);
        assert.is(streamed.stderr, sorted.stderr, 'same summary');
        const a = lines(sorted.stdout), b = lines(streamed.stdout);
        assert.is(b.length, a.length);
        if (format === 'csv') assert.is(b[0], a[0], 'header first');
        assert.equal([...b].sort(), [...a].sort(), `${f} ${format}`);
        if (f === gen && format === 'ndjson') assert.not.equal(b, a, 'finishing order differs from first-packet order here');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FlowStreamWriter: asks the reader to wait while blocks are queued, writes everything in order', async () => {
  const written: Buffer[] = [];
  let release: (() => void) | null = null;
  let gate = new Promise<void>((r) => { release = r; });
  const out: Output = {
    path: undefined,
    write: async (t: string) => { written.push(Buffer.from(t)); },
    writeBytes: async (b: Uint8Array) => { await gate; written.push(Buffer.from(b)); },
    end: async () => undefined,
    abort: async () => undefined,
  };
  const w = new FlowStreamWriter(out, 'ndjson');
  const f: FlowRecord = {
    firstSec: 1, firstNsec: 0, lastSec: 2, lastNsec: 0, proto: 6, origH: '10.0.0.1', origP: 1000, respH: '10.0.0.2', respP: 88,
    origPkts: 1, respPkts: 1, origIpBytes: 60, respIpBytes: 60, origFlags: 2, respFlags: 18, connState: 'S1', history: 'Sh',
    directionInferred: false, icmpErrors: [], vlan: null, tunnel: null, ifIndex: null, communityId: '', evidence: 'pcap', source: 'x', verdict: null,
  };
  assert.is(w.pending(), undefined);
  let waitedAt = -1;
  for (let i = 0; i < 200_000; i++) {
    w.add({ ...f, origP: i % 65536 });
    if (waitedAt < 0 && w.pending() !== undefined) waitedAt = i;
  }
  assert.ok(waitedAt > 0 && waitedAt < 100_000, `the writer asked to wait after ${waitedAt} flows (a few MiB queued)`);
  release!();
  gate = Promise.resolve();
  assert.is(await w.end(), 200_000);
  const text = Buffer.concat(written).toString('utf8');
  const ls = lines(text);
  assert.is(ls.length, 200_000);
  assert.is(JSON.parse(ls[12345]!).orig_p, 12345);
});

test('a consumer failing through `between` stops the read with its error (no retry, nothing read after it)', async () => {
  let calls = 0, packetsAfter = 0, failed = false;
  const err = await gatherEvidence([sample], {
    chunkSize: 4096,
    onFlow: () => { if (failed) packetsAfter++; },
    between: () => { calls++; if (calls === 3) { failed = true; return Promise.reject(new Error('disk full')); } return undefined; },
  }).then(() => null, (e: Error) => e);
  assert.ok(err !== null, 'gatherEvidence rejected');
  assert.is(err!.message, 'disk full');
  assert.is(calls, 3, 'asked before each chunk after the first, and not again after the failure');
  assert.is(packetsAfter, 0);
});

test('with --threads 2 too, a failing consumer stops the read with its error', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-between-'));
  try {
    const gen = path.join(dir, 'g.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 4 }, limits: { packets: 30_000 } });
    let calls = 0;
    const err = await gatherEvidence([gen], {
      threads: 2,
      between: () => (++calls === 2 ? Promise.reject(new Error('disk full')) : undefined),
    }).then(() => null, (e: Error) => e);
    assert.is(err?.message, 'disk full');
    assert.is(calls, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
