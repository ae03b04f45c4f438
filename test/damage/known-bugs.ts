/**
 * Hostile-input bugs that are reported (notes: hostile-bugs.md) but not fixed yet. A check tied to
 * an open bug prints `xfail: …` instead of failing the suite, and `XPASS: … remove it` once the
 * bug is fixed; a bug not listed here is enforced like any assertion. Remove an id when its fix
 * lands (or run with HOSTILE_STRICT=1 to enforce every check).
 */
import * as assert from 'uvu/assert';

export const KNOWN_OPEN = new Set<number>(process.env.HOSTILE_STRICT ? [] : []);

/** Assert `ok` unless bug `id` is still open; say which way it went. */
export function expectFixed(id: number, ok: boolean, msg: string): void {
  if (!KNOWN_OPEN.has(id)) { assert.ok(ok, `${msg} (hostile-bugs.md #${id})`); return; }
  if (ok) process.stdout.write(`XPASS: hostile-bugs.md #${id} looks fixed (${msg}): remove ${id} from KNOWN_OPEN in test/damage/known-bugs.ts\n`);
  else process.stdout.write(`xfail: known open bug hostile-bugs.md #${id}: ${msg}\n`);
}
