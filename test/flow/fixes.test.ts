/**
 * Flow-stage fixes (flow-todo.md, hostile-bugs.md #1): TCP packets whose flags were cut by the
 * snaplen, ICMP quotes without ports, the name-observation cap, DNS answer caps counted, the DNS
 * answer cache, TLS SNI in a ClientHello split across two segments, gatherEvidence({onFlow}).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPcap, buildPcapng, ethIpv4Udp, type PcapPacket } from '../helpers/capture-builder.js';
import { readCaptures } from '../../src/capture/read.js';
import { DEFAULT_NAME_PARSERS, FlowEngine, NameCollector, NAMES_CAPPED } from '../../src/flow/engine.js';
import { parseTlsSni } from '../../src/decode/app/tls.js';
import { generateBench } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { run, tcp, F } from './synth.js';

const dir = mkdtempSync(path.join(tmpdir(), 'flowaudit-fixes-'));
const T0 = 1_700_000_000;

function file(name: string, packets: PcapPacket[]): string {
  const p = path.join(dir, name);
  writeFileSync(p, buildPcap({ packets }));
  return p;
}

// ------------------------------------------------------------------ snaplen-cut TCP headers

test('TCP packets with tcpFlagsKnown false count as packets and bytes but change no flags, state or history', () => {
  const hs = tcp('10.0.0.5', 50000, '10.0.0.10', 445, [[true, F.SYN], [false, F.SYN | F.ACK], [true, F.ACK]]);
  const base = run(hs).flows[0]!;
  const cut = run([...hs, { src: '10.0.0.5', dst: '10.0.0.10', sport: 50000, dport: 445, flagsUnknown: true, len: 100 },
    { src: '10.0.0.10', dst: '10.0.0.5', sport: 445, dport: 50000, flagsUnknown: true, len: 0 }]).flows;
  assert.is(cut.length, 1);
  const f = cut[0]!;
  assert.is(f.origPkts, base.origPkts + 1);
  assert.is(f.respPkts, base.respPkts + 1);
  assert.is(f.origIpBytes, base.origIpBytes + 140);
  assert.is(f.history, base.history, 'no D letter from a payload length that was guessed');
  assert.is(f.connState, base.connState);
  assert.is(f.origFlags, base.origFlags);
  assert.is(f.respFlags, base.respFlags);
  // the same packets with real flags do change the history
  const known = run([...hs, { src: '10.0.0.5', dst: '10.0.0.10', sport: 50000, dport: 445, flags: F.ACK | F.PSH, len: 100 }]).flows[0]!;
  assert.is(known.history, 'ShAD');
});

test('a flow whose packets all have unknown TCP flags: counted, state OTH-like, no letters', () => {
  const f = run([{ src: '10.0.0.5', dst: '10.0.0.10', sport: 50000, dport: 445, flagsUnknown: true, len: 10 }]).flows[0]!;
  assert.is(f.origPkts, 1);
  assert.is(f.history, '^'.repeat(f.history.length)); // at most the direction mark
  assert.is(f.origFlags | f.respFlags, 0);
});

// ------------------------------------------------------------------ ICMP quotes without ports

test('an ICMP error whose quote stops before the ports is not matched by 5-tuple: its own ICMP flow, counted', () => {
  const r = run([
    { proto: 17, src: '10.0.0.5', dst: '10.0.0.10', sport: 34448, dport: 161, len: 40 },
    { proto: 1, src: '10.0.0.10', dst: '10.0.0.5', icmpType: 3, icmpCode: 3, quoted: { proto: 17, src: '10.0.0.5', dst: '10.0.0.10', sport: 0, dport: 0, noPorts: true } },
  ]);
  assert.is(r.flows.length, 2);
  const udp = r.flows.find((f) => f.proto === 17)!, icmp = r.flows.find((f) => f.proto === 1)!;
  assert.equal(udp.icmpErrors, []);
  assert.is(icmp.icmpErrors.length, 1);
  assert.is(r.anomalies.get('flow.icmp.quoted_ports_missing'), 1);
  assert.is(r.anomalies.get('flow.icmp.quoted_flow_unknown'), 0);
});

// ------------------------------------------------------------------ names

test('NameCollector: at most `limit` distinct observations; each new one beyond is dropped and reported', () => {
  let capped = 0;
  const c = new NameCollector(3, () => capped++);
  for (const n of ['a.x', 'b.x', 'c.x', 'd.x', 'e.x']) c.add(n, '10.0.0.1', 'dns');
  c.add('A.X.', '10.0.0.1', 'dns'); // a duplicate of a kept one: neither kept twice nor counted
  c.add('a.x', '10.0.0.1', 'sni');  // another via: a new observation → dropped
  assert.equal(c.list.map((o) => o.name), ['a.x', 'b.x', 'c.x']);
  assert.is(c.dropped, 3);
  assert.is(capped, 3);
});

/** DNS response: `name` A addr, with the given ID (RFC 1035 layout, built by hand). */
function dns(name: string, addr: number[], id: number): Buffer {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const q = Buffer.from([...labels, 0, 0, 1, 0, 1]);
  const hdr = Buffer.from([id >> 8, id & 255, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const ans = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addr]);
  return Buffer.concat([hdr, q, ans]);
}

