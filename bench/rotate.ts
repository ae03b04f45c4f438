/**
 * Cut a classic pcap file into `parts` files of consecutive records, each with the file header and
 * about the same size: a rotated set as `tcpdump -C` or `editcap -c` writes, for the benchmark's
 * `flowaudit-rotated` row (several files merged by time; src/capture/read.ts). Reads and writes
 * in 16 MiB pieces; the parts are written once into `dir` and reused while `dir/DONE` says they
 * were made from a file of that size.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The parts' paths, in order (made now unless `dir` holds them already). Throws when `file` is not classic pcap. */
export function rotatedSet(file: string, dir: string, parts: number): string[] {
  const size = fs.statSync(file).size;
  const names = Array.from({ length: parts }, (_, i) => path.join(dir, `part-${String(i).padStart(4, '0')}.pcap`));
  const done = path.join(dir, 'DONE');
  if (fs.existsSync(done) && fs.readFileSync(done, 'utf8') === `${size} ${parts}\n`) return names;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(24);
    fs.readSync(fd, head, 0, 24, 0);
    const magic = head.readUInt32LE(0);
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    if (!le && head.readUInt32BE(0) !== 0xa1b2c3d4 && head.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap file`);
    const target = Math.ceil((size - 24) / parts);
    const buf = Buffer.alloc(16 << 20);
    let have = 0, pos = 24, part = -1, out = -1, written = 0;
    const next = (): void => {
      if (out >= 0) fs.closeSync(out);
      part = Math.min(part + 1, parts - 1);
      out = fs.openSync(names[part]!, 'w');
      fs.writeSync(out, head);
      written = 0;
    };
    next();
    for (;;) {
      const n = fs.readSync(fd, buf, have, buf.length - have, pos);
      pos += n; have += n;
      let at = 0;
      while (have - at >= 16) {
        const len = 16 + (le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8));
        if (len > have - at) break;
        if (written >= target && part < parts - 1) next();
        fs.writeSync(out, buf, at, len);
        written += len; at += len;
      }
      buf.copy(buf, 0, at, have);
      have -= at;
      if (n === 0) break;
    }
    fs.closeSync(out);
    for (let i = part + 1; i < parts; i++) fs.writeFileSync(names[i]!, head); // a capture too small for all: empty parts
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(done, `${size} ${parts}\n`);
  return names;
}
