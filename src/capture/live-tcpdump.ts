/**
 * Live capture through tcpdump: `tcpdump -i IFACE -U -w - -n --immediate-mode --time-stamp-precision=nano
 * [-B KiB] -- [filter]` is spawned (never through a shell) and its pcap stream is read with the
 * same reader as files (readCaptureStream). Compared with the `cap` engine this gives kernel
 * timestamps in nanoseconds, the packets' original lengths, and tcpdump's own drop counters
 * ("N packets dropped by kernel", printed on stderr when it exits), at the cost of a second
 * process and a pipe.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { CaptureInfo, PacketRecord, ReadOptions } from './types.js';
import { readCaptureStream } from './read.js';
import { LiveCaptureError, LiveErrorCode, pcapOpenError } from './live-errors.js';

export interface TcpdumpStats {
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  droppedByInterface: number | null;
}

export interface TcpdumpResult {
  /** What the reader learned (null when tcpdump failed before writing a pcap header). */
  info: CaptureInfo | null;
  stats: TcpdumpStats;
  /** tcpdump's exit code (null when killed by a signal). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** What tcpdump printed on stderr (without the stats lines). */
  stderr: string;
}

export interface TcpdumpOptions {
  device: string;
  filter: string;
  /** Kernel buffer in bytes (passed as -B in KiB); 0 or undefined leaves tcpdump's default. */
  bufferSize?: number;
  /** The tcpdump executable (default: FLOWAUDIT_TCPDUMP, else found on PATH, /usr/sbin, /sbin). */
  tcpdump?: string;
  fileIndex?: number;
  readOptions?: ReadOptions;
  /** Name used for the stream in messages (default `live:<device>`). */
  name?: string;
  /** How long to wait for tcpdump to report that it listens (default 10 s). */
  startTimeoutMs?: number;
}

const SEARCH_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/bin'];

/** Find the tcpdump executable, or null. */
export function findTcpdump(explicit?: string): string | null {
  const cand = explicit ?? process.env.FLOWAUDIT_TCPDUMP;
  if (cand !== undefined && cand !== '') return isExec(cand) ? cand : null;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...SEARCH_DIRS];
  for (const d of dirs) {
    const p = path.join(d, 'tcpdump');
    if (isExec(p)) return p;
  }
  return null;
}

function isExec(p: string): boolean {
  try { accessSync(p, fsConstants.X_OK); return true; } catch { return false; }
}

export function requireTcpdump(iface: string, explicit?: string): string {
  const p = findTcpdump(explicit);
  if (p === null) {
    throw new LiveCaptureError(LiveErrorCode.NoTcpdump, iface,
      'tcpdump not found (looked on PATH and in /usr/sbin, /sbin): install it (`apt-get install tcpdump`), ' +
      'set FLOWAUDIT_TCPDUMP=/path/to/tcpdump, or use the default `--engine cap`');
  }
  return p;
}

/** Arguments for tcpdump (exported for tests and --help text). */
export function tcpdumpArgs(device: string, filter: string, bufferSize = 0): string[] {
  const args = ['-i', device, '-U', '-w', '-', '-n', '--immediate-mode', '--time-stamp-precision=nano'];
  if (bufferSize > 0) args.push('-B', String(Math.max(1, Math.round(bufferSize / 1024))));
  if (filter.trim() !== '') args.push('--', filter);
  return args;
}

/** pcap_datalink_val_to_name() names (as tcpdump prints them) → LINKTYPE_* numbers. */
const DLT_NAME_TO_LINKTYPE: Readonly<Record<string, number>> = {
  NULL: 0, EN10MB: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, LINUX_SLL2: 276, IPV4: 228, IPV6: 229,
};

/** LINKTYPE_* for tcpdump's `link-type EN10MB (Ethernet)` text, or -1. */
export function tcpdumpLinkType(text: string): number {
  const name = text.trim().split(/\s+/)[0] ?? '';
  return DLT_NAME_TO_LINKTYPE[name] ?? -1;
}

/** Parse tcpdump's closing statistics from its stderr. */
export function parseTcpdumpStats(stderr: string): TcpdumpStats {
  const num = (re: RegExp): number | null => {
    const m = re.exec(stderr);
    return m === null ? null : Number(m[1]);
  };
  return {
    captured: num(/^(\d+) packets? captured$/m),
    receivedByFilter: num(/^(\d+) packets? received by filter$/m),
    droppedByKernel: num(/^(\d+) packets? dropped by kernel$/m),
    droppedByInterface: num(/^(\d+) packets? dropped by interface$/m),
  };
}

