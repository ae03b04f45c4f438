/**
 * The bundled CLI (tools/bundle.mjs → dist/bin, the package's `bin`) is what users run. It is
 * built here from the current sources into a scratch folder under node_modules/.cache (so that
 * `cap` resolves as it does from dist/bin), then must answer exactly as the sources do: the same
 * reports and flows, with each worker-thread entry found beside it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/same-audit.js';
import { buildBundle } from '../helpers/bundle.js';
import { generateBench } from '../../bench/gen/index.js';

const DEMO = path.join(ROOT, 'fixtures/demo/sample.pcapng');
const DEMO_INV = path.join(ROOT, 'fixtures/demo/inventory.json');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

const bundle = buildBundle('flowaudit-bundle-test-');
const { dir: OUT, bin: BIN, built } = bundle;

function run(main: string[], args: string[], input?: Buffer) {
  return spawnSync(process.execPath, [...main, ...args], {
    cwd: ROOT, timeout: 180_000, maxBuffer: 1 << 29, env: { ...process.env, NO_COLOR: '1' }, ...(input ? { input } : {}),
  });
}
const bundled = (args: string[], input?: Buffer) => run([BIN], args, input);
const source = (args: string[], input?: Buffer) => run(['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')], args, input);

function same(name: string, a: ReturnType<typeof run>, b: ReturnType<typeof run>): void {
  assert.is(a.status, b.status, `${name}: the same exit code (${a.stderr.toString()})`);
  assert.ok(a.stdout.length > 100, `${name}: something was written`);
  assert.ok(Buffer.compare(a.stdout, b.stdout) === 0, `${name}: the same bytes (${a.stdout.length} and ${b.stdout.length})`);
  assert.is(a.stderr.toString(), b.stderr.toString(), `${name}: the same stderr`);
}

test('the bundle builds: the package bin, one file per worker stem that spawnWorker names in src', () => {
  assert.is(built.status, 0, built.stderr);
  assert.is(PKG.bin.flowaudit, 'dist/bin/flowaudit.js');
  assert.ok(existsSync(BIN), 'the bin is built');
  assert.is(readFileSync(BIN, 'utf8').slice(0, 19), '#!/usr/bin/env node', 'the bin starts with its interpreter line');
  assert.ok((statSync(BIN).mode & 0o100) !== 0, 'the bin is executable');
  const stems = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/spawnWorker\(import\.meta\.url, '([^']+)'/g)) stems.add(m[1]!);
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.ok(stems.size >= 3, `worker stems found: ${[...stems].join(', ')}`);
  for (const s of stems) assert.ok(existsSync(path.join(OUT, `${s}.js`)), `worker entry ${s}.js is bundled beside the bin`);
  // the native capture module stays outside the bundle (optional, loaded by live)
  assert.not.match(readFileSync(BIN, 'utf8'), /node_modules\/cap\//);
  // and no entry holds a path of the machine it was built on
  for (const f of readdirSync(OUT).filter((n) => n.endsWith('.js'))) assert.not.ok(readFileSync(path.join(OUT, f), 'utf8').includes(ROOT), `${f} names no path of the build machine (${ROOT})`);
});

test('--version is package.json\'s; --help lists every command', () => {
  const v = bundled(['--version']);
  assert.is(v.status, 0);
  assert.is(v.stdout.toString().trim(), PKG.version);
  const h = bundled(['--help']);
  assert.is(h.status, 0);
  for (const c of ['flows', 'audit', 'rules', 'inspect', 'live', 'interfaces']) assert.match(h.stdout.toString(), new RegExp(`flowaudit ${c}\\b`));
  same('audit --help', bundled(['audit', '--help']), source(['audit', '--help']));
  const bad = bundled(['audit', DEMO, '--inventory', DEMO_INV, '--no-such-option']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr.toString(), /^flowaudit: Unknown argument/);
  assert.not.match(bad.stderr.toString(), /\n\s+at /, 'no stack trace');
});

test('start-up leaves string-width unevaluated until text is measured (its module builds an Intl.Segmenter)', () => {
  // counts the Intl.Segmenters made, printed to stderr at exit
  const hook = `data:text/javascript,${encodeURIComponent('let n = 0; const S = Intl.Segmenter; Intl.Segmenter = class extends S { constructor(...a) { super(...a); n++; } }; process.on("exit", () => process.stderr.write(`segmenters ${n}\\n`));')}`;
  const made = (args: string[]) => {
    const r = run(['--import', hook, BIN], args);
    const m = /segmenters (\d+)/.exec(r.stderr.toString());
    assert.ok(m !== null, `the hook ran (${r.stderr.toString()})`);
    return Number(m![1]);
  };
  assert.is(made(['audit', DEMO, '--inventory', DEMO_INV, '--format', 'json', '--output', '/dev/null']), 0, 'an audit measures no text');
  assert.ok(made(['audit', '--help']) >= 1, '--help wraps its text with string-width, loaded then');
});

test('the demo audit: the report of the sources, in text and JSON', () => {
  for (const format of ['text', 'json']) {
    same(`demo ${format}`, bundled(['audit', DEMO, '--inventory', DEMO_INV, '--format', format]), source(['audit', DEMO, '--inventory', DEMO_INV, '--format', format]));
  }
});

test('worker threads from the bundle: the audit thread, the format threads and reading threads give the one-thread output of the sources', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-bundle-'));
  try {
    const a = path.join(dir, 'a.pcap'), b = path.join(dir, 'b.pcapng');
    const inv = path.join(dir, 'inventory.json');
    generateBench({ out: a, format: 'pcap', options: { seed: 41 }, limits: { packets: 150_000 }, inventory: inv });
    generateBench({ out: b, format: 'pcapng', options: { seed: 43 }, limits: { packets: 60_000 } });
    const invArgs = ['--inventory', inv];
    same('audit --threads 2 (audit thread)', bundled(['audit', a, ...invArgs, '--format', 'json', '--threads', '2']), source(['audit', a, ...invArgs, '--format', 'json', '--threads', '1']));
    same('audit --threads 3 (audit thread + a reading thread)', bundled(['audit', a, b, ...invArgs, '--format', 'json', '--threads', '3']), source(['audit', a, b, ...invArgs, '--format', 'json', '--threads', '1']));
    same('flows --unsorted --threads 2 (format thread)', bundled(['flows', a, '--unsorted', '--threads', '2']), source(['flows', a, '--unsorted', '--threads', '1']));
    same('flows --threads 2 (sorted: the format thread after the reading)', bundled(['flows', a, '--threads', '2']), source(['flows', a, '--threads', '1']));
    same('flows --threads 3 (reading threads)', bundled(['flows', a, b, '--threads', '3']), source(['flows', a, b, '--threads', '1']));
    same('flows from stdin', bundled(['flows', '-', '--format', 'csv'], readFileSync(b)), source(['flows', '-', '--format', 'csv'], readFileSync(b)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => bundle.remove());

test.run();
