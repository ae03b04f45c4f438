/**
 * Every corpus file audited by the real CLI (`flowaudit audit FILE --inventory … --format json`):
 * exit code 0/1 for readable files and 2 only where nothing could be read; for damaged files the
 * report names file, offset and reason (stderr one line, no stack trace, and the JSON report's
 * input summary); per-file packet counts as the MANIFEST's container walk says (table.ts).
 * Damaged and special files run one per process; the intact files run together in one process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { readFileSync, mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { CORPUS, corpusPresent } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { expectations, type Expectation } from './table.js';
import { expectFixed } from './known-bugs.js';
import { cliAvailable, runMany, startCli, INVENTORY, hasStackTrace, type CliResult } from './cli.js';
import { runCliText } from '../helpers/cli.js';

interface InputJson { file: string; packets: number; end: { clean: boolean; code: string | null; offset: number; reason: string | null } }

function inputsOf(r: CliResult): InputJson[] | null {
  try { return (JSON.parse(r.stdout) as { inputs: InputJson[] }).inputs; } catch { return null; }
}

function checkOne(e: Expectation, r: CliResult, problems: string[]): void {
  const bad = (what: string) => problems.push(`${e.file}: ${what} (exit ${r.code}; stderr ${JSON.stringify(r.stderr.slice(0, 400))})`);
  if (hasStackTrace(r.stderr)) bad('stack trace on stderr');
  if (e.readable) { if (r.code !== 0 && r.code !== 1) bad(`exit ${r.code}, expected 0 or 1 (readable)`); }
  else if (r.code !== 2) bad(`exit ${r.code}, expected 2 (nothing readable)`);
  if (!e.clean) {
    // the report names file, offset and reason
    const line = r.stderr.split('\n').find((l) => l.includes(e.file));
    if (!line) bad('stderr does not name the damaged file');
    else {
      if (!/\bbyte \d+/.test(line)) bad('stderr does not give the byte offset');
      if (e.damageAt !== undefined && !line.includes(`byte ${e.damageAt}`)) bad(`stderr does not say byte ${e.damageAt}`);
    }
  }
  const inputs = inputsOf(r);
  if (inputs === null) { if (e.readable) bad('no JSON report on stdout'); return; }
  const inp = inputs.find((i) => path.basename(i.file) === e.file);
  if (!inp) { bad('the report has no input summary for the file'); return; }
  if (inp.packets !== e.packets) bad(`report says ${inp.packets} packets, container walk ${e.packets}`);
  if (inp.end.clean !== e.clean) bad(`report end.clean ${inp.end.clean}, expected ${e.clean}`);
  if (!e.clean && (!inp.end.reason || inp.end.offset === undefined)) bad('report end has no reason/offset');
  if (e.damageAt !== undefined && inp.end.offset !== e.damageAt) bad(`report offset ${inp.end.offset} ≠ ${e.damageAt}`);
}

test('audit of every corpus file: exit codes, damage named with file/offset/reason, packet counts', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!cliAvailable('audit')) return skip('the audit command is not there yet');
  const all = expectations(CORPUS);
  const special = all.filter((e) => !e.clean || e.packets === 0 || /^(empty|trunc-hdr|corrupt|derived-cut)/.test(e.file));
  const intact = all.filter((e) => !special.includes(e));
  const base = ['--inventory', INVENTORY, '--format', 'json'];
  const runs = await runMany([
    ...special.map((e) => ['audit', path.join(CORPUS, e.file), ...base]),
    ['audit', ...intact.map((e) => path.join(CORPUS, e.file)), ...base],
  ]);
  const problems: string[] = [];
  const rows: string[] = [];
  special.forEach((e, i) => {
    const r = runs[i]!;
    checkOne(e, r, problems);
    const inp = inputsOf(r)?.[0];
    rows.push(`| ${e.file} | ${e.readable ? 'readable' : 'unreadable'} | ${e.packets} | ${r.code} | ${inp ? `${inp.packets} pkts, ${inp.end.clean ? 'clean' : `${inp.end.code} at byte ${inp.end.offset}: ${inp.end.reason}`}` : r.stderr.trim()} |`);
  });
  const multi = runs[special.length]!;
  if (hasStackTrace(multi.stderr)) problems.push(`intact files together: stack trace ${multi.stderr.slice(0, 400)}`);
  if (multi.code !== 0 && multi.code !== 1) problems.push(`intact files together: exit ${multi.code}: ${multi.stderr.slice(0, 400)}`);
  const inputs = inputsOf(multi) ?? [];
  for (const e of intact) {
    const inp = inputs.find((i) => path.basename(i.file) === e.file);
    if (!inp) { problems.push(`${e.file}: missing from the multi-file report`); continue; }
    if (inp.packets !== e.packets) problems.push(`${e.file}: ${inp.packets} packets, container walk ${e.packets}`);
    if (!inp.end.clean) problems.push(`${e.file}: not clean: ${JSON.stringify(inp.end)}`);
  }
  process.stdout.write(`CLI damage table (exit codes; ${intact.length} intact files in one run: exit ${multi.code}, ${multi.ms} ms):\n| file | expected | packets (walk) | exit | report |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
  if (problems.length) assert.unreachable(`${problems.length} problem(s):\n${problems.join('\n')}`);
});

test('stdin: a damaged capture piped in is read up to the damage and named "-"', () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!cliAvailable('audit')) return skip('the audit command is not there yet');
  const bytes = readFileSync(path.join(CORPUS, 'derived-cut-mid-record.pcap'));
  const r = runCliText(['audit', '-', '--inventory', INVENTORY, '--format', 'json'], { input: bytes, timeout: 60_000 });
  assert.not.ok(hasStackTrace(r.stderr), r.stderr);
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, /-: at byte 46138: /, 'stderr names stdin, the offset and the reason');
  const inp = (JSON.parse(r.stdout) as { inputs: InputJson[] }).inputs[0]!;
  assert.is(inp.packets, 100);
  assert.is(inp.end.offset, 46138);
});

test('a capture given as a named pipe (FIFO, like bash <(zcat x.pcap.gz)) is read like the file', async () => {
  if (!corpusPresent()) return skip(`${CORPUS} not present`);
  if (!cliAvailable('flows')) return skip('the flows command is not there yet');
  const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-fifo-'));
  const fifo = path.join(dir, 'in.pcap');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return skip('mkfifo not available');
  const src = path.join(CORPUS, 'krb-kinit-udp-tcp.pcap');
  const [ref] = await runMany([['flows', src]]);
  const p = startCli(['flows', fifo]);
  let out = '', err = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  p.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
  // the writer: opens the FIFO (blocks until the reader opens it), writes the capture, closes
  const w = createWriteStream(fifo);
  w.on('error', () => { /* reader gone */ });
  w.end(readFileSync(src));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('close', (c, s) => r([c, s])));
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
  const ok = signal === null && code === 0 && out.trim().split('\n').length === ref!.stdout.trim().split('\n').length;
  expectFixed(7, ok, `a FIFO is read like the file (exit ${code}, signal ${signal}, ${out.trim().split('\n').length} vs ${ref!.stdout.trim().split('\n').length} flows; stderr ${JSON.stringify(err.slice(0, 200))})`);
});

test.run();
