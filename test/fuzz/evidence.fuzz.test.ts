/**
 * Hostile flow-record files (fixed seed, part of `npm test`): an Azure NSG v2 / VNet v4 document
 * cut at every offset, AWS VPC, Zeek conn.log (TSV and JSON) and Suricata eve.json cut and
 * bit-flipped, gzip streams cut short, random bytes. Property: readEvidenceFile resolves (or
 * rejects with a FlowauditError, never anything else), ends with a named code when not clean,
 * hands on only flows whose 5-tuple is in the intact document, never more flows than the intact
 * document, and stays bounded in time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FlowRecord, EvidenceKind } from '../../src/flow/record.js';
import { FuzzStats, SEED, namedError, budgetMs } from './harness.js';
import { findExport, skip } from './modules.js';
import { mutate } from './gen.js';
import { DOCS } from './flowlog-docs.js';

type ReadEvidence = (file: string, kind: EvidenceKind, onFlow: (f: FlowRecord) => void) => Promise<{
  records: number; flows?: number; anomalies: Record<string, { count: number }>; end: { clean: boolean; code: string | null; offset: number; reason: string | null };
}>;

const stats = new FuzzStats();
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const read = await findExport<ReadEvidence>('evidence', 'readEvidenceFile');
const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-evfuzz-'));

const key = (f: FlowRecord) => `${f.proto} ${f.origH} ${f.origP} ${f.respH} ${f.respP}`;
const keyR = (f: FlowRecord) => `${f.proto} ${f.respH} ${f.respP} ${f.origH} ${f.origP}`;
const END_RE = /^[A-Za-z0-9_.]+$/;

interface Outcome { flows: FlowRecord[]; info: Awaited<ReturnType<ReadEvidence>> | null; error: string | null }

let seq = 0;
async function readOnce(kind: EvidenceKind, bytes: Uint8Array, ext: string): Promise<Outcome & { ms: number }> {
  const file = path.join(dir, `in-${seq++ % 4}.${ext}`);
  writeFileSync(file, bytes);
  const flows: FlowRecord[] = [];
  const t0 = performance.now();
  let info: Outcome['info'] = null, error: string | null = null;
  try {
    info = await read!(file, kind, (f) => flows.push(f));
  } catch (e) {
    const n = namedError(e);
    if (n === null) throw new Error(`readEvidenceFile(${kind}) threw an unnamed error on ${bytes.length} bytes: ${(e as Error).stack}\ninput: ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 600))}`);
    error = n;
  }
  return { flows, info, error, ms: performance.now() - t0 };
}

/** Read with a time budget (async file I/O: 4× the synchronous budget; over it twice fails). */
async function readBytes(kind: EvidenceKind, bytes: Uint8Array, ext: string): Promise<Outcome> {
  const limit = budgetMs(bytes.length) * 4;
  let o = await readOnce(kind, bytes, ext);
  if (o.ms > limit) { const again = await readOnce(kind, bytes, ext); if (again.ms < o.ms) o = again; }
  stats.time(`evidence.${kind}`, o.ms);
  if (o.ms > limit) throw new Error(`readEvidenceFile(${kind}) took ${o.ms.toFixed(0)} ms on ${bytes.length} bytes (twice over ${limit.toFixed(0)} ms)`);
  return o;
}

function checkOutcome(kind: EvidenceKind, o: Outcome, full: Outcome, what: string, cut: boolean): void {
  stats.count(`evidence.${kind}`);
  if (o.error) { stats.seen(o.error); return; }
  const info = o.info!;
  stats.seen(info.end.code ?? 'evidence:clean');
  for (const [k, v] of Object.entries(info.anomalies)) stats.seen(k, v.count);
  if (!info.end.clean) {
    assert.ok(info.end.code !== null && END_RE.test(info.end.code), `${what}: named end code (${info.end.code})`);
    assert.ok((info.end.reason ?? '').length > 0, `${what}: end has a reason`);
  }
  if (cut) assert.ok(o.flows.length <= full.flows.length, `${what}: ${o.flows.length} flows from a cut file, ${full.flows.length} from the intact one`);
  for (const f of o.flows) {
    assert.ok(f.proto >= 0 && f.proto <= 255 && f.origP >= 0 && f.origP <= 65535 && f.respP >= 0 && f.respP <= 65535, `${what}: sane numbers ${key(f)}`);
  }
}

