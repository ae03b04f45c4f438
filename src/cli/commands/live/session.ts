/**
 * One live capture run, independent of what is done with the packets: starts the engine (cap
 * or tcpdump), hands every (borrowed) PacketRecord to the pipeline and to the --write file,
 * drives flow expiry once a second on the wall clock (packet time and wall time are the same
 * clock in a live capture; this also expires flows while the line is quiet), prints a rolling
 * summary, and ends cleanly on SIGINT/SIGTERM or --duration.
 */
import type { PacketRecord } from '../../../capture/types.js';
import { ArrivalClock, openCap, requireCap, DEFAULT_BUFFER_BYTES, type CapModule, type CapSource } from '../../../capture/live-cap.js';
import { startTcpdump, type TcpdumpResult, type TcpdumpSource } from '../../../capture/live-tcpdump.js';
import { PcapWriter } from '../../../capture/pcap-writer.js';
import { LiveCaptureError, LiveErrorCode } from '../../../capture/live-errors.js';
import type { CaptureInfo } from '../../../capture/types.js';

/** What a live run feeds. */
export interface LivePipeline {
  /** One packet (BORROWED: copy what you keep). */
  packet(rec: PacketRecord): void;
  /** Expire what is idle at wall-clock time now. */
  tick(nowSec: number, nowNsec: number): void;
  /** One line of counters for the rolling summary (flows, findings). */
  summary(): string;
}

export interface LiveSessionOptions {
  device: string;
  filter: string;
  engine: 'cap' | 'tcpdump';
  bufferBytes?: number;
  durationSec?: number;
  reportEverySec?: number;
  writePath?: string;
  /** Messages for the user (stderr). */
  log: (line: string) => void;
  /** Test hooks. */
  cap?: CapModule;
  tcpdump?: string;
  /** Called once when the run is asked to end (signal, duration, engine exit). */
  onStop?: (reason: string) => void;
  /** Handle SIGINT/SIGTERM (default true). */
  signals?: boolean;
}

export interface LiveRunResult {
  engine: 'cap' | 'tcpdump';
  device: string;
  filter: string;
  linkType: number;
  startSec: number; startNsec: number;
  endSec: number; endNsec: number;
  packets: number;
  bytes: number;
  firstSec: number; firstNsec: number;
  lastSec: number; lastNsec: number;
  /** Why it stopped: 'SIGINT' | 'SIGTERM' | 'duration' | 'engine' (tcpdump ended by itself). */
  stoppedBy: string;
  /** Kernel drops as the engine reports them; null when the engine cannot tell (cap). */
  droppedByKernel: number | null;
  droppedByInterface: number | null;
  /** cap: packets that did not fit the JS buffer. */
  truncated: number;
  /** tcpdump: what the reader said about the stream. */
  tcpdumpInfo: CaptureInfo | null;
  tcpdumpStderr: string;
  written: { path: string; packets: number; bytes: number } | null;
  /**
   * Set when the run ended on an error after the capture had started (--write failed, tcpdump
   * or the stream broke): what was captured up to then is still audited and reported, and the
   * exit code is 2.
   */
  error: LiveCaptureError | null;
}


