/**
 * Corpus conformance: for every capture in ../shared/corpus/public (and the pilot captures), each
 * packet's audited 5-tuple (innermost IP addresses, protocol, ports; VLAN ids; an ICMP error's
 * quoted addresses and ports) must agree with tshark 4.0.17's per-packet reference
 * (../shared/corpus/reference/<file>.packets.tsv). Every disagreement must match one of the
 * documented differences below, which name the file (or the rule) and the reason.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, decodeCapture, type Ours } from './helpers/conformance.js';
import { readReference, type RefPacket } from './helpers/reference.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const sets = [
  { dir: `${corpus}public/`, ref: `${corpus}reference/` },
  { dir: `${corpus}pilot/`, ref: `${corpus}reference/pilot/` },
];

/** Whole files where tshark reads different packets than a capture reader following the format should. */
const FILE_DIFFERENCES: Record<string, string> = {
  'corrupt-pcap-huge-record.pcap':
    'tshark (libwiretap) guesses the "modified pcap" (Kuznetzov, 24-byte record header) variant for this '
    + 'standard-magic file because its 2nd record header is garbage, so its frame 1 starts 8 bytes later '
    + '(eth.type 0x4000). flowaudit follows the magic number: frame 1 is an ordinary Ethernet/IPv4 frame.',
};

/** Per-packet rules: a difference is accepted when a rule matches; the rule names the reason. */
interface Rule { reason: string; applies(o: Ours, r: RefPacket, diffs: string[]): boolean }
const RULES: Rule[] = [
  {
    reason: 'IP fragment: tshark dissects the transport only in the fragment that completes reassembly '
      + '(other fragments show as "data"); flowaudit reads the ports from the first fragment and carries '
      + 'them to later fragments through the fragment table, so each fragment joins its flow.',
    applies: (o, r, diffs) => o.fragment !== 0 && r.srcPort === null && diffs.every((d) => d.startsWith('ports ')),
  },
];

/** pcapng blocks that tshark lists as frames without an interface (custom / unknown blocks): not packets. */
function packetRows(file: string, refs: RefPacket[], ifaceless: Set<number>): RefPacket[] {
  if (!file.endsWith('.pcapng')) return refs;
  return refs.filter((r) => !ifaceless.has(r.frame));
}

const present = existsSync(`${corpus}public`);

if (!present) {
  test('corpus conformance', () => {
    console.log(`skip: ${corpus}public not found (corpus conformance needs ../shared/corpus beside the checkout)`);
  });
} else {
  for (const { dir, ref } of sets) {
    if (!existsSync(dir)) { console.log(`skip: ${dir} not found`); continue; }
    for (const file of readdirSync(dir).sort()) {
      if (!/\.(pcap|pcapng|cap)$/.test(file)) continue;
      const tsv = `${ref}${file}.packets.tsv`;
      if (!existsSync(tsv)) continue;
      test(`conformance: ${file}`, async () => {
        const refsAll = readReference(tsv);
        if (FILE_DIFFERENCES[file] !== undefined) {
          console.log(`  documented difference, ${file}: ${FILE_DIFFERENCES[file]}`);
          return;
        }
        const { packets } = await decodeCapture(dir + file);
        const refs = packetRows(file, refsAll, new Set(refsAll.filter((r) => r.ifaceless).map((r) => r.frame)));
        assert.is(packets.length, refs.length, `${file}: packet count vs tshark`);
        const unexplained: string[] = [];
        const explained = new Map<string, number>();
        for (let i = 0; i < packets.length; i++) {
          const o = packets[i]!, r = refs[i]!;
          const diffs = compare(o, r);
          if (diffs.length === 0) continue;
          const rule = RULES.find((x) => x.applies(o, r, diffs));
          if (rule !== undefined) explained.set(rule.reason, (explained.get(rule.reason) ?? 0) + 1);
          else unexplained.push(`${file} frame ${r.frame} (${r.protocols}): ${diffs.join('; ')}`);
        }
        for (const [reason, n] of explained) console.log(`  documented difference, ${file}: ${n} packet(s): ${reason}`);
        assert.equal(unexplained, [], unexplained.slice(0, 5).join('\n'));
      });
    }
  }
}

test.run();
