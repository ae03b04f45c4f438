/**
 * Configuration errors through the CLI (`flowaudit audit … --inventory BAD` / `--profile BAD`):
 * invalid JSON, unknown roles, bad CIDRs, unknown profile fields, ports out of range — each one
 * line on stderr naming the file, the line:column (computed here from the text we wrote), the JSON
 * pointer and what was expected; exit 2; no stack trace. Overlapping role prefixes are allowed
 * but said.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { cliAvailable, runMany, hasStackTrace } from './cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-cfg-'));
const CAPTURE = path.join(ROOT, 'fixtures/demo/sample.pcapng');
const GOOD_INV = path.join(ROOT, 'test/damage/inventory.json');

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function lineCol(text: string, needle: string): [number, number] {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`needle ${needle} not in text`);
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return [line, i - before.lastIndexOf('\n')];
}

interface Case {
  name: string;
  file: string;
  text: string;
  args: (f: string) => string[];
  /** JSON pointer the message must name. */
  pointer: string;
  /** Text whose position the message's line must point at. */
  at: string | null;
  expect: RegExp;
}

function profileText(mutate: (p: Record<string, unknown>) => void): string {
  const p = JSON.parse(readFileSync(path.join(ROOT, 'src/rules/profiles/hybrid-identity.json'), 'utf8')) as Record<string, unknown>;
  mutate(p);
  return JSON.stringify(p, null, 2);
}

const inv = (f: string) => ['audit', CAPTURE, '--inventory', f, '--format', 'json'];
const prof = (f: string) => ['audit', CAPTURE, '--inventory', GOOD_INV, '--profile', f, '--format', 'json'];

const CASES: Case[] = [
  { name: 'invalid JSON (trailing comma)', file: 'bad-json.json', text: '{\n  "roles": {\n    "dc": ["10.0.0.1"],\n  }\n}\n', args: inv, pointer: '', at: '}\n}', expect: /JSON/i },
  { name: 'unknown role', file: 'unknown-role.json', text: '{\n  "roles": {\n    "dc": ["10.0.0.1"],\n    "domaincontroller": ["10.0.0.2"]\n  }\n}\n', args: inv, pointer: '/roles/domaincontroller', at: '"domaincontroller"', expect: /role/i },
  { name: 'bad CIDR (prefix 33)', file: 'bad-cidr.json', text: '{\n  "roles": {\n    "dc": ["10.0.0.1", "10.0.0.0/33"]\n  }\n}\n', args: inv, pointer: '/roles/dc/1', at: '"10.0.0.0/33"', expect: /CIDR|prefix|expected/i },
  {
    name: 'unknown profile field', file: 'profile-unknown-field.json', args: prof, pointer: '/rules/0/portz', at: '"portz"', expect: /unknown|expected/i,
    text: profileText((p) => { const r = (p['rules'] as Record<string, unknown>[])[0]!; r['portz'] = r['ports']; }),
  },
  {
    name: 'port out of range (70000)', file: 'profile-port.json', args: prof, pointer: '/rules/0/ports', at: '70000', expect: /65535|range|expected/i,
    text: profileText((p) => { (p['rules'] as Record<string, unknown>[])[0]!['ports'] = 70000; }),
  },
  {
    name: 'port range reversed (2000-1000)', file: 'profile-range.json', args: prof, pointer: '/rules/0/ports', at: '"2000-1000"', expect: /range|expected/i,
    text: profileText((p) => { (p['rules'] as Record<string, unknown>[])[0]!['ports'] = '2000-1000'; }),
  },
];