test('engine: names beyond maxNames are counted as flow.names.capped in the input; repeated DNS answers are parsed once but still complete', async () => {
  const pk: PcapPacket[] = [];
  const msgs = [dns('a.example', [10, 0, 0, 1], 1), dns('b.example', [10, 0, 0, 2], 2), dns('b.example', [10, 0, 0, 2], 3), dns('a.example', [10, 0, 0, 1], 4)];
  msgs.forEach((m, i) => pk.push({ tsSec: T0 + i, data: ethIpv4Udp({ src: '10.0.0.53', dst: '10.0.0.9', sport: 53, dport: 40000 + i, payload: m }) }));
  const f = file('names.pcap', pk);
  const run1 = async (maxNames?: number) => {
    const eng = new FlowEngine({ onFlow: () => {}, ...(maxNames !== undefined ? { maxNames } : {}) });
    eng.addSource(0, f, 'pcap');
    await readCaptures([f], {}, (r) => eng.packet(r));
    return eng;
  };
  const all = await run1();
  assert.equal(all.names.sorted().map((o) => `${o.name}=${o.address}`), ['a.example=10.0.0.1', 'b.example=10.0.0.2']);
  assert.is(all.anomalies[0]!.get(NAMES_CAPPED), 0);
  const one = await run1(1);
  assert.equal(one.names.list.map((o) => o.name), ['a.example']);
  // b.example was dropped twice (the second copy is not taken from the cache, since it was not kept)
  assert.is(one.anomalies[0]!.get(NAMES_CAPPED), 2);
  assert.is(one.names.dropped, 2);
});

test('gatherEvidence: a DNS message whose answers were capped counts decode.dns.answers_capped in its input, each time it is seen', async () => {
  // 40 CNAMEs aliasN.t.x → t.x and one A t.x: more than DNS_MAX_NAMES_PER_ADDRESS (16) names for one address
  const name = (s: string) => Buffer.from([...s.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0]);
  const parts: Buffer[] = [Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 41, 0, 0, 0, 0]), name('t.x'), Buffer.from([0, 1, 0, 1])];
  for (let i = 0; i < 40; i++) {
    const target = Buffer.from([0xc0, 0x0c]);
    parts.push(name(`alias${i}.t.x`), Buffer.from([0, 5, 0, 1, 0, 0, 0, 60, 0, target.length]), target);
  }
  parts.push(Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]));
  const msg = Buffer.concat(parts);
  const msg2 = Buffer.from(msg); msg2[1] = 2; // same answer, another ID
  const f = file('capped.pcap', [
    { tsSec: T0, data: ethIpv4Udp({ src: '10.0.0.53', dst: '10.0.0.9', sport: 53, dport: 40000, payload: msg }) },
    { tsSec: T0 + 1, data: ethIpv4Udp({ src: '10.0.0.53', dst: '10.0.0.9', sport: 53, dport: 40001, payload: msg2 }) },
  ]);
  const ev = await gatherEvidence([f]);
  assert.is(ev.inputs[0]!.anomalies['decode.dns.answers_capped']?.count, 2);
  assert.is(ev.inputs[0]!.anomalies['decode.dns.answers_capped']?.first_packet, 0);
  assert.ok(ev.names.length >= 1 && ev.names.length <= 16, `${ev.names.length} names`);
});

