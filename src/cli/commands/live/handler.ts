/**
 * `flowaudit live`: capture → FlowEngine (same decoder and flow table as `audit`) → incremental
 * auditor. Findings are printed on stderr as they become certain; the full report is rendered
 * at the end with the same reporters as `audit`.
 */
import { access, constants as fsConstants } from 'node:fs/promises';
import path from 'node:path';
import { FlowEngine, loadNameParsers } from '../../../flow/engine.js';
import type { FlowRecord, InputSummary } from '../../../flow/record.js';
import type { Finding, FindingKind } from '../../../audit/types.js';
import { ExitCode } from '../../exit-codes.js';
import { UsageError } from '../../../core/errors.js';
import { formatTs } from '../../../core/time.js';
import { LINK_TYPE_NAMES } from '../../../capture/types.js';
import type { CapModule } from '../../../capture/live-cap.js';
import { LiveSession, type LivePipeline, type LiveRunResult } from './session.js';
import type { LiveArgs } from './command.js';
import { flowOptionsOf } from '../../options/flow.js';
import { liveAudit, type LiveAudit } from './audit-glue.js';

/** One line for a finding printed while capturing. */
export function findingLine(f: Finding, when: string): string {
  const svc = `${f.proto ?? '?'}/${f.resp_p ?? '?'}`;
  const rule = f.rule !== null ? ` ${f.rule}` : '';
  return `flowaudit: [${when}] ${f.kind} (${f.severity})${rule}: ${f.orig_h ?? '*'} → ${f.resp_h ?? '*'} ${svc}` +
    ` [${Object.entries(f.evidence.conn_states).map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}

/** Kinds printed as they happen (missing / not-observed are only known at the end). */
const LIVE_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['unexpected', 'blocked', 'unknown-host', 'legacy', 'doc-only']);

class AuditPipeline implements LivePipeline {
  readonly engine: FlowEngine;
  readonly #audit: LiveAudit;
  readonly #log: (s: string) => void;
  readonly #printed = new Set<string>();
  #namesFed = 0;
  #finished = 0;
  #newFlows: number[] = [];
  readonly counts: Record<string, number> = {};

  constructor(engine: FlowEngine, audit: LiveAudit, log: (s: string) => void) {
    this.engine = engine;
    this.#audit = audit;
    this.#log = log;
    // Note each flow the table creates (its id), to judge it at once after the packet.
    const t = engine.table;
    const update = t.update;
    const created = this.#newFlows;
    // (Explicit parameters, no rest array: this runs once per packet.)
    t.update = (p, tsSec, tsNsec, fileIndex, ifIndex, an, packetIndex) => {
      const f = update.call(t, p, tsSec, tsNsec, fileIndex, ifIndex, an, packetIndex);
      if (t.lastCreated && f >= 0) created.push(f);
      return f;
    };
  }

  #feedNames(): void {
    const list = this.engine.names.list;
    while (this.#namesFed < list.length) this.#audit.addName(list[this.#namesFed++]!);
  }

  #print(fs: Finding[], when: string): void {
    for (const f of fs) {
      if (!LIVE_KINDS.has(f.kind) || this.#printed.has(f.id)) continue;
      this.#printed.add(f.id);
      this.counts[f.kind] = (this.counts[f.kind] ?? 0) + 1;
      this.#log(findingLine(f, when));
    }
  }

  /** A finished flow (expired, evicted, or flushed at the end). */
  readonly onFlow = (f: FlowRecord): void => {
    this.#finished++;
    this.#feedNames();
    this.#print(this.#audit.addFlow(f), 'flow ended');
  };

  packet(rec: Parameters<LivePipeline['packet']>[0]): void {
    this.engine.packet(rec);
    if (this.#newFlows.length > 0) {
      this.#feedNames();
      const t = this.engine.table;
      for (const id of this.#newFlows) {
        // A provisional record (first packet only): only an `unexpected` verdict is certain now.
        const fs = this.#audit.judgeNew(t.toRecord(id, false));
        this.#print(fs.filter((x) => x.kind === 'unexpected'), 'new flow');
      }
      this.#newFlows.length = 0;
    }
  }

  tick(nowSec: number, nowNsec: number): void {
    this.engine.expire(nowSec, nowNsec);
  }

  flush(): void {
    this.engine.flush();
    this.#feedNames();
  }

  summary(): string {
    const c = Object.entries(this.counts).map(([k, v]) => `${v} ${k}`).join(', ');
    return `${this.engine.table.size} flows active, ${this.#finished} finished; findings: ${c === '' ? 'none yet' : c}`;
  }
}

