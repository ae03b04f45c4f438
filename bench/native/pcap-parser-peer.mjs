// pcap-parser-peer.mjs — the npm package pcap-parser (pure JS stream, classic pcap only) feeding the
// peers' shared decode and string-keyed Map of bidirectional 5-tuples (string-flows.mjs).
// usage: node bench/native/pcap-parser-peer.mjs FILE   → "packets N flows N"
import { createRequire } from 'node:module';
import { createStringFlows } from './string-flows.mjs';
const require = createRequire(import.meta.url);
const pcapp = require('pcap-parser');

const flows = createStringFlows();
const parser = pcapp.parse(process.argv[2]);
parser.on('packet', (pkt) => flows.add(pkt.data, pkt.data.length, pkt.header.originalLength));
parser.on('end', () => process.stdout.write(`packets ${flows.packets} flows ${flows.flows}\n`));
parser.on('error', (e) => { process.stderr.write(`pcap-parser: ${e.message}\n`); process.exit(1); });
