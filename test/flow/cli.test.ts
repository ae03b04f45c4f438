/** `flowaudit flows` end to end (child process), and gatherEvidence over mixed inputs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCliText } from '../helpers/cli.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatherEvidence, unreadableInputs } from '../../src/cli/gather.js';
import { openOutput } from '../../src/report/output.js';
import { writeFlows } from '../../src/report/flows/writer.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const pilot = corpus + 'pilot/pilot-full.pcap';
const have = existsSync(pilot);
const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-cli-'));

const cli = (args: string[]) => runCliText(args, { timeout: 60_000 });

test('usage: no input is a usage error (exit 2)', () => {
  const r = cli(['flows']);
  assert.is(r.status, 2, r.stderr);
});

test('an input that does not exist: exit 2, the message names it', () => {
  const r = cli(['flows', path.join(dir, 'missing.pcap')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /missing\.pcap: no such file/);
});

test('--max-flows 0 is a usage error', () => {
  const r = cli(['flows', '--max-flows', '0', path.join(dir, 'x.pcap')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--max-flows/);
});

if (have) {
  test('flows pilot-full.pcap -o FILE: 128 NDJSON records (ground truth: 43 TCP + 85 UDP conversations), summary on stderr, exit 0', () => {
    const out = path.join(dir, 'pilot.ndjson');
    const r = cli(['flows', pilot, '-o', out]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.is(lines.length, 128);
    assert.match(r.stderr, /1 input, 842 packets, 128 flows, 0 evictions/);
  });

  test('--max-flows 10: evictions reported on stderr; every flow still a record', () => {
    const r = cli(['flows', pilot, '--max-flows', '10', '--format', 'csv']);
    assert.is(r.status, 0, r.stderr);
    const m = /(\d+) flows, (\d+) evictions/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.ok(Number(m![2]) > 0);
    assert.is(r.stdout.trimEnd().split('\n').length - 1, Number(m![1]));
  });

  test('a damaged capture: its flows are written, the stderr names file, byte offset and reason', () => {
    const cut = corpus + 'public/derived-cut-mid-record.pcap';
    const r = cli(['flows', cut, '--format', 'text']);
    assert.is(r.status, 0, 'some packets were read: not "unreadable"');
    assert.match(r.stderr, /derived-cut-mid-record\.pcap: at byte 46138: /);
  });

  test('gatherEvidence: capture + missing file + zeek-json written by us and read back through src/evidence', async () => {
    const zeekFile = path.join(dir, 'conn.json');
    const ev1 = await gatherEvidence([pilot]);
    const out = await openOutput(zeekFile);
    await writeFlows(out, ev1.flows, 'zeek-json');
    await out.end();
    const ev = await gatherEvidence([pilot, path.join(dir, 'nope.pcap'), zeekFile]);
    assert.is(ev.inputs.length, 3);
    assert.is(ev.inputs[0]!.packets, 842);
    assert.is(ev.inputs[1]!.end.clean, false);
    assert.equal(unreadableInputs(ev).map((i) => i.file), [path.join(dir, 'nope.pcap')]);
    assert.is(ev.inputs[2]!.format, 'zeek');
    const fromZeek = ev.flows.filter((f) => f.evidence === 'zeek');
    assert.is(fromZeek.length, 128, 'every conn.log line read back');
    const key = (f: { proto: number; origH: string; origP: number; respH: string; respP: number }) => `${f.proto}|${f.origH}|${f.origP}|${f.respH}|${f.respP}`;
    assert.equal(fromZeek.map(key).sort(), ev1.flows.map(key).sort());
    // deterministic order: by first packet time
    for (let i = 1; i < ev.flows.length; i++) {
      const a = ev.flows[i - 1]!, b = ev.flows[i]!;
      assert.ok(a.firstSec < b.firstSec || (a.firstSec === b.firstSec && a.firstNsec <= b.firstNsec));
    }
  });

  test('stdin (-) and a gzip-compressed copy give the same flows as the file', async () => {
    const r = runCliText(['flows', '-', '--format', 'csv'], { input: readFileSync(pilot), timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trimEnd().split('\n').length, 129, 'header + 128 flows');
    const gz = path.join(dir, 'pilot.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(pilot)));
    const a = await gatherEvidence([pilot]), b = await gatherEvidence([gz]);
    const strip = (ev: typeof a) => ev.flows.map((f) => ({ ...f, source: '' }));
    assert.equal(strip(b), strip(a));
    assert.is(b.inputs[0]!.compressed, 'gzip');
  });

  test('a non-capture, non-flow-log file: exit 2 with what it is', () => {
    const junk = path.join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from('this is not a capture at all\n'));
    const r = cli(['flows', junk]);
    assert.is(r.status, 2);
    assert.match(r.stderr, /junk\.bin/);
  });
} else {
  test('corpus', () => { console.log('skip: ../shared/corpus not found; CLI tests on the pilot capture not run'); });
}

test.run();
