// node-floor.mjs — minimal plain-Node reference for the benchmark: 16 MiB fs.readSync chunks,
// classic pcap (LE/BE, µs/ns) or pcapng (EPB/SPB, one section endianness), Ethernet + up to 2 VLAN
// tags, IPv4/IPv6(+ext headers), TCP/UDP, and a typed-array open-addressing table of canonical
// bidirectional 5-tuples (10 int32 key words per slot; packets/bytes per direction, first/last ts).
// No per-packet allocation. Prints "packets N flows N".   usage: node bench/native/node-floor.mjs FILE
import fs from 'node:fs';

const file = process.argv[2];
if (!file) { process.stderr.write('usage: node node-floor.mjs FILE\n'); process.exit(2); }
const fd = fs.openSync(file, 'r');
const CHUNK = 16 << 20;
let buf = Buffer.allocUnsafe(CHUNK + 65536 * 4);
let len = 0, pos = 0, eof = false;
function fill() {
  if (pos > 0) { buf.copy(buf, 0, pos, len); len -= pos; pos = 0; }
  while (!eof && len < CHUNK) {
    const n = fs.readSync(fd, buf, len, buf.length - len, null);
    if (n === 0) eof = true; else len += n;
  }
}

// ---- flow table ----
let cap = 1 << 16, count = 0;
let keys = new Int32Array(cap * 10);
let used = new Uint8Array(cap);
let cnt = new Float64Array(cap * 6); // pkts0 pkts1 bytes0 bytes1 first last
const k = new Int32Array(10);
function hashK(kk, o) {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < 10; i++) { h = Math.imul(h ^ kk[o + i], 0x01000193); }
  h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d); h ^= h >>> 12;
  return h >>> 0;
}
function grow() {
  const ncap = cap * 2, nk = new Int32Array(ncap * 10), nu = new Uint8Array(ncap), nc = new Float64Array(ncap * 6);
  for (let i = 0; i < cap; i++) {
    if (!used[i]) continue;
    let j = hashK(keys, i * 10) & (ncap - 1);
    while (nu[j]) j = (j + 1) & (ncap - 1);
    nu[j] = 1; nk.set(keys.subarray(i * 10, i * 10 + 10), j * 10); nc.set(cnt.subarray(i * 6, i * 6 + 6), j * 6);
  }
  cap = ncap; keys = nk; used = nu; cnt = nc;
}
// scratch: src words s0..s3, dst t0..t3
const sw = new Int32Array(4), tw = new Int32Array(4);
function account(sp, dp, proto, plen, ts) {
  let c = 0;
  for (let i = 0; i < 4 && c === 0; i++) { const x = sw[i] >>> 0, y = tw[i] >>> 0; c = x < y ? -1 : x > y ? 1 : 0; }
  if (c === 0) c = sp < dp ? -1 : sp > dp ? 1 : 0;
  const flip = c > 0 ? 1 : 0;
  const A = flip ? tw : sw, B = flip ? sw : tw;
  k[0] = A[0]; k[1] = A[1]; k[2] = A[2]; k[3] = A[3]; k[4] = B[0]; k[5] = B[1]; k[6] = B[2]; k[7] = B[3];
  k[8] = flip ? (dp << 16) | sp : (sp << 16) | dp; k[9] = proto;
  if ((count + 1) * 2 > cap) grow();
  let j = hashK(k, 0) & (cap - 1);
  for (;;) {
    if (!used[j]) {
      used[j] = 1; keys.set(k, j * 10); cnt[j * 6 + 4] = ts; count++;
      break;
    }
    const o = j * 10;
    if (keys[o + 8] === k[8] && keys[o + 9] === k[9] && keys[o] === k[0] && keys[o + 3] === k[3] && keys[o + 7] === k[7] &&
        keys[o + 1] === k[1] && keys[o + 2] === k[2] && keys[o + 4] === k[4] && keys[o + 5] === k[5] && keys[o + 6] === k[6]) break;
    j = (j + 1) & (cap - 1);
  }
  const c6 = j * 6;
  cnt[c6 + flip]++; cnt[c6 + 2 + flip] += plen; cnt[c6 + 5] = ts;
}

