/**
 * The name caches in the table core's memory: a DNS message (UDP, or alone in a TCP segment after
 * its length) equal but for its ID to one parsed before, and a ClientHello naming its server as one
 * kept before, are recognised by the WebAssembly
 * core itself (batch/plain) and not handed to the engine. The engine's answer must not change: the
 * same names in the same order, the same anomalies (also at the names cap), and the core must
 * recognise exactly the packets the engine's JavaScript check recognises.
 */
import { FILE_BUFFERS } from '../../src/capture/source.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import path from 'node:path';
import { readCaptures } from '../../src/capture/read.js';
import { DEFAULT_CHUNK_SIZE, newPacketRecord } from '../../src/capture/info.js';
import { parseTlsSni } from '../../src/decode/app/tls.js';
import { DEFAULT_NAME_PARSERS, FlowEngine, type NameParsers } from '../../src/flow/engine.js';
import { generateBench } from '../../bench/gen/index.js';
import { eth, ipv4, tcp, udp } from '../decode/helpers/build.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { clientHello, dnsA, dnsMessage, dnsName, goodDnsResponse } from '../fuzz/bytes.js';
import { DNS_ANSWERS_CAPPED, DNS_MAX_NAMES_PER_ADDRESS } from '../../src/decode/app/dns.js';

/** Parsers that are not the defaults: the engine's server-name cache is off, every ClientHello is parsed. */
const PARSE_ALL: NameParsers = { ...DEFAULT_NAME_PARSERS, sni: (b, o, l) => parseTlsSni(b, o, l) };

function engine(arena: boolean, parsers: NameParsers, maxNames?: number): FlowEngine {
  const e = new FlowEngine({
    onFlow: () => undefined, nameParsers: parsers,
    ...(arena ? { chunkArena: FILE_BUFFERS * DEFAULT_CHUNK_SIZE } : {}), ...(maxNames !== undefined ? { maxNames } : {}),
  });
  e.addSource(0, 'x', 'pcap');
  return e;
}

function observable(e: FlowEngine): string {
  e.flush();
  return JSON.stringify({ names: e.names.list, dropped: e.names.dropped, anomalies: e.anomalies.map((a) => a.toJSON()), packets: e.packets });
}

test('generated capture: the core recognises repeated DNS answers and server names; names, order and anomalies as parsing each, also at the cap', async () => {
  await withTmpDir('fa-names-', async (dir) => {
    const gen = path.join(dir, 'names.pcap');
    generateBench({ out: gen, format: 'pcap', options: { seed: 41 }, limits: { packets: 120_000 } });
    for (const maxNames of [100_000, 40]) {
      // the core's path: records taken from chunks read into the table's memory
      const core = engine(true, DEFAULT_NAME_PARSERS, maxNames);
      await readCaptures([gen], { chunkAlloc: (n) => core.table.arenaChunk(n), recordSink: core }, (r) => core.packet(r));
      // the JavaScript reader and decoder, the engine's own caches
      const js = engine(false, DEFAULT_NAME_PARSERS, maxNames);
      await readCaptures([gen], {}, (r) => js.packet(r));
      // every ClientHello parsed
      const all = engine(false, PARSE_ALL, maxNames);
      await readCaptures([gen], {}, (r) => all.packet(r));
      assert.ok(core.corePackets > core.packets * 0.5, 'the core took most packets');
      assert.ok(core.table.coreDnsRepeats > 1000, `the core recognised DNS answers (${core.table.coreDnsRepeats})`);
      assert.ok(core.table.coreSniRepeats > 500, `the core recognised server names (${core.table.coreSniRepeats})`);
      assert.is(js.table.coreSniRepeats + js.table.coreDnsRepeats, 0, 'the decoder path leaves it to the engine');
      assert.is(core.sniRepeats, js.sniRepeats, 'the same ClientHellos recognised');
      assert.is(core.dnsRepeats, js.dnsRepeats, 'the same DNS messages recognised');
      assert.is(all.sniRepeats, 0);
      const a = observable(core), b = observable(js), c = observable(all);
      assert.ok(JSON.parse(c).names.some((o: { via: string }) => o.via === 'sni') && JSON.parse(c).names.some((o: { via: string }) => o.via === 'dns'), 'the capture has both kinds of names');
      if (a !== b) assert.fixture(a, b, `core and decoder paths (cap ${maxNames})`);
      if (a !== c) assert.fixture(a, c, `core path and parsing every ClientHello (cap ${maxNames})`);
      if (maxNames === 40) assert.ok(core.names.dropped > 0, 'the cap was reached');
    }
  });
});

