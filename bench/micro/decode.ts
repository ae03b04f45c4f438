/**
 * Micro-benchmark: Decoder.decode on simple packets (no capture reading, no flow table).
 * Run: node --import tsx bench/micro/decode.ts [millions]
 * Prints packets/s for Ethernet/IPv4/TCP, Ethernet/VLAN/IPv6/UDP and a VXLAN-wrapped TCP packet,
 * plus heap growth over the run (should be ~0: the hot path allocates nothing). "per CPU-second" divides by the
 * process's CPU time, which is steadier than wall time on a busy machine.
 */
import { Anomalies } from '../../src/core/anomalies.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { DecodedPacket } from '../../src/decode/packet.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ETH_IPV4_TCP = hex(`
  000c29aabbcc 000c29ddeeff 0800
  45000034 1c46 4000 4006 0000 c0a80001 c0a800c7
  c35901bb 00000001 00000000 8002faf0 0000 0000 020405b4 01030308 0101 0402`);
const ETH_VLAN_IPV6_UDP = hex(`
  000c29aabbcc 000c29ddeeff 8100 0064 86dd
  60000000 0010 11 40 20010db8000000000000000000000001 20010db8000000000000000000000002
  d4310035 0010 0000 0102030405060708`);
const VXLAN_TCP = Buffer.concat([hex(`
  000c29aabbcc 000c29ddeeff 0800
  45000066 0000 4000 4011 0000 0a000001 0a000002
  c3501 2b5 0052 0000 08000000 00123400`.replace(/ /g, '')), ETH_IPV4_TCP]);

function rec(data: Buffer): PacketRecord {
  return { index: 0, fileIndex: 0, ifIndex: 0, linkType: 1, tsSec: 0, tsNsec: 0, capLen: data.length, origLen: data.length, data, offset: 0, direction: 0, fileOffset: 0 };
}

function run(name: string, data: Buffer, n: number): void {
  const dec = new Decoder(new Anomalies());
  const out = new DecodedPacket();
  const r = rec(data);
  for (let i = 0; i < 200_000; i++) dec.decode(r, out); // warm-up
  if (out.outcome !== 0) throw new Error(`${name}: outcome ${out.outcome}`);
  const heap0 = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < n; i++) { r.index = i; dec.decode(r, out); sum += out.dstPort; }
  const ns = Number(process.hrtime.bigint() - t0);
  const c1 = process.cpuUsage(c0);
  const cpuNs = (c1.user + c1.system) * 1000;
  const heap1 = process.memoryUsage().heapUsed;
  console.log(`${name.padEnd(24)} ${(n / (ns / 1e9) / 1e6).toFixed(1).padStart(6)} M packets/s wall, ${(n / (cpuNs / 1e9) / 1e6).toFixed(1).padStart(6)} M/s per CPU-second  ${(ns / n).toFixed(1)} ns/packet  heap ${((heap1 - heap0) / 1024).toFixed(0)} KiB  (check ${sum % 7})`);
}

const n = Math.round(Number(process.argv[2] ?? 20) * 1e6);
console.log(`node ${process.version}, ${n / 1e6} M iterations each`);
run('ethernet/ipv4/tcp', ETH_IPV4_TCP, n);
run('ethernet/vlan/ipv6/udp', ETH_VLAN_IPV6_UDP, n);
run('vxlan/ethernet/ipv4/tcp', VXLAN_TCP, Math.round(n / 2));
