/**
 * A small classic pcap of TCP sessions inside tunnels: flow i (client 10.1.1.(i+1), port 50000 + i,
 * to 10.2.2.2:389, SYN, SYN-ACK, ACK) goes through tunnel i % 3 of TUNNELS: VXLAN and ERSPAN (taken
 * by the flow core) and GRE with a checksum (taken by the JavaScript decoder).
 */
import { writeFileSync } from 'node:fs';
import { buildPcap } from './capture-builder.js';
import { eth, ipv4, tcp, udp } from '../decode/helpers/build.js';
import type { TunnelEvidence } from '../../src/flow/record.js';

/** The tunnels, as the flows' records name them. */
export const TUNNELS: readonly TunnelEvidence[] = [
  { kind: 'vxlan', outerSrc: '10.99.0.1', outerDst: '10.99.0.2' },
  { kind: 'erspan', outerSrc: '10.98.0.1', outerDst: '10.98.0.2' },
  { kind: 'gre', outerSrc: '10.97.0.1', outerDst: '10.97.0.2' },
];

/** Write `flows` tunnelled sessions to `file` (at most 250). */
export function writeTunnelCapture(file: string, flows: number): void {
  const vxlan = (inner: Buffer) => eth(0x0800, ipv4({ src: '10.99.0.1', dst: '10.99.0.2', proto: 17 }, udp(40000, 4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0x10, 0]), inner]))));
  const erspan = (inner: Buffer) => eth(0x0800, ipv4({ src: '10.98.0.1', dst: '10.98.0.2', proto: 47 }, Buffer.concat([Buffer.from('100088be0000002a1007000500000003', 'hex'), inner])));
  const gre = (inner: Buffer) => eth(0x0800, ipv4({ src: '10.97.0.1', dst: '10.97.0.2', proto: 47 }, Buffer.concat([Buffer.from('8000080000000000', 'hex'), inner.subarray(14)])));
  const wraps = [vxlan, erspan, gre];
  const packets = [];
  for (let i = 0; i < flows; i++) {
    const c = `10.1.1.${i + 1}`, wrap = wraps[i % 3]!;
    packets.push({ tsSec: 1_700_000_000 + i, data: wrap(eth(0x0800, ipv4({ src: c, dst: '10.2.2.2' }, tcp({ sport: 50000 + i, dport: 389, flags: 0x02 })))) });
    packets.push({ tsSec: 1_700_000_000 + i, tsNsec: 1000, data: wrap(eth(0x0800, ipv4({ src: '10.2.2.2', dst: c }, tcp({ sport: 389, dport: 50000 + i, flags: 0x12 })))) });
    packets.push({ tsSec: 1_700_000_000 + i, tsNsec: 2000, data: wrap(eth(0x0800, ipv4({ src: c, dst: '10.2.2.2' }, tcp({ sport: 50000 + i, dport: 389, flags: 0x10 })))) });
  }
  writeFileSync(file, buildPcap({ packets }));
}
