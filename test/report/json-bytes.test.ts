/**
 * The byte writer of NDJSON lines (json-bytes.ts) must give exactly flowToJsonLine's text, or
 * decline (-1) so that the text path is used: checked on random records with awkward values
 * (negative zero, fractions, huge numbers, odd strings, quotes, non-ASCII, ICMP errors), and
 * through writeFlows on the demo sample in both ndjson and json.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { flowToJsonLine } from '../../src/report/flows/fields.js';
import { JSON_LINE_MAX, writeJsonLine } from '../../src/report/flows/json-bytes.js';
import { flowWriter, writeFlows } from '../../src/report/flows/writer.js';
import type { Output } from '../../src/report/output.js';
import type { FlowRecord, IcmpErrorEvidence } from '../../src/flow/record.js';
import { gatherEvidence } from '../../src/cli/gather.js';

const num = fc.oneof(
  fc.nat({ max: 70000 }), fc.nat(), fc.constantFrom(0, -0, 1, 9, 10, 99, 100, 999_999_999, 1e9, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21, -1, 0.5, 1e300, NaN, Infinity),
  fc.double({ noNaN: false }),
);
// mostly ordinary values (the writer's own path), some awkward ones (declined, or written exactly)
const sec = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 4_000_000_000 }), weight: 20 }, { arbitrary: fc.constantFrom(0, -1, 1.5, 2 ** 53), weight: 1 });
const nsec = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 999_999_999 }), weight: 10 },
  { arbitrary: fc.constantFrom(0, 1, 10, 100_000_000, 999_999_999), weight: 5 }, { arbitrary: fc.constantFrom(1e9, -1, 0.5), weight: 1 });
const text = fc.oneof({ arbitrary: fc.constantFrom('10.0.0.1', 'fd00::1', '203.0.113.250', '', 'x.pcap'), weight: 30 },
  { arbitrary: fc.constantFrom('a"b', 'a\\b', 'é', 'x\ny', 'tab\t', '\u007f'), weight: 1 }, { arbitrary: fc.string({ maxLength: 20 }), weight: 1 });
const rec: fc.Arbitrary<FlowRecord> = fc.record({
  firstSec: sec, firstNsec: nsec, lastSec: sec, lastNsec: nsec,
  proto: fc.constantFrom(6, 17, 1, 58, 132, 47),
  origH: text, origP: num, respH: text, respP: num,
  origPkts: num, respPkts: num, origIpBytes: num, respIpBytes: num,
  origFlags: fc.nat({ max: 255 }), respFlags: fc.nat({ max: 255 }),
  connState: fc.constantFrom('SF', 'S0', 'REJ', '', 'OTH') as fc.Arbitrary<FlowRecord['connState']>,
  history: fc.constantFrom('ShADadFf', '^hA', '', 'Dd'),
  directionInferred: fc.boolean(),
  icmpErrors: fc.oneof(
    { arbitrary: fc.constant<IcmpErrorEvidence[]>([]), weight: 6 },
    { arbitrary: fc.constant<IcmpErrorEvidence[]>([{ proto: 'icmp', type: 3, code: 3, count: 1, from: '10.0.0.9' }]), weight: 2 },
    // several, of either kind, with awkward numbers and senders (written exactly, or declined), up to more than the writer takes
    { arbitrary: fc.array(fc.record({ proto: fc.constantFrom('icmp', 'icmp6', 'icmpx') as fc.Arbitrary<IcmpErrorEvidence['proto']>, type: num, code: num, count: num, from: text }), { maxLength: 10 }), weight: 2 },
  ),
  vlan: fc.oneof(fc.constant(null), num), tunnel: fc.oneof(fc.constant(null), fc.record({ kind: fc.constantFrom('vxlan', 'erspan', 'gre'), outerSrc: text, outerDst: text })), ifIndex: fc.oneof(fc.constant(null), num),
  communityId: fc.constantFrom('', '1:wCb3OG7yAFWelaUydu0D+125CLM='),
  evidence: fc.constantFrom('pcap', 'pcapng', 'zeek') as fc.Arbitrary<FlowRecord['evidence']>,
  source: text, verdict: fc.constantFrom(null, 'allowed', 'denied') as fc.Arbitrary<FlowRecord['verdict']>,
});

test('writeJsonLine: the same bytes as flowToJsonLine, or -1', () => {
  const buf = Buffer.alloc(JSON_LINE_MAX + 16);
  let wrote = 0, declined = 0, wroteIcmp = 0;
  fc.assert(fc.property(rec, (f) => {
    const end = writeJsonLine(f, buf, 7);
    if (end < 0) { declined++; return; }
    wrote++;
    if (f.icmpErrors.length > 0) wroteIcmp++;
    assert.is(buf.toString('utf8', 7, end), flowToJsonLine(f));
  }), { numRuns: 4000 });
  assert.ok(wrote > 1000 && declined > 100, `${wrote} written, ${declined} declined`);
  assert.ok(wroteIcmp > 200, `${wroteIcmp} written with their ICMP errors`);
});

function memoryOutput(): Output & { text(): string } {
  const parts: Buffer[] = [];
  return {
    path: undefined,
    write: async (t: string) => { parts.push(Buffer.from(t, 'utf8')); },
    writeBytes: async (b: Uint8Array) => { parts.push(Buffer.from(b)); },
    end: async () => undefined, abort: async () => undefined,
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

test('writeFlows ndjson/json over the demo sample equals the text writer, record by record', async () => {
  const ev = await gatherEvidence([fileURLToPath(new URL('../../fixtures/demo/sample.pcapng', import.meta.url))]);
  assert.ok(ev.flows.length > 20);
  for (const format of ['ndjson', 'json'] as const) {
    const w = flowWriter(format);
    const want = w.prolog() + ev.flows.map((f, i) => w.record(f, i)).join('') + w.epilog(ev.flows.length);
    const out = memoryOutput();
    await writeFlows(out, ev.flows, format);
    assert.is(out.text(), want, format);
    if (format === 'json') assert.equal(JSON.parse(out.text()).length, ev.flows.length);
  }
});

test.run();
