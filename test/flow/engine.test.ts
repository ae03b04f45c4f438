/**
 * FlowEngine and gatherEvidence over pcap files built with test/helpers/capture-builder.ts (real
 * capture reader and decoder): sweeps in packet time, merging inputs, DNS name observations.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPcap, ethIpv4Udp, type PcapPacket } from '../helpers/capture-builder.js';
import { readCaptures } from '../../src/capture/read.js';
import { FlowEngine } from '../../src/flow/engine.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import type { FlowRecord } from '../../src/flow/record.js';

const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-engine-'));
const T0 = 1_700_000_000;

function file(name: string, packets: PcapPacket[]): string {
  const p = path.join(dir, name);
  writeFileSync(p, buildPcap({ packets }));
  return p;
}

/** DNS response for www.example.com A 93.184.216.34 (RFC 1035 layout, built by hand). */
function dnsResponse(): Buffer {
  const q = Buffer.from([3, ...Buffer.from('www'), 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1]);
  const hdr = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const ans = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
  return Buffer.concat([hdr, q, ans]);
}

test('engine: expiry sweeps run in packet time and emit idle flows before the end', async () => {
  const pk: PcapPacket[] = [{ tsSec: T0, data: ethIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 53 }) }];
  // 200 packets of another flow spread over 120 s of packet time
  for (let i = 0; i < 200; i++) pk.push({ tsSec: T0 + 1 + Math.floor(i * 0.6), data: ethIpv4Udp({ src: '10.0.0.3', dst: '10.0.0.2', sport: 40001, dport: 123 }) });
  const f = file('sweep.pcap', pk);
  const out: { f: FlowRecord; atPacket: number }[] = [];
  const eng = new FlowEngine({ onFlow: (r) => out.push({ f: r, atPacket: eng.packets }), sweepPackets: 16 });
  eng.addSource(0, f, 'pcap');
  await readCaptures([f], {}, (r) => eng.packet(r));
  assert.is(out.length, 1, 'the DNS flow expired during the read (UDP timeout 60 s)');
  assert.is(out[0]!.f.respP, 53);
  assert.ok(out[0]!.atPacket < 201);
  const rest: FlowRecord[] = [];
  eng.flush((r) => rest.push(r));
  assert.is(rest.length, 1);
  assert.is(rest[0]!.origPkts, 200);
  assert.is(rest[0]!.source, f);
});

test('engine: expire(now) from outside (live capture) finishes idle flows', async () => {
  const f = file('live.pcap', [{ tsSec: T0, data: ethIpv4Udp({ sport: 40000, dport: 53 }) }]);
  const got: FlowRecord[] = [];
  const eng = new FlowEngine({ onFlow: (r) => got.push(r) });
  await readCaptures([f], {}, (r) => eng.packet(r));
  assert.is(eng.expire(T0 + 30, 0), 0);
  assert.is(eng.expire(T0 + 61, 0), 1);
  assert.is(got.length, 1);
});

test('gatherEvidence: two files merged by time make one flow; its source is the first file', async () => {
  const a = file('a.pcap', [{ tsSec: T0, data: ethIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 53 }) }]);
  const b = file('b.pcap', [{ tsSec: T0, tsNsec: 5000, data: ethIpv4Udp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 53, dport: 40000, payload: dnsResponse() }) }]);
  const ev = await gatherEvidence([a, b]);
  assert.is(ev.flows.length, 1);
  const fl = ev.flows[0]!;
  assert.is(fl.origPkts, 1); assert.is(fl.respPkts, 1);
  assert.is(fl.connState, 'SF');
  assert.is(fl.source, a);
  assert.is(fl.evidence, 'pcap');
  assert.equal(ev.inputs.map((i) => i.packets), [1, 1]);
  assert.equal(ev.names, [{ name: 'www.example.com', address: '93.184.216.34', via: 'dns' }]);
});

test('gatherEvidence: names: false collects none', async () => {
  const b = file('dns.pcap', [{ tsSec: T0, data: ethIpv4Udp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 53, dport: 40000, payload: dnsResponse() }) }]);
  assert.is((await gatherEvidence([b], { names: false })).names.length, 0);
  assert.is((await gatherEvidence([b])).names.length, 1);
});

test('gatherEvidence: VLAN recorded, and split only with vlanInKey', async () => {
  const f = file('vlan.pcap', [
    { tsSec: T0, data: ethIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 389, vlan: 10 }) },
    { tsSec: T0, tsNsec: 1000, data: ethIpv4Udp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 389, dport: 40000, vlan: 20 }) },
  ]);
  const one = await gatherEvidence([f]);
  assert.is(one.flows.length, 1);
  assert.is(one.flows[0]!.vlan, 10);
  assert.is((await gatherEvidence([f], { vlanInKey: true })).flows.length, 2);
});

test('gatherEvidence: --max-flows evictions counted exactly (10 flows, max 4 → 6)', async () => {
  const pk: PcapPacket[] = [];
  for (let i = 0; i < 10; i++) pk.push({ tsSec: T0 + i, data: ethIpv4Udp({ sport: 40000 + i, dport: 53 }) });
  const ev = await gatherEvidence([file('evict.pcap', pk)], { maxFlows: 4 });
  assert.is(ev.evictions, 6);
  assert.is(ev.flows.length, 10);
});

test('gatherEvidence: custom timeouts (udp 5 s) split a flow with a 10 s gap', async () => {
  const f = file('gap.pcap', [
    { tsSec: T0, data: ethIpv4Udp({ sport: 40000, dport: 53 }) },
    { tsSec: T0 + 10, data: ethIpv4Udp({ sport: 40000, dport: 53 }) },
  ]);
  assert.is((await gatherEvidence([f])).flows.length, 1);
  assert.is((await gatherEvidence([f], { timeouts: { udp: 5 } })).flows.length, 2);
});

test.run();
