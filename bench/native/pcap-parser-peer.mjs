// pcap-parser-peer.mjs — the npm package pcap-parser (pure JS stream, classic pcap only) feeding a
// simple decode and a string-keyed Map of bidirectional 5-tuples, as in the peer benchmark.
// usage: node bench/native/pcap-parser-peer.mjs FILE   → "packets N flows N"
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser');

const flows = new Map();
let packets = 0;
const parser = pcapp.parse(process.argv[2]);
parser.on('packet', (pkt) => {
  packets++;
  const d = pkt.data;
  if (d.length < 14) return;
  let p = 12;
  let et = d.readUInt16BE(p);
  for (let v = 0; v < 2 && (et === 0x8100 || et === 0x88a8); v++) { p += 4; et = d.readUInt16BE(p); }
  p += 2;
  let s, t, proto;
  if (et === 0x0800) {
    proto = d[p + 9];
    s = `${d[p + 12]}.${d[p + 13]}.${d[p + 14]}.${d[p + 15]}`;
    t = `${d[p + 16]}.${d[p + 17]}.${d[p + 18]}.${d[p + 19]}`;
    p += (d[p] & 15) * 4;
  } else if (et === 0x86dd) {
    proto = d[p + 6];
    s = d.toString('hex', p + 8, p + 24);
    t = d.toString('hex', p + 24, p + 40);
    p += 40;
  } else return;
  let sp = 0, dp = 0;
  if (proto === 6 || proto === 17) { sp = d.readUInt16BE(p); dp = d.readUInt16BE(p + 2); }
  const a = `${s}/${sp}`, b = `${t}/${dp}`;
  const key = a < b ? `${proto} ${a} ${b}` : `${proto} ${b} ${a}`;
  const f = flows.get(key);
  if (f === undefined) flows.set(key, { pkts: 1, bytes: pkt.header.originalLength });
  else { f.pkts++; f.bytes += pkt.header.originalLength; }
});
parser.on('end', () => process.stdout.write(`packets ${packets} flows ${flows.size}\n`));
parser.on('error', (e) => { process.stderr.write(`pcap-parser: ${e.message}\n`); process.exit(1); });
