/**
 * inspect: read each capture on its own (no merge), decode every packet to count outcomes,
 * and print what was learned. Exit 0 when every input was read (damage that still yielded
 * packets is reported, not fatal), 2 when an input could not be read at all.
 */
import { progressBar } from '../../progress.js';
import { restoreStdinInput } from '../../options/input.js';
import { safeText } from '../../../core/text.js';
import { readCaptures } from '../../../capture/read.js';
import type { CaptureInfo, ReadOptions } from '../../../capture/types.js';
import { Anomalies } from '../../../core/anomalies.js';
import { isFlowauditError } from '../../../core/errors.js';
import { OUTCOME_NAMES } from '../../../core/outcome.js';
import { formatTs, tsDiff, tsToIso } from '../../../core/time.js';
import { Decoder } from '../../../decode/decoder.js';
import { DecodedPacket } from '../../../decode/packet.js';
import { ExitCode } from '../../exit-codes.js';
import type { InspectArgs } from './command.js';

export interface InspectEntry {
  file: string;
  /** False when nothing could be read (not found, unrecognised format, no packet before the damage). */
  readable: boolean;
  /** Why the file could not be opened (then everything else is empty). */
  error: string | null;
  format: string | null;
  compressed: string | null;
  byteOrder: string | null;
  tsPrecision: string | null;
  sections: number;
  interfaces: CaptureInfo['interfaces'];
  packets: number;
  capturedBytes: number;
  fileBytes: number;
  firstTs: string | null;
  lastTs: string | null;
  firstTime: string | null;
  lastTime: string | null;
  durationSec: number | null;
  decode: Record<(typeof OUTCOME_NAMES)[number], number>;
  /** Decode anomalies (decode.*) and container anomalies (capture.*), by name. */
  anomalies: Record<string, { count: number; first_packet: number }>;
  skippedBlocks: Record<string, number>;
  end: CaptureInfo['end'];
}

export async function inspectOne(file: string, opts: ReadOptions): Promise<InspectEntry> {
  const anomalies = new Anomalies();
  const decoder = new Decoder(anomalies);
  const out = new DecodedPacket();
  const counts = [0, 0, 0, 0];
  let info: CaptureInfo;
  try {
    [info] = (await readCaptures([file], opts, (rec) => { counts[decoder.decode(rec, out)]!++; })) as [CaptureInfo];
  } catch (e) {
    if (!isFlowauditError(e)) throw e;
    return {
      file, readable: false, error: e.message, format: null, compressed: null, byteOrder: null, tsPrecision: null, sections: 0,
      interfaces: [], packets: 0, capturedBytes: 0, fileBytes: 0, firstTs: null, lastTs: null, firstTime: null, lastTime: null,
      durationSec: null, decode: { decoded: 0, truncated: 0, malformed: 0, unsupported: 0 }, anomalies: {}, skippedBlocks: {},
      end: { clean: false, code: e.code, offset: 0, reason: e.message },
    };
  }
  const all: Record<string, { count: number; first_packet: number }> = { ...anomalies.toJSON() };
  for (const [k, v] of Object.entries(info.anomalies ?? {})) all[k] = { count: v.count, first_packet: v.firstPacket };
  const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const has = info.packets > 0;
  return {
    file,
    readable: info.format !== null && (info.end.clean || has),
    error: null,
    format: info.format,
    compressed: info.compressed,
    byteOrder: info.byteOrder,
    tsPrecision: info.tsPrecision,
    sections: info.sections,
    interfaces: info.interfaces,
    packets: info.packets,
    capturedBytes: info.capturedBytes,
    fileBytes: info.fileBytes,
    firstTs: has ? formatTs(info.firstTsSec, info.firstTsNsec) : null,
    lastTs: has ? formatTs(info.lastTsSec, info.lastTsNsec) : null,
    firstTime: has ? tsToIso(info.firstTsSec, info.firstTsNsec) : null,
    lastTime: has ? tsToIso(info.lastTsSec, info.lastTsNsec) : null,
    durationSec: has ? Math.round(tsDiff(info.lastTsSec, info.lastTsNsec, info.firstTsSec, info.firstTsNsec) * 1e9) / 1e9 : null,
    decode: { decoded: counts[0]!, truncated: counts[1]!, malformed: counts[2]!, unsupported: counts[3]! },
    anomalies: sorted,
    skippedBlocks: info.skippedBlocks,
    end: info.end,
  };
}

