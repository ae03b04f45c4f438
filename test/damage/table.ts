/**
 * What flowaudit must do with each corpus file, written from the corpus MANIFEST's container-walk
 * facts (../shared/corpus/public/manifest.json, made by the corpus's own tools/make_manifest.py,
 * and the capinfos/tshark messages quoted there) — never from flowaudit's own output.
 *
 * - readable: the CLI exits 0/1 (2 only where nothing could be read).
 * - packets: complete records/packet blocks in the container walk.
 * - clean: the walk found no PROBLEM.
 * - damageAt: the byte offset the walk names for the problem (start of the cut/bad unit).
 * - prefix: the file's intact prefix (bytes) whose flows must equal the damaged file's flows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Expectation {
  file: string;
  readable: boolean;
  packets: number;
  clean: boolean;
  damageAt?: number;
  /** Upper bound for the damage offset when the walk gives a range (header damage). */
  damageBefore?: number;
  reason?: RegExp;
  prefix?: number;
  why: string;
}

interface ManifestEntry { name: string; container: string; size: number }

/** Packets in a container-walk string: pcap `N complete records`, pcapng EPB/SPB/OPB counts. */
export function walkPackets(container: string): number {
  const m = /(\d+) complete records/.exec(container);
  if (m) return Number(m[1]);
  let n = 0;
  for (const x of container.matchAll(/\b(EPB|SPB|OPB)[^x,;]*x(\d+)/g)) n += Number(x[2]);
  return n;
}

export function expectations(corpus: string): Expectation[] {
  const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const out: Expectation[] = [];
  for (const e of manifest) {
    const c = e.container;
    const packets = walkPackets(c);
    const base: Expectation = { file: e.name, readable: true, packets, clean: !c.includes('PROBLEM'), why: `container walk: ${c}` };
    switch (e.name) {
      case 'corrupt-pcap-bad-version.pcap':
        // header says version 1.4; libpcap, capinfos and tshark all refuse it ("pcap: major version 1 unsupported"):
        // the records cannot be trusted to follow the 2.x layout, so nothing is read.
        out.push({ ...base, readable: false, packets: 0, clean: false, damageBefore: 24, reason: /version/i, why: `${base.why}; tools: major version 1 unsupported` });
        break;
      case 'corrupt-pcap-huge-record.pcap':
        // record 2 at offset 228 claims incl_len 1409179648 (> 262144): the first record is good
        out.push({ ...base, packets: 1, clean: false, damageAt: 228, reason: /1409179648/, prefix: 228 });
        break;
      case 'corrupt-pcapng-shb-option.pcapng':
        // SHB (52 bytes) has an option of length 12336 running past the block, and its trailing length
        // (0x30303030) differs from the leading one: the section header is invalid, so no block after
        // it can be trusted (capinfos/tshark: "Not enough data to handle option of length 12336", 0 packets).
        out.push({ ...base, readable: false, packets: 0, clean: false, damageBefore: 52, why: `${base.why}; tools: SHB option length 12336 runs past the block` });
        break;
      case 'derived-cut-mid-block.pcapng':
        out.push({ ...base, clean: false, damageAt: 46388, prefix: 46388 });
        break;
      case 'derived-cut-mid-record.pcap':
        out.push({ ...base, clean: false, damageAt: 46138, prefix: 46138 });
        break;
      default:
        out.push(base);
    }
  }
  return out;
}
