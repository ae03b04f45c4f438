/** `flowaudit rules`: print a rule profile as the reference's tables (or as JSON). */
import type { Argv, CommandModule } from 'yargs';
import { runHandler } from '../../run-handler.js';
import { withOutputOptions, type OutputArgs } from '../../options/output.js';
import { BUILTIN_PROFILES, DEFAULT_PROFILE } from '../../../rules/profile.js';

export interface RulesArgs extends OutputArgs<'text' | 'json'> { profile: string }

export const rulesCommand: CommandModule<object, RulesArgs> = {
  command: 'rules',
  describe: 'Print a rule profile (built-in or a file) as the reference\'s tables, after validation',
  builder: (y: Argv<object>) => {
    const b = withOutputOptions(y.option('profile', {
      type: 'string', default: DEFAULT_PROFILE, requiresArg: true,
      describe: `Built-in profile (${BUILTIN_PROFILES.join(', ')}) or a profile JSON file`,
    }), ['text', 'json'] as const, 'text')
      .example('$0 rules', 'The default profile (the seed\'s tables)')
      .example('$0 rules --profile entra-connect-2025 --format json', 'The current page, normalised JSON (a starting point for your own profile)')
      .example('$0 rules --profile my-profile.json', 'Validate your profile and show what it allows');
    return b as never;
  },
  handler: runHandler(async (a: RulesArgs) => (await import('./handler.js')).run(a)),
};
