/**
 * The default report for a terminal: the verdict and counts first (one screen), then coverage as
 * one table per reference table, then each finding with its explanation and evidence.
 */
import type { AuditReport, CoverageEntry, Finding, InputReport } from '../audit/types.js';
import type { Reporter, ReportStyle } from './reporter.js';
import { safeText } from '../core/text.js';

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
type Colour = keyof typeof ANSI;

export { safeText } from '../core/text.js';

export function painter(color: boolean): (c: Colour, s: string) => string {
  return color ? (c, s) => `\u001b[${ANSI[c]}m${s}\u001b[0m` : (_c, s) => s;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function fmtSeconds(s: number): string {
  if (s < 120) return `${Math.round(s * 10) / 10} s`;
  if (s < 7200) return `${Math.round(s / 6) / 10} min`;
  return `${Math.round(s / 360) / 10} h`;
}

export function inputLine(i: InputReport): string {
  const what = i.records > 0 ? `${i.records} records` : `${i.packets} packets`;
  const end = i.end.clean ? 'clean' : `DAMAGED at byte ${i.end.offset}: ${i.end.reason ?? i.end.code ?? 'unknown'}`;
  const an = Object.entries(i.anomalies);
  const anText = an.length ? `, ${an.reduce((n, [, v]) => n + v.count, 0)} anomalies (${an.map(([k, v]) => `${k} ×${v.count}`).slice(0, 3).join(', ')}${an.length > 3 ? ', …' : ''})` : '';
  return safeText(`${i.file} (${i.format ?? 'unrecognised'}${i.compressed ? `+${i.compressed}` : ''}): ${what}, ${fmtBytes(i.bytes)}, ${fmtSeconds(i.seconds)}, ${end}${anText}`);
}

export function endpoint(h: string | null, roles: string[]): string {
  const r = roles.length ? roles.join('+') : 'no role';
  return h === null ? r : `${r} ${h}`;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padL = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function coverageByTable(r: AuditReport): Array<{ table: string; title: string; rows: CoverageEntry[] }> {
  const out: Array<{ table: string; title: string; rows: CoverageEntry[] }> = [];
  for (const c of r.coverage) {
    let g = out.find((x) => x.table === c.table);
    if (g === undefined) { g = { table: c.table, title: r.profile.tables[c.table] ?? '', rows: [] }; out.push(g); }
    g.rows.push(c);
  }
  return out;
}

export function textReporter(style: ReportStyle): Reporter {
  const p = painter(style.color);
  const width = style.width ?? 100;
  const kindColour = (k: Finding['kind']): Colour =>
    k === 'unexpected' || k === 'missing' ? 'red' : k === 'blocked' ? 'magenta' : k === 'unknown-host' ? 'yellow' : 'gray';
  const statusColour = (s: CoverageEntry['status']): Colour =>
    s === 'seen' ? 'green' : s === 'missing' ? 'red' : s === 'blocked' ? 'magenta' : 'gray';
  const wrap = (text: string, indentBy: number): string => {
    const words = safeText(text).split(' ');
    const lines: string[] = [];
    let line = '';
    for (const w of words) {
      if (line.length + w.length + 1 > width - indentBy && line !== '') { lines.push(line); line = w; }
      else line = line ? `${line} ${w}` : w;
    }
    if (line) lines.push(line);
    return lines.map((l) => ' '.repeat(indentBy) + l).join('\n');
  };

  return {
    prolog(r) {
      const s = r.summary;
      const c = s.counts;
      const verdict = s.verdict === 'PASS' ? p('green', p('bold', 'PASS')) : p('red', p('bold', 'FAIL'));
      const failing = s.fail_on.map((k) => `${c[k]} ${k}`).join(', ');
      const others = (Object.keys(c) as Array<keyof typeof c>).filter((k) => !s.fail_on.includes(k)).map((k) => `${c[k]} ${k}`).join(', ');
      const lines = [
        `${verdict}  ${failing}  (fail on: ${s.fail_on.join(', ') || 'nothing'}; info findings never fail)`,
        `      also ${others}`,
        safeText(`Profile: ${r.profile.name}${r.profile.origin.startsWith('builtin:') ? '' : ` (${r.profile.origin})`}  Inventory: ${r.inventory}`),
        `Features: ${r.features.declared.join(', ') || 'none declared'}${r.features.inferred.length ? `; inferred from traffic: ${r.features.inferred.join(', ')}` : ''}`,
        `Window: ${r.window.first ?? '-'} → ${r.window.last ?? '-'} (${fmtSeconds(r.window.seconds)}); flows ${s.flows.total}: ${s.flows.audited} audited, ${s.flows.out_of_scope} between addresses in no role, ${s.flows.not_ip_tcp_udp} not TCP/UDP${s.flows.evicted ? `, ${s.flows.evicted} evicted early (--max-flows)` : ''}`,
      ];
      for (const i of r.inputs) lines.push(`Input: ${i.end.clean ? '' : p('red', '')}${inputLine(i)}`);
      for (const w of r.warnings) lines.push(p('yellow', safeText(`Warning: ${w}`)));
      lines.push('');
      const levelOf = (x: CoverageEntry) => (x.level === 'conditional' ? `cond:${x.condition.join('/')}` : x.level);
      const w = (f: (x: CoverageEntry) => string, min: number) => Math.max(min, ...r.coverage.map((x) => f(x).length)) + 1;
      const wRule = w((x) => x.rule, 4), wRow = w((x) => x.row, 3), wProto = w((x) => x.protocols.join('/'), 5), wPorts = w((x) => x.ports, 5), wLevel = w(levelOf, 5);
      for (const g of coverageByTable(r)) {
        lines.push(p('bold', `Table ${g.table} - ${g.title}`));
        lines.push(p('gray', `  ${pad('RULE', wRule)}${pad('ROW', wRow)}${pad('PROTO', wProto)}${pad('PORTS', wPorts)}${pad('LEVEL', wLevel)}${pad('STATUS', 15)}${padL('FLOWS', 6)}  NOTE`));
        for (const x of g.rows) {
          const status = p(statusColour(x.status), pad(x.status, 15));
          const note = [x.blocked ? `${x.blocked} blocked` : '', x.doc_only ? `${x.doc_only} doc-only` : '', x.reason].filter((s) => s !== '').join('; ');
          lines.push(`  ${pad(safeText(x.rule), wRule)}${pad(safeText(x.row), wRow)}${pad(x.protocols.join('/').toUpperCase(), wProto)}${pad(x.ports, wPorts)}${pad(safeText(levelOf(x)), wLevel)}${status}${padL(String(x.flows), 6)}  ${safeText(note)}`.trimEnd());
        }
        lines.push('');
      }
      lines.push(r.findings.length === 0 ? 'No findings.' : p('bold', `Findings (${r.findings.length})`));
      return lines.join('\n') + '\n';
    },
    record(f, i, r) {
      const ports = f.resp_p ?? r.coverage.find((c) => c.rule === f.rule)?.ports ?? '';
      const head = f.orig_h === null
        ? `${endpoint(null, f.orig_role)} → ${endpoint(null, f.resp_role)}  ${f.proto ?? ''} ${ports}`
        : `${f.proto}/${f.resp_p}  ${endpoint(f.orig_h, f.orig_role)} → ${endpoint(f.resp_h, f.resp_role)}`;
      const rule = f.rule ? `  [${f.rule}, Table ${f.table} ${f.row}]` : '';
      const lines = [`${padL(String(i + 1), 3)}. ${p(kindColour(f.kind), p('bold', f.kind.toUpperCase()))} ${f.severity}  ${safeText(head + rule)}  ${p('gray', f.id)}`];
      lines.push(wrap(f.explanation, 6));
      if (f.flows > 0) {
        const e = f.evidence;
        const states = Object.entries(e.conn_states).map(([k, v]) => `${k}×${v}`).join(' ');
        const icmp = e.icmp.map((x) => `${x.proto} ${x.type}/${x.code} from ${x.from} ×${x.count}`).join(', ');
        lines.push(p('gray', safeText(`      evidence: ${f.flows} flow${f.flows === 1 ? '' : 's'} ${f.first} → ${f.last}; states ${states}${icmp ? `; ICMP ${icmp}` : ''}; ${e.orig_pkts}/${e.resp_pkts} pkts; from ${e.sources.join(', ')}`)));
        if (e.peers) lines.push(p('gray', safeText(`      peers (${e.peer_count}): ${e.peers.join(', ')}${(e.peer_count ?? 0) > e.peers.length ? ', …' : ''}`)));
        for (const n of e.notes) lines.push(p('gray', wrap(`note: ${n}`, 6)));
      }
      return lines.join('\n') + '\n';
    },
    epilog(r) {
      const damaged = r.inputs.filter((i) => !i.end.clean);
      if (damaged.length === 0) return '';
      return '\n' + damaged.map((i) => p('red', safeText(`Damaged input: ${i.file} at byte ${i.end.offset}: ${i.end.reason ?? i.end.code ?? 'unknown'} (flows up to that point were audited)`))).join('\n') + '\n';
    },
  };
}
