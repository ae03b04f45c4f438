/** Safe output file writer and the flow record writers (ndjson, json, csv, zeek-json, text). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openOutput } from '../../src/report/output.js';
import { writeFlows, FLOW_FORMATS } from '../../src/report/flows/writer.js';
import fc from 'fast-check';
import { durationText, flowToCsv, flowToJson, flowToJsonLine } from '../../src/report/flows/fields.js';
import { formatTs } from '../../src/core/time.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { run, tcp, F } from './synth.js';

const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-out-'));

function sample() {
  return run([
    ...tcp('10.0.0.5', 50000, '10.0.0.10', 389, [[true, F.SYN], [false, F.SYN | F.ACK], [true, F.ACK], [true, F.FIN | F.ACK], [false, F.FIN | F.ACK]]),
    { proto: 17, src: '10.0.0.5', dst: '10.0.0.10', sport: 34448, dport: 161, len: 40 },
    { proto: 1, src: '10.0.0.10', dst: '10.0.0.5', icmpType: 3, icmpCode: 3, quoted: { proto: 17, src: '10.0.0.5', dst: '10.0.0.10', sport: 34448, dport: 161 } },
    { proto: 17, src: '2001:db8::1', dst: '2001:db8::2', sport: 5000, dport: 53, len: 20 },
  ]).flows.sort((a, b) => a.firstSec - b.firstSec || a.firstNsec - b.firstNsec);
}

test('openOutput(FILE): nothing at FILE until end(), then the whole content; no temp file left', async () => {
  const file = path.join(dir, 'a.ndjson');
  const out = await openOutput(file);
  for (let i = 0; i < 20000; i++) await out.write(`{"i":${i}}\n`); // > one 256 KiB block
  assert.not.ok(existsSync(file), 'not visible before end()');
  await out.end();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.is(lines.length, 20000);
  assert.is(lines[19999], '{"i":19999}');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('openOutput(FILE): writeBytes releases each block once the stream holds it no more, not before', async () => {
  const file = path.join(dir, 'released.bin');
  const out = await openOutput(file);
  // (small blocks, which the stream takes without asking to wait for a drain)
  const blocks = [Buffer.alloc(3000, 1), Buffer.alloc(5, 2), Buffer.alloc(7000, 3)];
  const released: number[] = [];
  for (let i = 0; i < blocks.length; i++) await out.writeBytes!(blocks[i]!, () => released.push(i));
  // (the write's callback needs a turn of the event loop: none has come yet)
  assert.equal(released, [], 'nothing released while the writes may be pending');
  await out.end();
  assert.equal(released.sort(), [0, 1, 2], 'each block released once');
  assert.ok(readFileSync(file).equals(Buffer.concat(blocks)), 'the bytes written');
});

test('openOutput(FILE): abort() leaves an existing FILE untouched and removes the temporary file', async () => {
  const file = path.join(dir, 'keep.txt');
  writeFileSync(file, 'old content\n');
  const out = await openOutput(file);
  await out.write('half of the new conte');
  await out.abort();
  assert.is(readFileSync(file, 'utf8'), 'old content\n');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('openOutput: a folder that does not exist is an error (ENOENT), before anything is written', async () => {
  try { await openOutput(path.join(dir, 'no/such/dir/x.json')); assert.unreachable('should throw'); }
  catch (e) { assert.is((e as NodeJS.ErrnoException).code, 'ENOENT'); }
});

async function render(format: (typeof FLOW_FORMATS)[number]): Promise<string> {
  const file = path.join(dir, `f.${format}`);
  const out = await openOutput(file);
  await writeFlows(out, sample(), format);
  await out.end();
  return readFileSync(file, 'utf8');
}

test('ndjson: Zeek conn.log names plus ours, one object per line', async () => {
  const rows = (await render('ndjson')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.is(rows.length, 3);
  assert.equal(Object.keys(rows[0]!), ['ts', 'duration', 'proto', 'orig_h', 'orig_p', 'resp_h', 'resp_p', 'orig_pkts', 'resp_pkts',
    'orig_ip_bytes', 'resp_ip_bytes', 'conn_state', 'history', 'community_id', 'direction_inferred', 'icmp_errors', 'vlan', 'tunnel',
    'if_index', 'evidence', 'source', 'verdict']);
  const t = rows[0]!;
  assert.is(t['proto'], 'tcp'); assert.is(t['resp_p'], 389); assert.is(t['conn_state'], 'SF'); assert.is(t['history'], 'ShAFf');
  assert.is(t['ts'], 1_700_000_000); assert.is(t['duration'], 0.004);
  const u = rows[1]!;
  assert.equal(u['icmp_errors'], [{ proto: 'icmp', type: 3, code: 3, count: 1, from: '10.0.0.10' }]);
  assert.is(rows[2]!['orig_h'], '2001:db8::1');
});

test('json: one array document with the same objects', async () => {
  const arr = JSON.parse(await render('json')) as unknown[];
  assert.is(arr.length, 3);
  const nd = (await render('ndjson')).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.equal(arr, nd);
});

test('the text-built NDJSON line parses to exactly flowToJson (IPv6, ICMP evidence, tunnel, odd file name)', () => {
  for (const f of sample()) {
    const g = { ...f, source: 'a "quoted"\\name.pcap', tunnel: { kind: 'vxlan', outerSrc: '192.0.2.1', outerDst: '192.0.2.2' } };
    for (const r of [f, g]) assert.equal(JSON.parse(flowToJsonLine(r)), flowToJson(r));
  }
});

test('csv: header line, then one line per flow; cells with commas quoted', async () => {
  const lines = (await render('csv')).trimEnd().split('\n');
  assert.is(lines.length, 4);
  assert.ok(lines[0]!.startsWith('ts,duration,proto,orig_h,orig_p,resp_h,resp_p,'));
  assert.ok(lines[1]!.startsWith('1700000000.000000000,0.004,tcp,10.0.0.5,50000,10.0.0.10,389,'));
  assert.ok(lines[2]!.includes('icmp:3/3x1@10.0.0.10'));
});

/** The CSV line cell by cell, as first written: each cell through the quoting rule (the reference for flowToCsv). */
function csvByCells(f: FlowRecord): string {
  const j = flowToJson(f);
  const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [
    formatTs(f.firstSec, f.firstNsec), durationText(f), j.proto, j.orig_h, String(j.orig_p), j.resp_h, String(j.resp_p),
    String(j.orig_pkts), String(j.resp_pkts), String(j.orig_ip_bytes), String(j.resp_ip_bytes),
    j.conn_state, j.history, j.community_id, String(j.direction_inferred),
    j.icmp_errors.map((e) => `${e.proto}:${e.type}/${e.code}x${e.count}@${e.from}`).join(';'),
    j.vlan === null ? '' : String(j.vlan),
    j.tunnel === null ? '' : `${j.tunnel.kind}:${j.tunnel.outer_src}>${j.tunnel.outer_dst}`,
    j.if_index === null ? '' : String(j.if_index),
    j.evidence, j.source, j.verdict ?? '',
  ].map(cell).join(',');
}

