/**
 * Reporters turn an AuditReport into text: prolog (the head), one record per finding, epilog (the
 * tail). No business logic here: everything they print is already in the report, in its order.
 */
import type { AuditReport, Finding } from '../audit/types.js';
import { jsonReporter, ndjsonReporter } from './json.js';
import { markdownReporter } from './markdown.js';
import { textReporter } from './text.js';

export interface ReportStyle {
  /** ANSI colour (the CLI turns it on only for a TTY without NO_COLOR). */
  color: boolean;
  /** Terminal width for the text reporter (default 100). */
  width?: number;
}

export interface Reporter {
  prolog(r: AuditReport): string;
  record(f: Finding, index: number, r: AuditReport): string;
  epilog(r: AuditReport): string;
}

export const REPORT_FORMATS = ['text', 'json', 'ndjson', 'markdown'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function reporterFor(format: ReportFormat, style: ReportStyle = { color: false }): Reporter {
  switch (format) {
    case 'json': return jsonReporter();
    case 'ndjson': return ndjsonReporter();
    case 'markdown': return markdownReporter();
    default: return textReporter(style);
  }
}

/** Drive a reporter over a report, handing each chunk to `write`. */
export function writeReport(r: AuditReport, reporter: Reporter, write: (chunk: string) => void): void {
  write(reporter.prolog(r));
  r.findings.forEach((f, i) => write(reporter.record(f, i, r)));
  write(reporter.epilog(r));
}

/** The whole report as one string. */
export function renderReport(r: AuditReport, format: ReportFormat, style: ReportStyle = { color: false }): string {
  let out = '';
  writeReport(r, reporterFor(format, style), (c) => { out += c; });
  return out;
}