// ------------------------------------------------------------------ TLS SNI split across segments

function u16(n: number): number[] { return [n >> 8, n & 255]; }

/** A TLS 1.2-style ClientHello record whose server_name extension follows `pad` bytes of padding extension. */
function clientHello(sni: string, pad: number): Buffer {
  const nm = [...Buffer.from(sni)];
  const sniExt = [0, 0, ...u16(5 + nm.length), ...u16(3 + nm.length), 0, ...u16(nm.length), ...nm];
  const padExt = [0, 0x15, ...u16(pad), ...new Array<number>(pad).fill(0)];
  const exts = [...padExt, ...sniExt];
  const body = [3, 3, ...new Array<number>(32).fill(7), 0, ...u16(2), 0x13, 0x01, 1, 0, ...u16(exts.length), ...exts];
  const hs = [1, 0, ...u16(body.length), ...body];
  return Buffer.from([0x16, 3, 1, ...u16(hs.length), ...hs]);
}

/** Ethernet / IPv4 / TCP (20-byte header) frame. */
function tcpFrame(src: string, dst: string, sport: number, dport: number, seq: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const ip = Buffer.alloc(20), t = Buffer.alloc(20);
  ip[0] = 0x45; ip.writeUInt16BE(40 + payload.length, 2); ip[8] = 64; ip[9] = 6;
  Buffer.from(src.split('.').map(Number)).copy(ip, 12); Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
  t.writeUInt16BE(sport, 0); t.writeUInt16BE(dport, 2); t.writeUInt32BE(seq >>> 0, 4); t.writeUInt32BE(1, 8);
  t[12] = 5 << 4; t[13] = flags; t.writeUInt16BE(65535, 14);
  const eth = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  return Buffer.concat([eth, ip, t, payload]);
}

async function sniOf(segments: [number, Buffer][], name: string): Promise<string[]> {
  const C = '10.0.0.5', S = '10.0.0.10';
  const pk: PcapPacket[] = [
    { tsSec: T0, data: tcpFrame(C, S, 50000, 443, 999, F.SYN) },
    { tsSec: T0, tsNsec: 1000, data: tcpFrame(S, C, 443, 50000, 5000, F.SYN | F.ACK) },
  ];
  segments.forEach(([seq, p], i) => pk.push({ tsSec: T0, tsNsec: (10 + i) * 1000, data: tcpFrame(C, S, 50000, 443, seq, F.ACK | F.PSH, p) }));
  const ev = await gatherEvidence([file(name, pk)]);
  return ev.names.filter((o) => o.via === 'sni').map((o) => `${o.name}@${o.address}`);
}

