// Tests of the capture generator (bench/gen) and of the committed demo sample (fixtures/demo).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENCAP_LEN } from '../../bench/gen/writer.js';
import { generateBench, parseSize } from '../../bench/gen/index.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { buildDemo } from '../../fixtures/demo/scenario.js';
import { fileURLToPath } from 'node:url';
import { findNodePcap, WASM_FLOOR_FLAGS } from '../../bench/peers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gen = (seed: number, packets: number, format: 'pcap' | 'pcapng' = 'pcap', small = false) =>
  generateBench({ out: null, format, options: { seed, small }, limits: { packets }, countTuples: true });

interface Rec { ts: number; capLen: number; origLen: number; off: number }

/** Walk a classic little-endian µs pcap by hand. */
function pcapRecords(b: Buffer): Rec[] {
  assert.is(b.readUInt32LE(0), 0xa1b2c3d4, 'pcap magic (LE, µs)');
  assert.is(b.readUInt32LE(20), 1, 'LINKTYPE_ETHERNET');
  const out: Rec[] = [];
  let o = 24;
  while (o < b.length) {
    assert.ok(o + 16 <= b.length, `record header at ${o} complete`);
    const capLen = b.readUInt32LE(o + 8);
    const usec = b.readUInt32LE(o + 4);
    assert.ok(usec < 1e6, 'microseconds < 1e6');
    out.push({ ts: b.readUInt32LE(o) * 1e6 + usec, capLen, origLen: b.readUInt32LE(o + 12), off: o + 16 });
    o += 16 + capLen;
  }
  assert.is(o, b.length, 'last record ends at end of file');
  return out;
}

/** Walk a pcapng file: SHB, IDB, then EPBs; check every block's trailing length. */
function pcapngRecords(b: Buffer): Rec[] {
  assert.is(b.readUInt32LE(0), 0x0a0d0d0a, 'SHB');
  assert.is(b.readUInt32LE(8), 0x1a2b3c4d, 'byte-order magic');
  const out: Rec[] = [];
  let o = 0;
  let idbs = 0;
  while (o < b.length) {
    const type = b.readUInt32LE(o);
    const len = b.readUInt32LE(o + 4);
    assert.ok(len % 4 === 0 && len >= 12, `block length ${len} at ${o}`);
    assert.is(b.readUInt32LE(o + len - 4), len, `trailing length of block at ${o}`);
    if (type === 1) { idbs++; assert.is(b.readUInt16LE(o + 8), 1, 'IDB link type Ethernet'); }
    if (type === 6) {
      assert.is(b.readUInt32LE(o + 8), 0, 'interface 0');
      const capLen = b.readUInt32LE(o + 20);
      assert.ok(28 + capLen + 4 <= len, 'packet fits its block');
      out.push({ ts: b.readUInt32LE(o + 12) * 4294967296 + b.readUInt32LE(o + 16), capLen, origLen: b.readUInt32LE(o + 24), off: o + 28 });
    }
    o += len;
  }
  assert.is(o, b.length);
  assert.is(idbs, 1);
  return out;
}

