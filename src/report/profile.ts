/** A rule profile printed the way the reference prints it: one table per reference table. */
import { formatPorts, type Profile, type Rule } from '../rules/profile.js';

const pad = (s: string, n: number) => (s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length));

function levelText(r: Rule): string {
  return r.level === 'conditional' ? `conditional (${r.condition.join(' or ')})` : r.level;
}

function protoText(r: Rule): string {
  return r.protocols.map((p) => (r.docOnly.includes(p) ? `${p.toUpperCase()}*` : p.toUpperCase())).join('/');
}

function hints(r: Rule): string {
  const h: string[] = [];
  if (r.cadenceMinutes === 0) h.push('continuous');
  else if (r.cadenceMinutes !== null) h.push(`every ${r.cadenceMinutes} min`);
  if (r.eventDriven) h.push('event-driven');
  if (r.cacheDependent) h.push('cache-dependent');
  if (r.rpcDynamic) h.push('after EPM 135');
  if (r.satisfiedBy.length) h.push(`or ${r.satisfiedBy.join('/')}`);
  return h.join(', ');
}

export function profileTables(p: Profile): Array<{ table: string; title: string; rules: Rule[] }> {
  const order = Object.keys(p.tables);
  const out = order.map((t) => ({ table: t, title: p.tables[t]!, rules: p.rules.filter((r) => r.table === t) })).filter((g) => g.rules.length > 0);
  return out;
}

export function profileText(p: Profile): string {
  const lines = [`Profile ${p.name}: ${p.title}`, `Source: ${p.source}`, ''];
  const w = (f: (r: Rule) => string, min: number) => Math.max(min, ...p.rules.map((r) => f(r).length)) + 1;
  const pair = (r: Rule) => `${r.initiator.join('/')} → ${r.responder.join('/')}`;
  const wId = w((r) => r.id, 4), wRow = w((r) => r.row, 8), wPorts = w((r) => formatPorts(r.ports), 5), wProto = w(protoText, 9), wPair = w(pair, 9), wLevel = w(levelText, 5);
  for (const g of profileTables(p)) {
    lines.push(`Table ${g.table} - ${g.title}`);
    lines.push(`  ${pad('RULE', wId)}${pad('PROTOCOL', wRow)}${pad('PORTS', wPorts)}${pad('TRANSPORT', wProto)}${pad('FROM → TO', wPair)}${pad('LEVEL', wLevel)}HINTS`);
    for (const r of g.rules) {
      lines.push(`  ${pad(r.id, wId)}${pad(r.row, wRow)}${pad(formatPorts(r.ports), wPorts)}${pad(protoText(r), wProto)}${pad(pair(r), wPair)}${pad(levelText(r), wLevel)}${hints(r)}`.trimEnd());
      if (r.description) lines.push(`      ${r.description}`);
      if (r.note) lines.push(`      note: ${r.note}`);
    }
    lines.push('');
  }
  lines.push('* doc-only transport: the reference lists it, the product never uses it (allowed; reported as doc-only).');
  lines.push(`Roles: ${Object.entries(p.roles).map(([k, v]) => `${k}${v.cloud ? ' (cloud)' : ''}`).join(', ')}`);
  lines.push(`Features: ${Object.keys(p.features).join(', ')}`);
  return lines.join('\n') + '\n';
}

/** The profile as a self-contained profile file (no `extends`): loading it gives the same rules. */
export function profileJson(p: Profile): string {
  const doc = {
    name: p.name,
    title: p.title,
    source: p.source,
    roles: Object.fromEntries(Object.entries(p.roles).map(([k, v]) => [k, { description: v.description, cloud: v.cloud }])),
    features: { ...p.features },
    tables: { ...p.tables },
    rules: p.rules.map((r) => ({
      id: r.id, table: r.table, row: r.row, initiator: r.initiator, responder: r.responder, protocols: r.protocols,
      ports: r.ports.map(([a, b]) => (a === b ? a : `${a}-${b}`)), level: r.level,
      ...(r.condition.length ? { condition: r.condition } : {}),
      cadence_minutes: r.cadenceMinutes, event_driven: r.eventDriven, cache_dependent: r.cacheDependent,
      ...(r.docOnly.length ? { doc_only: r.docOnly } : {}), rpc_dynamic: r.rpcDynamic,
      ...(r.satisfiedBy.length ? { satisfied_by: r.satisfiedBy } : {}), description: r.description, note: r.note,
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
