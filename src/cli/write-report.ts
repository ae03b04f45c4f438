/** Render an audit report in the chosen format and write it safely; the exit code follows its verdict. */
import { ExitCode } from './exit-codes.js';
import { useColor } from './options/audit-output.js';
import { openOutput } from '../report/output.js';
import { reporterFor, writeReport } from '../report/reporter.js';
import type { AuditReport } from '../audit/types.js';

export async function writeAuditReport(report: AuditReport, a: { format: Parameters<typeof reporterFor>[0]; output?: string | undefined }): Promise<number> {
  const out = await openOutput(a.output);
  try {
    const reporter = reporterFor(a.format, { color: useColor(process.stdout, out.path !== undefined), width: Math.min(120, process.stdout.columns || 100) });
    const chunks: string[] = [];
    writeReport(report, reporter, (c) => { chunks.push(c); });
    for (const c of chunks) await out.write(c);
    await out.end();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return report.summary.verdict === 'FAIL' ? ExitCode.Findings : ExitCode.Ok;
}
