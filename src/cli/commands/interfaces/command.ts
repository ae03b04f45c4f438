/** `flowaudit interfaces`: list the capture interfaces (for `live --interface`). */
import type { CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';

export interface InterfacesArgs {
  format: 'text' | 'json';
}

export const interfacesCommand: CommandModule<object, InterfacesArgs> = {
  command: 'interfaces',
  describe: 'List the interfaces live capture can use, with their addresses and flags',
  builder: (y) => y
    .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
    .example('$0 interfaces', 'Names, flags and addresses, one interface per line')
    .example('$0 interfaces --format json', 'The same as JSON') as never,
  handler: runHandler(async (a: InterfacesArgs) => (await import('./handler.js')).run(a)),
};
