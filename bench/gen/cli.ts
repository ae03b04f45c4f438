/**
 * Capture generator CLI.
 *   node --import tsx bench/gen/cli.ts --out big.pcap --format pcap --size 1.65G --seed 42 \
 *        [--packets N] [--flows N] [--small-packets] [--ipv6-share 0.1] [--vlan-share 0.1] \
 *        [--noise-share 0.05] [--rate 280] [--encap none|vxlan|geneve|erspan] [--inventory inv.json]
 *        [--stats stats.json] [--count-tuples]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ENCAPS, generateBench, parseCount, parseSize } from './index.js';
import type { GenLimits } from './generator.js';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string' },
    format: { type: 'string', default: 'pcap' },
    packets: { type: 'string' },
    size: { type: 'string' },
    flows: { type: 'string' },
    duration: { type: 'string' },
    seed: { type: 'string', default: '42' },
    'small-packets': { type: 'boolean', default: false },
    'ipv6-share': { type: 'string', default: '0.1' },
    'vlan-share': { type: 'string', default: '0.1' },
    'noise-share': { type: 'string', default: '0.05' },
    rate: { type: 'string', default: '280' },
    encap: { type: 'string', default: 'none' },
    inventory: { type: 'string' },
    stats: { type: 'string' },
    'count-tuples': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

const usage = 'usage: node --import tsx bench/gen/cli.ts --out FILE [--format pcap|pcapng] (--packets N | --size 1.65G | --flows N | --duration SECONDS) [--seed S] [--small-packets] [--ipv6-share 0.1] [--vlan-share 0.1] [--noise-share 0.05] [--rate FLOWS_PER_S] [--encap none|vxlan|geneve|erspan] [--inventory FILE] [--stats FILE] [--count-tuples]';
function fail(msg: string): never {
  process.stderr.write(`gen: ${msg}\n${usage}\n`);
  process.exit(2);
}
if (a.help) { process.stdout.write(`${usage}\n`); process.exit(0); }
if (a.out === undefined) fail('--out is required');
if (a.format !== 'pcap' && a.format !== 'pcapng') fail(`--format must be pcap or pcapng, not ${a.format}`);
const encap = ENCAPS.find((e) => e === a.encap);
if (encap === undefined) fail(`--encap must be one of ${ENCAPS.join(', ')}, not ${a.encap}`);
const num = (name: string, v: string, lo: number, hi: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) fail(`--${name} must be a number in [${lo}, ${hi}]`);
  return n;
};
const limits: GenLimits = {};
try {
  if (a.packets !== undefined) limits.packets = parseCount(a.packets);
  if (a.size !== undefined) limits.bytes = parseSize(a.size);
  if (a.flows !== undefined) limits.flows = parseCount(a.flows);
} catch (e) {
  fail((e as Error).message);
}
if (a.duration !== undefined) limits.durationUs = num('duration', a.duration, 0, 1e9) * 1e6;
if (Object.keys(limits).length === 0) fail('give --packets, --size, --flows or --duration');

const t0 = process.hrtime.bigint();
const res = generateBench({
  out: a.out,
  format: a.format,
  options: {
    seed: Math.trunc(num('seed', a.seed, -2147483648, 4294967295)),
    small: a['small-packets'],
    ipv6Share: num('ipv6-share', a['ipv6-share'], 0, 1),
    vlanShare: num('vlan-share', a['vlan-share'], 0, 1),
    noiseShare: num('noise-share', a['noise-share'], 0, 1),
    rate: num('rate', a.rate, 0.001, 1e7),
  },
  limits,
  ...(a.inventory !== undefined ? { inventory: a.inventory } : {}),
  countTuples: a['count-tuples'],
  encap,
});
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const s = res.stats;
if (a.stats !== undefined) {
  fs.writeFileSync(a.stats, `${JSON.stringify({ file: a.out, format: a.format, args: process.argv.slice(2), ...s }, null, 2)}\n`);
}
if (!a.quiet) {
  process.stderr.write(
    `gen: ${a.out}: ${s.packets} packets, ${s.flows} flows${s.uniqueTcpUdpFlows !== null ? ` (${s.uniqueTcpUdpFlows} distinct TCP/UDP 5-tuples)` : ''}, ` +
    `${(s.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s (${(s.bytes / 1e6 / secs).toFixed(0)} MB/s, ${(s.packets / secs / 1e6).toFixed(2)} Mpkt/s)\n`,
  );
}
