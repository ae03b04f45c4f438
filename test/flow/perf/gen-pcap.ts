/**
 * Generate a large synthetic pcap for the flow-stage throughput measurement (not a test):
 *   node --import tsx test/flow/perf/gen-pcap.ts OUT.pcap [flows=1000000] [window=20000]
 * 80 % TCP flows of 7 packets (SYN, SYN-ACK, ACK, data, data, FIN, FIN), 20 % UDP flows of 6
 * packets; `window` flows are active at once and their packets interleave round-robin; 1 µs
 * between packets. 1 M flows → 6.8 M packets (~520 MB).
 */
import { openSync, writeSync, closeSync } from 'node:fs';

const out = process.argv[2] ?? '/tmp/flowaudit-perf.pcap';
const FLOWS = Number(process.argv[3] ?? 1_000_000);
const WINDOW = Number(process.argv[4] ?? 20_000);

const fd = openSync(out, 'w');
const buf = Buffer.alloc(8 << 20);
let pos = 0;
function flush(): void { writeSync(fd, buf, 0, pos); pos = 0; }

// global header (LE, µs, Ethernet)
buf.writeUInt32LE(0xa1b2c3d4, 0); buf.writeUInt16LE(2, 4); buf.writeUInt16LE(4, 6);
buf.writeInt32LE(0, 8); buf.writeUInt32LE(0, 12); buf.writeUInt32LE(65535, 16); buf.writeUInt32LE(1, 20);
pos = 24;

let t = 1_700_000_000 * 1e6;
let packets = 0;

function packet(tcp: boolean, cli: number, srv: number, cport: number, sport: number, fromClient: boolean, flags: number, payload: number): void {
  const l4 = tcp ? 20 : 8;
  const ipLen = 20 + l4 + payload;
  const frame = 14 + ipLen;
  if (pos + 16 + frame > buf.length) flush();
  const ts = t++;
  buf.writeUInt32LE(Math.floor(ts / 1e6), pos); buf.writeUInt32LE(ts % 1e6, pos + 4);
  buf.writeUInt32LE(frame, pos + 8); buf.writeUInt32LE(frame, pos + 12);
  let o = pos + 16;
  buf.fill(0, o, o + frame);
  buf.writeUInt32BE(0x02000000, o); buf.writeUInt16BE(0x0001, o + 4); buf.writeUInt32BE(0x02000000, o + 6); buf.writeUInt16BE(0x0002, o + 10);
  buf.writeUInt16BE(0x0800, o + 12);
  o += 14;
  const src = fromClient ? cli : srv, dst = fromClient ? srv : cli;
  buf[o] = 0x45; buf.writeUInt16BE(ipLen, o + 2); buf[o + 8] = 64; buf[o + 9] = tcp ? 6 : 17;
  buf.writeUInt32BE(src >>> 0, o + 12); buf.writeUInt32BE(dst >>> 0, o + 16);
  o += 20;
  buf.writeUInt16BE(fromClient ? cport : sport, o); buf.writeUInt16BE(fromClient ? sport : cport, o + 2);
  if (tcp) { buf.writeUInt32BE(1000, o + 4); buf.writeUInt32BE(2000, o + 8); buf[o + 12] = 0x50; buf[o + 13] = flags; buf.writeUInt16BE(65535, o + 14); }
  else buf.writeUInt16BE(8 + payload, o + 4);
  pos += 16 + frame;
  packets++;
}

const TCP_STEPS: [boolean, number, number][] = [[true, 0x02, 0], [false, 0x12, 0], [true, 0x10, 0], [true, 0x18, 40], [false, 0x18, 60], [true, 0x11, 0], [false, 0x11, 0]];
const UDP_STEPS: [boolean, number, number][] = [[true, 0, 40], [false, 0, 80], [true, 0, 40], [false, 0, 80], [true, 0, 40], [false, 0, 80]];
const SERVICE = [88, 389, 445, 135, 443, 53, 636, 3268];

for (let base = 0; base < FLOWS; base += WINDOW) {
  const n = Math.min(WINDOW, FLOWS - base);
  for (let step = 0; step < 7; step++) {
    for (let i = 0; i < n; i++) {
      const id = base + i;
      const tcp = id % 5 !== 0;
      const steps = tcp ? TCP_STEPS : UDP_STEPS;
      if (step >= steps.length) continue;
      const cli = (0x0a000000 + (id >>> 6)) >>> 0; // 10.x.y.z, 64 flows per client
      const srv = (0xc0a80000 + (id % 50)) >>> 0;  // 50 servers
      const cport = 49152 + (id % 64) * 200 + (Math.floor(id / 64) % 200);
      const [fc, fl, pl] = steps[step]!;
      packet(tcp, cli, srv, cport, SERVICE[id % SERVICE.length]!, fc, fl, pl);
    }
  }
}
flush();
closeSync(fd);
console.log(`${out}: ${packets} packets, ${FLOWS} flows`);
