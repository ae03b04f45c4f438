/** Shared input options: `--input-format` (skip detection and read every input as one format). */
import type { Argv } from 'yargs';
import { EVIDENCE_FORMATS } from '../../evidence/index.js';
import type { EvidenceKind } from '../../flow/record.js';

export const INPUT_FORMATS = ['auto', 'pcap', 'pcapng', ...EVIDENCE_FORMATS] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface InputArgs {
  inputs: string[];
  'input-format': InputFormat;
}

/**
 * yargs drops a lone `-` (stdin) from array positionals; put it back where it stood among the
 * inputs, from the raw command line.
 */
export function restoreStdinInput(inputs: string[], raw: readonly string[] = process.argv.slice(2)): string[] {
  if (!raw.includes('-') || inputs.includes('-')) return inputs;
  const known = new Set(inputs);
  const out: string[] = [];
  for (const t of raw) if (t === '-' || known.has(t)) { if (t === '-' || !out.includes(t)) out.push(t); }
  for (const i of inputs) if (!out.includes(i)) out.push(i);
  return out;
}

/** Adds the `<input...>` positional and `--input-format`. */
export function withInputOptions<T>(y: Argv<T>): Argv<T & InputArgs> {
  return y
    .middleware((argv) => {
      const a = argv as unknown as { inputs?: string[] };
      if (Array.isArray(a.inputs)) a.inputs = restoreStdinInput(a.inputs);
    }, true)
    .positional('inputs', {
      describe: 'Capture files (pcap, pcapng, gzip-compressed too; "-" for stdin) and flow-log files or folders (Azure NSG/VNet, AWS VPC, Zeek conn.log, Suricata eve.json)',
      type: 'string', array: true, demandOption: true,
    })
    .option('input-format', {
      choices: INPUT_FORMATS, default: 'auto' as const,
      describe: 'Read every input as this format instead of detecting it from the first bytes',
    }) as unknown as Argv<T & InputArgs>;
}

/** The forced evidence kind, or undefined for detection. */
export function inputFormatOf(a: InputArgs): EvidenceKind | undefined {
  const f = a['input-format'];
  return f === 'auto' ? undefined : f;
}