test('configuration errors: one line with file, line:column, JSON pointer and what was expected; exit 2; no stack trace', async () => {
  if (!cliAvailable('audit')) return skip('the audit command is not there yet');
  for (const c of CASES) writeFileSync(path.join(tmp, c.file), c.text);
  const runs = await runMany(CASES.map((c) => c.args(path.join(tmp, c.file))));
  const problems: string[] = [];
  CASES.forEach((c, i) => {
    const r = runs[i]!;
    const f = path.join(tmp, c.file);
    const err = r.stderr.trim();
    const bad = (what: string) => problems.push(`${c.name}: ${what}\n    stderr: ${JSON.stringify(err.slice(0, 500))} (exit ${r.code})`);
    if (r.code !== 2) bad(`exit ${r.code}, expected 2`);
    if (hasStackTrace(err)) bad('stack trace');
    const lines = err.split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== 1) bad(`${lines.length} lines on stderr, expected 1`);
    const line = lines[0] ?? '';
    if (!line.includes(f)) bad('does not name the file');
    if (c.pointer && !line.includes(`${c.pointer}:`) && !line.includes(`${c.pointer} `)) bad(`does not name the JSON pointer ${c.pointer}`);
    if (c.at !== null) {
      const [l] = lineCol(c.text, c.at);
      if (!line.includes(`${f}:${l}:`)) bad(`does not give line ${l} (of ${JSON.stringify(c.at)})`);
    } else if (!new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`).test(line)) bad('does not give line:column');
    if (!c.expect.test(line)) bad(`does not say what was expected (${c.expect})`);
    if (r.stdout.trim() !== '') bad('wrote a report although the configuration is invalid');
  });
  if (problems.length) assert.unreachable(`${problems.length} problem(s):\n${problems.join('\n')}`);
});

test('overlapping role prefixes are allowed, but said', async () => {
  if (!cliAvailable('audit')) return skip('the audit command is not there yet');
  const f = path.join(tmp, 'overlap.json');
  writeFileSync(f, '{\n  "roles": {\n    "dc": ["10.0.0.0/8"],\n    "aadconnect": ["10.1.0.0/16"]\n  }\n}\n');
  const [r] = await runMany([['audit', CAPTURE, '--inventory', f, '--format', 'json']]);
  assert.ok(r!.code === 0 || r!.code === 1, `exit ${r!.code} (allowed): ${r!.stderr.slice(0, 300)}`);
  assert.not.ok(hasStackTrace(r!.stderr));
  assert.match(`${r!.stderr}\n${r!.stdout}`, /overlap/i, 'the overlap is reported');
  assert.match(`${r!.stderr}\n${r!.stdout}`, /10\.1\.0\.0\/16/, 'naming the prefix');
});

test('bad option values: one line naming the option and what was expected, exit 2, no stack trace', async () => {
  if (!cliAvailable('audit') || !cliAvailable('inspect')) return skip('CLI commands not there yet');
  const base = ['audit', CAPTURE, '--inventory', GOOD_INV];
  const cases: [string[], RegExp][] = [
    [[...base, '--max-flows', '0'], /--max-flows must be a whole number from 1 to 16777216 \(got 0\)/],
    [[...base, '--max-flows', '16777217'], /--max-flows must be a whole number from 1 to 16777216 \(got 16777217\)/],
    [[...base, '--fail-on', 'bogus'], /--fail-on.*bogus.*expected/],
    [['inspect', CAPTURE, '--max-block-size', '0'], /--max-block-size/],
    [['audit', CAPTURE, '--inventory', path.join(tmp, 'no-such-inventory.json')], /no-such-inventory\.json.*(ENOENT|no such|cannot read)/i],
    [['audit', CAPTURE, '--inventory', GOOD_INV, '--profile', 'no-such-profile'], /no-such-profile/],
  ];
  const runs = await runMany(cases.map((c) => c[0]));
  const problems: string[] = [];
  runs.forEach((r, i) => {
    const [args, re] = cases[i]!;
    const what = args.slice(2).join(' ');
    const lines = r.stderr.trim().split('\n').filter((l) => l.trim() !== '' && !/^Run 'flowaudit --help'/.test(l));
    if (r.code !== 2) problems.push(`${what}: exit ${r.code}, expected 2`);
    if (hasStackTrace(r.stderr) || /^\s+at /m.test(r.stderr)) problems.push(`${what}: stack trace: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    else if (lines.length !== 1) problems.push(`${what}: ${lines.length} lines on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (!re.test(r.stderr)) problems.push(`${what}: message does not match ${re}: ${JSON.stringify(r.stderr.slice(0, 200))}`);
  });
  if (problems.length) assert.unreachable(problems.join('\n'));
});

test.after(() => { rmSync(tmp, { recursive: true, force: true }); });

test.run();