export function renderText(e: InspectEntry): string {
  const L: string[] = [];
  // Names and reasons come from the file: escape control characters so they cannot drive the terminal.
  const row = (k: string, v: string) => L.push(`  ${(k + ':').padEnd(15)} ${safeText(v)}`);
  L.push(safeText(e.file));
  if (e.error !== null) {
    row('error', e.error);
    return L.join('\n') + '\n';
  }
  if (e.format === null) {
    row('format', 'not readable');
    row('end', `${e.end.code}: ${e.end.reason}`);
    return L.join('\n') + '\n';
  }
  row('format', `${e.format}${e.compressed ? ` (${e.compressed}-compressed)` : ''}`);
  row('byte order', e.byteOrder ?? '-');
  row('timestamps', e.tsPrecision ?? '-');
  row('sections', String(e.sections));
  row('interfaces', String(e.interfaces.length));
  for (const i of e.interfaces) {
    const parts = [`#${i.id}`, i.name ?? '', `${i.linkTypeName} (${i.linkType})`, `snaplen ${i.snaplen}`, `10^-${i.tsResolutionDigits} s`];
    if (i.tsOffsetSec !== 0) parts.push(`offset ${i.tsOffsetSec} s`);
    if (e.sections > 1) parts.push(`section ${i.section}`);
    parts.push(`${i.packets} packets`);
    L.push(`    ${safeText(parts.filter((p) => p !== '').join('  '))}`);
  }
  row('packets', String(e.packets));
  row('bytes', `${e.capturedBytes} captured, ${e.fileBytes} read${e.compressed ? ' (decompressed)' : ''}`);
  row('time span', e.firstTime === null ? '-' : `${e.firstTime} .. ${e.lastTime} (${e.durationSec} s)`);
  row('decode', Object.entries(e.decode).map(([k, v]) => `${k} ${v}`).join(', '));
  const an = Object.entries(e.anomalies);
  row('anomalies', an.length === 0 ? 'none' : '');
  if (an.length > 0) L.pop(), row('anomalies', `${an.length} kinds`);
  for (const [k, v] of an) L.push(`    ${k}  ${v.count}${v.first_packet >= 0 ? ` (first packet #${v.first_packet})` : ''}`);
  const sk = Object.entries(e.skippedBlocks);
  row('skipped blocks', sk.length === 0 ? 'none' : sk.map(([k, v]) => `${k} ${v}`).join(', '));
  row('end', e.end.clean ? `clean (read to byte ${e.end.offset})` : `NOT clean at byte ${e.end.offset}: ${e.end.code}: ${e.end.reason}`);
  return L.join('\n') + '\n';
}

export async function run(a: InspectArgs): Promise<number> {
  const opts: ReadOptions = {};
  if (a['max-block-size'] !== undefined) opts.maxBlockSize = a['max-block-size'];
  if (a['max-record-length'] !== undefined) opts.maxRecordLength = a['max-record-length'];
  const entries: InspectEntry[] = [];
  for (const f of restoreStdinInput((a.captures ?? []).map(String))) {
    const bar = progressBar();
    let e: InspectEntry;
    try {
      e = await inspectOne(String(f), { ...opts, ...bar.opts });
    } finally {
      bar.stop();
    }
    entries.push(e);
    if (a.format === 'text') process.stdout.write((entries.length > 1 ? '\n' : '') + renderText(e));
  }
  if (a.format === 'json') process.stdout.write(JSON.stringify({ files: entries }, null, 2) + '\n');
  return entries.every((e) => e.readable) ? ExitCode.Ok : ExitCode.Error;
}
