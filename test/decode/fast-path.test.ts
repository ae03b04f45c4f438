/**
 * The decoder's fast path (Decoder #plain) must give exactly what the general path gives: every
 * field of the decoded packet, the outcome, every anomaly with its first packet, the counters.
 * Real captures (fixtures, the corpus when present, generated captures with VLANs, IPv6 and
 * fragments, those captures' packets re-framed as Linux cooked v1/v2 and raw IP) and fast-check
 * mutations of plain packets on every link type the fast path takes (bytes changed in the link and
 * IP headers, cuts by the snaplen, frames shorter or longer than their IP lengths) are decoded
 * both ways.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCaptures } from '../../src/capture/read.js';
import { newPacketRecord } from '../../src/capture/info.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { Anomalies } from '../../src/core/anomalies.js';
import { Decoder } from '../../src/decode/decoder.js';
import { DecodedPacket } from '../../src/decode/packet.js';
import { eth, ethTagged, ipv4, ipv6, tcp, udp } from './helpers/build.js';
import { comparisonCaptures, ROOT } from '../helpers/capture-files.js';

/** Both decoders over the same packets, each with its own packet object and anomalies. */
class Both {
  readonly fastAn = new Anomalies();
  readonly slowAn = new Anomalies();
  readonly fast = new Decoder(this.fastAn);
  readonly slow = new Decoder(this.slowAn, { fastPath: false });
  readonly pf = new DecodedPacket();
  readonly ps = new DecodedPacket();
  packets = 0;

  check(rec: PacketRecord, what: string): void {
    const of = this.fast.decode(rec, this.pf), os = this.slow.decode(rec, this.ps);
    this.packets++;
    assert.is(of, os, `${what}: outcome`);
    const a = state(this.pf), b = state(this.ps);
    if (a !== b) assert.fixture(a, b, `${what}: decoded fields`);
    assert.equal(this.fast.stats, this.slow.stats, `${what}: counters`);
    assert.equal(this.fastAn.toJSON(), this.slowAn.toJSON(), `${what}: anomalies`);
  }
}

/** Link types the fast path takes besides Ethernet, and those it leaves to the general path. */
const OTHER_LINKS = [113, 276, 101, 12, 14, 228, 229, 0, 108] as const;

/**
 * An Ethernet frame's packet on another link: the cooked headers keep the EtherType (and a VLAN
 * tag after it); raw IP links and BSD loopback carry the IP packet alone (the tag is dropped).
 * Frames that are too short keep whatever bytes they have.
 */
function reframe(frame: Buffer, link: number): Buffer {
  const type = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
  const ip = frame.subarray(type === 0x8100 && frame.length >= 18 ? 18 : Math.min(14, frame.length));
  switch (link) {
    case 113: { // packet type, ARPHRD, address length, address (8), protocol
      const h = Buffer.alloc(16);
      h.writeUInt16BE(4, 0); h.writeUInt16BE(1, 2); h.writeUInt16BE(6, 4); frame.copy(h, 6, 6, 12); h.writeUInt16BE(type, 14);
      return Buffer.concat([h, frame.subarray(Math.min(14, frame.length))]);
    }
    case 276: { // protocol, reserved, interface index, ARPHRD, packet type, address length, address
      const h = Buffer.alloc(20);
      h.writeUInt16BE(type, 0); h.writeUInt32BE(3, 4); h.writeUInt16BE(1, 8); h[11] = 6; frame.copy(h, 12, 6, 12);
      return Buffer.concat([h, frame.subarray(Math.min(14, frame.length))]);
    }
    case 0: case 108: { // address family: AF_INET 2 / AF_INET6 30, host order (NULL) or network order (LOOP)
      const h = Buffer.alloc(4), af = ip.length > 0 && ip[0]! >> 4 === 6 ? 30 : 2;
      if (link === 0) h.writeUInt32LE(af); else h.writeUInt32BE(af);
      return Buffer.concat([h, ip]);
    }
    default: return Buffer.from(ip);
  }
}

function state(p: DecodedPacket): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) o[k] = v instanceof Uint32Array ? [...v] : v;
  return JSON.stringify(o, null, 1);
}

