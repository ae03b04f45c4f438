/**
 * A capture of blocked attempts, as a pilot whose firewall refuses with ICMP delivers it: `flows`
 * UDP datagrams to 50 DCs (10.200.0.1–50), half from four Azure AD Connect servers (10.100.0.1–4)
 * to DNS, Kerberos and LDAP, half from as many users (10.0.0.0/10) to ports 5000–5299, each
 * answered by ICMP port unreachable quoting it (`--answer icmp`), or, as the control, by a UDP
 * datagram of the same size (`--answer udp`). Deterministic; classic pcap, 100
 * flows a second. With `--inventory FILE` it writes the inventory used for the measurements
 * (`aadconnect`, `dc`, `users`). bench/RESULTS.md ("Flows refused by ICMP as rows") measured
 * `flowaudit audit` and `flows` on 300 k flows both ways:
 *
 *   node --import tsx bench/refused.ts --flows 300000 --answer icmp --out /tmp/refused.pcap --inventory /tmp/refused.json
 *   node --import tsx bench/refused.ts --flows 300000 --answer udp --out /tmp/answered.pcap
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureWriter, FdSink, MemorySink, internetChecksum, type Sink } from './gen/writer.js';

const ETH = 14, IP = 20, UDP = 8, PAYLOAD = 40;
/** UDP ports of the default profile's rules from Azure AD Connect to a DC (DNS, Kerberos, LDAP). */
const DC_PORTS = [53, 88, 389];

/** An Ethernet frame with an IPv4 header (protocol `proto`, checksummed) from `src` to `dst` (uint32) over `body`. */
function frame(src: number, dst: number, proto: number, body: Buffer): Buffer {
  const b = Buffer.alloc(ETH + IP + body.length);
  b.writeUInt16BE(0x0800, 12);
  b[ETH] = 0x45; b.writeUInt16BE(IP + body.length, ETH + 2); b[ETH + 8] = 64; b[ETH + 9] = proto;
  b.writeUInt32BE(src >>> 0, ETH + 12); b.writeUInt32BE(dst >>> 0, ETH + 16);
  b.writeUInt16BE(internetChecksum(b, ETH, IP), ETH + 10);
  body.copy(b, ETH + IP);
  return b;
}

function udp(sport: number, dport: number, payload: number): Buffer {
  const b = Buffer.alloc(UDP + payload);
  b.writeUInt16BE(sport, 0); b.writeUInt16BE(dport, 2); b.writeUInt16BE(UDP + payload, 4);
  return b;
}

/** Write the capture into `sink` (the generator's CaptureWriter: classic pcap, µs). */
export function writeRefused(sink: Sink, flows: number, answer: 'icmp' | 'udp'): void {
  const w = new CaptureWriter(sink, 'pcap');
  const put = (tsUs: number, frame: Buffer): void => { frame.copy(w.buf, w.begin()); w.commit(tsUs, frame.length); };
  for (let i = 0; i < flows; i++) {
    // (half from four sync servers to ports a DC must answer them on: blocked; half from users to
    // other ports: unexpected)
    const sync = i % 2 === 0;
    const c = sync ? (10 << 24) + (100 << 16) + 1 + ((i >> 1) % 4) : (10 << 24) + i, s = (10 << 24) + (200 << 16) + 1 + (i % 50);
    const sport = sync ? 1024 + ((i >> 1) % 60000) : 40000 + (i % 20000), dport = sync ? DC_PORTS[(i >> 1) % DC_PORTS.length]! : 5000 + (i % 300);
    const t = (1_700_000_000 + Math.floor(i / 100)) * 1e6 + (i % 100) * 10;
    const q = frame(c, s, 17, udp(sport, dport, PAYLOAD));
    put(t, q);
    if (answer === 'icmp') {
      // type 3 code 3, quoting the datagram's IP header, UDP header and payload
      const quote = q.subarray(ETH);
      const icmp = Buffer.alloc(8 + quote.length);
      icmp[0] = 3; icmp[1] = 3;
      quote.copy(icmp, 8);
      icmp.writeUInt16BE(internetChecksum(icmp, 0, icmp.length), 2);
      put(t + 5, frame(s, c, 1, icmp));
    } else {
      put(t + 5, frame(s, c, 17, udp(dport, sport, PAYLOAD + IP)));
    }
  }
  w.close();
}

/** The capture's bytes (small captures and tests). */
export function refusedCapture(flows: number, answer: 'icmp' | 'udp'): Buffer {
  const sink = new MemorySink();
  writeRefused(sink, flows, answer);
  return sink.result();
}

if (process.argv[1] !== undefined && /refused\.ts$/.test(process.argv[1])) {
  const usage = 'usage: node --import tsx bench/refused.ts --out FILE [--flows N (1 to 4194304, default 300000)] [--answer icmp|udp] [--inventory FILE]\n';
  const { values: a } = parseArgs({ options: { flows: { type: 'string', default: '300000' }, answer: { type: 'string', default: 'icmp' }, out: { type: 'string' }, inventory: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (a.help === true) { process.stdout.write(usage); process.exit(0); }
  const flows = Number(a.flows);
  if (a.out === undefined || !Number.isInteger(flows) || flows < 1 || flows > 1 << 22 || (a.answer !== 'icmp' && a.answer !== 'udp')) {
    process.stderr.write(`refused: ${a.out === undefined ? '--out is required' : `--flows must be 1 to 4194304 and --answer icmp or udp (got ${a.flows}, ${a.answer})`}\n${usage}`);
    process.exit(2);
  }
  writeRefused(new FdSink(a.out), flows, a.answer);
  if (a.inventory !== undefined) fs.writeFileSync(a.inventory, `${JSON.stringify({ roles: { aadconnect: ['10.100.0.0/29'], dc: ['10.200.0.0/24'], users: ['10.0.0.0/10'] } }, null, 2)}\n`);
}