function fmtDuration(s: number): string {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = Math.floor(s % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(x).padStart(2, '0')}`;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export class LiveSession {
  readonly #o: LiveSessionOptions;
  readonly #pipe: LivePipeline;
  #writer: PcapWriter | null = null;
  #packets = 0;
  #bytes = 0;
  #firstSec = 0; #firstNsec = 0; #lastSec = 0; #lastNsec = 0;
  #linkType = -1;
  #stopReason = '';
  #stop: (() => void) | null = null;
  #startedMono = 0;
  /** performance.now() when the last packet arrived (see #tick). */
  #lastMono = -1;
  #writeError: unknown = null;

  constructor(opts: LiveSessionOptions, pipeline: LivePipeline) {
    this.#o = opts;
    this.#pipe = pipeline;
  }

  readonly #onPacket = (rec: PacketRecord): void => {
    if (this.#packets === 0) { this.#firstSec = rec.tsSec; this.#firstNsec = rec.tsNsec; }
    this.#lastSec = rec.tsSec; this.#lastNsec = rec.tsNsec;
    this.#lastMono = performance.now();
    this.#packets++;
    this.#bytes += rec.capLen;
    if (this.#writer !== null) {
      try {
        if (this.#packets === 1 && rec.linkType !== this.#writer.linkType) this.#writer.setLinkType(rec.linkType);
        this.#writer.write(rec);
      } catch (e) {
        // Disk full, file system gone: stop writing and end the run (the audit so far is reported).
        this.#writeError = e;
        this.stop('write error');
      }
    }
    this.#pipe.packet(rec);
  };

  /** Ask the run to end (as SIGINT would). */
  stop(reason = 'stop'): void {
    if (this.#stopReason === '') {
      this.#stopReason = reason;
      this.#o.onStop?.(reason);
    }
    this.#stop?.();
  }

  get packets(): number { return this.#packets; }

  /** Run until stopped. Throws LiveCaptureError when the capture cannot start. */
  async run(onStarted?: (linkType: number, engineNote: string) => void): Promise<LiveRunResult> {
    const o = this.#o;
    const bufferBytes = o.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    // Fail early on what we can check before touching the network.
    const capMod = o.engine === 'cap' ? (o.cap ?? requireCap(o.device)) : null;
    if (o.writePath !== undefined) this.#writer = new PcapWriter(o.writePath, 1);

    // One clock for the run: the wall clock read once, then monotonic time. Expiry ticks, the
    // start/end times and (cap engine) packet timestamps all come from it, so a wall-clock step
    // (NTP, a VM resuming) cannot expire every flow at once.
    const clock = new ArrivalClock();
    clock.stamp();
    const startSec = clock.sec, startNsec = clock.nsec;
    let cap: CapSource | null = null;
    let td: TcpdumpSource | null = null;
    try {
      if (capMod !== null) {
        cap = openCap({ device: o.device, filter: o.filter, bufferSize: bufferBytes, clock }, this.#onPacket, capMod);
        this.#linkType = cap.linkType;
      } else {
        const opts = { device: o.device, filter: o.filter, bufferSize: bufferBytes, ...(o.tcpdump !== undefined ? { tcpdump: o.tcpdump } : {}) };
        td = await startTcpdump(opts, this.#onPacket);
        this.#linkType = td.linkType;
        if ((o.reportEverySec ?? 60) > 0) td.requestStats();   // counters for the first summary
      }
    } catch (e) {
      this.#writer?.close();
      throw e;
    }
    if (this.#writer !== null && this.#linkType >= 0) this.#writer.setLinkType(this.#linkType);
    this.#startedMono = performance.now();
    onStarted?.(this.#linkType, cap !== null ? cap.linkTypeName : (td?.linkTypeName ?? ''));

    const timers: NodeJS.Timeout[] = [];
    const ended = new Promise<void>((resolve) => { this.#stop = resolve; });
    if (this.#stopReason !== '') this.#stop?.();
    const onSig = (sig: NodeJS.Signals) => {
      if (this.#stopReason !== '') { o.log(`flowaudit: ${sig} again: still finishing the report…`); return; }
      this.stop(sig);
    };
    const handleSignals = o.signals ?? true;
    if (handleSignals) { process.on('SIGINT', onSig); process.on('SIGTERM', onSig); }

    timers.push(setInterval(() => this.#tick(clock), 1000));
    const every = o.reportEverySec ?? 60;
    if (every > 0) timers.push(setInterval(() => o.log(this.#summaryLine(cap, td)), every * 1000));
    if (o.durationSec !== undefined) timers.push(setTimeout(() => this.stop('duration'), o.durationSec * 1000));

    let tdResult: TcpdumpResult | null = null;
    let engineError: unknown = null;
    if (td !== null) {
      // tcpdump may also end on its own (interface gone, killed): then the run ends too.
      td.done.then(() => this.stop('engine'), (e: unknown) => { engineError = e; this.stop('engine'); });
    }
    await ended;
    for (const t of timers) clearTimeout(t);
    if (handleSignals) { process.off('SIGINT', onSig); process.off('SIGTERM', onSig); }

    if (cap !== null) cap.stop();
    if (td !== null) {
      td.stop();
      try { tdResult = await td.done; } catch (e) { engineError = e; }
    }
    clock.stamp();
    const endSec = clock.sec, endNsec = clock.nsec;
    let written: LiveRunResult['written'] = null;
    if (this.#writer !== null) {
      try { this.#writer.close(); } catch (e) { this.#writeError ??= e; }
      written = { path: this.#writer.path, packets: this.#writer.packets, bytes: this.#writer.bytes };
    }
    let error: LiveCaptureError | null = null;
    if (this.#writeError !== null) {
      const e = this.#writeError;
      error = e instanceof LiveCaptureError ? e : new LiveCaptureError(LiveErrorCode.Write, o.device, `--write ${o.writePath ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    } else if (engineError !== null) {
      const msg = engineError instanceof Error ? engineError.message : String(engineError);
      error = new LiveCaptureError(LiveErrorCode.Engine, o.device, `the capture on ${o.device} failed: ${msg}`);
    } else if (tdResult !== null && this.#stopReason === 'engine' && (tdResult.exitCode !== 0 || tdResult.signal !== null)) {
      error = new LiveCaptureError(LiveErrorCode.Engine, o.device, `tcpdump stopped capturing on ${o.device} by itself (${tdResult.signal !== null ? `signal ${tdResult.signal}` : `exit ${tdResult.exitCode}`})` +
        (tdResult.stderr !== '' ? `: ${tdResult.stderr.trim().replace(/\s+/g, ' ')}` : ''));
    }
    if (tdResult !== null && this.#stopReason === 'engine' && error === null) {
      o.log(`flowaudit: tcpdump ended by itself (exit 0)${tdResult.stderr !== '' ? `: ${tdResult.stderr.trim()}` : ''}`);
    }
    // Killed tcpdump prints no closing statistics: fall back to the last interim ones.
    const stats = tdResult === null ? null
      : tdResult.stats.droppedByKernel !== null ? tdResult.stats : (td?.interimStats ?? tdResult.stats);
    return {
      engine: o.engine, device: o.device, filter: o.filter, linkType: this.#linkType,
      startSec, startNsec, endSec, endNsec,
      packets: this.#packets, bytes: this.#bytes,
      firstSec: this.#firstSec, firstNsec: this.#firstNsec, lastSec: this.#lastSec, lastNsec: this.#lastNsec,
      stoppedBy: this.#stopReason,
      droppedByKernel: stats?.droppedByKernel ?? null,
      droppedByInterface: stats?.droppedByInterface ?? null,
      truncated: cap?.truncated ?? 0,
      tcpdumpInfo: tdResult?.info ?? null,
      tcpdumpStderr: tdResult?.stderr ?? '',
      written,
      error,
    };
  }

  /**
   * Expire idle flows. "Now" is the last packet's timestamp plus the monotonic time since it
   * arrived: it follows the packets' own clock (tcpdump's are the kernel's wall-clock times), so
   * a wall-clock step between packets and ticks cannot make every flow look idle.
   */
  #tick(clock: ArrivalClock): void {
    if (this.#lastMono < 0) { clock.stamp(); this.#pipe.tick(clock.sec, clock.nsec); return; }
    const total = this.#lastNsec + Math.round((performance.now() - this.#lastMono) * 1e6);
    const carry = Math.floor(total / 1e9);
    this.#pipe.tick(this.#lastSec + carry, total - carry * 1e9);
  }

  #summaryLine(cap: CapSource | null, td: TcpdumpSource | null): string {
    const el = (performance.now() - this.#startedMono) / 1000;
    let drops = '';
    if (cap !== null) drops = 'drops: not counted by cap';
    else if (td !== null) {
      const st = td.interimStats;
      drops = st === null ? 'drops: not known yet' : `tcpdump: ${st.droppedByKernel ?? '?'} dropped by kernel`;
      td.requestStats();   // for the next summary line
    }
    return `flowaudit: [live ${this.#o.device} ${fmtDuration(el)}] ${this.#packets} packets, ${fmtBytes(this.#bytes)}; ${this.#pipe.summary()}; ${drops}`;
  }
}
