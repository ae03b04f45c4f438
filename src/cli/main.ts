#!/usr/bin/env node
/** flowaudit's command-line entry point (the package's `bin`). */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { VERSION } from '../version.js';

/** --help, or -h alone or among short flags, before a lone `--`. */
function wantsHelp(argv: readonly string[]): boolean {
  for (const x of argv) {
    if (x === '--') return false;
    if (x === '--help' || (/^-[a-zA-Z]+$/.test(x) && x.includes('h'))) return true;
  }
  return false;
}

export function buildCli(argv: string[]) {
  let y = yargs(argv)
    .scriptName('flowaudit')
    .usage('$0 <command> [options]\n\nProve from packets that a Microsoft hybrid-identity deployment opens exactly the ports in Microsoft\'s reference.')
    .version(VERSION)
    .alias('h', 'help')
    .strict()
    .demandCommand(1, `Name a command: ${commands.map((c) => String(c.command).split(' ')[0]).join(', ')}.`)
    .recommendCommands()
    // yargs renders the command's help after starting its handler (to show it later on request),
    // 40–80 ms of text wrapping on the main thread while the audit starts: wrap only when help is asked for
    .wrap(wantsHelp(argv) ? Math.min(110, process.stdout.columns || 100) : null)
    .epilog('Exit codes: 0 success, 1 the audit found what --fail-on names, 2 usage error or unreadable input.\nDocumentation: README.md')
    .fail((msg, err) => {
      // Errors thrown from builders and .check() are usage errors: one line, exit 2, no stack.
      const text = err ? err.message : msg;
      process.stderr.write(`flowaudit: ${text}\nRun 'flowaudit --help' for usage.\n`);
      process.exit(ExitCode.Error);
    });
  for (const c of commands) y = y.command(c);
  if (!wantsHelp(argv)) skipHelpCache(y);
  return y;
}

/**
 * yargs renders a command's whole help text right after starting its handler, to print it should
 * the handler fail. Our .fail() never prints help, and --help renders it anew, so that rendering
 * (20–30 ms of text measuring while the audit starts) is skipped. This reaches into yargs' internal
 * usage object; if its shape ever changes, nothing is skipped and nothing else changes.
 */
function skipHelpCache(y: object): void {
  type Internal = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (y as Internal).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/flowaudit') || process.argv[1]?.endsWith('cli/main.js') || process.argv[1]?.endsWith('bin/flowaudit.js') || process.argv[1]?.endsWith('cli/main.ts')) {
  await buildCli(hideBin(process.argv)).parseAsync();
}
