/**
 * End-to-end benchmark: flowaudit vs a C floor, a WebAssembly floor, a plain-Node floor and the peers found on this machine.
 *
 *   npm run bench [-- --size 1.65G --runs 3 --only flowaudit-flows,floor-c --format pcap --small-packets]
 *
 * Generates (or reuses, keyed by seed+size+format+profile) a capture in bench/data/, runs every
 * program whole-process under /usr/bin/time -v (wall clock from the runner, peak RSS from time),
 * runs interleaved (A B C A B C …), quotes medians, and writes bench/results/<stamp>.{json,md}.
 * A program that is missing or fails on its first run is skipped with the reason.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_SIZE, buildTopology, ENCAPS, generateBench, inventoryFor, parseSize, parseCount, Prng } from './gen/index.js';
import type { GenStats } from './gen/generator.js';
import { findNodePcap, NODE_PCAP_VERSION, PEERS, WASM_FLOOR_FLAGS } from './peers.js';
import { goalRows, goalTable, median } from './goals.js';
import { rotatedSet } from './rotate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, 'bench/data');
const RESULTS = path.join(ROOT, 'bench/results');

const { values: a } = parseArgs({
  options: {
    size: { type: 'string', default: '200M' },
    packets: { type: 'string' },
    flows: { type: 'string' },
    seed: { type: 'string', default: '42' },
    format: { type: 'string', default: 'pcap' },
    'small-packets': { type: 'boolean', default: false },
    encap: { type: 'string', default: 'none' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    skip: { type: 'string' },
    file: { type: 'string' },
    inventory: { type: 'string' },
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    'gc-check': { type: 'boolean', default: true },
    'no-gc-check': { type: 'boolean', default: false },
    'install-peers': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '900' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (a.help) {
  process.stdout.write('npm run bench -- [--size 200M|1.65G] [--packets N] [--flows N] [--seed 42] [--format pcap|pcapng] [--small-packets] [--encap none|vxlan|geneve|erspan]\n' +
    '                 [--runs 3] [--only a,b] [--skip a,b] [--file EXISTING.pcap --inventory INV.json] [--no-build] [--no-gc-check] [--timeout S]\n' +
    '                 [--install-peers]   (build npm pcap, node_pcap, into bench/data/peers to run it as a peer)\n');
  process.exit(0);
}
const runs = Math.max(1, Number(a.runs));
const timeoutS = Number(a.timeout);
const format = a.format === 'pcapng' ? 'pcapng' : 'pcap';
const encap = ENCAPS.find((e) => e === a.encap) ?? ((): never => {
  process.stderr.write(`bench: --encap must be one of ${ENCAPS.join(', ')}\n`);
  process.exit(2);
})();
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

// ---------------------------------------------------------------------------------------------
// 1. the capture
interface Capture { file: string; inventory: string; bytes: number; stats: Partial<GenStats> }

function ensureCapture(): Capture {
  if (a.file !== undefined) {
    const st = fs.statSync(a.file);
    let inv = a.inventory;
    if (inv === undefined) {
      // No inventory given: use the generator's (right for captures made by bench/gen, a stand-in otherwise).
      fs.mkdirSync(DATA, { recursive: true });
      inv = path.join(DATA, 'bench-inventory.json');
      fs.writeFileSync(inv, `${JSON.stringify(inventoryFor(buildTopology(new Prng(1), BENCH_SIZE, 0)), null, 2)}\n`);
    }
    return { file: a.file, inventory: inv, bytes: st.size, stats: {} };
  }
  fs.mkdirSync(DATA, { recursive: true });
  // The cache key includes a hash of the generator's sources, so a changed generator never reuses a stale file.
  const h = createHash('sha1');
  const genDir = path.join(ROOT, 'bench/gen');
  for (const f of fs.readdirSync(genDir).sort()) if (f.endsWith('.ts')) h.update(fs.readFileSync(path.join(genDir, f)));
  const parts = [`gen-${h.digest('hex').slice(0, 8)}-s${a.seed}`, a.packets !== undefined ? `p${a.packets}` : '', a.flows !== undefined ? `f${a.flows}` : '',
    a.packets === undefined && a.flows === undefined ? `b${a.size}` : '', a['small-packets'] ? 'small' : '', encap === 'none' ? '' : encap].filter((x) => x !== '');
  const base = path.join(DATA, parts.join('-'));
  const file = `${base}.${format}`;
  const statsFile = `${base}.${format}.stats.json`;
  const inventory = `${base}.inventory.json`;
  if (fs.existsSync(file) && fs.existsSync(statsFile) && fs.existsSync(inventory)) {
    log(`reusing ${path.relative(ROOT, file)}`);
    return { file, inventory, bytes: fs.statSync(file).size, stats: JSON.parse(fs.readFileSync(statsFile, 'utf8')) as GenStats };
  }
  const limits: { packets?: number; bytes?: number; flows?: number } = {};
  if (a.packets !== undefined) limits.packets = parseCount(a.packets);
  if (a.flows !== undefined) limits.flows = parseCount(a.flows);
  if (a.packets === undefined && a.flows === undefined) limits.bytes = parseSize(a.size);
  log(`generating ${path.relative(ROOT, file)} (${JSON.stringify(limits)}) …`);
  const t0 = process.hrtime.bigint();
  const res = generateBench({
    out: `${file}.tmp`, format, options: { seed: Number(a.seed), small: a['small-packets'] }, limits, inventory, countTuples: true, encap,
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.renameSync(`${file}.tmp`, file);
  fs.writeFileSync(statsFile, `${JSON.stringify(res.stats, null, 2)}\n`);
  log(`generated ${res.stats.packets} packets, ${(res.stats.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(1)} s (${(res.stats.bytes / 1e6 / secs).toFixed(0)} MB/s)`);
  return { file, inventory, bytes: res.stats.bytes, stats: res.stats };
}

// ---------------------------------------------------------------------------------------------
// 2. the programs
interface Program {
  name: string;
  what: string;
  cmd: string[];
  /** null when usable, otherwise why not. */
  unavailable: string | null;
  /** Run around the timed process (softflowd needs pokes and a UDP sink). */
  around?: (child: ReturnType<typeof spawn>) => () => void;
  before?: () => void;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
}

