/** Shared output options: `--format` (choices given by the command) and `--output FILE` / `-o`. */
import type { Argv } from 'yargs';

export interface OutputArgs<F extends string = string> {
  format: F;
  output?: string;
}

export function withOutputOptions<T, F extends string>(y: Argv<T>, formats: readonly F[], def: F): Argv<T & OutputArgs<F>> {
  return y
    .option('format', { choices: formats, default: def, describe: 'Output format' })
    .option('output', {
      alias: 'o', type: 'string', requiresArg: true,
      describe: 'Write to FILE instead of stdout (written to a temporary file and renamed when complete)',
    }) as unknown as Argv<T & OutputArgs<F>>;
}