test('TLS SNI in a ClientHello split across two TCP segments is found (also after a retransmission); a gap gives none', async () => {
  const ch = clientHello('split.example.com', 1400);
  assert.ok(ch.length > 1450);
  const a = ch.subarray(0, 1000), b = ch.subarray(1000);
  assert.equal(await sniOf([[1000, ch]], 'tls-whole.pcap'), ['split.example.com@10.0.0.10'], 'one segment');
  assert.equal(await sniOf([[1000, a], [2000, b]], 'tls-split.pcap'), ['split.example.com@10.0.0.10']);
  assert.equal(await sniOf([[1000, a], [1000, a], [2000, b]], 'tls-retrans.pcap'), ['split.example.com@10.0.0.10']);
  assert.equal(await sniOf([[1000, a], [2500, b]], 'tls-gap.pcap'), [], 'not in order: not reassembled');
  // three segments
  assert.equal(await sniOf([[1000, ch.subarray(0, 600)], [1600, ch.subarray(600, 1200)], [2200, ch.subarray(1200)]], 'tls-three.pcap'), ['split.example.com@10.0.0.10']);
  // a record longer than the reassembly bound is not followed
  const big = clientHello('big.example.com', 5000);
  assert.equal(await sniOf([[1000, big.subarray(0, 1400)], [2400, big.subarray(1400, 2800)], [3800, big.subarray(2800, 4200)], [5200, big.subarray(4200)]], 'tls-big.pcap'), []);
});

// ------------------------------------------------------------------ gatherEvidence({ onFlow })

test('gatherEvidence({onFlow}): flows handed over as they finish, none retained; pcapng inputs say pcapng', async () => {
  const pk = [0, 1, 2].map((i) => ({ tsSec: T0 + i * 100, data: ethIpv4Udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + i, dport: 53 }) }));
  const f = file('stream.pcap', pk);
  const ng = path.join(dir, 'stream.pcapng');
  writeFileSync(ng, buildPcapng({ sections: [{ interfaces: [{ linkType: 1 }], blocks: pk.map((p) => ({ type: 'epb' as const, tsSec: p.tsSec + 1000, data: p.data })) }] }));
  const got: FlowRecord[] = [];
  const ev = await gatherEvidence([f, ng], { onFlow: (r) => got.push(r) });
  assert.equal(ev.flows, []);
  const retained = await gatherEvidence([f, ng]);
  assert.is(got.length, retained.flows.length);
  assert.ok(got.length >= 3);
  assert.ok(got.some((r) => r.evidence === 'pcapng'), 'pcapng known before reading');
  const key = (r: FlowRecord) => JSON.stringify(r);
  assert.equal(got.map(key).sort(), retained.flows.map(key).sort());
});

test('TLS server names recognised by their bytes (not parsed again): the same names, in the same order, and the same anomalies as parsing every ClientHello, also at the cap', async () => {
  const gen = path.join(dir, 'sni-repeat.pcap');
  generateBench({ out: gen, format: 'pcap', options: { seed: 41 }, limits: { packets: 120_000 } });
  for (const maxNames of [100_000, 40]) {
    const runOnce = async (sni: typeof parseTlsSni): Promise<FlowEngine> => {
      const eng = new FlowEngine({ onFlow: () => undefined, maxNames, nameParsers: { ...DEFAULT_NAME_PARSERS, sni } });
      await readCaptures([gen], {}, (r) => eng.packet(r));
      eng.flush();
      return eng;
    };
    const cached = await runOnce(parseTlsSni);
    // another function than the default parser: every ClientHello is parsed
    const parsed = await runOnce((b, o, l) => parseTlsSni(b, o, l));
    assert.ok(cached.sniRepeats > 500, `repeated names recognised (${cached.sniRepeats})`);
    assert.is(parsed.sniRepeats, 0);
    assert.ok(parsed.names.list.some((o) => o.via === 'sni'), 'the capture has TLS server names');
    assert.equal(cached.names.list, parsed.names.list, `names (cap ${maxNames})`);
    assert.is(cached.names.dropped, parsed.names.dropped);
    assert.equal(cached.anomalies.map((a) => a.toJSON()), parsed.anomalies.map((a) => a.toJSON()), `anomalies (cap ${maxNames})`);
    if (maxNames === 40) assert.ok(parsed.names.dropped > 0, 'the cap was reached');
  }
});

test.run();
