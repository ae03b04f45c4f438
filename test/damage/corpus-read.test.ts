/**
 * Every corpus file (including corrupt-*, derived-cut-*, empty.*, trunc-hdr-snaplen1.pcap) read
 * through gatherEvidence, the same path the CLI takes: packets and end state as the MANIFEST's
 * container walk says (table.ts), and for damaged files the flows equal those of the file's
 * intact prefix — everything before the damage is kept.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Evidence, FlowRecord } from '../../src/flow/record.js';
import { CORPUS, corpusPresent } from '../fuzz/harness.js';
import { findExport, skip } from '../fuzz/modules.js';
import { expectations } from './table.js';

type Gather = (inputs: string[], opts?: Record<string, unknown>) => Promise<Evidence>;
const gather = await findExport<Gather>('cli', 'gatherEvidence');
const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-damage-'));

const strip = (fs: FlowRecord[]) => fs.map((f) => JSON.stringify({ ...f, source: '' }));

test('every corpus file: packets and end state as the container walk says; damaged files keep everything before the damage', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!gather) return skip('src/cli has no gatherEvidence yet');
  const rows: string[] = [];
  const problems: string[] = [];
  for (const e of expectations(CORPUS)) {
    const file = path.join(CORPUS, e.file);
    const ev = await gather([file]);
    const inp = ev.inputs[0]!;
    const got = `packets ${inp.packets}, end ${JSON.stringify(inp.end)}`;
    rows.push(`${e.file}: ${got}`);
    const bad = (what: string) => problems.push(`${e.file}: ${what} (got ${got}; expected from ${e.why})`);
    if (inp.packets !== e.packets) bad(`packets ${inp.packets} ≠ ${e.packets}`);
    if (inp.end.clean !== e.clean) bad(`clean ${inp.end.clean} ≠ ${e.clean}`);
    const unreadable = !inp.end.clean && inp.packets === 0 && inp.records === 0;
    if (unreadable === e.readable) bad(e.readable ? 'nothing read from a readable file' : 'an unreadable file counted as read');
    if (!e.clean) {
      if (!inp.end.code || !inp.end.reason) bad('damage without code and reason');
      if (e.damageAt !== undefined && inp.end.offset !== e.damageAt) bad(`damage offset ${inp.end.offset} ≠ ${e.damageAt}`);
      if (e.damageBefore !== undefined && !(inp.end.offset < e.damageBefore)) bad(`damage offset ${inp.end.offset} not inside the first ${e.damageBefore} bytes`);
      if (e.reason && !e.reason.test(inp.end.reason ?? '')) bad(`reason does not match ${e.reason}`);
    }
    if (e.prefix !== undefined) {
      const pf = path.join(tmp, `prefix-${e.file}`);
      writeFileSync(pf, readFileSync(file).subarray(0, e.prefix));
      const pev = await gather([pf]);
      const pi = pev.inputs[0]!;
      if (!pi.end.clean) bad(`the intact prefix (${e.prefix} bytes) does not read cleanly: ${JSON.stringify(pi.end)}`);
      if (pi.packets !== inp.packets) bad(`prefix has ${pi.packets} packets, damaged file ${inp.packets}`);
      const a = strip(ev.flows), b = strip(pev.flows);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) bad(`flows differ from the intact prefix's (${a.length} vs ${b.length})`);
      if (b.length === 0 && e.file.startsWith('derived-')) bad('the prefix gives no flows: the comparison proves nothing');
    }
  }
  process.stdout.write(`damage table (${rows.length} corpus files):\n  ${rows.join('\n  ')}\n`);
  if (problems.length) assert.unreachable(`${problems.length} corpus file(s) read differently from the MANIFEST:\n${problems.join('\n')}`);
});

test('an unreadable input among readable ones changes nothing for the others; stdin reads damaged input the same', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!gather) return skip('src/cli has no gatherEvidence yet');
  const a = path.join(CORPUS, 'krb-kinit-udp-tcp.pcap'), b = path.join(CORPUS, 'ldap-sasl-ntlm.pcap');
  const bad = path.join(CORPUS, 'corrupt-pcap-bad-version.pcap'), cut = path.join(CORPUS, 'derived-cut-mid-record.pcap');
  const both = await gather([a, b]);
  const withBad = await gather([a, bad, b]);
  assert.is(withBad.inputs.length, 3);
  assert.not.ok(withBad.inputs[1]!.end.clean);
  assert.is(withBad.inputs[1]!.packets, 0);
  assert.equal(strip(withBad.flows), strip(both.flows), 'the unreadable input adds and removes nothing');
  // a damaged input in the middle of a merge: its intact part is merged in, the others are complete
  const withCut = await gather([a, cut, b]);
  assert.is(withCut.inputs[0]!.packets, both.inputs[0]!.packets);
  assert.is(withCut.inputs[2]!.packets, both.inputs[1]!.packets);
  assert.is(withCut.inputs[1]!.packets, 100);
  assert.is(withCut.inputs[1]!.end.offset, 46138);
});

test.after(() => { rmSync(tmp, { recursive: true, force: true }); });

test.run();
