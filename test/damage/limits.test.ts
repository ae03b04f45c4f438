/**
 * Resource limits, each reached on purpose and each reported (never silent):
 * maximum flows (evictions counted and shown), fragment-table entries (anomaly counted and shown),
 * maximum pcapng block size and maximum record length (reading stops with a message naming the
 * limit and the offset), through the CLI and through the library.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Evidence } from '../../src/flow/record.js';
import { findExport, skip } from '../fuzz/modules.js';
import { pcapFile, pcapHeader, pcapRecord, shb, idb, epb, ngBlock, eth, ipv4, udp, goodUdpFrame } from '../fuzz/bytes.js';
import { cliAvailable, runMany, INVENTORY, hasStackTrace } from './cli.js';

type Gather = (inputs: string[], opts?: Record<string, unknown>) => Promise<Evidence>;
const gather = await findExport<Gather>('cli', 'gatherEvidence');
const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-limits-'));

const N_FLOWS = 100;
/** N one-packet UDP flows 10.0.0.1:(2000+i) → 192.168.1.1:53 within one second (no timeout can end them). */
function flowsCapture(): string {
  const f = path.join(tmp, 'flows.pcap');
  writeFileSync(f, pcapFile({ records: Array.from({ length: N_FLOWS }, (_, i) => ({ tsSec: 1700000000, tsFrac: i * 1000, data: eth(0x0800, ipv4('10.0.0.1', '192.168.1.1', 17, udp(2000 + i, 53, Buffer.alloc(4)))) })) }));
  return f;
}

const N_FRAGS = 4096 + 7;
/** N_FRAGS first fragments (MF set, offset 0) with distinct IP ids: more than the default table size 4096. */
function fragmentsCapture(): string {
  const f = path.join(tmp, 'frags.pcap');
  writeFileSync(f, pcapFile({ records: Array.from({ length: N_FRAGS }, (_, i) => ({ tsSec: 1700000000, tsFrac: i, data: eth(0x0800, ipv4('10.0.0.1', '192.168.1.1', 17, udp(3000, 53, Buffer.alloc(16)), { id: i + 1, flags: 1, fragOff: 0, totalLen: 20 + 8 + 16 })) })) }));
  return f;
}

test('maximum flows: --max-flows 10 over 100 concurrent flows evicts 90, every flow still reported, and says so', async () => {
  const cap = flowsCapture();
  if (gather) {
    const ev = await gather([cap], { maxFlows: 10 });
    assert.is(ev.evictions, N_FLOWS - 10, 'library: evictions counted');
    assert.is(ev.flows.length, N_FLOWS, 'library: each evicted flow is still reported');
    const ev2 = await gather([cap]);
    assert.is(ev2.evictions, 0);
    assert.is(ev2.flows.length, N_FLOWS);
  } else skip('gatherEvidence not there yet');
  if (!cliAvailable('audit')) return skip('audit not there yet');
  const [json, text] = await runMany([
    ['audit', cap, '--inventory', INVENTORY, '--max-flows', '10', '--format', 'json'],
    ['audit', cap, '--inventory', INVENTORY, '--max-flows', '10'],
  ]);
  assert.not.ok(hasStackTrace(json!.stderr));
  assert.match(json!.stdout, /"evicted": 90\b/, 'JSON report: evictions');
  assert.match(text!.stdout, /90 evicted/, 'text report: evictions');
});

