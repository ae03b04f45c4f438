// node-pcap-peer.mjs — the npm package pcap (node_pcap: a native libpcap binding, so classic pcap
// and pcapng) reading a file offline and feeding the peers' shared decode and string-keyed Map
// (string-flows.mjs). It is not a flowaudit dependency: the bench finds it in node_modules or in
// bench/data/peers (npm run bench -- --install-peers puts it there).
// usage: node bench/native/node-pcap-peer.mjs DIR_WITH_NODE_MODULES FILE   → "packets N flows N"
import { createRequire } from 'node:module';
import path from 'node:path';
import { createStringFlows } from './string-flows.mjs';
const [dir, file] = process.argv.slice(2);
if (!dir || !file) { process.stderr.write('usage: node node-pcap-peer.mjs DIR_WITH_NODE_MODULES FILE\n'); process.exit(2); }
const pcap = createRequire(path.join(path.resolve(dir), 'peer.js'))('pcap');

const flows = createStringFlows();
const session = pcap.createOfflineSession(file);
// every packet arrives in the session's one reused buffer; the 16-byte header is
// {seconds, microseconds, captured length, length on the wire}, host order
session.on('packet', (raw) => flows.add(raw.buf, raw.header.readUInt32LE(8), raw.header.readUInt32LE(12)));
session.on('complete', () => process.stdout.write(`packets ${flows.packets} flows ${flows.flows}\n`));