test('csv: the text-built line is the cell-by-cell one, whatever the texts hold (quotes, commas, line breaks)', () => {
  const text = fc.string({ unit: fc.constantFrom('a', '1', ':', '.', ',', '"', '\r', '\n', ';', ' ', 'é'), maxLength: 8 });
  const base = sample();
  fc.assert(fc.property(
    fc.nat(base.length - 1), text, text, text, text, text, text, text, fc.option(text), fc.boolean(), fc.option(fc.nat(4094)), fc.option(text),
    (k, origH, respH, connState, history, communityId, source, from, verdict, inferred, vlan, tunnelSrc) => {
      const f: FlowRecord = {
        ...base[k]!, origH, respH, connState: connState as FlowRecord['connState'], history, communityId, source, verdict: verdict as FlowRecord['verdict'],
        directionInferred: inferred, vlan, icmpErrors: base[k]!.icmpErrors.map((e) => ({ ...e, from })),
        tunnel: tunnelSrc === null ? null : { kind: 'vxlan', outerSrc: tunnelSrc, outerDst: '192.0.2.2' },
      };
      assert.is(flowToCsv(f), csvByCells(f));
    },
  ), { numRuns: 5000 });
});

test('zeek-json: exactly Zeek\'s conn.log field names', async () => {
  const rows = (await render('zeek-json')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const allowed = new Set(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'duration', 'orig_pkts', 'orig_ip_bytes',
    'resp_pkts', 'resp_ip_bytes', 'conn_state', 'history', 'community_id']);
  for (const r of rows) for (const k of Object.keys(r)) assert.ok(allowed.has(k), k);
  assert.is(rows[0]!['id.resp_p'], 389);
  assert.is(rows[0]!['proto'], 'tcp');
  assert.not.ok('duration' in rows[1]!, 'single-packet flow: no duration, like Zeek');
});

test('text: header, rows, count', async () => {
  const lines = (await render('text')).trimEnd().split('\n');
  assert.ok(lines[0]!.startsWith('first packet (UTC)'));
  assert.ok(lines[1]!.includes('10.0.0.5:50000') && lines[1]!.includes('SF'));
  assert.ok(lines[3]!.includes('[2001:db8::1]:5000'));
  assert.is(lines[4], '3 flows');
});

test.run();
