/**
 * Library entry of the capture generator (see bench/README.md).
 *   const stats = generateBench({ out: 'x.pcap', format: 'pcap', seed: 42, limits: { bytes: 200e6 } });
 */
import fs from 'node:fs';
import { Generator } from './generator.js';
import type { GenLimits, GenOptions, GenStats } from './generator.js';
import { benchMix, buildTopology, BENCH_SIZE, inventoryFor } from './hybrid.js';
import { CaptureWriter, FdSink, MemorySink } from './writer.js';
import type { Encap, OutFormat, Sink } from './writer.js';

export { Generator, DEFAULT_OPTIONS } from './generator.js';
export type { GenLimits, GenOptions, GenStats, TrafficClass, TcpParams } from './generator.js';
export { CaptureWriter, ENCAPS, FdSink, MemorySink } from './writer.js';
export type { Encap, OutFormat, Sink } from './writer.js';
export * from './hybrid.js';
export { Prng } from './prng.js';

export interface BenchGenRequest {
  /** Output path, or null to collect in memory (returned as `data`). */
  out: string | null;
  format: OutFormat;
  options: Partial<GenOptions>;
  limits: GenLimits;
  inventory?: string;
  countTuples?: boolean;
  /** Deliver each frame inside a tunnel, as a mirror sends it (default 'none'; see Encap). */
  encap?: Encap;
}

export interface BenchGenResult {
  stats: GenStats;
  data: Buffer | null;
  inventory: object;
}

/** The benchmark's hybrid-identity mix: 8 DCs, 6000 users, Azure endpoints, 5 % noise by default. */
export function generateBench(req: BenchGenRequest): BenchGenResult {
  const g = new Generator(req.options);
  const topo = buildTopology(g.rng.fork(), BENCH_SIZE, g.opts.vlanShare);
  g.setMix(benchMix(topo));
  const mem = req.out === null ? new MemorySink() : null;
  const sink: Sink = mem ?? new FdSink(req.out!);
  const w = new CaptureWriter(sink, req.format, undefined, undefined, req.encap ?? 'none');
  const stats = g.run(w, req.limits, req.countTuples ?? false);
  w.close();
  const inventory = inventoryFor(topo);
  if (req.inventory !== undefined) fs.writeFileSync(req.inventory, `${JSON.stringify(inventory, null, 2)}\n`);
  return { stats, data: mem === null ? null : mem.result(), inventory };
}

/** "1.65G", "200M", "512k", "1000000" → bytes (decimal multipliers, like the peer benchmark's MB). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]i?)?[bB]?$/.exec(s.trim());
  if (m === null) throw new Error(`bad size "${s}" (examples: 200M, 1.65G, 1000000)`);
  const n = Number(m[1]);
  const u = (m[2] ?? '').toLowerCase();
  const base = u.endsWith('i') ? 1024 : 1000;
  const exp = u.startsWith('k') ? 1 : u.startsWith('m') ? 2 : u.startsWith('g') ? 3 : 0;
  return Math.round(n * base ** exp);
}

/** "6.8M", "1M", "12000000", "500k" → count. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmM])?$/.exec(s.trim());
  if (m === null) throw new Error(`bad count "${s}" (examples: 12M, 500k, 1000000)`);
  const u = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (u === 'k' ? 1e3 : u === 'm' ? 1e6 : 1));
}
