/**
 * Wraps every command handler: user errors (FlowauditError) print one line `flowaudit: …` and
 * exit 2 (or the error's exit code) without a stack trace; a broken stdout pipe (`| head`) ends
 * quietly. Handlers return the exit code; nothing else calls process.exit.
 */
import { isFlowauditError } from '../core/errors.js';
import { ExitCode } from './exit-codes.js';

let epipe = false;
function onStdoutError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') { epipe = true; process.exit(process.exitCode ?? ExitCode.Ok); }
  throw err;
}
process.stdout.on('error', onStdoutError);

export function stdoutBroken(): boolean {
  return epipe;
}

export function runHandler<A>(handler: (args: A) => Promise<number>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      const code = await handler(args);
      process.exitCode = code;
    } catch (e) {
      if (isFlowauditError(e)) {
        process.stderr.write(`flowaudit: ${e.message}\n`);
        process.exitCode = e.exitCode;
        return;
      }
      const err = e as NodeJS.ErrnoException;
      if (err && typeof err === 'object' && (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR')) {
        process.stderr.write(`flowaudit: ${err.message}\n`);
        process.exitCode = ExitCode.Error;
        return;
      }
      process.stderr.write(`flowaudit: internal error (please report): ${err?.stack ?? String(e)}\n`);
      process.exitCode = ExitCode.Error;
    }
  };
}