function decode(d, off, n, origLen, ts) {
  const end = off + n;
  if (n < 14) return;
  let p = off + 12;
  let et = (d[p] << 8) | d[p + 1];
  for (let v = 0; v < 2 && (et === 0x8100 || et === 0x88a8) && p + 6 <= end; v++) { p += 4; et = (d[p] << 8) | d[p + 1]; }
  p += 2;
  let proto, ports = true;
  if (et === 0x0800) {
    if (p + 20 > end) return;
    const ihl = (d[p] & 15) * 4;
    proto = d[p + 9];
    if ((((d[p + 6] << 8) | d[p + 7]) & 0x1fff) !== 0) ports = false;
    sw[0] = 0; sw[1] = 0; sw[2] = 0xffff; sw[3] = d.readInt32BE(p + 12);
    tw[0] = 0; tw[1] = 0; tw[2] = 0xffff; tw[3] = d.readInt32BE(p + 16);
    p += ihl;
  } else if (et === 0x86dd) {
    if (p + 40 > end) return;
    proto = d[p + 6];
    for (let i = 0; i < 4; i++) { sw[i] = d.readInt32BE(p + 8 + 4 * i); tw[i] = d.readInt32BE(p + 24 + 4 * i); }
    p += 40;
    while ((proto === 0 || proto === 43 || proto === 60 || proto === 44) && p + 8 <= end) {
      if (proto === 44) { if ((((d[p + 2] << 8) | d[p + 3]) & 0xfff8) !== 0) ports = false; proto = d[p]; p += 8; }
      else { const nh = d[p]; p += (d[p + 1] + 1) * 8; proto = nh; }
    }
  } else return;
  let sp = 0, dp = 0;
  if ((proto === 6 || proto === 17) && ports && p + 4 <= end) { sp = (d[p] << 8) | d[p + 1]; dp = (d[p + 2] << 8) | d[p + 3]; }
  account(sp, dp, proto, origLen, ts);
}

let packets = 0;
fill();
const magic = buf.readUInt32LE(0);
if (magic === 0x0a0d0d0a) {
  // pcapng
  let le = buf.readUInt32LE(8) === 0x1a2b3c4d;
  while (true) {
    if (len - pos < 12) { if (eof) break; fill(); if (len - pos < 12) break; }
    let bl = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    if (len - pos < bl) { fill(); if (len - pos < bl) break; }
    const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    if (type === 6) {
      const cl = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
      const ol = le ? buf.readUInt32LE(pos + 24) : buf.readUInt32BE(pos + 24);
      const hi = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      const lo = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
      packets++;
      decode(buf, pos + 28, cl, ol, (hi * 4294967296 + lo) / 1e6);
    } else if (type === 0x0a0d0d0a) {
      le = buf.readUInt32LE(pos + 8) === 0x1a2b3c4d;
      bl = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    }
    pos += bl;
  }
} else {
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const m = le ? magic : buf.readUInt32BE(0);
  if (m !== 0xa1b2c3d4 && m !== 0xa1b23c4d) { process.stderr.write('node-floor: not a pcap/pcapng file\n'); process.exit(1); }
  const div = m === 0xa1b23c4d ? 1e9 : 1e6;
  pos = 24;
  while (true) {
    if (len - pos < 16) { if (eof) break; fill(); if (len - pos < 16) break; }
    const cl = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    if (len - pos < 16 + cl) { fill(); if (len - pos < 16 + cl) break; }
    const sec = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
    const frac = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    const ol = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    packets++;
    decode(buf, pos + 16, cl, ol, sec + frac / div);
    pos += 16 + cl;
  }
}
process.stdout.write(`packets ${packets} flows ${count}\n`);
