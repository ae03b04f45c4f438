/** Shared audit-report options: `--format text|json|ndjson|markdown`, `--output FILE`, `--fail-on KINDS`. */
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_FAIL_ON, FINDING_KINDS, type FindingKind } from '../../audit/types.js';
import { REPORT_FORMATS, type ReportFormat } from '../../report/reporter.js';
import { withOutputOptions, type OutputArgs } from './output.js';

export interface AuditOutputArgs extends OutputArgs<ReportFormat> {
  'fail-on': string[];
}

export function withAuditOutputOptions<T>(y: Argv<T>): Argv<T & AuditOutputArgs> {
  return withOutputOptions(y, REPORT_FORMATS, 'text')
    .option('fail-on', {
      type: 'string', array: true, default: DEFAULT_FAIL_ON.join(','),
      describe: `Finding kinds that make the exit code 1 (comma-separated; "none" for never): ${FINDING_KINDS.join(', ')}. Info-severity findings never fail.`,
      coerce: (v: string[] | string) => (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== ''),
    }) as unknown as Argv<T & AuditOutputArgs>;
}

export function failOnOf(a: Pick<AuditOutputArgs, 'fail-on'>): FindingKind[] {
  const raw = a['fail-on'];
  const list = typeof raw === 'string' ? String(raw).split(',') : raw;
  if (list.length === 1 && list[0] === 'none') return [];
  const out: FindingKind[] = [];
  for (const k of list) {
    if (!(FINDING_KINDS as readonly string[]).includes(k)) throw new UsageError('usage.fail_on', `--fail-on: unknown finding kind "${k}"; expected a comma-separated list of: ${FINDING_KINDS.join(', ')} (or "none")`);
    if (!out.includes(k as FindingKind)) out.push(k as FindingKind);
  }
  return out;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream, toFile: boolean): boolean {
  return !toFile && stream.isTTY === true && (process.env.NO_COLOR ?? '') === '';
}
