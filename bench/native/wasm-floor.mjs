// wasm-floor.mjs — drives the benchmark's WebAssembly floor (wasm/floor.ts, compiled by bench/run.ts):
// 16 MiB fs.readSync chunks straight into the module's memory, then run() over whole records; the
// unfinished tail is moved to the front for the next read, as far past a 64-byte boundary as the
// file position of the next read is (the memory starts on a page): on the bench machine the
// kernel's copy into a place out of step with the file's pages ran 4-5x slower (see
// src/capture/page-buffers.ts). Prints "packets N flows N".
// usage: node bench/native/wasm-floor.mjs FLOOR.wasm FILE
import fs from 'node:fs';

const [wasmFile, file] = process.argv.slice(2);
if (!wasmFile || !file) { process.stderr.write('usage: node wasm-floor.mjs FLOOR.wasm FILE\n'); process.exit(2); }
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmFile), { env: { abort() { throw new Error('wasm floor: abort'); } } });
const x = instance.exports;
const fd = fs.openSync(file, 'r');
const head = Buffer.alloc(24);
fs.readSync(fd, head, 0, 24, 0);
const m = head.readUInt32LE(0);
if (m === 0x0a0d0d0a) x.init(1, true, false);
else {
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const mm = le ? m : head.readUInt32BE(0);
  if (mm !== 0xa1b2c3d4 && mm !== 0xa1b23c4d) { process.stderr.write('wasm-floor: not a pcap/pcapng file\n'); process.exit(1); }
  x.init(0, le, mm === 0xa1b23c4d);
}
const size = x.inputSize();
let pos = m === 0x0a0d0d0a ? 0 : 24, have = 0, at = pos % 64;
for (;;) {
  // the memory may have grown (and its old ArrayBuffer been detached) during run()
  const view = Buffer.from(x.memory.buffer, 0, size + 64);
  const n = fs.readSync(fd, view, at + have, size - have, pos);
  pos += n; have += n;
  const end = x.run(at, at + have), used = end - at;
  if (n === 0) break;
  if (used === 0 && have === size) { process.stderr.write(`wasm-floor: a record larger than ${size} bytes\n`); process.exit(1); }
  have -= used;
  const next = (((pos - have) % 64) + 64) % 64;
  Buffer.from(x.memory.buffer, 0, size + 64).copyWithin(next, end, end + have);
  at = next;
}
process.stdout.write(`packets ${x.packetCount()} flows ${x.flowCount()}\n`);