function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function buildFloor(): string | null {
  const out = path.join(RESULTS, 'floor');
  const src = path.join(ROOT, 'bench/native/floor.c');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs > fs.statSync(src).mtimeMs) return null;
  if (which('gcc') === null) return 'gcc not found';
  fs.mkdirSync(RESULTS, { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-o', out, src, '-lpcap'], { encoding: 'utf8' });
  return r.status === 0 ? null : `gcc failed (libpcap-dev missing?): ${r.stderr.trim().split('\n').slice(-1)[0]}`;
}

/** Compile the WebAssembly floor (bench/native/wasm/floor.ts) with AssemblyScript, a devDependency; null when built. */
function buildWasmFloor(): string | null {
  const out = path.join(RESULTS, 'wasm-floor.wasm');
  const src = path.join(ROOT, 'bench/native/wasm/floor.ts');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs > fs.statSync(src).mtimeMs) return null;
  const asc = path.join(ROOT, 'node_modules/assemblyscript/bin/asc.js');
  if (!fs.existsSync(asc)) return 'AssemblyScript not installed (npm ci installs it)';
  fs.mkdirSync(RESULTS, { recursive: true });
  const r = spawnSync(process.execPath, [asc, src, ...WASM_FLOOR_FLAGS, '-o', out], { encoding: 'utf8' });
  return r.status === 0 ? null : `asc failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`;
}