/** A packet's bytes copied into `buf` (the table's arena or an ordinary buffer), as record `rec`. */
function place(rec: ReturnType<typeof newPacketRecord>, buf: Buffer, pkt: Buffer, i: number): void {
  pkt.copy(buf, 0);
  rec.linkType = 1; rec.data = buf; rec.offset = 0; rec.capLen = pkt.length; rec.origLen = pkt.length; rec.index = i;
  rec.tsSec = 1_700_000_000 + (i >> 6); rec.tsNsec = (i & 63) * 1000;
}

test('mutated DNS answers and ClientHellos: the core recognises exactly what the engine recognises, and names stay those of parsing', () => {
  const core = engine(true, DEFAULT_NAME_PARSERS), js = engine(false, DEFAULT_NAME_PARSERS), all = engine(false, PARSE_ALL);
  const abuf = core.table.arenaChunk(2048)!, bbuf = Buffer.alloc(2048);
  assert.ok(abuf !== null);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  const hellos = ['sso.corp.example', 'adfs.corp.example'].map((n) => clientHello(n));
  const answers = [goodDnsResponse('dc1.corp.example', '10.0.0.10'), goodDnsResponse('dc2.corp.example', '10.0.0.11')];
  let i = 0, port = 1024;
  const feed = (pkt: Buffer) => {
    place(ra, abuf, pkt, i); place(rb, bbuf, pkt, i); i++;
    core.packet(ra); js.packet(rb);
    all.packet(rb);
  };
  fc.assert(fc.property(
    fc.nat(2), fc.nat(1), fc.nat(3),
    fc.array(fc.tuple(fc.nat(300), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    (kind, which, server, changes) => {
      // 0: a ClientHello; 1: a DNS answer over UDP; 2: over TCP, after its 2-byte length
      const tls = kind === 0, answer = answers[which]!;
      const msg = Buffer.from(tls ? hellos[which]! : kind === 2 ? Buffer.concat([Buffer.from([answer.length >> 8, answer.length & 255]), answer]) : answer);
      for (const [at, v] of changes) if (at < msg.length) msg[at] = v;
      const client = '10.1.0.1', srv = `10.2.0.${server + 1}`;
      port = port >= 65000 ? 1024 : port + 1;
      if (tls) {
        // a new connection whose first client payload is the (mutated) ClientHello
        feed(eth(0x0800, ipv4({ src: client, dst: srv }, tcp({ sport: port, dport: 443, flags: 0x02, seq: 99 }))));
        feed(eth(0x0800, ipv4({ src: client, dst: srv }, tcp({ sport: port, dport: 443, flags: 0x18, seq: 100 }, msg))));
      } else if (kind === 1) {
        feed(eth(0x0800, ipv4({ src: srv, dst: client, proto: 17 }, udp(53, port, msg))));
      } else {
        feed(eth(0x0800, ipv4({ src: srv, dst: client }, tcp({ sport: 53, dport: port, flags: 0x18, seq: 500 }, msg))));
      }
    },
  ), { numRuns: 30_000 });
  assert.ok(core.table.coreSniRepeats > 100 && core.table.coreDnsRepeats > 200, `recognised in the core (${core.table.coreSniRepeats} server names, ${core.table.coreDnsRepeats} DNS answers)`);
  assert.is(core.sniRepeats, js.sniRepeats, 'the same ClientHellos recognised');
  assert.is(core.dnsRepeats, js.dnsRepeats, 'the same DNS answers recognised');
  const a = observable(core), b = observable(js), c = observable(all);
  if (a !== b) assert.fixture(a, b, 'core and decoder paths');
  if (a !== c) assert.fixture(a, c, 'core path and parsing every ClientHello');
});

/** A DNS answer with more aliases for one address than the parser reports (it counts DNS_ANSWERS_CAPPED). */
function cappedAnswer(id: number): Buffer {
  const target = dnsName('dc1.corp.example');
  const cname = (alias: string): Buffer => {
    const f = Buffer.alloc(10);
    f.writeUInt16BE(5, 0); f.writeUInt16BE(1, 2); f.writeUInt32BE(60, 4); f.writeUInt16BE(target.length, 8);
    return Buffer.concat([dnsName(alias), f, target]);
  };
  const aliases = Array.from({ length: DNS_MAX_NAMES_PER_ADDRESS + 4 }, (_, k) => cname(`a${k}.corp.example`));
  return dnsMessage({ id, question: Buffer.concat([dnsName('a0.corp.example'), Buffer.from([0, 1, 0, 1])]), answers: [...aliases, dnsA(target, '10.0.0.10')] });
}

test('a repeated DNS answer that was cut by the parser\'s bounds is handed back each time: its anomaly counted per message, as in the decoder path', () => {
  const core = engine(true, DEFAULT_NAME_PARSERS), js = engine(false, DEFAULT_NAME_PARSERS);
  const abuf = core.table.arenaChunk(4096)!, bbuf = Buffer.alloc(4096);
  const ra = newPacketRecord(0), rb = newPacketRecord(0);
  for (let k = 0; k < 30; k++) {
    // the same message but for its ID, from 30 flows; a plain answer between them
    for (const m of [cappedAnswer(k + 1), goodDnsResponse('dc2.corp.example', '10.0.0.11')]) {
      const pkt = eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.1.0.1', proto: 17 }, udp(53, 3000 + k, m)));
      place(ra, abuf, pkt, k); place(rb, bbuf, pkt, k);
      core.packet(ra); js.packet(rb);
    }
  }
  assert.is(core.table.coreDnsRepeats, 29, 'the plain answer recognised in the core after the first');
  assert.is(core.dnsRepeats, js.dnsRepeats);
  assert.is(core.anomalies[0]!.toJSON()[DNS_ANSWERS_CAPPED]?.count, 30, 'counted for each message');
  assert.is(observable(core), observable(js));
});

test('the caches stay off for parsers other than the defaults: every ClientHello reaches the engine', () => {
  let parsed = 0;
  const e = engine(true, { ...DEFAULT_NAME_PARSERS, sni: (b, o, l) => { parsed++; return parseTlsSni(b, o, l); } });
  const buf = e.table.arenaChunk(2048)!, rec = newPacketRecord(0);
  const hello = clientHello('one.corp.example');
  for (let k = 0; k < 50; k++) {
    for (const [flags, m] of [[0x02, Buffer.alloc(0)], [0x18, hello]] as const) {
      place(rec, buf, eth(0x0800, ipv4({ src: '10.1.0.1', dst: '10.2.0.1' }, tcp({ sport: 2000 + k, dport: 443, flags, seq: flags === 2 ? 99 : 100 }, m))), k * 2 + (flags === 2 ? 0 : 1));
      e.packet(rec);
    }
  }
  assert.is(e.table.coreSniRepeats, 0);
  assert.is(e.sniRepeats, 0);
  assert.is(parsed, 50, 'each ClientHello parsed');
  assert.is(e.names.list.length, 1);
});

test('DNS over TCP: a message alone in a segment after its length is recognised when it repeats; two in one segment, a split one, or other parsers are parsed each time', () => {
  const framed = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]);
  const run = (parsers: NameParsers, payload: (k: number) => Buffer) => {
    const core = engine(true, parsers), js = engine(false, parsers);
    const abuf = core.table.arenaChunk(4096)!, bbuf = Buffer.alloc(4096);
    const ra = newPacketRecord(0), rb = newPacketRecord(0);
    for (let k = 0; k < 30; k++) {
      const pkt = eth(0x0800, ipv4({ src: '10.0.0.53', dst: '10.1.0.1' }, tcp({ sport: 53, dport: 3000 + k, flags: 0x18, seq: 7 }, payload(k))));
      place(ra, abuf, pkt, k); place(rb, bbuf, pkt, k);
      core.packet(ra); js.packet(rb);
    }
    assert.is(core.dnsRepeats, js.dnsRepeats, 'the same messages recognised');
    assert.is(observable(core), observable(js));
    return core;
  };
  const one = (k: number): Buffer => dnsMessage({ id: k + 1, question: Buffer.concat([dnsName('dc1.corp.example'), Buffer.from([0, 1, 0, 1])]), answers: [dnsA(dnsName('dc1.corp.example'), '10.0.0.10')] });
  const alone = run(DEFAULT_NAME_PARSERS, (k) => framed(one(k)));
  assert.is(alone.table.coreDnsRepeats, 29, 'recognised in the core after the first');
  assert.is(alone.names.list.length, 1);
  const two = run(DEFAULT_NAME_PARSERS, (k) => Buffer.concat([framed(one(k)), framed(one(k + 100))]));
  assert.is(two.dnsRepeats, 0, 'two messages in one segment: parsed each time');
  const split = run(DEFAULT_NAME_PARSERS, (k) => { const f = framed(one(k)); f.writeUInt16BE(f.length + 10, 0); return f; });
  assert.is(split.dnsRepeats, 0, 'a message that goes on in the next segment: parsed each time');
  let parsed = 0;
  const other = run({ ...DEFAULT_NAME_PARSERS, dnsTcp: (b, o, l, a, lim) => { parsed++; return DEFAULT_NAME_PARSERS.dnsTcp!(b, o, l, a, lim); } }, (k) => framed(one(k)));
  assert.is(other.dnsRepeats, 0, 'another TCP parser: no cache');
  assert.is(parsed, 60, 'each message parsed (30 in each engine)');
});

test.run();
