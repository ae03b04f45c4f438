/**
 * The command tree. Each command lives in commands/<name>/command.ts (describe + builder) and
 * imports its handler lazily. Add one line per command here.
 */
import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [];
import { flowsCommand } from './flows/command.js'; commands.push(flowsCommand);
import { auditCommand } from './audit/command.js'; commands.push(auditCommand);
import { rulesCommand } from './rules/command.js'; commands.push(rulesCommand);
import { inspectCommand } from './inspect/command.js'; commands.push(inspectCommand);
import { liveCommand } from './live/command.js'; commands.push(liveCommand);
import { interfacesCommand } from './interfaces/command.js'; commands.push(interfacesCommand);
