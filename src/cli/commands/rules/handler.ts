/** The rules command: load (and so validate) a profile, print it. */
import { loadProfile } from '../../../rules/profile.js';
import { profileJson, profileText } from '../../../report/profile.js';
import { openOutput } from '../../../report/output.js';
import { ExitCode } from '../../exit-codes.js';
import type { RulesArgs } from './command.js';

export async function run(a: RulesArgs): Promise<number> {
  const p = await loadProfile(a.profile);
  const out = await openOutput(a.output);
  try {
    await out.write(a.format === 'json' ? profileJson(p) : profileText(p));
    await out.end();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return ExitCode.Ok;
}