test('fragment table: more first fragments than entries counts decode.fragments.table_full, shown in the report', async () => {
  const Decoder = await findExport<new (a: unknown, o?: { maxFragments?: number }) => { decode(r: unknown, o: unknown): number }>('decode', 'Decoder');
  const { Anomalies } = await import('../../src/core/anomalies.js');
  const { DecodedPacket } = await import('../../src/decode/packet.js');
  if (!Decoder) return skip('decoder not there yet');
  // library: capacity 8, 20 first fragments → 12 evictions counted
  const an = new Anomalies();
  const dec = new Decoder(an, { maxFragments: 8 });
  for (let i = 0; i < 20; i++) {
    const data = eth(0x0800, ipv4('10.0.0.1', '192.168.1.1', 17, udp(3000, 53, Buffer.alloc(16)), { id: i + 1, flags: 1, fragOff: 0 }));
    dec.decode({ index: i, fileIndex: 0, ifIndex: 0, linkType: 1, tsSec: 0, tsNsec: 0, capLen: data.length, origLen: data.length, data, offset: 0, direction: 0, fileOffset: 0 }, new DecodedPacket());
  }
  assert.is(an.get('decode.fragments.table_full'), 12, 'library: one count per entry pushed out');
  if (!cliAvailable('audit')) return skip('audit not there yet');
  const [r] = await runMany([['audit', fragmentsCapture(), '--inventory', INVENTORY, '--format', 'json']]);
  assert.not.ok(hasStackTrace(r!.stderr));
  const rep = JSON.parse(r!.stdout) as { inputs: { anomalies: Record<string, { count: number }> }[] };
  assert.is(rep.inputs[0]!.anomalies['decode.fragments.table_full']?.count, N_FRAGS - 4096, 'CLI: the default table (4096) overflowed by the extra fragments, counted in the report');
});

test('maximum pcapng block size and maximum record length: reading stops with a message naming the limit and the offset', async () => {
  if (!cliAvailable('inspect')) return skip('inspect not there yet');
  const ng = Buffer.concat([shb(), idb(1), epb({ data: goodUdpFrame() })]);
  const at = ng.length;
  // an EPB claiming 17 MiB (only its first bytes present): the default 16 MiB limit
  const huge = path.join(tmp, 'huge-block.pcapng');
  writeFileSync(huge, Buffer.concat([ng, ngBlock(6, Buffer.alloc(64), true, { lead: 17 * 1024 * 1024 })]));
  // a 2 KiB EPB against --max-block-size 1024
  const big = path.join(tmp, 'big-block.pcapng');
  writeFileSync(big, Buffer.concat([ng, epb({ data: Buffer.alloc(2048) })]));
  // a pcap record of 262145 bytes (libpcap's MAXIMUM_SNAPLEN + 1), header only
  const rec = path.join(tmp, 'huge-record.pcap');
  writeFileSync(rec, Buffer.concat([pcapHeader(), pcapRecord({ data: goodUdpFrame() }), pcapRecord({ data: Buffer.alloc(0), inclLen: 262145 })]));
  const recAt = 24 + 16 + goodUdpFrame().length;
  // a 200-byte record against --max-record-length 100
  const rec2 = path.join(tmp, 'long-record.pcap');
  writeFileSync(rec2, Buffer.concat([pcapHeader(), pcapRecord({ data: goodUdpFrame() }), pcapRecord({ data: Buffer.alloc(200) })]));
  const runs = await runMany([
    ['inspect', huge, '--format', 'json'],
    ['inspect', big, '--format', 'json', '--max-block-size', '1024'],
    ['inspect', rec, '--format', 'json'],
    ['inspect', rec2, '--format', 'json', '--max-record-length', '100'],
  ]);
  const want: [string, number, RegExp, RegExp][] = [
    [huge, at, /block_too_large/, /17825792.*16777216/],
    [big, at, /block_too_large/, /1024/],
    [rec, recAt, /record_too_large/, /262145.*262144/],
    [rec2, recAt, /record_too_large/, /200.*100/],
  ];
  runs.forEach((r, i) => {
    const [file, off, code, msg] = want[i]!;
    const all = `${r.stdout}\n${r.stderr}`;
    assert.not.ok(hasStackTrace(r.stderr), `${file}: no stack trace`);
    assert.ok(r.code === 0 || r.code === 1, `${file}: one packet was read, so exit ${r.code} is not "unreadable"`);
    assert.match(all, code, `${file}: the limit's code is reported`);
    assert.match(all, msg, `${file}: the message names the size and the limit`);
    assert.match(all, new RegExp(`\\b${off}\\b`), `${file}: the offset ${off} is reported`);
  });
});

test.after(() => { rmSync(tmp, { recursive: true, force: true }); });

test.run();
