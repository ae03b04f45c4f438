/**
 * Evidence that arrives as flow records rather than packets: cloud flow logs (Azure NSG v1/v2,
 * Azure VNet v4, AWS VPC), Zeek conn.log and Suricata eve.json flow events.
 *
 * - detectEvidence(first, file): which format the first bytes (~64 KiB, gzip inflated here if
 *   needed) show, or null.
 * - detectEvidencePath(path): the same for a file or a directory (first recognised file).
 * - readEvidenceFile(path, kind, onFlow): stream a file, or every file of that format under a
 *   directory (recursively, in path order, so hourly blobs come in time order and flows that
 *   span files merge), calling onFlow once per merged flow.
 * - EVIDENCE_FORMATS: the names `--input-format` accepts for these readers.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipHead, readFileHead } from '../capture/source.js';
import { Anomalies } from '../core/anomalies.js';
import { CaptureFormatError, UsageError } from '../core/errors.js';
import type { FlowRecord, EvidenceKind } from '../flow/record.js';
import { AzureFlowLogReader } from './azure.js';
import { AwsVpcReader } from './aws.js';
import { ZeekConnReader } from './zeek.js';
import { SuricataEveReader } from './suricata.js';
import type { EndState } from './common.js';
import { isGzipFile, isGzipHead } from './input.js';

/** Flow-record formats, as `--input-format` values (same strings as EvidenceKind). */
export const EVIDENCE_FORMATS = ['azure-nsg', 'azure-vnet', 'aws-vpc', 'zeek', 'suricata'] as const;
export type EvidenceFormat = (typeof EVIDENCE_FORMATS)[number];

export function isEvidenceFormat(s: string): s is EvidenceFormat {
  return (EVIDENCE_FORMATS as readonly string[]).includes(s);
}

export interface EvidenceInfo {
  file: string;
  kind: EvidenceKind;
  records: number;
  bytes: number;
  /** Named anomalies (malformed lines, unknown versions, ...). */
  anomalies: Record<string, { count: number; first_packet: number }>;
  end: { clean: boolean; code: string | null; offset: number; reason: string | null };
  /** 'gzip' when (any) input file was gzip-compressed. */
  compressed: 'gzip' | null;
  /** Files read (1 for a file, the matching files for a directory). */
  files: number;
  /** Flows handed on. */
  flows: number;
  /** Earliest first / latest last timestamp over the flows handed on (0 when none). */
  firstSec: number; firstNsec: number;
  lastSec: number; lastNsec: number;
}

const SNIFF = 64 * 1024;