function checkFrames(b: Buffer, recs: Rec[], minLen: number, maxLen: number): void {
  let last = 0;
  for (const r of recs) {
    assert.ok(r.ts >= last, 'timestamps never go backwards');
    last = r.ts;
    assert.is(r.capLen, r.origLen);
    assert.ok(r.capLen >= minLen && r.capLen <= maxLen, `frame length ${r.capLen} in [${minLen}, ${maxLen}]`);
    // IPv4 header checksum, recomputed by hand over the header bytes.
    let p = r.off + 12;
    let et = b.readUInt16BE(p);
    if (et === 0x8100) { p += 4; et = b.readUInt16BE(p); }
    p += 2;
    assert.ok(et === 0x0800 || et === 0x86dd, `ethertype 0x${et.toString(16)}`);
    if (et === 0x0800) {
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(p + i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      assert.is(sum, 0xffff, 'IPv4 header checksum verifies');
      assert.ok(14 + 20 <= r.capLen && b.readUInt16BE(p + 2) + (p - r.off) <= r.capLen, 'IP total length within the frame');
    }
  }
}

test('same seed ⇒ identical bytes; another seed ⇒ different bytes', () => {
  const a = gen(7, 3000), b = gen(7, 3000), c = gen(8, 3000);
  assert.is(sha(a.data!), sha(b.data!));
  assert.is.not(sha(a.data!), sha(c.data!));
  const n1 = gen(7, 2000, 'pcapng'), n2 = gen(7, 2000, 'pcapng');
  assert.is(sha(n1.data!), sha(n2.data!));
});

test('pcap: exactly the requested packet count, valid records and headers', () => {
  for (const n of [1, 999, 5000]) {
    const r = gen(3, n);
    const recs = pcapRecords(r.data!);
    assert.is(recs.length, n);
    assert.is(r.stats.packets, n);
    assert.is(r.stats.bytes, r.data!.length, 'stats.bytes is the file size');
    checkFrames(r.data!, recs, 60, 1518);
  }
});

test('pcapng: exactly the requested packet count, valid blocks; same packets as pcap', () => {
  const ng = gen(5, 4000, 'pcapng'), pc = gen(5, 4000, 'pcap');
  const rn = pcapngRecords(ng.data!), rp = pcapRecords(pc.data!);
  assert.is(rn.length, 4000);
  checkFrames(ng.data!, rn, 60, 1518);
  for (let i = 0; i < rn.length; i += 97) {
    const x = rn[i]!, y = rp[i]!;
    assert.is(x.ts, y.ts);
    assert.ok(ng.data!.subarray(x.off, x.off + x.capLen).equals(pc.data!.subarray(y.off, y.off + y.capLen)), `packet ${i} identical`);
  }
});

test('small-packets profile: 64-byte frames (68 with a VLAN tag), IPv6 and ICMP errors up to 114', () => {
  const r = gen(9, 5000, 'pcap', true);
  const recs = pcapRecords(r.data!);
  checkFrames(r.data!, recs, 64, 114);
  const n64 = recs.filter((x) => x.capLen === 64).length;
  assert.ok(n64 / recs.length > 0.6, `most frames are 64 bytes (${n64}/${recs.length})`);
});

test('the mix: TCP, UDP, ICMP, IPv6 and VLAN all present; interleaved flows', () => {
  const r = gen(11, 10000);
  const s = r.stats;
  assert.ok(s.tcpPackets > 0 && s.udpPackets > 0, 'tcp and udp');
  assert.ok(s.ipv6Packets > 0 && s.vlanPackets > 0, 'ipv6 and vlan');
  assert.ok(s.flows > 1000, `many flows (${s.flows})`);
  assert.ok(s.uniqueTcpUdpFlows! <= s.flows);
  // interleaving: the first 200 packets belong to more than 20 distinct 5-tuples
  const recs = pcapRecords(r.data!).slice(0, 200);
  const keys = new Set(recs.map((x) => r.data!.subarray(x.off + 14, x.off + 14 + 40).toString('hex')));
  assert.ok(keys.size > 20, `interleaved (${keys.size} distinct headers)`);
});

test('parseSize', () => {
  assert.is(parseSize('1.65G'), 1_650_000_000);
  assert.is(parseSize('200M'), 200_000_000);
  assert.is(parseSize('1Gi'), 2 ** 30);
  assert.throws(() => parseSize('lots'));
});

const tshark = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).status === 0;

