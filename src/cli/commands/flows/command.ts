/** `flowaudit flows <input...>`: one record per bidirectional flow (Zeek conn.log field names). */
import type { CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';
import { withInputOptions, type InputArgs } from '../../options/input.js';
import { withFlowOptions, type FlowArgs } from '../../options/flow.js';
import { withOutputOptions, type OutputArgs } from '../../options/output.js';
import { FLOW_FORMATS, type FlowFormat } from '../../../report/flows/writer.js';

export type FlowsArgs = InputArgs & FlowArgs & OutputArgs<FlowFormat>;

export const flowsCommand: CommandModule<object, FlowsArgs> = {
  command: 'flows <inputs...>',
  describe: 'List every flow (one record per bidirectional connection) with originator, conn_state and history',
  builder: (y) => withOutputOptions(withFlowOptions(withInputOptions(y)), FLOW_FORMATS, 'ndjson')
    .example('$0 flows capture.pcapng', 'NDJSON, one flow per line, sorted by first packet')
    .example('$0 flows a.pcap b.pcap --format text', 'A readable table of the merged captures')
    .example('$0 flows dc.pcap --format zeek-json -o conn.json', 'Zeek conn.log JSON, written safely to conn.json') as never,
  handler: runHandler(async (a: FlowsArgs) => (await import('./handler.js')).run(a)),
};