/** --install-peers: build npm pcap (node_pcap) into bench/data/peers, outside the project's dependencies. */
function installPeers(): void {
  if (findNodePcap() !== null) return;
  log(`installing npm pcap@${NODE_PCAP_VERSION} into ${path.relative(ROOT, PEERS)} (node-gyp build against libpcap) …`);
  fs.mkdirSync(PEERS, { recursive: true });
  if (!fs.existsSync(path.join(PEERS, 'package.json'))) fs.writeFileSync(path.join(PEERS, 'package.json'), '{ "private": true }\n');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `pcap@${NODE_PCAP_VERSION}`], { cwd: PEERS, encoding: 'utf8' });
  if (r.status !== 0 || findNodePcap() === null) log(`npm pcap could not be installed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
}

/** Files the flowaudit-rotated row cuts the capture into. */
const ROTATED_PARTS = 64;
/** Where the rotated set of a capture is kept (next to the capture, or in bench/data for one given by --file). */
function rotatedDir(cap: Capture): string {
  return path.join(DATA, `${path.basename(cap.file).replace(/\.[^.]*$/, '')}.rotated`);
}
function isClassicPcap(file: string): boolean {
  const b = Buffer.alloc(4), fd = fs.openSync(file, 'r');
  try { fs.readSync(fd, b, 0, 4, 0); } finally { fs.closeSync(fd); }
  return [0xa1b2c3d4, 0xa1b23c4d].includes(b.readUInt32LE(0)) || [0xa1b2c3d4, 0xa1b23c4d].includes(b.readUInt32BE(0));
}

function programs(cap: Capture, tmp: string): Program[] {
  const F = cap.file;
  const node = process.execPath;
  // the package's bin: the bundled CLI (dist/bin/flowaudit.js, tools/bundle.mjs)
  const bin = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { flowaudit: string } }).bin.flowaudit;
  const cli = path.join(ROOT, bin);
  const flowauditReason = (cmd: string): string | null => {
    if (!fs.existsSync(cli)) return `${bin} missing (npm run build)`;
    const r = spawnSync(node, [cli, cmd, '--help'], { encoding: 'utf8', timeout: 30000 });
    return r.status === 0 ? null : `\`flowaudit ${cmd}\` not available: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? ''}`;
  };
  const floorReason = buildFloor();
  const wasmFloorReason = buildWasmFloor();
  const nodePcapDir = findNodePcap();
  const sfPort = 9995;
  const ctl = path.join(tmp, 'softflowd.ctl');
  return [
    { name: 'flowaudit-flows', what: 'flowaudit flows → ndjson to /dev/null', cmd: [node, cli, 'flows', F, '--format', 'ndjson', '--output', '/dev/null'], unavailable: flowauditReason('flows') },
    { name: 'flowaudit-unsorted', what: 'flowaudit flows --unsorted (each flow written as it finishes; formatted in its own thread, the default) → ndjson to /dev/null', cmd: [node, cli, 'flows', F, '--unsorted', '--format', 'ndjson', '--output', '/dev/null'], unavailable: flowauditReason('flows') },
    { name: 'flowaudit-audit', what: 'flowaudit audit with the generated inventory, one thread → json to /dev/null', cmd: [node, cli, 'audit', F, '--inventory', cap.inventory, '--format', 'json', '--threads', '1', '--output', '/dev/null'], unavailable: flowauditReason('audit'), okCodes: [0, 1] /* 1 = findings */ },
    { name: 'flowaudit-audit-t2', what: 'flowaudit audit --threads 2 (the audit in its own thread while this one reads) → json to /dev/null', cmd: [node, cli, 'audit', F, '--inventory', cap.inventory, '--format', 'json', '--threads', '2', '--output', '/dev/null'], unavailable: flowauditReason('audit'), okCodes: [0, 1] /* 1 = findings */ },
    { name: 'flowaudit-two-pass', what: 'flowaudit audit --two-pass (names first, then each flow audited as it finishes) → json to /dev/null', cmd: [node, cli, 'audit', F, '--inventory', cap.inventory, '--format', 'json', '--two-pass', '--output', '/dev/null'], unavailable: flowauditReason('audit'), okCodes: [0, 1] /* 1 = findings */ },
    {
      // the same capture as a rotated set (tcpdump -C): 64 files merged by time, each open only around its own time
      name: 'flowaudit-rotated', what: `flowaudit audit of the same capture cut into ${ROTATED_PARTS} files (bench/rotate.ts), default threads → json to /dev/null`,
      cmd: ['sh', '-c', 'exec "$0" "$1" audit "$2"/part-*.pcap --inventory "$3" --format json --output /dev/null', node, cli, rotatedDir(cap), cap.inventory],
      unavailable: flowauditReason('audit') ?? (isClassicPcap(F) ? null : 'the capture is not classic pcap (bench/rotate.ts cuts classic pcap only)'),
      before: () => { rotatedSet(F, rotatedDir(cap), ROTATED_PARTS); }, okCodes: [0, 1] /* 1 = findings */,
    },
    { name: 'cat', what: 'page-cache read floor', cmd: ['sh', '-c', 'exec cat "$0" > /dev/null', F], unavailable: null },
    { name: 'floor-c', what: 'bench/native/floor.c: libpcap + decode + typed 5-tuple table', cmd: [path.join(RESULTS, 'floor'), F], unavailable: floorReason },
    { name: 'wasm-floor', what: 'bench/native/wasm/floor.ts (AssemblyScript → WebAssembly): 16 MiB reads into its memory + the same table', cmd: [node, path.join(ROOT, 'bench/native/wasm-floor.mjs'), path.join(RESULTS, 'wasm-floor.wasm'), F], unavailable: wasmFloorReason },
    { name: 'node-floor', what: 'bench/native/node-floor.mjs: 16 MiB reads + typed-array table', cmd: [node, path.join(ROOT, 'bench/native/node-floor.mjs'), F], unavailable: null },
    { name: 'tcpdump-w', what: 'tcpdump -r F -w /dev/null (libpcap read floor)', cmd: ['tcpdump', '-r', F, '-w', '/dev/null'], unavailable: which('tcpdump') === null ? 'tcpdump not installed' : null },
    { name: 'tshark-conv', what: 'tshark -q -z conv,tcp -z conv,udp', cmd: ['sh', '-c', 'exec tshark -r "$0" -q -z conv,tcp -z conv,udp > /dev/null', F], unavailable: which('tshark') === null ? 'tshark not installed' : null },
    { name: 'argus', what: 'argus -r F -w /dev/null', cmd: ['argus', '-r', F, '-w', '/dev/null'], unavailable: which('argus') === null ? 'argus not installed' : null },
    {
      name: 'nfpcapd', what: 'nfpcapd -r F -w DIR (multi-threaded)', cmd: ['nfpcapd', '-r', F, '-w', path.join(tmp, 'nf')],
      unavailable: which('nfpcapd') === null ? 'nfpcapd not installed' : null,
      before: () => { fs.rmSync(path.join(tmp, 'nf'), { recursive: true, force: true }); fs.mkdirSync(path.join(tmp, 'nf')); },
    },
    {
      name: 'softflowd', what: 'softflowd -r F (IPFIX -b to a UDP sink; poked by softflowctl)',
      cmd: ['softflowd', '-r', F, '-n', `127.0.0.1:${sfPort}`, '-v', '10', '-b', '-6', '-m', '4000000', '-d', '-c', ctl, '-p', path.join(tmp, 'sf.pid')],
      unavailable: which('softflowd') === null || which('softflowctl') === null ? 'softflowd/softflowctl not installed' : null,
      around: () => {
        // softflowd 1.1.0 with -r blocks in accept() on its control socket; poke it (see peer-benchmarks.md §5).
        let stop = false;
        const poke = () => {
          if (stop) return;
          const p = spawn('softflowctl', ['-c', ctl, 'statistics'], { stdio: 'ignore' });
          p.on('close', () => setTimeout(poke, 10));
          p.on('error', () => setTimeout(poke, 10));
        };
        setTimeout(poke, 10);
        return () => { stop = true; };
      },
    },
    {
      name: 'pcap-parser', what: 'npm pcap-parser (pure JS) + Map of string keys', cmd: [node, '--no-deprecation', path.join(ROOT, 'bench/native/pcap-parser-peer.mjs'), F],
      unavailable: format === 'pcapng' ? 'pcap-parser reads classic pcap only' : fs.existsSync(path.join(ROOT, 'node_modules/pcap-parser')) ? null : 'pcap-parser not installed',
    },
    {
      name: 'node_pcap', what: 'npm pcap (node_pcap, libpcap binding) + the same decode and Map', cmd: [node, path.join(ROOT, 'bench/native/node-pcap-peer.mjs'), nodePcapDir ?? '', F],
      unavailable: nodePcapDir !== null ? null : 'npm pcap (node_pcap) not installed (npm run bench -- --install-peers builds it into bench/data/peers; needs libpcap-dev, make, g++)',
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// 3. timing
interface RunResult { ok: boolean; wall: number; rssKiB: number; user: number; sys: number; err: string; stdout: string }

function runOnce(p: Program): Promise<RunResult> {
  p.before?.();
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', ...p.cmd], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let out = '', err = '';
    child.stdout!.on('data', (d: Buffer) => { if (out.length < 4096) out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 1 << 20) err = err.slice(-65536); });
    const stopAround = p.around?.(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      clearTimeout(timer);
      stopAround?.();
      const num = (re: RegExp) => { const m = re.exec(err); return m ? Number(m[1]) : NaN; };
      const status = num(/Exit status: (\d+)/);
      const okCodes = p.okCodes ?? [0];
      const ok = Number.isNaN(status) ? code === 0 : okCodes.includes(status);
      const body = err.split('\n').filter((l) => !/^\s+\S.*: /.test(l) && !/^\tCommand being timed/.test(l)).join('\n').trim();
      const fatal = body.split('\n').filter((l) => /FATAL ERROR|out of memory/i.test(l)).join('\n');
      resolve({ ok, wall, rssKiB: num(/Maximum resident set size \(kbytes\): (\d+)/), user: num(/User time \(seconds\): ([\d.]+)/), sys: num(/System time \(seconds\): ([\d.]+)/), err: `${fatal}\n${body.slice(-600)}`.trim(), stdout: out.trim() });
    });
  });
}

