/**
 * An independent container walk (from the pcap and pcapng specifications, not from the readers
 * under test): the byte offsets where each unit (file header, record, block) starts and ends,
 * and which units carry packets. Used to say what a reader must deliver from a file cut at any
 * offset. Only for intact files (the corpus's clean files and the generators' output).
 */

export interface Unit {
  start: number;
  end: number;
  /** Carries a packet (pcap record, EPB, SPB, obsolete PB). */
  packet: boolean;
}

export interface Walk {
  format: 'pcap' | 'pcapng';
  units: Unit[];
  /** First byte not covered by a complete unit (== length for an intact file). */
  end: number;
}

export function walkPcap(b: Buffer): Walk | null {
  if (b.length < 24) return null;
  const m = b.readUInt32LE(0);
  let le: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) le = true;
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) le = false;
  else return null;
  const units: Unit[] = [{ start: 0, end: 24, packet: false }];
  let off = 24;
  while (off + 16 <= b.length) {
    const incl = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    if (off + 16 + incl > b.length) break;
    units.push({ start: off, end: off + 16 + incl, packet: true });
    off += 16 + incl;
  }
  return { format: 'pcap', units, end: off };
}

export function walkPcapng(b: Buffer): Walk | null {
  if (b.length < 12 || b.readUInt32LE(0) !== 0x0a0d0d0a) return null;
  const units: Unit[] = [];
  let le = true;
  let off = 0;
  while (off + 12 <= b.length) {
    if (b.readUInt32LE(off) === 0x0a0d0d0a) {
      const bom = b.readUInt32LE(off + 8);
      if (bom === 0x1a2b3c4d) le = true; else if (bom === 0x4d3c2b1a) le = false; else break;
    }
    const type = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    const len = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > b.length) break;
    units.push({ start: off, end: off + len, packet: type === 6 || type === 3 || type === 2 });
    off += len;
  }
  return { format: 'pcapng', units, end: off };
}

export function walk(b: Buffer): Walk | null {
  return walkPcapng(b) ?? walkPcap(b);
}

/**
 * What a reader must do with the first `n` bytes of an intact file: deliver the packets of every
 * unit that ends at or before n, and end cleanly exactly when n falls on a unit boundary after
 * the file header (otherwise stop at the start of the unit that was cut).
 */
export function expectCut(w: Walk, n: number): { packets: number; clean: boolean; damageAt: number } {
  let packets = 0;
  let lastEnd = 0;
  for (const u of w.units) {
    if (u.end > n) break;
    if (u.packet) packets++;
    lastEnd = u.end;
  }
  const headerEnd = w.units[0]?.end ?? 0;
  const clean = n >= headerEnd && n === lastEnd;
  return { packets, clean, damageAt: lastEnd };
}
