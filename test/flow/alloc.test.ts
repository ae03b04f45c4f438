/**
 * The hot path (read + decode + flow update + rows out) allocates nothing per packet: objects are
 * made per flow, not per packet. Two captures with the same 240 flows (TCP over IPv4 and IPv6,
 * some on a VLAN, UDP), one with 20× the packets of the other, as pcap and as pcapng at µs and ns
 * resolution (a ns count's low word wraps every 4.3 s, so half the packets' words pass 2^31 and
 * would be boxed if passed to a call as they are), are read in a child process that
 * V8 tells how much it allocated (--trace-gc-nvp, forced GCs around the measured run so every
 * byte is counted). The bigger capture may allocate only a few bytes more per extra packet (an
 * object per packet would be 16 bytes or more). Not a timing test: the measured run comes after
 * warm-up runs, with V8 compiling on the reading thread, so what optimising costs is the same in
 * both and does not depend on the machine's load (with background compilation, a busy machine
 * left the code unoptimised for longer in the bigger capture, and that was counted as if per
 * packet). (V8's sampling heap profiler is no use
 * here: while it runs, optimised code allocates numbers it otherwise keeps in registers.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPcap, buildPcapng, type PcapPacket } from '../helpers/capture-builder.js';
import { eth, ethTagged, ipv4, ipv6, tcp, udp } from '../decode/helpers/build.js';

const ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, TPID = 0x8100;
const SYN = 2, ACK = 16, PSH = 8, FIN = 1;

/** 240 flows, each with `rounds` request/response exchanges after its handshake; pcap, or pcapng at 10^-tsresol s. */
function capture(rounds: number, ng?: { tsresol: number }): Buffer {
  const packets: PcapPacket[] = [];
  let t = 1_700_000_000;
  for (let i = 0; i < 240; i++) {
    const v6 = i % 4 === 3, vlan = i % 5 === 4, isUdp = i % 6 === 5;
    const c = v6 ? `fd00::${(i + 1).toString(16)}` : `10.1.${i >> 8}.${i & 255}`, s = v6 ? 'fd00::ffff' : '10.9.0.1';
    const cp = 40000 + i, sp = isUdp ? 5000 : 8000;
    const frame = (fromClient: boolean, flags: number, len: number): Buffer => {
      const payload = Buffer.alloc(len, 0x41);
      const l4 = isUdp ? udp(fromClient ? cp : sp, fromClient ? sp : cp, payload)
        : tcp({ sport: fromClient ? cp : sp, dport: fromClient ? sp : cp, flags, seq: 1, ack: 1 }, payload);
      const src = fromClient ? c : s, dst = fromClient ? s : c, proto = isUdp ? 17 : 6;
      const ip = v6 ? ipv6({ src, dst, nh: proto }, l4) : ipv4({ src, dst, proto }, l4);
      const type = v6 ? ETH_IPV6 : ETH_IPV4;
      return vlan ? ethTagged([[TPID, 120]], type, ip) : eth(type, ip);
    };
    const add = (fromClient: boolean, flags: number, len: number): void => { packets.push({ tsSec: t, tsNsec: (packets.length * 1000) % 1e9, data: frame(fromClient, flags, len) }); };
    if (!isUdp) { add(true, SYN, 0); add(false, SYN | ACK, 0); add(true, ACK, 0); }
    for (let r = 0; r < rounds; r++) { add(true, PSH | ACK, 100); add(false, PSH | ACK, 300); }
    if (!isUdp) { add(true, FIN | ACK, 0); add(false, FIN | ACK, 0); add(true, ACK, 0); }
    t += 1;
  }
  if (ng === undefined) return buildPcap({ packets, nanos: true });
  return buildPcapng({ sections: [{ interfaces: [{ linkType: 1, snaplen: 0, tsresol: ng.tsresol }], blocks: packets.map((p) => ({ type: 'epb' as const, if: 0, tsSec: p.tsSec, tsNsec: p.tsNsec ?? 0, data: p.data })) }] });
}

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Bytes V8 allocated in a child process during the last of `runs` reads of `file` through the engine, and the packets of one run. */
function allocated(file: string, runs: number, core: boolean): { bytes: number; packets: number; core: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--no-concurrent-recompilation', '--import', 'tsx', here('./perf/alloc-run.ts'), file, String(runs), ...(core ? ['core'] : [])],
    { encoding: 'utf8', cwd: here('../..'), maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  const from = r.stdout.indexOf('\nmeasure\n');
  assert.ok(from > 0, r.stdout.slice(-500));
  let bytes = 0;
  for (const m of r.stdout.slice(from).matchAll(/ allocated=(\d+)/g)) bytes += Number(m[1]);
  const p = /packets (\d+) core (\d+)/.exec(r.stdout);
  assert.ok(p !== null && bytes > 0, r.stdout.slice(-500));
  return { bytes, packets: Number(p![1]), core: Number(p![2]) };
}

const CASES = [['pcap', undefined, false], ['pcapng, microseconds', { tsresol: 6 }, false], ['pcapng, nanoseconds', { tsresol: 9 }, false],
  ['pcap, read into the WebAssembly core', undefined, true], ['pcapng, read into the WebAssembly core', { tsresol: 9 }, true]] as const;
for (const [name, ng, core] of CASES) {
  test(`read + decode + flow update: no allocation per packet (20× the packets, the same allocation; ${name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fa-alloc-'));
    try {
      const small = join(dir, 'small.cap'), big = join(dir, 'big.cap');
      writeFileSync(small, capture(20, ng));
      writeFileSync(big, capture(400, ng));
      // the last of 4 runs each, the code warmed up by the first 3 (compilation on the reading
      // thread: the same points every time, whatever the machine's load)
      const a = allocated(small, 4, core), b = allocated(big, 4, core);
      const extra = b.packets - a.packets;
      assert.ok(extra > 150_000, `${extra} extra packets`);
      if (core) assert.ok(b.core > b.packets * 0.9, `the core took the packets (${b.core} of ${b.packets})`);
      else assert.is(b.core, 0);
      const perPacket = (b.bytes - a.bytes) / extra;
      process.stdout.write(`alloc (${name}): ${perPacket.toFixed(2)} B per extra packet (${a.bytes} B for ${a.packets} packets, ${b.bytes} B for ${b.packets})\n`);
      assert.ok(perPacket < 4, `${perPacket.toFixed(2)} B allocated per extra packet (${a.bytes} B for ${a.packets} packets, ${b.bytes} B for ${b.packets})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
