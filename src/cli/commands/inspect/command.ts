/** `flowaudit inspect <capture...>`: what is in a capture file, and whether it was read to the end. */
import type { CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';

export interface InspectArgs {
  captures: string[];
  format: 'text' | 'json';
  'max-block-size'?: number;
  'max-record-length'?: number;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <captures..>',
  describe: 'Describe capture files (pcap, pcapng, gzip; `-` for stdin): format, interfaces, packets, time span, decode outcomes, damage',
  builder: (y) =>
    y
      .positional('captures', { type: 'string', array: true, demandOption: true, describe: 'Capture files (format detected from the bytes), `-` for standard input' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format (json: one object with one entry per file)' })
      .option('max-block-size', { type: 'number', describe: 'Largest pcapng block accepted, in bytes (default 16 MiB)' })
      .option('max-record-length', { type: 'number', describe: 'Largest packet record accepted, in bytes (default 262144, like libpcap)' })
      .check((a) => {
        for (const k of ['max-block-size', 'max-record-length'] as const) {
          const v = a[k];
          if (v !== undefined && !(Number.isInteger(v) && v >= 16)) throw new Error(`--${k} must be an integer >= 16`);
        }
        return true;
      })
      .example('$0 inspect dc1.pcapng', 'Format, interfaces, packets, time span, decode outcomes')
      .example('tcpdump -i eth0 -w - | $0 inspect -', 'Read a capture from standard input')
      .example('$0 inspect a.pcap b.pcap.gz --format json', 'Machine-readable, one entry per file') as never,
  handler: runHandler(async (a: InspectArgs) => (await import('./handler.js')).run(a)),
};
