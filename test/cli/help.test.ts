/**
 * Help text: wrapped to the terminal width (at most 110 columns) when asked for with --help or -h,
 * for the tool and for a command, and the same text either way; a missing command is named.
 * (The wrapping is switched on only when help is asked for: see buildCli.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliSync } from '../helpers/same-audit.js';
import { commands } from '../../src/cli/commands/index.js';

const widest = (s: string) => Math.max(...s.split('\n').map((l) => l.length));

test('audit --help is wrapped at 110 columns, -h gives the same text', () => {
  const long = cliSync(['audit', '--help']), short = cliSync(['audit', '-h']);
  assert.is(long.code, 0, long.err);
  assert.ok(long.out.includes('--inventory'), long.out.slice(0, 300));
  const w = widest(long.out);
  assert.ok(w <= 110 && w > 80, `widest help line: ${w} columns`);
  assert.is(short.out, long.out);
});

test('flowaudit --help lists every command, wrapped', () => {
  const r = cliSync(['--help']);
  assert.is(r.code, 0, r.err);
  for (const c of commands) assert.ok(r.out.includes(`flowaudit ${String(c.command).split(' ')[0]}`), String(c.command));
  assert.ok(widest(r.out) <= 110, `widest help line: ${widest(r.out)}`);
});

test('no command: exit 2, one line naming the commands', () => {
  const r = cliSync([]);
  assert.is(r.code, 2);
  assert.is(r.out, '');
  const first = r.err.split('\n')[0]!;
  for (const c of commands) assert.ok(first.includes(String(c.command).split(' ')[0]!), first);
});

test.run();
