/**
 * The captures the decode-path comparisons run over: every capture file of the fixtures and of the
 * corpus (when ../shared/corpus is there), and two generated ones (a mix with VLANs, IPv6 and
 * fragments as pcap, and small packets as pcapng).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBench } from '../../bench/gen/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS = path.join(ROOT, '../shared/corpus');

/** Capture files (pcap, pcapng, cap, gzipped too) under dir, recursively; none when it is missing. */
export function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const f = path.join(dir, e);
    if (statSync(f).isDirectory()) out.push(...captures(f));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e)) out.push(f);
  }
  return out;
}

/**
 * Generate the two captures into dir and return [the mix (pcap), the small packets (pcapng)] and
 * every file to compare over (fixtures, corpus, then those two). `what` names the test in the
 * line that says the corpus is missing.
 */
export function comparisonCaptures(dir: string, what: string): { generated: [string, string]; files: string[] } {
  const generated: [string, string] = [path.join(dir, 'mix.pcap'), path.join(dir, 'small.pcapng')];
  generateBench({ out: generated[0], format: 'pcap', options: { seed: 7 }, limits: { packets: 60_000 } });
  generateBench({ out: generated[1], format: 'pcapng', options: { seed: 8, small: true }, limits: { packets: 30_000 } });
  if (!existsSync(CORPUS)) process.stdout.write(`${what}: ${CORPUS} is not there: the corpus part is skipped\n`);
  return { generated, files: [...captures(path.join(ROOT, 'fixtures')), ...captures(CORPUS), ...generated] };
}
