/** `flowaudit live`: audit the traffic on an interface as it happens. */
import type { Argv, CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';
import { withFlowOptions, type FlowArgs } from '../../options/flow.js';
import { withPolicyOptions, type PolicyArgs } from '../../options/policy.js';
import { withAuditOutputOptions, type AuditOutputArgs } from '../../options/audit-output.js';

export type LiveArgs = LiveOwnArgs & FlowArgs & PolicyArgs & AuditOutputArgs;

export interface LiveOwnArgs {
  interface: string;
  filter: string;
  duration?: number;
  'report-every': number;
  write?: string;
  engine: 'cap' | 'tcpdump';
  'buffer-size': number;
}

export function withLiveOptions<T>(y: Argv<T>) {
  return y
    .option('interface', { alias: 'i', type: 'string', demandOption: true, describe: 'Interface to capture on (see `flowaudit interfaces`)' })
    .option('filter', { alias: 'f', type: 'string', default: '', describe: 'BPF capture filter (pcap-filter(7)), e.g. "host 10.0.0.5 and not port 22"' })
    .option('duration', { type: 'number', describe: 'Stop after this many seconds (default: run until Ctrl-C / SIGTERM)' })
    .option('report-every', { type: 'number', default: 60, describe: 'Seconds between rolling summaries on stderr (0: none)' })
    .option('write', { alias: 'w', type: 'string', describe: 'Also save the captured packets to this file (classic pcap, nanosecond timestamps)' })
    .option('engine', { choices: ['cap', 'tcpdump'] as const, default: 'cap' as const, describe: 'Capture engine: in-process libpcap (optional package `cap`) or a tcpdump child process' })
    .option('buffer-size', { type: 'number', default: 64, describe: 'Kernel capture buffer in MiB (small buffers lose packets at high rates)' })
    .check((a) => {
      if (typeof a.interface !== 'string' || a.interface.trim() === '') throw new Error('--interface needs a name (see `flowaudit interfaces`)');
      if (a.duration !== undefined && !(Number.isFinite(a.duration) && a.duration > 0)) throw new Error('--duration must be a number of seconds > 0');
      const re = a['report-every'];
      if (!(Number.isFinite(re) && re >= 0)) throw new Error('--report-every must be a number of seconds >= 0');
      const b = a['buffer-size'];
      if (!(Number.isFinite(b) && b >= 1 && b <= 2048)) throw new Error('--buffer-size must be between 1 and 2048 (MiB)');
      return true;
    });
}

export const liveCommand: CommandModule<object, LiveArgs> = {
  command: 'live',
  describe: 'Capture on an interface and audit as it goes (needs root or cap_net_raw,cap_net_admin)',
  builder: (y) => {
    const b = withAuditOutputOptions(withPolicyOptions(withFlowOptions(withLiveOptions(y))))
      // one capture stream: --threads (file ranges) does not apply
      .hide('threads')
      .check((a) => {
        if (typeof a.threads === 'number' && a.threads > 1) throw new Error('--threads applies to capture files, not to live capture');
        return true;
      })
      .example('$0 live -i eth0 --inventory inv.json', 'Audit until Ctrl-C, findings as they become certain, full report at the end')
      .example('$0 live -i eth0 --inventory inv.json --duration 3600 --write eth0.pcap --fail-on blocked', 'One hour, keep the packets (re-audit later with `flowaudit audit eth0.pcap`)')
      .example('$0 live -i eth0 --engine tcpdump --filter "not port 22"', 'Capture through tcpdump (kernel timestamps and drop counts)');
    return b as never;
  },
  handler: runHandler(async (a: LiveArgs) => (await import('./handler.js')).run(a)),
};
