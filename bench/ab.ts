/**
 * A/B timing of two revisions in one process, for a shared, noisy machine: the whole-process
 * benchmark (run.ts) cannot show a change of a few per cent when other load moves every run by
 * 20–40 %, but runs of A and B taken in turn within one process see the same moments of load.
 *
 *   npm run bench:ab -- [--base REV] [--head REV] [--rounds N] -- audit F --inventory I --threads 1 --output /dev/null
 *   npm run bench:ab -- [--base REV] [--head REV] [--rounds N] --engine F
 *
 * `--base` (default HEAD) and `--head` (default: the working tree) name the two sides; a revision
 * is extracted with `git archive` (src and package.json) under node_modules/.cache/flowaudit-ab,
 * so that both import the packages of this checkout. Each side's `src` is loaded once (through
 * tsx, as the tests run it), then the command runs N + 1 times on each, in turn (A B, then B A, …);
 * the first round warms both up and is not counted. With `--engine`, each run is reading,
 * decoding and the flow table alone (gatherEvidence, finished flows dropped) over the files given.
 *
 * Prints each side's times and median, and the head ÷ base ratio of each pair with its median:
 * the figure to quote. Send the command's output to /dev/null (`--output /dev/null`): it runs
 * 2 N + 2 times.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './goals.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'node_modules/.cache/flowaudit-ab');

interface Side {
  label: string;
  /** The folder holding this side's src/ and package.json. */
  dir: string;
}

interface CliModule { buildCli(argv: string[]): { parseAsync(): Promise<unknown> } }
interface GatherModule {
  gatherEvidence(inputs: string[], opts: { rowBatches: () => undefined; onFlow: () => undefined }): Promise<{ inputs: { packets: number }[] }>;
}

const USAGE = `Time two revisions of src in turn in one process (bench/ab.ts).

  npm run bench:ab -- [--base REV] [--head REV] [--rounds N] -- <flowaudit command and options>
  npm run bench:ab -- [--base REV] [--head REV] [--rounds N] --engine CAPTURE...

  --base REV    the base side (default HEAD)
  --head REV    the head side (default: the working tree)
  --rounds N    timed rounds after one warm-up round (default 5)
  --engine      time reading, decoding and the flow table alone over the captures given

Prints each side's times and median, and the median of the per-pair head ÷ base ratios.
Send the command's output to /dev/null (--output /dev/null): it runs 2 N + 2 times.
`;

/** A usage error or a failed step: one line, exit 2. */
class AbError extends Error {}

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new AbError(`git ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout.trim();
}

/** The revision's src and package.json, extracted once into the cache. */
function revision(rev: string): Side {
  const sha = git(['rev-parse', '--verify', `${rev}^{commit}`]);
  const dir = path.join(CACHE, sha);
  if (!existsSync(path.join(dir, 'src'))) {
    const tmp = `${dir}.tmp${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const r = spawnSync('sh', ['-c', 'git archive "$0" src package.json | tar -x -C "$1"', sha, tmp], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new AbError(`extracting ${rev}: ${r.stderr.trim()}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return { label: `${rev} (${sha.slice(0, 7)})`, dir };
}

// (its output piped into `head` and the like: a closed pipe ends the run quietly)
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

async function main(): Promise<void> {
  const { values: o, positionals } = parseArgs({
    options: {
      base: { type: 'string', default: 'HEAD' },
      head: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      engine: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (o.help) { process.stdout.write(USAGE); return; }
  const rounds = Number(o.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new AbError(`--rounds: a whole number from 1 (got ${o.rounds})`);
  if (positionals.length === 0) throw new AbError('give the command after --, or the captures with --engine (--help for usage)');

  const sides: [Side, Side] = [revision(o.base), o.head !== undefined ? revision(o.head) : { label: 'the working tree', dir: ROOT }];
  const runners = await Promise.all(sides.map(async (s): Promise<() => Promise<void>> => {
    if (o.engine) {
      const m = await import(pathToFileURL(path.join(s.dir, 'src/cli/gather.ts')).href) as GatherModule;
      return async () => {
        const ev = await m.gatherEvidence(positionals, { rowBatches: () => undefined, onFlow: () => undefined });
        if (ev.inputs.every((i) => i.packets === 0)) throw new AbError(`${s.label}: no packets read from ${positionals.join(', ')}`);
      };
    }
    const m = await import(pathToFileURL(path.join(s.dir, 'src/cli/main.ts')).href) as CliModule;
    return async () => {
      await m.buildCli([...positionals]).parseAsync();
      const code = process.exitCode;
      process.exitCode = 0;
      // 0, or 1 for an audit's findings (--fail-on); anything else is a failed run
      if (code !== undefined && code !== 0 && code !== 1) throw new AbError(`${s.label}: the command exited with ${code}`);
    };
  }));

  const times: [number[], number[]] = [[], []];
  for (let r = 0; r <= rounds; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      await runners[k]!();
      const ms = performance.now() - t0;
      if (r > 0) times[k]!.push(ms);
      process.stderr.write(`bench:ab: round ${r}${r === 0 ? ' (warm-up)' : ''} ${k === 0 ? 'base' : 'head'} ${(ms / 1000).toFixed(3)} s\n`);
    }
  }
  const s = (ms: number) => (ms / 1000).toFixed(3);
  const ratios = times[1].map((t, i) => t / times[0][i]!);
  const faster = ratios.filter((x) => x < 1).length;
  console.log(`base  ${sides[0].label}: median ${s(median(times[0]))} s  [${times[0].map(s).join(' ')}]`);
  console.log(`head  ${sides[1].label}: median ${s(median(times[1]))} s  [${times[1].map(s).join(' ')}]`);
  console.log(`head ÷ base, per pair: median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), head faster in ${faster} of ${ratios.length}`);
}

try {
  await main();
} catch (e) {
  // (parseArgs' own errors, an unknown option say, are usage errors too)
  const usage = typeof e === 'object' && e !== null && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  if (!(e instanceof AbError) && !usage) throw e;
  process.stderr.write(`bench:ab: ${(e as Error).message}\n`);
  process.exitCode = 2;
}