async function checkWritableTarget(file: string, what: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try { await access(dir, fsConstants.W_OK); } catch (e) {
    throw new UsageError('ERR_USAGE_OUTPUT', `${what} ${file}: cannot write in ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function liveSummary(r: LiveRunResult): InputSummary {
  const anomalies: Record<string, { count: number; first_packet: number }> = {};
  if (r.droppedByKernel !== null && r.droppedByKernel > 0) anomalies['capture.live.dropped_by_kernel'] = { count: r.droppedByKernel, first_packet: -1 };
  if (r.droppedByInterface !== null && r.droppedByInterface > 0) anomalies['capture.live.dropped_by_interface'] = { count: r.droppedByInterface, first_packet: -1 };
  if (r.truncated > 0) anomalies['capture.live.truncated'] = { count: r.truncated, first_packet: -1 };
  const end = r.tcpdumpInfo !== null && !r.tcpdumpInfo.end.clean
    ? { clean: false, code: r.tcpdumpInfo.end.code, offset: r.tcpdumpInfo.end.offset, reason: r.tcpdumpInfo.end.reason }
    : { clean: true, code: null, offset: 0, reason: null };
  const has = r.packets > 0;
  return {
    file: `live:${r.device}`, format: 'live', compressed: null, packets: r.packets, records: 0, bytes: r.bytes,
    firstSec: has ? r.firstSec : r.startSec, firstNsec: has ? r.firstNsec : r.startNsec,
    lastSec: has ? r.lastSec : r.endSec, lastNsec: has ? r.lastNsec : r.endNsec,
    anomalies, end,
  };
}

function dropText(r: LiveRunResult): string {
  if (r.engine === 'cap') return 'drops: not counted (the cap engine has no drop counter; use --engine tcpdump to count them)';
  const parts: string[] = [];
  parts.push(`${r.droppedByKernel ?? '?'} packets dropped by kernel`);
  if (r.droppedByInterface !== null) parts.push(`${r.droppedByInterface} dropped by interface`);
  return `tcpdump: ${parts.join(', ')}`;
}

/** Test hooks for runLive. */
export interface LiveDeps {
  /** A cap module to use instead of the installed one (tests use a fake). */
  cap?: CapModule;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
  /** Called once the capture is running. */
  onStarted?: () => void;
}

export function run(a: LiveArgs): Promise<number> {
  return runLive(a);
}

export async function runLive(a: LiveArgs, deps: LiveDeps = {}): Promise<number> {
  const log = deps.log ?? ((s: string): void => { process.stderr.write(`${s}\n`); });
  const flowOpts = flowOptionsOf(a);
  const audit = await liveAudit(a);
  if (a.write !== undefined) await checkWritableTarget(a.write, '--write');
  if (audit.outputPath !== undefined && audit.outputPath !== '-') await checkWritableTarget(audit.outputPath, '--output');

  const device = a.interface;
  const nameParsers = await loadNameParsers();
  let pipeline: AuditPipeline | null = null;
  const engine = new FlowEngine({
    onFlow: (f) => pipeline!.onFlow(f),
    nameParsers,
    maxFlows: flowOpts.maxFlows, vlanInKey: flowOpts.vlanInKey, timeouts: flowOpts.timeouts,
    communityIds: false, tunnelEndpoints: false, // (no finding shows a flow's Community ID or tunnel)
  });
  engine.addSource(0, `live:${device}`, 'live');
  pipeline = new AuditPipeline(engine, audit, log);

  const session = new LiveSession({
    device, filter: a.filter, engine: a.engine, bufferBytes: Math.round(a['buffer-size'] * 1024 * 1024),
    ...(a.duration !== undefined ? { durationSec: a.duration } : {}),
    reportEverySec: a['report-every'],
    ...(a.write !== undefined ? { writePath: a.write } : {}),
    log,
    ...(deps.cap !== undefined ? { cap: deps.cap } : {}),
    onStop: (why) => log(`flowaudit: stopping (${why}): finishing open flows and writing the report…`),
  }, pipeline);

  const result = await session.run((linkType, engineNote) => {
    const lt = LINK_TYPE_NAMES[linkType] ?? String(linkType);
    log(`flowaudit: capturing on ${device} (engine ${a.engine}, link type ${lt}${engineNote !== '' && engineNote !== lt ? ` / ${engineNote}` : ''}` +
      `${a.filter !== '' ? `, filter ${JSON.stringify(a.filter)}` : ''}${a.duration !== undefined ? `, for ${a.duration} s` : ''}` +
      `${a.write !== undefined ? `, writing ${a.write}` : ''}); Ctrl-C to stop`);
    deps.onStarted?.();
  });
  pipeline.flush();

  const input = liveSummary(result);
  input.anomalies = { ...(engine.anomalies[0]?.toJSON() ?? {}), ...input.anomalies };
  const warnings = [`live capture on ${device} with the ${result.engine} engine: ${dropText(result)}`];
  if (result.engine === 'cap') warnings.push('cap engine: timestamps were taken when each packet reached flowaudit (not the kernel\'s)');
  log(`flowaudit: capture ended (${result.stoppedBy}): ${result.packets} packets, ${result.bytes} bytes from ${formatTs(input.firstSec, input.firstNsec)} to ${formatTs(input.lastSec, input.lastNsec)}; ${dropText(result)}`);
  if (result.written !== null) log(`flowaudit: wrote ${result.written.packets} packets to ${result.written.path}`);
  if (result.error !== null) warnings.push(`the live capture ended on an error: ${result.error.message}`);
  const code = await audit.finishAndReport({ inputs: [input], evictions: engine.evictions }, warnings);
  if (result.error !== null) {
    log(`flowaudit: ${result.error.message}`);
    return ExitCode.Error;
  }
  return code;
}