/** What the program said last: its stdout, or else its stderr without /usr/bin/time's report (flowaudit's summary line). */
function lastLine(r: RunResult): string {
  const src = r.stdout !== '' ? r.stdout : r.err.split('\n').filter((l) => !l.startsWith('Command exited')).join('\n');
  return src.trim().split('\n').slice(-1)[0] ?? '';
}


// ---------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  if (!fs.existsSync('/usr/bin/time')) { log('/usr/bin/time not found (apt-get install time)'); process.exit(1); }
  if (a.build && !a['no-build']) {
    log('building flowaudit (tsc -p tsconfig.build.json) …');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) log(`build failed; using the existing dist/ (first error: ${(r.stdout || r.stderr).split('\n')[0]})`);
  }
  if (a['install-peers']) installPeers();
  const cap = ensureCapture();
  const only = a.only?.split(',').map((s) => s.trim());
  const skip = new Set(a.skip?.split(',').map((s) => s.trim()) ?? []);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-bench-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  // --only and --skip both match by prefix (`--skip tshark` skips tshark-conv)
  const matches = (name: string, o: string): boolean => name === o || name.startsWith(o);
  const progs = programs(cap, tmp).filter((p) => (only === undefined || only.some((o) => matches(p.name, o))) && ![...skip].some((o) => matches(p.name, o)));
  // softflowd exports IPFIX over UDP: give it a sink that discards.
  let sink: dgram.Socket | null = null;
  if (progs.some((p) => p.name === 'softflowd' && p.unavailable === null)) {
    sink = dgram.createSocket('udp4');
    sink.on('message', () => {});
    await new Promise<void>((res, rej) => { sink!.once('error', rej); sink!.bind(9995, '127.0.0.1', () => res()); }).catch((e: Error) => {
      const sf = progs.find((p) => p.name === 'softflowd');
      if (sf) sf.unavailable = `cannot bind the UDP sink 127.0.0.1:9995 (${e.message})`;
    });
  }
  const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
  log(`warming the page cache (cat ${path.relative(ROOT, cap.file)})`);
  spawnSync('sh', ['-c', 'cat "$0" > /dev/null', cap.file]);
  const results = new Map<string, RunResult[]>();
  const skipped = new Map<string, string>();
  for (const p of progs) if (p.unavailable !== null) skipped.set(p.name, p.unavailable);
  for (let r = 0; r < runs; r++) {
    for (const p of progs) {
      if (skipped.has(p.name)) continue;
      const res = await runOnce(p);
      if (!res.ok) {
        const fatal = res.err.split('\n').find((l) => /FATAL ERROR|out of memory|Error:/i.test(l));
        skipped.set(p.name, `failed (run ${r + 1}, ${res.wall.toFixed(0)} s, peak RSS ${(res.rssKiB / 1024).toFixed(0)} MiB): ${fatal !== undefined ? `${fatal.trim()} | ` : ''}${res.err.split('\n').slice(-3).join(' | ')}`);
        log(`${p.name}: FAILED — ${skipped.get(p.name)}`);
        continue;
      }
      const said = lastLine(res);
      log(`run ${r + 1}/${runs} ${p.name}: ${res.wall.toFixed(2)} s, ${(res.rssKiB / 1024).toFixed(0)} MiB${said ? `  [${said.slice(0, 90)}]` : ''}`);
      const list = results.get(p.name) ?? [];
      list.push(res);
      results.set(p.name, list);
    }
  }
  sink?.close();
  const loadAfter = os.loadavg().map((x) => +x.toFixed(2));

  // GC / heap check on flowaudit flows: count V8 GC events with --trace-gc.
  let gc: Record<string, unknown> | null = null;
  const fa = progs.find((p) => p.name === 'flowaudit-flows');
  const nodeFloor = progs.find((p) => p.name === 'node-floor');
  const faAudit = progs.find((p) => p.name === 'flowaudit-audit');
  if (a['gc-check'] && !a['no-gc-check'] && fa !== undefined && !skipped.has(fa.name)) {
    // --trace-gc-nvp prints one line per GC with `gc=s|mc|ms` and `allocated=` (bytes allocated since the previous GC).
    const count = (cmd: string[]) => {
      const r = spawnSync(cmd[0]!, ['--trace-gc-nvp', ...cmd.slice(1)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
      let scavenges = 0, markCompacts = 0, allocated = 0;
      for (const l of r.stdout.split('\n')) {
        const g = / gc=(\S+)/.exec(l);
        if (g === null) continue;
        if (g[1] === 's') scavenges++; else markCompacts++;
        const al = / allocated=(\d+)/.exec(l);
        if (al !== null) allocated += Number(al[1]);
      }
      return { scavenges, markCompacts, allocatedMB: +(allocated / 1e6).toFixed(1) };
    };
    // with --file there is no ground truth: the packet count a reference printed in the timed runs
    let pk: number | null = cap.stats.packets ?? null;
    for (const name of ['node-floor', 'floor-c']) {
      const m = pk === null ? /packets (\d+)/.exec(results.get(name)?.[0]?.stdout ?? '') : null;
      if (m !== null) pk = Number(m[1]);
    }
    const f = count(fa.cmd);
    const au = faAudit !== undefined && !skipped.has(faAudit.name) ? count(faAudit.cmd) : null;
    const n = nodeFloor !== undefined ? count(nodeFloor.cmd) : null;
    const perPkt = (x: { allocatedMB: number }) => (pk ? +((x.allocatedMB * 1e6) / pk).toFixed(0) : null);
    gc = {
      packets: pk, flows: cap.stats.uniqueTcpUdpFlows ?? null,
      flowaudit: { ...f, allocatedBytesPerPacket: perPkt(f) },
      flowauditAudit: au === null ? null : { ...au, allocatedBytesPerPacket: perPkt(au) },
      nodeFloor: n === null ? null : { ...n, allocatedBytesPerPacket: perPkt(n) },
    };
    log(`gc: flowaudit ${f.scavenges} scavenges, ${f.markCompacts} full GCs, ${f.allocatedMB} MB allocated (${perPkt(f)} B/packet)${n ? `; node-floor ${n.scavenges}/${n.markCompacts}, ${n.allocatedMB} MB (${perPkt(n)} B/packet)` : ''}`);
  }

  // ---- table
  // With --file there is no ground truth: take the packet count from a reference that printed it.
  let pk = cap.stats.packets ?? NaN;
  for (const n of ['node-floor', 'floor-c']) {
    const m = Number.isNaN(pk) ? /packets (\d+)/.exec(results.get(n)?.[0]?.stdout ?? '') : null;
    if (m !== null) pk = Number(m[1]);
  }
  const base = results.get('flowaudit-flows');
  const baseMed = base ? median(base.map((x) => x.wall)) : NaN;
  const cfloor = results.get('floor-c');
  const cMed = cfloor ? median(cfloor.map((x) => x.wall)) : NaN;
  const cCpu = cfloor ? median(cfloor.map((x) => x.user + x.sys)) : NaN;
  const rows = progs.filter((p) => results.has(p.name)).map((p) => {
    const rs = results.get(p.name)!;
    const walls = rs.map((x) => x.wall);
    const med = median(walls);
    const cpu = median(rs.map((x) => x.user + x.sys));
    return {
      program: p.name, what: p.what, runs: rs.length, wallMedian: +med.toFixed(3), wallMin: +Math.min(...walls).toFixed(3), wallMax: +Math.max(...walls).toFixed(3),
      userSysMedian: +cpu.toFixed(2),
      cpuRatioToCFloor: Number.isNaN(cCpu) || cCpu === 0 ? null : +(cpu / cCpu).toFixed(2),
      mpktPerS: +(pk / med / 1e6).toFixed(2), mbPerS: +(cap.bytes / 1e6 / med).toFixed(0), peakRssMiB: +(median(rs.map((x) => x.rssKiB)) / 1024).toFixed(0),
      ratioToFlowaudit: Number.isNaN(baseMed) ? null : +(med / baseMed).toFixed(2), ratioToCFloor: Number.isNaN(cMed) ? null : +(med / cMed).toFixed(2),
      walls: walls.map((x) => +x.toFixed(3)),
      lastStdout: lastLine(rs[rs.length - 1]!),
    };
  });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
  const md: string[] = [];
  md.push(`# flowaudit benchmark ${new Date().toISOString()}`, '');
  md.push(`- machine: ${machine}`);
  md.push(`- capture: \`${path.relative(ROOT, cap.file)}\` — ${(cap.bytes / 1e6).toFixed(1)} MB, ${pk} packets, ${cap.stats.uniqueTcpUdpFlows ?? '?'} TCP/UDP 5-tuples + ${cap.stats.uniqueIcmpPairs ?? '?'} ICMP pairs (generator ground truth)`);
  md.push(`- load average (1/5/15 min) before: ${loadBefore.join(' / ')}; after the timed runs: ${loadAfter.join(' / ')} (2 cores: above ~1, other processes competed)`);
  md.push(`- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\`; ${runs} runs each, interleaved; medians quoted; wall from the runner, peak RSS from /usr/bin/time -v`, '');
  md.push('| program | wall median s (min–max) | user+sys s | Mpkt/s | MB/s | peak RSS MiB | × flowaudit flows | × C floor | CPU × C floor | output |');
  md.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    md.push(`| ${r.program} | ${r.wallMedian.toFixed(2)} (${r.wallMin.toFixed(2)}–${r.wallMax.toFixed(2)}) | ${r.userSysMedian} | ${r.mpktPerS} | ${r.mbPerS} | ${r.peakRssMiB} | ${r.ratioToFlowaudit ?? '–'} | ${r.ratioToCFloor ?? '–'} | ${r.cpuRatioToCFloor ?? '–'} | ${r.lastStdout.slice(0, 90).replace(/\|/g, '/')} |`);
  }
  const goals = goalRows(results, pk, a['small-packets'] === true);
  md.push('', 'The goals of issue #6 in this run (speed ratios: the other program\'s time ÷ flowaudit\'s; a goal is met when both figures reach it):', '', ...goalTable(goals));
  if (skipped.size > 0) {
    md.push('', 'Skipped:', '');
    for (const [n, why] of skipped) md.push(`- ${n}: ${why}`);
  }
  if (gc !== null) {
    type GcRow = { scavenges: number; markCompacts: number; allocatedMB: number; allocatedBytesPerPacket: number | null };
    const g = gc as { flowaudit: GcRow; flowauditAudit: GcRow | null; nodeFloor: GcRow | null };
    md.push('', 'GC check (`node --trace-gc-nvp`, one extra run each; allocated = sum of bytes allocated between GCs):', '');
    md.push('| program | scavenges | full GCs | allocated MB | allocated B/packet |', '|---|---|---|---|---|');
    md.push(`| flowaudit-flows | ${g.flowaudit.scavenges} | ${g.flowaudit.markCompacts} | ${g.flowaudit.allocatedMB} | ${g.flowaudit.allocatedBytesPerPacket} |`);
    if (g.flowauditAudit !== null) md.push(`| flowaudit-audit | ${g.flowauditAudit.scavenges} | ${g.flowauditAudit.markCompacts} | ${g.flowauditAudit.allocatedMB} | ${g.flowauditAudit.allocatedBytesPerPacket} |`);
    if (g.nodeFloor !== null) md.push(`| node-floor | ${g.nodeFloor.scavenges} | ${g.nodeFloor.markCompacts} | ${g.nodeFloor.allocatedMB} | ${g.nodeFloor.allocatedBytesPerPacket} |`);
  }
  const text = md.join('\n');
  process.stdout.write(`\n${text}\n`);
  fs.mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(RESULTS, `${stamp}.md`), `${text}\n`);
  fs.writeFileSync(path.join(RESULTS, `${stamp}.json`), `${JSON.stringify({ machine, loadBefore, loadAfter, capture: { file: cap.file, bytes: cap.bytes, stats: cap.stats }, args: process.argv.slice(2), runs, rows, goals, skipped: Object.fromEntries(skipped), gc }, null, 2)}\n`);
  log(`wrote bench/results/${stamp}.{md,json}`);
}

main().catch((e: unknown) => { process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
