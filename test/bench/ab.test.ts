// The in-process A/B timing tool (bench/ab.ts): two revisions of src run in turn in one process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/same-audit.js';

const DEMO = path.join(ROOT, 'fixtures/demo/sample.pcapng');
const DEMO_INV = path.join(ROOT, 'fixtures/demo/inventory.json');
const ab = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/ab.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
const hasGit = spawnSync('git', ['rev-parse', '--verify', 'HEAD'], { cwd: ROOT }).status === 0;

test('two rounds of HEAD against the working tree: each side timed twice after a warm-up, and the paired ratio', () => {
  if (!hasGit) { console.log('  skipped: no git history here'); return; }
  const r = ab(['--rounds', '2', '--', 'audit', DEMO, '--inventory', DEMO_INV, '--format', 'json', '--output', '/dev/null']);
  assert.is(r.status, 0, r.stderr);
  const base = /^base {2}HEAD \([0-9a-f]{7}\): median ([\d.]+) s {2}\[([\d. ]+)\]$/m.exec(r.stdout);
  const head = /^head {2}the working tree: median ([\d.]+) s {2}\[([\d. ]+)\]$/m.exec(r.stdout);
  assert.ok(base !== null && head !== null, r.stdout);
  assert.is(base![2]!.split(' ').length, 2, 'two timed rounds of the base');
  assert.is(head![2]!.split(' ').length, 2, 'two timed rounds of the head');
  const ratio = /^head ÷ base, per pair: median ([\d.]+) \(([\d.]+)–([\d.]+)\), head faster in (\d) of 2$/m.exec(r.stdout);
  assert.ok(ratio !== null, r.stdout);
  assert.ok(Number(ratio![1]) > 0 && Number(ratio![2]) <= Number(ratio![1]) && Number(ratio![1]) <= Number(ratio![3]));
  // the warm-up and the two rounds, in turn: base first, then head first
  const order = [...r.stderr.matchAll(/round (\d)(?: \(warm-up\))? (base|head)/g)].map((m) => `${m[1]}${m[2]}`);
  assert.equal(order, ['0base', '0head', '1head', '1base', '2base', '2head']);
});

test('--help: the usage, every option', () => {
  const h = ab(['--help']);
  assert.is(h.status, 0, h.stderr);
  for (const opt of ['--base REV', '--head REV', '--rounds N', '--engine']) assert.ok(h.stdout.includes(opt), `${opt} in the usage`);
});

test('usage errors and a revision that does not exist: one line, exit 2', () => {
  const none = ab(['--rounds', '1']);
  assert.is(none.status, 2);
  assert.match(none.stderr, /^bench:ab: give the command after --/);
  const bad = ab(['--rounds', '0', '--', 'flows', DEMO]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^bench:ab: --rounds: a whole number from 1 \(got 0\)\n$/);
  if (hasGit) {
    const rev = ab(['--base', 'no-such-revision', '--', 'flows', DEMO]);
    assert.is(rev.status, 2);
    assert.match(rev.stderr, /^bench:ab: git rev-parse --verify no-such-revision/);
    assert.not.match(rev.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.run();
