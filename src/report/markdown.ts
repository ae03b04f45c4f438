/** Markdown for a change ticket: verdict, inputs, findings table with explanations, coverage per table. */
import type { AuditReport } from '../audit/types.js';
import type { Reporter } from './reporter.js';
import { coverageByTable, endpoint, fmtSeconds, inputLine, safeText } from './text.js';

const cell = (s: string) => safeText(s).replace(/\|/g, '\\|');

export function markdownReporter(): Reporter {
  return {
    prolog(r: AuditReport) {
      const s = r.summary;
      const lines = [
        `# flowaudit: ${s.verdict}`,
        '',
        `Profile **${cell(r.profile.name)}**, inventory \`${cell(r.inventory)}\`, window ${r.window.first ?? '-'} → ${r.window.last ?? '-'} (${fmtSeconds(r.window.seconds)}).`,
        `Features declared: ${r.features.declared.join(', ') || 'none'}${r.features.inferred.length ? `; inferred: ${r.features.inferred.join(', ')}` : ''}. Fails on: ${s.fail_on.join(', ')}.`,
        '',
        '| kind | count |',
        '| --- | ---: |',
        ...Object.entries(s.counts).map(([k, v]) => `| ${k} | ${v} |`),
        '',
        '## Inputs',
        '',
        ...r.inputs.map((i) => `- ${cell(inputLine(i))}`),
        ...(r.warnings.length ? ['', '## Warnings', '', ...r.warnings.map((w) => `- ${cell(w)}`)] : []),
        '',
        '## Findings',
        '',
      ];
      if (r.findings.length === 0) lines.push('No findings.');
      else lines.push('| # | kind | severity | rule | flow | flows | explanation | id |', '| ---: | --- | --- | --- | --- | ---: | --- | --- |');
      return lines.join('\n') + '\n';
    },
    record(f, i, r) {
      const ports = f.resp_p ?? r.coverage.find((c) => c.rule === f.rule)?.ports ?? '';
      const flowText = f.orig_h === null
        ? `${f.orig_role.join('+')} → ${f.resp_role.join('+')} ${f.proto ?? ''} ${ports}`
        : `${f.proto}/${f.resp_p} ${endpoint(f.orig_h, f.orig_role)} → ${endpoint(f.resp_h, f.resp_role)}`;
      const rule = f.rule ? `${f.rule} (Table ${f.table} ${f.row})` : '—';
      return `| ${i + 1} | ${f.kind} | ${f.severity} | ${cell(rule)} | ${cell(flowText)} | ${f.flows} | ${cell(f.explanation)} | \`${f.id}\` |\n`;
    },
    epilog(r) {
      const lines = ['', '## Coverage', ''];
      for (const g of coverageByTable(r)) {
        lines.push(`### Table ${g.table} - ${cell(g.title)}`, '', '| rule | row | proto | ports | level | status | flows | note |', '| --- | --- | --- | --- | --- | --- | ---: | --- |');
        for (const c of g.rows) {
          const level = c.level === 'conditional' ? `conditional (${c.condition.join(' or ')})` : c.level;
          lines.push(`| ${c.rule} | ${cell(c.row)} | ${c.protocols.join('/').toUpperCase()} | ${c.ports} | ${level} | ${c.status} | ${c.flows} | ${cell(c.reason)} |`);
        }
        lines.push('');
      }
      return lines.join('\n');
    },
  };
}