const STATS_LINE = /^\d+ packets? (captured|received by filter|dropped by kernel|dropped by interface)$/;
/** What tcpdump prints on SIGUSR1 (Linux: SIGNAL_REQ_INFO), one line. */
const INFO_LINE = /^tcpdump: (\d+) packets? captured, (\d+) packets? received by filter, (\d+) packets? dropped by kernel(?:, (\d+) packets? dropped by interface)?/;

/** Parse one SIGUSR1 statistics line, or null. */
export function parseTcpdumpInfoLine(line: string): TcpdumpStats | null {
  const m = INFO_LINE.exec(line.trim());
  if (m === null) return null;
  return { captured: Number(m[1]), receivedByFilter: Number(m[2]), droppedByKernel: Number(m[3]), droppedByInterface: m[4] !== undefined ? Number(m[4]) : null };
}

/**
 * tcpdump's error text without the `tcpdump: IFACE: ` prefixes and without a parenthesised
 * second line that only repeats the first (`No such device exists\n(No such device exists)`).
 */
export function tcpdumpErrorText(stderr: string, device: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !STATS_LINE.test(l) && !/^tcpdump: listening on /.test(l))
    .map((l) => l.replace(/^tcpdump: /, '').replace(new RegExp(`^${device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), ''));
  const out: string[] = [];
  for (const l of lines) {
    const inner = /^\((.*)\)$/.exec(l)?.[1];
    if (inner !== undefined && out.some((o) => o.includes(inner))) continue;
    out.push(l);
  }
  return out.join(' ');
}

/** The interface names `tcpdump -D` lists (for error messages), or null. */
export function tcpdumpInterfaceNames(tcpdump: string | null = findTcpdump()): string[] | null {
  if (tcpdump === null) return null;
  const r = spawnSync(tcpdump, ['-D'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  return parseTcpdumpD(r.stdout).map((e) => e.name);
}

export interface TcpdumpInterface { name: string; description: string | null; flags: string[] }

/** Parse `tcpdump -D` lines like `3.lo [Up, Running, Loopback]` or `2.any (Pseudo-device …) [Up, Running]`. */
export function parseTcpdumpD(text: string): TcpdumpInterface[] {
  const out: TcpdumpInterface[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+\.(\S+)(?:\s+\((.*?)\))?(?:\s+\[(.*)\])?\s*$/.exec(line.trim());
    if (m === null) continue;
    const flags = (m[3] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'none');
    out.push({ name: m[1]!, description: m[2] ?? null, flags });
  }
  return out;
}

/**
 * A running tcpdump capture. Create with startTcpdump(); it resolves once tcpdump says it is
 * listening (or rejects with a LiveCaptureError saying why it could not start).
 */
export class TcpdumpSource {
  readonly device: string;
  readonly filter: string;
  readonly args: readonly string[];
  /** Link type tcpdump announced (`EN10MB (Ethernet)`), for messages. */
  linkTypeName = '';
  /** LINKTYPE_* of that announcement, -1 when not one we know (the pcap header still says it). */
  linkType = -1;
  readonly done: Promise<TcpdumpResult>;
  readonly #child: ChildProcess;
  #stopping = false;
  #killTimer: NodeJS.Timeout | null = null;
  /** The latest statistics tcpdump printed on request (requestStats), or null. */
  interimStats: TcpdumpStats | null = null;

  constructor(child: ChildProcess, device: string, filter: string, args: string[], done: Promise<TcpdumpResult>) {
    this.#child = child;
    this.device = device;
    this.filter = filter;
    this.args = args;
    this.done = done;
    void done.finally(() => { if (this.#killTimer !== null) clearTimeout(this.#killTimer); });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Ask tcpdump for its running counters (SIGUSR1; it prints one line on stderr, which lands in
   * interimStats shortly after). Only while it runs and after it said it listens.
   */
  requestStats(): void {
    if (this.#stopping || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try { this.#child.kill('SIGUSR1'); } catch { /* gone */ }
  }

  /** Ask tcpdump to stop (SIGINT: it flushes, prints its statistics, exits). SIGKILL after graceMs. */
  stop(graceMs = 5000): void {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGINT');
    this.#killTimer = setTimeout(() => { this.#child.kill('SIGKILL'); }, graceMs);
    this.#killTimer.unref();
  }
}

export function startTcpdump(opts: TcpdumpOptions, onPacket: (rec: PacketRecord) => void): Promise<TcpdumpSource> {
  const exe = requireTcpdump(opts.device, opts.tcpdump);
  const args = tcpdumpArgs(opts.device, opts.filter, opts.bufferSize ?? 0);
  const name = opts.name ?? `live:${opts.device}`;
  // Its own process group: a terminal's Ctrl-C reaches only flowaudit, which then stops tcpdump
  // itself (so the run ends the same way whatever the signal's source). If flowaudit dies,
  // tcpdump ends on EPIPE at its next packet.
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });

  let stderr = '';
  let listening = false;
  let resolveStart!: (s: TcpdumpSource) => void;
  let rejectStart!: (e: unknown) => void;
  const started = new Promise<TcpdumpSource>((res, rej) => { resolveStart = res; rejectStart = rej; });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('close', (code, signal) => res({ code, signal }));
  });
  const spawnError = new Promise<Error>((res) => child.on('error', res));

  child.stderr!.setEncoding('utf8');
  // Complete lines only: tcpdump writes its "listening on …" line in pieces, and a SIGUSR1
  // statistics line must not be requested before that line is complete.
  let partial = '';
  child.stderr!.on('data', (d: string) => {
    stderr += d;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      const info = parseTcpdumpInfoLine(line);
      if (info !== null) { source.interimStats = info; continue; }
      if (!listening) {
        const m = /listening on \S+?, link-type ([^,]+(?:\([^)]*\))?)/.exec(line);
        if (m !== null) {
          listening = true;
          source.linkTypeName = m[1]!.trim();
          source.linkType = tcpdumpLinkType(source.linkTypeName);
          resolveStart(source);
        }
      }
    }
  });

  const reading = readCaptureStream(child.stdout!, name, opts.readOptions ?? {}, onPacket, opts.fileIndex ?? 0);
  // Never leave the read promise unhandled: failures surface through `done`.
  reading.catch(() => undefined);

  const done = (async (): Promise<TcpdumpResult> => {
    const first = await Promise.race([exited.then((x) => ({ kind: 'exit' as const, ...x })), spawnError.then((e) => ({ kind: 'error' as const, e }))]);
    if (first.kind === 'error') throw first.e;
    let info: CaptureInfo | null = null;
    try {
      info = await reading;
    } catch (e) {
      if (listening) throw e;
    }
    const stats = parseTcpdumpStats(stderr);
    const rest = stderr.split('\n').filter((l) => !STATS_LINE.test(l.trim()) && !INFO_LINE.test(l.trim()) && !/^tcpdump: listening on /.test(l) && l.trim() !== '').join('\n');
    return { info, stats, exitCode: first.code, signal: first.signal, stderr: rest };
  })();

  const source = new TcpdumpSource(child, opts.device, opts.filter, args, done);

  const startTimer = setTimeout(() => {
    if (listening) return;
    source.stop(1000);
    rejectStart(new LiveCaptureError(LiveErrorCode.Engine, opts.device, `tcpdump did not start listening on ${opts.device} within ${(opts.startTimeoutMs ?? 10000) / 1000} s` + (stderr.trim() !== '' ? `: ${stderr.trim()}` : '')));
  }, opts.startTimeoutMs ?? 10000);
  startTimer.unref();

  done.then(
    (r) => {
      clearTimeout(startTimer);
      if (listening) return;
      const msg = tcpdumpErrorText(stderr, opts.device) || `tcpdump exited with code ${r.exitCode ?? r.signal}`;
      rejectStart(pcapOpenError(msg, opts.device, opts.filter, tcpdumpInterfaceNames(exe)));
    },
    (e: unknown) => {
      clearTimeout(startTimer);
      if (listening) return;
      const err = e as NodeJS.ErrnoException;
      rejectStart(err.code === 'ENOENT' || err.code === 'EACCES'
        ? new LiveCaptureError(LiveErrorCode.NoTcpdump, opts.device, `cannot run ${exe}: ${err.message}`)
        : new LiveCaptureError(LiveErrorCode.Engine, opts.device, `tcpdump failed: ${err.message ?? String(e)}`));
    },
  );
  return started;
}
