/** `flowaudit flows <input...>`: one record per bidirectional flow (Zeek conn.log field names). */
import type { CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';
import { withInputOptions, type InputArgs } from '../../options/input.js';
import { FLOWS_THREADS, withFlowOptions, type FlowArgs } from '../../options/flow.js';
import { withOutputOptions, type OutputArgs } from '../../options/output.js';
import { FLOW_FORMATS, type FlowFormat } from '../../../report/flows/writer.js';

export type FlowsArgs = InputArgs & FlowArgs & OutputArgs<FlowFormat> & { unsorted?: boolean };

export const flowsCommand: CommandModule<object, FlowsArgs> = {
  command: 'flows <inputs...>',
  describe: 'List every flow (one record per bidirectional connection) with originator, conn_state and history',
  builder: (y) => withOutputOptions(withFlowOptions(withInputOptions(y), FLOWS_THREADS), FLOW_FORMATS, 'ndjson')
    .option('unsorted', {
      type: 'boolean', default: false,
      describe: 'Write each flow as soon as it finishes (idle timeout, close, end of input) instead of sorting by first packet: memory then grows with the flows open at once, not with the capture',
    })
    .example('$0 flows capture.pcapng', 'NDJSON, one flow per line, sorted by first packet')
    .example('$0 flows a.pcap b.pcap --format text', 'A readable table of the merged captures')
    .example('$0 flows dc.pcap --format zeek-json -o conn.json', 'Zeek conn.log JSON, written safely to conn.json')
    .example('$0 flows huge.pcap --unsorted | gzip > flows.ndjson.gz', 'Stream flows as they finish (bounded memory)') as never,
  handler: runHandler(async (a: FlowsArgs) => (await import('./handler.js')).run(a)),
};
