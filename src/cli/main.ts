#!/usr/bin/env node
/** flowaudit's command-line entry point (the package's `bin`). */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { VERSION } from '../version.js';

export function buildCli(argv: string[]) {
  let y = yargs(argv)
    .scriptName('flowaudit')
    .usage('$0 <command> [options]\n\nProve from packets that a Microsoft hybrid-identity deployment opens exactly the ports in Microsoft\'s reference.')
    .version(VERSION)
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'Name a command (see the list above).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilog('Exit codes: 0 success, 1 the audit found what --fail-on names, 2 usage error or unreadable input.\nDocumentation: README.md')
    .fail((msg, err) => {
      // Errors thrown from builders and .check() are usage errors: one line, exit 2, no stack.
      const text = err ? err.message : msg;
      process.stderr.write(`flowaudit: ${text}\nRun 'flowaudit --help' for usage.\n`);
      process.exit(ExitCode.Error);
    });
  for (const c of commands) y = y.command(c);
  return y;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/flowaudit') || process.argv[1]?.endsWith('cli/main.js') || process.argv[1]?.endsWith('cli/main.ts')) {
  await buildCli(hideBin(process.argv)).parseAsync();
}
