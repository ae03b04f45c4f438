/**
 * JSON (one document) and NDJSON (one finding per line). Key order is fixed here, field by field,
 * so output is byte-identical across runs. Schema: /work/notes/audit.md ("JSON report schema").
 */
import type { AuditReport, CoverageEntry, Finding, InputReport } from '../audit/types.js';
import type { Reporter } from './reporter.js';
import reportSchema from './report.schema.json' with { type: 'json' };

export const JSON_SCHEMA_VERSION = 1;

/** The JSON Schema of the `--format json` document (shipped in dist/report/report.schema.json too). */
export const REPORT_SCHEMA: unknown = reportSchema;

export function orderFinding(f: Finding): Record<string, unknown> {
  const e = f.evidence;
  const evidence: Record<string, unknown> = {
    conn_states: e.conn_states,
    icmp: e.icmp.map((i) => ({ proto: i.proto, type: i.type, code: i.code, from: i.from, count: i.count })),
    sources: e.sources,
    inputs: e.inputs,
    answered: e.answered,
    no_answer: e.no_answer,
    refused: e.refused,
    icmp_unreachable: e.icmp_unreachable,
    denied: e.denied,
    orig_pkts: e.orig_pkts,
    resp_pkts: e.resp_pkts,
    orig_bytes: e.orig_bytes,
    resp_bytes: e.resp_bytes,
    direction_inferred: e.direction_inferred,
    notes: e.notes,
  };
  if (e.peers !== undefined) { evidence.peers = e.peers; evidence.peer_count = e.peer_count ?? e.peers.length; }
  return {
    id: f.id, kind: f.kind, severity: f.severity, rule: f.rule, table: f.table, row: f.row, level: f.level,
    proto: f.proto, orig_h: f.orig_h, orig_role: f.orig_role, resp_h: f.resp_h, resp_role: f.resp_role, resp_p: f.resp_p,
    flows: f.flows, first: f.first, last: f.last, evidence, explanation: f.explanation,
  };
}

function orderInput(i: InputReport): Record<string, unknown> {
  return {
    file: i.file, format: i.format, compressed: i.compressed, packets: i.packets, records: i.records, bytes: i.bytes,
    first: i.first, last: i.last, seconds: i.seconds,
    anomalies: Object.fromEntries(Object.keys(i.anomalies).sort().map((k) => [k, { count: i.anomalies[k]!.count, first_packet: i.anomalies[k]!.first_packet }])),
    end: { clean: i.end.clean, code: i.end.code, offset: i.end.offset, reason: i.end.reason },
  };
}

function orderCoverage(c: CoverageEntry): Record<string, unknown> {
  return {
    rule: c.rule, table: c.table, row: c.row, level: c.level, condition: c.condition, protocols: c.protocols, ports: c.ports,
    status: c.status, flows: c.flows, blocked: c.blocked, doc_only: c.doc_only, reason: c.reason,
  };
}

function head(r: AuditReport): Record<string, unknown> {
  return {
    schema: JSON_SCHEMA_VERSION,
    tool: r.tool,
    version: r.version,
    profile: { name: r.profile.name, title: r.profile.title, source: r.profile.source, origin: r.profile.origin },
    inventory: r.inventory,
    features: { declared: r.features.declared, inferred: r.features.inferred },
    inputs: r.inputs.map(orderInput),
    window: { first: r.window.first, last: r.window.last, seconds: r.window.seconds },
    summary: {
      verdict: r.summary.verdict,
      fail_on: r.summary.fail_on,
      counts: { ...r.summary.counts },
      flows: { ...r.summary.flows },
      damaged_inputs: r.summary.damaged_inputs,
    },
  };
}

const indent = (s: string, pad: string) => s.replace(/\n/g, `\n${pad}`);

export function jsonReporter(): Reporter {
  return {
    prolog(r) {
      const h = JSON.stringify(head(r), null, 2);
      return `${h.slice(0, h.lastIndexOf('\n}'))},\n  "findings": [`;
    },
    record(f, i) {
      return `${i === 0 ? '' : ','}\n    ${indent(JSON.stringify(orderFinding(f), null, 2), '    ')}`;
    },
    epilog(r) {
      const close = r.findings.length === 0 ? ']' : '\n  ]';
      const cov = indent(JSON.stringify(r.coverage.map(orderCoverage), null, 2), '  ');
      const warn = indent(JSON.stringify(r.warnings, null, 2), '  ');
      return `${close},\n  "coverage": ${cov},\n  "warnings": ${warn}\n}\n`;
    },
  };
}

export function ndjsonReporter(): Reporter {
  return {
    prolog: () => '',
    record: (f) => `${JSON.stringify(orderFinding(f))}\n`,
    epilog: () => '',
  };
}
