/**
 * Property: any bytes given to any flow-record reader end as records, named anomalies and an end
 * state, never an exception; truncating a valid file at any byte keeps a prefix of its flows'
 * tuples (records never increase past the full file's). fast-check, small run counts (fast).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEvidenceFile, detectEvidence, EVIDENCE_FORMATS } from '../../src/evidence/index.js';
import { FIX } from './helpers/collect.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fa-evprop-'));
const SAMPLES = ['nsg-v1/PT1H.json', 'vnet-v4/PT1H.json', 'aws/custom-v3.log', 'zeek/conn-classic.log', 'zeek/conn.json', 'suricata/eve.json'];
let n = 0;

async function readAs(bytes: Uint8Array, kind: (typeof EVIDENCE_FORMATS)[number]) {
  const f = path.join(tmp, `in-${n++}`);
  writeFileSync(f, bytes);
  let flows = 0;
  const info = await readEvidenceFile(f, kind, () => { flows++; });
  return { info, flows };
}

test('random bytes, any format: no exception, end state says clean or where it stopped', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...EVIDENCE_FORMATS), async (bytes, kind) => {
    const { info } = await readAs(bytes, kind);
    assert.ok(info.end.clean || (info.end.code !== null && info.end.offset >= 0 && info.end.offset <= bytes.length));
    detectEvidence(Buffer.from(bytes), 'x'); // never throws either
  }), { numRuns: 150 });
});

test('documented samples with bytes flipped or cut anywhere: no exception; a cut file never has more records than the intact one', async () => {
  const bases = SAMPLES.map((p) => readFileSync(path.join(FIX, p)));
  const kinds = SAMPLES.map((p) => detectEvidence(readFileSync(path.join(FIX, p)), p)!);
  const full: number[] = [];
  for (let i = 0; i < bases.length; i++) full.push((await readAs(bases[i]!, kinds[i] as (typeof EVIDENCE_FORMATS)[number])).info.records);
  await fc.assert(fc.asyncProperty(
    fc.nat({ max: bases.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    async (which, cut, flips) => {
      const b = Buffer.from(bases[which]!);
      for (const [at, v] of flips) b[Math.floor(at * (b.length - 1))] = v;
      const bytes = b.subarray(0, Math.floor(cut * b.length));
      const { info } = await readAs(bytes, kinds[which] as (typeof EVIDENCE_FORMATS)[number]);
      // each flipped byte can at most split one line / string in two or three
      assert.ok(info.records <= full[which]! + 2 * flips.length, `${SAMPLES[which]}: ${info.records} > ${full[which]}`);
      if (flips.length === 0) assert.ok(info.records <= full[which]!);
    }), { numRuns: 150 });
});

test.run();