const EXT: Record<string, string> = { 'azure-nsg': 'json', 'azure-vnet': 'json', 'aws-vpc': 'log', zeek: 'log', suricata: 'json' };

test('every document reads intact (the generators are right)', async () => {
  if (!read) return skip('src/evidence has no readEvidenceFile yet');
  for (const d of DOCS) {
    const o = await readBytes(d.kind, Buffer.from(d.text), EXT[d.kind]!);
    assert.is(o.error, null, `${d.name}: ${o.error}`);
    assert.ok(o.info!.end.clean, `${d.name}: clean end (${JSON.stringify(o.info!.end)})`);
    assert.ok(o.flows.length >= 2, `${d.name}: flows read (${o.flows.length}; anomalies ${JSON.stringify(o.info!.anomalies)})`);
  }
});

test('JSON flow logs cut at every offset; line formats at every 5th offset', async () => {
  if (!read) return skip('src/evidence has no readEvidenceFile yet');
  for (const d of DOCS) {
    const bytes = Buffer.from(d.text);
    const full = await readBytes(d.kind, bytes, EXT[d.kind]!);
    const isDoc = d.kind.startsWith('azure');
    const step = d.kind === "azure-nsg" ? 1 : isDoc ? 2 : 5;
    const lastBrace = d.text.lastIndexOf('}');
    for (let n = 0; n < bytes.length; n += step) {
      const o = await readBytes(d.kind, bytes.subarray(0, n), EXT[d.kind]!);
      const what = `${d.name} cut at ${n}`;
      checkOutcome(d.kind, o, full, what, true);
      // a JSON document cut before its closing brace is not a clean read, and says where it stopped
      if (isDoc && n > 0 && n <= lastBrace && o.info) {
        assert.not.ok(o.info.end.clean, `${what}: a cut JSON document must not end cleanly`);
        assert.ok(o.info.end.offset <= n, `${what}: end offset ${o.info.end.offset} ≤ ${n}`);
      }
      // flows read from a cut file are flows of the intact file (no invented 5-tuples)
      const known = new Set(full.flows.flatMap((f) => [key(f), keyR(f)]));
      for (const f of o.flows) assert.ok(known.has(key(f)), `${what}: flow ${key(f)} is not in the intact document`);
    }
  }
});

test('bit flips, splices and random bytes in every format; gzip cut short', async () => {
  if (!read) return skip('src/evidence has no readEvidenceFile yet');
  const fulls = new Map<string, Outcome>();
  for (const d of DOCS) fulls.set(d.name, await readBytes(d.kind, Buffer.from(d.text), EXT[d.kind]!));
  const arb = fc.tuple(fc.constantFrom(...DOCS), fc.nat(1 << 20)).chain(([d]) => fc.tuple(fc.constant(d), mutate(Buffer.from(d.text))));
  await fc.assert(fc.asyncProperty(arb, async ([d, b]) => {
    checkOutcome(d.kind, await readBytes(d.kind, b, EXT[d.kind]!), fulls.get(d.name)!, `${d.name} mutated`, false);
  }), { seed: SEED, numRuns: RUNS >> 2 });
  await fc.assert(fc.asyncProperty(fc.constantFrom(...DOCS), fc.uint8Array({ maxLength: 400 }), async (d, b) => {
    checkOutcome(d.kind, await readBytes(d.kind, b, EXT[d.kind]!), fulls.get(d.name)!, `${d.name} random`, false);
  }), { seed: SEED, numRuns: RUNS >> 3 });
  // gzip: the compressed document cut at every 7th byte
  for (const d of DOCS.slice(0, 4)) {
    const gz = gzipSync(Buffer.from(d.text));
    for (let n = 1; n < gz.length; n += 11) {
      const o = await readBytes(d.kind, gz.subarray(0, n), `${EXT[d.kind]}.gz`);
      checkOutcome(d.kind, o, fulls.get(d.name)!, `${d.name}.gz cut at ${n}`, true);
      // (one byte is not yet a gzip magic: it is then a one-byte garbage text file, which must at least be counted)
      if (o.info && n >= 2 && n < gz.length - 8) assert.not.ok(o.info.end.clean, `${d.name}.gz cut at ${n} of ${gz.length}: a cut gzip stream is not a clean read`);
      if (o.info && n === 1) assert.ok(!o.info.end.clean || Object.keys(o.info.anomalies).length > 0, `${d.name}: one stray byte is not silent`);
    }
  }
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${stats.summary('evidence fuzz')}\n`);
});

test.run();