test('fast path = general path on every packet of the fixtures, the corpus and generated captures', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-fast-'));
  try {
    const { generated: gen, files } = comparisonCaptures(dir, 'fast path');
    let plain = 0, all = 0;
    for (const f of files) {
      const both = new Both();
      // (one file at a time: readCaptures merges several by time)
      await readCaptures([f], {}, (rec) => both.check(rec, `${path.relative(ROOT, f)} packet ${rec.index}`)).catch(() => undefined);
      plain += both.fast.plainPackets; all += both.packets;
      assert.is(both.slow.plainPackets, 0);
    }
    process.stdout.write(`fast path: ${all} packets of ${files.length} captures, ${plain} by the fast path, all equal\n`);
    assert.ok(all > 90_000, `packets (${all})`);
    assert.ok(plain > all * 0.6, `most packets took the fast path (${plain} of ${all})`);
    // the generated mix's Ethernet frames on every other link type
    for (const link of OTHER_LINKS) {
      const both = new Both(), rec = newPacketRecord(0);
      let eligible = 0; // packets of the IP version the link carries (228: IPv4 only, 229: IPv6 only)
      await readCaptures([gen[0]!], {}, (r) => {
        const data = reframe(r.data.subarray(r.offset, r.offset + r.capLen), link);
        const v = data.length > 0 ? data[0]! >> 4 : 0;
        if (link === 228 ? v === 4 : link === 229 ? v === 6 : true) eligible++;
        rec.linkType = link; rec.data = data; rec.offset = 0; rec.capLen = data.length; rec.origLen = data.length + (r.origLen - r.capLen); rec.index = r.index;
        both.check(rec, `mix.pcap packet ${r.index} as link type ${link}`);
      });
      const fast = both.fast.plainPackets;
      if (link === 0 || link === 108) assert.is(fast, 0, `link type ${link}: the general path only`);
      else assert.ok(fast > eligible * 0.6, `link type ${link}: most packets took the fast path (${fast} of ${eligible})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SEEDS: Buffer[] = [
  eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }, tcp({ sport: 50000, dport: 88, seq: 0xfffffff0, ack: 0x80000001 }, Buffer.alloc(30, 1)))),
  eth(0x0800, ipv4({ proto: 17 }, udp(53, 61000, Buffer.alloc(40, 2)))),
  ethTagged([[0x8100, 12]], 0x0800, ipv4({ proto: 17 }, udp(389, 389, Buffer.alloc(12)))),
  ethTagged([[0x8100, 4095]], 0x86dd, ipv6({ nh: 6 }, tcp({ dport: 636, options: Buffer.alloc(12, 1) }, Buffer.alloc(7)))),
  // QinQ (802.1ad outer tag, 802.1Q inner), two 802.1Q tags, a 0x9100 tag, three tags (the general path's)
  ethTagged([[0x88a8, 100], [0x8100, 12]], 0x0800, ipv4({ proto: 17 }, udp(50000, 88, Buffer.alloc(12, 4)))),
  ethTagged([[0x8100, 7], [0x8100, 4000]], 0x86dd, ipv6({ nh: 6 }, tcp({ dport: 389 }, Buffer.alloc(9, 5)))),
  ethTagged([[0x9100, 3]], 0x0800, ipv4({ proto: 6 }, tcp({ dport: 445 }, Buffer.alloc(3)))),
  ethTagged([[0x88a8, 1], [0x8100, 2], [0x8100, 3]], 0x0800, ipv4({ proto: 17 }, udp(1, 2, Buffer.alloc(4)))),
  eth(0x86dd, ipv6({ nh: 17 }, udp(4500, 88, Buffer.alloc(25, 3)))),
  eth(0x0800, ipv4({ proto: 17 }, udp(1, 4789, Buffer.alloc(30)))),
  eth(0x0800, ipv4({ proto: 6 }, tcp({ dport: 445 }))),
];

test('fast path = general path on mutated plain packets (header bytes, snaplen cuts, short and padded frames)', () => {
  const both = new Both();
  let i = 0;
  fc.assert(fc.property(
    fc.constantFrom(...SEEDS),
    fc.constantFrom(1, 1, 1, ...OTHER_LINKS),
    fc.array(fc.tuple(fc.nat(79), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.option(fc.nat(120), { nil: undefined }), // capLen cut
    fc.nat(3), // extra bytes on the wire beyond capLen (0: none)
    fc.nat(6), // padding after the packet (Ethernet trailer)
    (seed, link, changes, cut, wire, pad) => {
      const pkt = Buffer.concat([link === 1 ? seed : reframe(seed, link), Buffer.alloc(pad, 0xaa)]);
      for (const [at, v] of changes) if (at < pkt.length) pkt[at] = v;
      const cap = cut === undefined ? pkt.length : Math.min(cut, pkt.length);
      const chunk = Buffer.concat([Buffer.alloc(5, 0xee), pkt.subarray(0, cap), Buffer.alloc(3, 0xdd)]);
      const rec = newPacketRecord(0);
      rec.linkType = link; rec.data = chunk; rec.offset = 5; rec.capLen = cap; rec.origLen = cap + wire; rec.index = i++;
      both.check(rec, `mutation ${i}`);
    },
  ), { numRuns: 40_000 });
  assert.ok(both.fast.plainPackets > 1000, `the fast path was taken (${both.fast.plainPackets} times)`);
  assert.ok(both.fast.plainPackets < both.packets, 'and left to the general path too');
});

test.run();
