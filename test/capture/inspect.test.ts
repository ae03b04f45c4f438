/**
 * `flowaudit inspect` content (in-process, inspectOne/renderText): the numbers come from the
 * fixture descriptions (fixtures/builder/capture-fixtures.ts) and, for damage, from the bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspectOne, renderText } from '../../src/cli/commands/inspect/handler.js';
import { restoreStdinInput as withStdinArgs } from '../../src/cli/options/input.js';
import { CAPTURE_FIXTURES, fixturePath } from '../../fixtures/builder/capture-fixtures.js';

const spec = (name: string) => CAPTURE_FIXTURES.find((f) => f.name === name)!;

test('pcapng fixture: interfaces, skipped blocks, time span with if_tsoffset, decode outcome counts', async () => {
  const e = await inspectOne(fixturePath(spec('spb-opb-skipped.pcapng'), true), {});
  assert.equal([e.readable, e.format, e.byteOrder, e.sections, e.packets], [true, 'pcapng', 'big-endian', 1, 2]);
  assert.equal(e.interfaces.map((i) => [i.linkType, i.snaplen, i.tsOffsetSec, i.packets]), [[1, 64, 10, 2]]);
  assert.equal(e.skippedBlocks, { NRB: 1, custom: 2, DSB: 1, ISB: 1 });
  // OPB written at T0 + 0.5 s in 2^-20 units, plus if_tsoffset 10 s; the SPB repeats it
  assert.is(e.firstTs, '1700000010.500000000');
  assert.is(e.lastTs, '1700000010.500000000');
  assert.is(e.decode.decoded + e.decode.truncated + e.decode.malformed + e.decode.unsupported, 2);
  assert.is(e.anomalies['capture.pcapng.spb_without_timestamp']!.count, 1);
  assert.ok(e.end.clean);
  const text = renderText(e);
  assert.match(text, /skipped blocks: NRB 1, custom 2, DSB 1, ISB 1/);
  assert.match(text, /end: +clean/);
});

test('pcap fixture: both frames decode (valid Ethernet/IPv4/UDP from the builder)', async () => {
  const e = await inspectOne(fixturePath(spec('ether-udp-nsec.pcap'), false), {});
  assert.equal([e.format, e.tsPrecision, e.packets], ['pcap', 'nanoseconds', 3]);
  assert.equal(e.decode, { decoded: 3, truncated: 0, malformed: 0, unsupported: 0 });
  assert.is(e.durationSec, 2.000000002);
});

test('a cut corpus file is readable (packets before the cut) and says where it was cut', async () => {
  const p = fileURLToPath(new URL('../../../shared/corpus/public/derived-cut-mid-record.pcap', import.meta.url));
  if (!existsSync(p)) { console.log('skip: ../shared/corpus not present'); return; }
  const e = await inspectOne(p, {});
  assert.equal([e.readable, e.packets, e.end.clean, e.end.code, e.end.offset], [true, 100, false, 'capture.pcap.truncated_record', 46138]);
  assert.match(renderText(e), /NOT clean at byte 46138/);
});

test('unreadable: missing file → readable false with the open error', async () => {
  const e = await inspectOne('/nonexistent/x.pcap', {});
  assert.equal([e.readable, e.end.code], [false, 'capture.open.ENOENT']);
  assert.match(renderText(e), /cannot open: no such file/);
});

test('yargs drops a lone "-": it is put back where it stood', () => {
  assert.equal(withStdinArgs(['a.pcap', 'b.pcap'], ['inspect', 'a.pcap', '-', 'b.pcap', '--format', 'json']), ['a.pcap', '-', 'b.pcap']);
  assert.equal(withStdinArgs([], ['inspect', '-']), ['-']);
  assert.equal(withStdinArgs(['a'], ['inspect', 'a']), ['a']);
});

test.run();
