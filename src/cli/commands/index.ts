/**
 * The command tree. Each command lives in commands/<name>/command.ts (describe + builder) and
 * imports its handler lazily. Add one line per command here.
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