test('tshark reads every packet and finds no bad IPv4/UDP/ICMP checksum', () => {
  if (!tshark) { console.log('skip: tshark not installed'); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-gen-'));
  try {
    for (const fmt of ['pcap', 'pcapng'] as const) {
      const f = path.join(dir, `x.${fmt}`);
      const r = generateBench({ out: f, format: fmt, options: { seed: 21, ipv6Share: 0.3, noiseShare: 0.3 }, limits: { packets: 3000 } });
      assert.ok(r.stats.icmpPackets > 0 || r.stats.udpPackets > 0);
      const all = spawnSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.is(all.status, 0, all.stderr);
      assert.is(all.stdout.trim().split('\n').length, 3000, `${fmt}: tshark counts 3000 frames`);
      const bad = spawnSync('tshark', ['-r', f, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
        '-Y', 'ip.checksum.status == 0 || udp.checksum.status == 0 || icmp.checksum.status == 0 || icmpv6.checksum.status == 0 || tcp.analysis.flags && !tcp.analysis.retransmission && !tcp.analysis.window_update && !tcp.connection.rst',
        '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      assert.is(bad.status, 0, bad.stderr);
      assert.is(bad.stdout.trim(), '', `${fmt}: frames with bad checksums or TCP analysis flags: ${bad.stdout.slice(0, 200)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--encap: each frame inside VXLAN, Geneve or ERSPAN (50 outer bytes), the same inner frames; flowaudit\'s flows and tshark\'s inner 5-tuples those of the bare capture', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-gen-encap-'));
  try {
    // (a tunnel's flow has the outer packet's VLAN, none here: the inner frame's tag is not the flow's; the evidence names the format)
    const flowsOf = async (f: string) => (await gatherEvidence([f])).flows.map((r) => JSON.stringify({ ...r, vlan: null, tunnel: null, source: '', evidence: '' }));
    const bare = path.join(dir, 'none.pcap');
    const r0 = generateBench({ out: bare, format: 'pcap', options: { seed: 23 }, limits: { packets: 4000 } });
    const b0 = fs.readFileSync(bare), recs0 = pcapRecords(b0), want = await flowsOf(bare);
    const innerTuples = (f: string) => spawnSync('tshark', ['-n', '-r', f, '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'udp.srcport'], { encoding: 'utf8' })
      .stdout.trim().split('\n').map((l) => {
        const [s4, s6, tp, up] = l.split('\t').map((v) => v.split(',').at(-1) ?? '');
        return `${s6 || s4} ${tp || up}`; // (an outer UDP port is listed with an inner TCP one)
      });
    const tupleRef = tshark ? innerTuples(bare) : [];
    for (const encap of ['vxlan', 'geneve', 'erspan'] as const) {
      for (const format of ['pcap', 'pcapng'] as const) {
        const f = path.join(dir, `${encap}.${format}`);
        const r = generateBench({ out: f, format, options: { seed: 23 }, limits: { packets: 4000 }, encap });
        assert.is(r.stats.packets, r0.stats.packets);
        const b = fs.readFileSync(f), recs = format === 'pcap' ? pcapRecords(b) : pcapngRecords(b);
        recs.forEach((x, i) => {
          const y = recs0[i]!;
          assert.is(x.capLen, y.capLen + ENCAP_LEN);
          assert.ok(b.subarray(x.off + ENCAP_LEN, x.off + x.capLen).equals(b0.subarray(y.off, y.off + y.capLen)), `${encap} ${format} #${i}: the inner frame`);
        });
        const got = await flowsOf(f);
        assert.equal(got, want, `${encap} ${format}: flows`);
        const one = (await gatherEvidence([f])).flows[0]!;
        assert.equal(one.tunnel, { kind: encap, outerSrc: '10.99.0.1', outerDst: '10.99.0.2' });
        if (tshark && format === 'pcap') assert.equal(innerTuples(f), tupleRef, `${encap}: tshark's innermost addresses and ports`);
      }
    }
    if (!tshark) console.log('skip: tshark not installed (its part of the --encap test)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ground truth: an independent 5-tuple counter (bench/native/node-floor.mjs) agrees with the generator', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-gen-'));
  try {
    for (const fmt of ['pcap', 'pcapng'] as const) {
      const f = path.join(dir, `y.${fmt}`);
      const r = generateBench({ out: f, format: fmt, options: { seed: 33, noiseShare: 0.2 }, limits: { flows: 1000 }, countTuples: true });
      const out = spawnSync(process.execPath, [new URL('../../bench/native/node-floor.mjs', import.meta.url).pathname, f], { encoding: 'utf8' });
      assert.is(out.status, 0, out.stderr);
      assert.is(out.stdout.trim(), `packets ${r.stats.packets} flows ${r.stats.uniqueTcpUdpFlows! + r.stats.uniqueIcmpPairs!}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the benchmark\'s other counters (C floor, WebAssembly floor, pcap-parser, node_pcap) count what the generator made', () => {
  // the bench compares like with like only if every peer sees the same packets and 5-tuples
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-peers-'));
  const native = (name: string) => new URL(`../../bench/native/${name}`, import.meta.url).pathname;
  try {
    const floor = path.join(dir, 'floor');
    const cc = spawnSync('gcc', ['-O2', '-o', floor, native('floor.c'), '-lpcap'], { encoding: 'utf8' });
    if (cc.status !== 0) console.log(`  (skipped: the C floor did not build: ${(cc.error ? String(cc.error) : cc.stderr).trim().split('\n').slice(-1)[0]}; it needs gcc and libpcap-dev)`);
    const wasm = path.join(dir, 'floor.wasm');
    const asc = fileURLToPath(new URL('../../node_modules/assemblyscript/bin/asc.js', import.meta.url));
    const as = fs.existsSync(asc) ? spawnSync(process.execPath, [asc, native('wasm/floor.ts'), ...WASM_FLOOR_FLAGS, '-o', wasm], { encoding: 'utf8' }) : null;
    if (as === null) console.log('  (skipped: the WebAssembly floor, AssemblyScript is not installed)');
    else assert.is(as.status, 0, `asc: ${as.stderr}`);
    const nodePcap = findNodePcap();
    if (nodePcap === null) console.log('  (skipped: node_pcap, not installed; npm run bench -- --install-peers builds it)');
    let checked = 0;
    for (const fmt of ['pcap', 'pcapng'] as const) {
      const f = path.join(dir, `p.${fmt}`);
      const r = generateBench({ out: f, format: fmt, options: { seed: 34, noiseShare: 0.2 }, limits: { flows: 800 }, countTuples: true });
      const want = `packets ${r.stats.packets} flows ${r.stats.uniqueTcpUdpFlows! + r.stats.uniqueIcmpPairs!}`;
      const runs: [string, string[]][] = [];
      if (cc.status === 0) runs.push(['C floor', [floor, f]]);
      if (as !== null) runs.push(['WebAssembly floor', [process.execPath, native('wasm-floor.mjs'), wasm, f]]);
      if (fmt === 'pcap') runs.push(['pcap-parser', [process.execPath, '--no-deprecation', native('pcap-parser-peer.mjs'), f]]);
      if (nodePcap !== null) runs.push(['node_pcap', [process.execPath, native('node-pcap-peer.mjs'), nodePcap, f]]);
      for (const [name, [cmd, ...args]] of runs) {
        const out = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 60_000 });
        assert.is(out.status, 0, `${name} ${fmt}: ${out.stderr}`);
        assert.ok(out.stdout.trim().startsWith(want), `${name} ${fmt}: ${out.stdout.trim()} (want ${want})`);
        checked++;
      }
    }
    assert.ok(checked >= 1, 'pcap-parser at least');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('demo sample on disk is exactly what the generator produces now (no drift)', () => {
  const demo = buildDemo();
  const dir = new URL('../../fixtures/demo/', import.meta.url);
  const onDisk = fs.readFileSync(new URL('sample.pcapng', dir));
  assert.is(sha(onDisk), sha(demo.pcapng), 'fixtures/demo/sample.pcapng is stale: run `npm run gen:demo`');
  assert.is(fs.readFileSync(new URL('inventory.json', dir), 'utf8'), demo.inventory, 'fixtures/demo/inventory.json is stale');
  assert.ok(onDisk.length < 500_000, `demo sample is small (${onDisk.length} bytes)`);
  const recs = pcapngRecords(onDisk);
  assert.ok(recs.length >= 2000 && recs.length <= 5000, `${recs.length} packets`);
  assert.is(recs.length, demo.stats.packets);
});

test.run();
