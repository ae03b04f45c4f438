/** Shared flow-table options: `--max-flows`, `--vlan-in-key`, `--timeout-*` (seconds of packet time). */
import type { Argv } from 'yargs';
import { availableParallelism } from 'node:os';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../../flow/timeouts.js';
import { DEFAULT_MAX_FLOWS } from '../../flow/table.js';
import { MAX_TABLE_FLOWS } from '../../flow/flow-core.js';
import { UsageError } from '../../core/errors.js';

export interface FlowArgs {
  'max-flows': number;
  'vlan-in-key': boolean;
  threads: number;
  'timeout-tcp'?: number;
  'timeout-tcp-attempt'?: number;
  'timeout-tcp-half-closed'?: number;
  'timeout-tcp-closed'?: number;
  'timeout-udp'?: number;
  'timeout-icmp'?: number;
  'timeout-other'?: number;
}

const TIMEOUT_OPTS: [keyof FlowArgs, keyof Timeouts, string][] = [
  ['timeout-tcp', 'tcpEstablished', 'idle timeout of an established (or mid-stream) TCP connection'],
  ['timeout-tcp-attempt', 'tcpAttempt', 'idle timeout of a TCP connection attempt (SYN, no answer)'],
  ['timeout-tcp-half-closed', 'tcpHalfClosed', 'idle timeout after one side sent FIN'],
  ['timeout-tcp-closed', 'tcpClosed', 'idle timeout after both FINs or a RST'],
  ['timeout-udp', 'udp', 'idle timeout of a UDP flow'],
  ['timeout-icmp', 'icmp', 'idle timeout of an ICMP flow'],
  ['timeout-other', 'other', 'idle timeout of other protocols'],
];

/** `--threads` as the flows command (and live) take it: reading and decoding in worker threads. */
const READ_THREADS = { default: 1, describe: 'Threads for reading capture files, this one included (2 or more: worker threads read and decode; same output)' };

/** `--threads` of the audit command: its default, 2 on a machine with 2 or more cores. */
export function auditThreadsDefault(): number {
  return Math.min(2, availableParallelism());
}

/** `--threads` of the flows command: the second thread formats (with --unsorted), the third and more read and decode. */
export const FLOWS_THREADS = {
  default: auditThreadsDefault(),
  describe: 'Threads, this one included (default: 2 on a machine with 2 or more cores). 2: with --unsorted the flows are formatted in a second thread while this one reads (and formats some itself when that thread is behind); sorted, the second thread helps format them once they are read; 3 or more: worker threads also read and decode. The same output whatever the number',
};

/** Threads that read and decode captures (this one included) when `threads` are given in all and the second one is busy elsewhere. */
export function readThreadsOf(threads: number): number {
  return Math.max(1, threads - 1);
}

export function withFlowOptions<T>(y: Argv<T>, threads: { default: number; describe: string } = READ_THREADS): Argv<T & FlowArgs> {
  let z = y
    .option('max-flows', {
      type: 'number', default: DEFAULT_MAX_FLOWS,
      describe: `Most flows held in memory (at most ${MAX_TABLE_FLOWS}); beyond it the least recently active flow is finished early (counted as an eviction)`,
    })
    .option('vlan-in-key', { type: 'boolean', default: false, describe: 'Treat the same 5-tuple on different VLANs as different flows' })
    .option('threads', { type: 'number', default: threads.default, describe: threads.describe }) as unknown as Argv<T & FlowArgs>;
  for (const [name, key, what] of TIMEOUT_OPTS) {
    z = z.option(name, { type: 'number', describe: `Seconds of packet time: ${what} (default ${DEFAULT_TIMEOUTS[key]})` }) as unknown as Argv<T & FlowArgs>;
  }
  return z;
}

/** Validated flow options for gatherEvidence. */
export function flowOptionsOf(a: FlowArgs): { maxFlows: number; vlanInKey: boolean; timeouts: Partial<Timeouts>; threads: number } {
  const maxFlows = a['max-flows'];
  if (!Number.isInteger(maxFlows) || maxFlows < 1 || maxFlows > MAX_TABLE_FLOWS) {
    throw new UsageError('usage.max_flows', `--max-flows must be a whole number from 1 to ${MAX_TABLE_FLOWS} (got ${String(maxFlows)})`);
  }
  const timeouts: Partial<Timeouts> = {};
  for (const [name, key] of TIMEOUT_OPTS) {
    const v = a[name] as number | undefined;
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v <= 0) throw new UsageError('usage.timeout', `--${name} must be a number of seconds > 0 (got ${String(v)})`);
    timeouts[key] = v;
  }
  const threads = a.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError('usage.threads', `--threads must be a whole number from 1 to 64 (got ${String(threads)})`);
  return { maxFlows, vlanInKey: a['vlan-in-key'], timeouts, threads };
}