/** Which evidence format the first bytes (and name) show, or null when it is not a flow-record format. */
export function detectEvidence(first: Buffer, file: string): EvidenceKind | null {
  let buf = first;
  if (isGzipHead(buf)) {
    const inner = gunzipHead(buf, 1 << 22);
    if (inner === null) return null;
    buf = inner;
  }
  const probe = buf.subarray(0, Math.min(buf.length, SNIFF));
  if (probe.includes(0)) return null; // binary (pcap, pcapng, …)
  let text = probe.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (text.length === 0) return null;
  if (text.startsWith('#separator') || text.startsWith('#fields') || text.startsWith('#path')) return 'zeek';
  if (text[0] === '{' || text[0] === '[') {
    if (text.includes('"flowLogVersion"') || text.includes('"flowRecords"') || text.includes('"FlowLogFlowEvent"')) return 'azure-vnet';
    if (text.includes('"NetworkSecurityGroupFlowEvent"') || text.includes('"flowTuples"')) return 'azure-nsg';
    if (text.includes('"event_type"')) return 'suricata';
    if (text.includes('"id.orig_h"') || (text.includes('"uid"') && text.includes('"conn_state"'))) return 'zeek';
    if (/^\{\s*"records"\s*:/.test(text)) return 'azure-nsg';
    return null;
  }
  const line = (text.split('\n', 1)[0] ?? '').trim();
  const f = line.split(/ +/);
  if (f.includes('srcaddr') && f.includes('dstaddr')) return 'aws-vpc';
  if (f.length === 14 && /^\d+$/.test(f[0]!) && (f[2]!.startsWith('eni-') || f[2] === '-') && /^(ACCEPT|REJECT|-)$/.test(f[12]!)) return 'aws-vpc';
  void file;
  return null;
}

/** The first SNIFF bytes of a file. */
function readHead(file: string): Buffer {
  return readFileHead(file, SNIFF);
}

/**
 * Regular files under dir, recursively, in path order. Listed synchronously: an Azure flow-log
 * tree has a folder per hour (y=/m=/d=/h=/m=/macAddress=), and each call through libuv's thread
 * pool costs 100–250 µs of hand-over here.
 */
function walk(dir: string, out: string[] = []): string[] {
  const ents = readdirSync(dir, { withFileTypes: true });
  ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of ents) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Format of a file, or of the first recognised file under a directory; null when none. */
export async function detectEvidencePath(p: string): Promise<EvidenceKind | null> {
  const st = statSync(p);
  if (!st.isDirectory()) return detectEvidence(readHead(p), p);
  for (const f of walk(p)) {
    const k = detectEvidence(readHead(f), f);
    if (k !== null) return k;
  }
  return null;
}

function family(k: EvidenceKind): string {
  return k === 'azure-vnet' ? 'azure-nsg' : k;
}

interface Reader {
  records: number;
  readFile(file: string): Promise<{ bytes: number; end: EndState }>;
  finish?(): void;
}

/** Stream a flow-record file (or a directory of them), calling onFlow once per (merged) flow. */
export async function readEvidenceFile(file: string, kind: EvidenceKind, onFlow: (f: FlowRecord) => void): Promise<EvidenceInfo> {
  const anomalies = new Anomalies();
  const info: EvidenceInfo = {
    file, kind, records: 0, bytes: 0, anomalies: {}, end: { clean: true, code: null, offset: 0, reason: null },
    compressed: null, files: 0, flows: 0, firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0,
  };
  const count = (f: FlowRecord): void => {
    if (info.flows === 0 || f.firstSec < info.firstSec || (f.firstSec === info.firstSec && f.firstNsec < info.firstNsec)) { info.firstSec = f.firstSec; info.firstNsec = f.firstNsec; }
    if (info.flows === 0 || f.lastSec > info.lastSec || (f.lastSec === info.lastSec && f.lastNsec > info.lastNsec)) { info.lastSec = f.lastSec; info.lastNsec = f.lastNsec; }
    info.flows++;
    onFlow(f);
  };
  let reader: Reader;
  let azure: AzureFlowLogReader | null = null;
  switch (kind) {
    case 'azure-nsg': case 'azure-vnet': reader = azure = new AzureFlowLogReader(anomalies, count); break;
    case 'aws-vpc': reader = new AwsVpcReader(anomalies, count); break;
    case 'zeek': reader = new ZeekConnReader(anomalies, count); break;
    case 'suricata': reader = new SuricataEveReader(anomalies, count); break;
    default: throw new UsageError('ERR_EVIDENCE_KIND', `${kind} is not a flow-record format (expected one of ${EVIDENCE_FORMATS.join(', ')})`);
  }
  let files: string[];
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
    files = isDir ? walk(file) : [file];
  } catch (e) {
    throw new CaptureFormatError('ERR_EVIDENCE_OPEN', file, 0, `cannot read (${(e as Error).message})`);
  }
  for (const f of files) {
    // (in a folder, each file's head tells its format and whether it is gzip)
    let head: Buffer | null = null;
    if (isDir) {
      let k: EvidenceKind | null;
      try { head = readHead(f); k = detectEvidence(head, f); } catch { k = null; }
      if (k === null || family(k) !== family(kind)) { anomalies.add('evidence.dir.skipped_file'); continue; }
    }
    try { if (head !== null ? isGzipHead(head) : isGzipFile(f)) info.compressed = 'gzip'; } catch (e) {
      throw new CaptureFormatError('ERR_EVIDENCE_OPEN', f, 0, `cannot read (${(e as Error).message})`);
    }
    const r = await reader.readFile(f);
    info.files++;
    info.bytes += r.bytes;
    if (!r.end.clean) {
      anomalies.add(r.end.code === 'ERR_EVIDENCE_JSON_CUT' ? 'evidence.input.cut' : 'evidence.input.damaged', -1, r.end.offset);
      if (info.end.clean) info.end = isDir ? { ...r.end, reason: `${f}: ${r.end.reason ?? ''}` } : r.end;
    }
  }
  reader.finish?.();
  if (info.end.clean) info.end.offset = info.bytes;
  info.records = reader.records;
  if (azure !== null && azure.kind !== null) info.kind = azure.kind;
  info.anomalies = anomalies.toJSON();
  return info;
}

export type { EndState };
