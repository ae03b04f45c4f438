/**
 * pcapng push core. Sections in either byte order (decided per SHB from its byte-order magic),
 * IDB (link type, snaplen, if_name, if_tsresol 10^-n and 2^-n, if_tsoffset), EPB, SPB, OPB
 * (obsolete Packet Block, type 2). NRB, ISB, DSB, custom and unknown blocks are skipped and
 * counted in info.skippedBlocks.
 *
 * Every block's framing is validated before any of its fields is read, like libpcap's
 * read_block(): total length >= 12, a multiple of 4, <= maxBlockSize, and the trailer equal to
 * the header's length. A framing error stops reading (info.end); problems inside one packet
 * block (unknown interface, caplen past the block, an option running past the block) are counted
 * anomalies and only that block is skipped. Options of SHB and IDB are bounds-checked and an
 * overrun there stops reading (`capture.pcapng.option_overrun`): the section or interface cannot be trusted.
 *
 * Interface ids (PacketRecord.ifIndex) are numbered across sections: the first IDB of the second
 * section gets the id after the last IDB of the first.
 */
import { tsInRange } from '../core/time.js';
import type { InterfaceInfo, PcapngSection, PcapngSinkInterface, PcapRecordSink, ReadOptions, TakenRecords, TimeBound } from './types.js';
import { ChunkedParser } from './chunked.js';
import { addCaptureAnomaly, countSkipped, newInterface, notePacket, notePackets } from './info.js';
import * as T from './timestamp.js';

export const BlockType = {
  SHB: 0x0a0d0d0a, IDB: 1, OPB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0a,
  CUSTOM: 0x0bad, CUSTOM_NOCOPY: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const SKIPPED_NAMES: Readonly<Record<number, string>> = {
  4: 'NRB', 5: 'ISB', 0x0a: 'DSB', 0x0bad: 'custom', 0x40000bad: 'custom', 7: 'IRIG', 8: 'ARINC', 9: 'systemd-journal',
};

const BLOCK_NAMES: Readonly<Record<number, string>> = {
  0x0a0d0d0a: 'SHB', 1: 'IDB', 2: 'OPB', 3: 'SPB', 6: 'EPB', ...SKIPPED_NAMES,
};

export function blockName(t: number): string {
  return BLOCK_NAMES[t] ?? `unknown:0x${t.toString(16)}`;
}

/**
 * Smallest valid total length per block type (header 8 + fixed body + trailer 4); 12 for the
 * types with no fixed body. (A switch: an object keyed by the SHB's type would be a dictionary,
 * one hash lookup per packet.)
 */
function minLength(type: number): number {
  switch (type) {
    case BlockType.EPB: return 32;
    case BlockType.SPB: return 16;
    case BlockType.IDB: return 20;
    case BlockType.OPB: return 32;
    case BlockType.SHB: return 28;
    default: return 12;
  }
}

/** An interface of the section being read: what a record sink is given, and its resolution (10^-exp or 2^-exp s) as the reader reads it. */
interface SectionInterface extends PcapngSinkInterface {
  pow2: boolean;
  exp: number;
}

export class PcapngParser extends ChunkedParser {
  #inSection = false;
  #le = true;
  #sectionBase = 0;
  #orders = new Set<boolean>();
  #digits = new Set<number>();
  /** The current section's interfaces by local id (also #section.interfaces, as a record sink sees them). */
  #ifs: SectionInterface[] = [];
  // the interface of the last packet and its values (most captures have one interface: no array
  // loads per packet)
  #cur = -1;
  #curLink = 0; #curSnap = 0; #curPow2 = false; #curExp = 0; #curOff = 0;
  #curIface: InterfaceInfo | null = null;
  /** Timestamp of the last packet (SPBs have none and repeat it). */
  #lastSec = 0;
  #lastNsec = 0;
  readonly #taken: TakenRecords = { end: 0, bytes: 0, firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, tailSec: 0, tailNsec: 0, ifTaken: [], ifPairs: 0 };
  /** The section's interfaces as offered to a record sink (offer). */
  readonly #section: PcapngSection = { littleEndian: true, interfaces: [], version: 0, maxRecordLength: 0, maxBlockSize: 0 };

  constructor(file: string, opts: ReadOptions = {}, fileIndex = 0) {
    super(file, opts, fileIndex);
    this.info.format = 'pcapng';
  }

  protected need(b: Buffer): number {
    if (b.length < 12) return 12;
    const type = b.readUInt32LE(0);
    let le = this.#le;
    if (type === BlockType.SHB) {
      const bom = b.readUInt32LE(8);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else return -1;
    }
    const len = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
    if (len < 12 || len % 4 !== 0 || len > this.maxBlockSize) return -1;
    return len;
  }

  next(): boolean {
    for (;;) {
      if (this.stopped) return false;
      const p = this.pos;
      const avail = this.lim - p;
      if (avail < 12) { if (this.more()) continue; return false; }
      const dv = this.dv;
      let le = this.#le;
      let type = dv.getUint32(p, le);
      if (type === BlockType.SHB) {
        const bom = dv.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else {
          return this.damage('capture.pcapng.bad_byte_order_magic', this.base + p + 8,
            `section header block at byte ${this.base + p} has byte-order magic 0x${bom.toString(16).padStart(8, '0')}, expected 0x1a2b3c4d in either byte order`);
        }
      } else if (!this.#inSection) {
        return this.damage('capture.pcapng.missing_shb', this.base + p,
          `the first block is not a section header block (type 0x${type.toString(16)})`);
      }
      const len = dv.getUint32(p + 4, le);
      // (the messages are built in #framing, out of the per-block path)
      if (len < 12 || len % 4 !== 0 || len > this.maxBlockSize) return this.#framing(p, type, len, -1);
      if (avail < len) { if (this.more()) continue; return false; }
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len) return this.#framing(p, type, len, trailer);
      if (len < minLength(type)) {
        if (type === BlockType.SHB || type === BlockType.IDB) return this.#framing(p, type, len, len);
        addCaptureAnomaly(this.info, 'capture.pcapng.packet_block_too_short', this.count, this.base + p);
        this.pos = p + len;
        continue;
      }
      this.pos = p + len;
      if (type === BlockType.EPB) { if (this.#epb(p, len, le)) return true; continue; }
      if (type === BlockType.SPB) { if (this.#spb(p, len, le)) return true; continue; }
      if (type === BlockType.IDB) { if (!this.#idb(p, len, le)) return false; continue; }
      if (type === BlockType.SHB) { if (!this.#shb(p, len, le)) return false; continue; }
      if (type === BlockType.OPB) { if (this.#opb(p, len, le)) return true; continue; }
      type = type >>> 0;
      countSkipped(this.info, SKIPPED_NAMES[type] ?? `unknown:0x${type.toString(16)}`);
    }
  }

  /**
   * A block whose framing cannot be trusted (total length too short, not a multiple of 4, too
   * large; the trailer, when not -1, disagreeing; or an SHB/IDB shorter than its fixed part): stop.
   */
  #framing(p: number, type: number, len: number, trailer: number): false {
    const at = this.base + p, what = `${blockName(type)} block at byte ${at}`;
    if (len < 12) return this.damage('capture.pcapng.block_too_short', at, `${what} has total length ${len}, less than 12`);
    if (len % 4 !== 0) return this.damage('capture.pcapng.block_length_not_aligned', at, `${what} has total length ${len}, not a multiple of 4`);
    if (len > this.maxBlockSize) return this.damage('capture.pcapng.block_too_large', at, `${what} has total length ${len}, more than the maximum of ${this.maxBlockSize} (--max-block-size)`);
    if (trailer !== len) return this.damage('capture.pcapng.block_length_mismatch', at, `${what}: total length ${len} in the header but ${trailer} in the trailer`);
    return this.damage('capture.pcapng.block_too_short', at, `${what} has total length ${len}, less than ${minLength(type)}`);
  }

  #anomaly(name: string, p: number): void {
    addCaptureAnomaly(this.info, name, this.count, this.base + p);
  }

  /**
   * Common fill of an EPB or OPB (the same layout after the interface id): timestamp high and low
   * words at +12 and +16, captured and original length at +20 and +24, data at +28, flags in
   * option 2. Returns true when the packet was delivered. (The 32-bit fields are read here, not
   * passed in, and the timestamp words go to unitsToTs as int32: a uint32 past the small-integer
   * range, passed to a call that is not inlined, is a new heap number per packet.)
   */
  #packet(p: number, len: number, le: boolean, ifLocal: number): boolean {
    const dataOff = 28, optCode = 2, dv = this.dv;
    const caplen = dv.getUint32(p + 20, le), origLen = dv.getUint32(p + 24, le);
    const id = this.#sectionBase + ifLocal;
    if (ifLocal >= this.info.interfaces.length - this.#sectionBase) {
      this.#anomaly('capture.pcapng.unknown_interface', p);
      return false;
    }
    if (caplen > len - dataOff - 4) {
      this.#anomaly('capture.pcapng.caplen_exceeds_block', p);
      return false;
    }
    if (id !== this.#cur) this.#use(id);
    const rec = this.rec;
    rec.direction = 0;
    // options: look for epb_flags / pack_flags (code 2, 4 bytes); bounds-checked
    let o = p + dataOff + ((caplen + 3) & ~3);
    const oEnd = p + len - 4;
    if (o < oEnd) {
      while (o + 4 <= oEnd) {
        const code = dv.getUint16(o, le), olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        const next = o + 4 + ((olen + 3) & ~3);
        if (next > oEnd) { this.#anomaly('capture.pcapng.option_overrun', o); break; }
        if (code === optCode && olen === 4) rec.direction = dv.getUint32(o + 4, le) & 3;
        o = next;
      }
    }
    const snap = this.#curSnap;
    let cap = caplen;
    if (snap !== 0 && cap > snap) { cap = snap; this.#anomaly('capture.pcapng.caplen_exceeds_snaplen', p); }
    if (origLen < caplen) this.#anomaly('capture.pcapng.caplen_exceeds_len', p);
    if (cap > this.maxRecordLength) { cap = this.maxRecordLength; this.#anomaly('capture.pcapng.record_too_large', p); }
    T.unitsToTs(dv.getInt32(p + 12, le), dv.getInt32(p + 16, le), this.#curPow2, this.#curExp);
    rec.tsSec = T.TS[0]! + this.#curOff;
    rec.tsNsec = T.TS[1]!;
    if (!tsInRange(rec.tsSec)) {
      // A damaged timestamp (or if_tsoffset) far outside any real time: keep the previous packet's
      // time so ordering and timeouts stay sane, and say so.
      addCaptureAnomaly(this.info, 'capture.pcapng.timestamp_out_of_range', this.count, this.base + p);
      rec.tsSec = this.#lastSec; rec.tsNsec = this.#lastNsec;
    }
    this.#lastSec = rec.tsSec; this.#lastNsec = rec.tsNsec;
    return this.#deliver(p, id, cap, origLen, dataOff);
  }

  /**
   * Offer the Enhanced Packet Blocks from the current position to `sink` (when the chunk lies in
   * its memory; blocks of the section's interfaces of resolution 10^-6 or 10^-9 s, which may
   * alternate), and count those it took as read, as next() would have one by one. Call between
   * next() calls. Several inputs merged: `index0` is the first one's packet index in the merged
   * stream, and none past `bound` is taken. Returns how many were taken.
   */
  offer(sink: PcapRecordSink, index0 = this.count, bound: TimeBound | null = null): number {
    const s = this.#section;
    if (this.stopped || s.interfaces.length === 0 || this.buf.buffer !== sink.arena) return 0;
    const t = this.#taken;
    const n = sink.takeBlocks(this.buf, this.pos, this.lim, s, this.rec.fileIndex, index0, t, bound);
    if (n === 0) return 0;
    notePackets(this.info, n, t.bytes, t.firstSec, t.firstNsec, t.lastSec, t.lastNsec);
    const ifs = this.info.interfaces, base = this.#sectionBase, taken = t.ifTaken;
    for (let i = 0; i < t.ifPairs; i += 2) ifs[base + taken[i]!]!.packets += taken[i + 1]!;
    this.count += n;
    this.pos = t.end;
    this.#lastSec = t.tailSec; this.#lastNsec = t.tailNsec;
    return n;
  }

  /** Make interface `id` (known) the current one. */
  #use(id: number): void {
    const f = this.#ifs[id - this.#sectionBase]!;
    this.#cur = id;
    this.#curLink = f.linkType; this.#curSnap = f.snaplen; this.#curPow2 = f.pow2;
    this.#curExp = f.exp; this.#curOff = f.tsOffset; this.#curIface = this.info.interfaces[id]!;
  }

  /** Deliver the packet of interface `id` (made current by the caller). */
  #deliver(p: number, id: number, cap: number, origLen: number, dataOff: number): true {
    const rec = this.rec;
    rec.ifIndex = id;
    rec.linkType = this.#curLink;
    rec.capLen = cap;
    rec.origLen = origLen;
    rec.data = this.buf;
    rec.offset = p + dataOff;
    rec.fileOffset = this.base + p;
    rec.index = this.count++;
    notePacket(this.info, rec);
    this.#curIface!.packets++;
    return true;
  }

  #epb(p: number, len: number, le: boolean): boolean {
    // (an interface id past 2^30 is as unknown as any other past the last IDB, and stays a small integer)
    const ifLocal = this.dv.getUint32(p + 8, le);
    return this.#packet(p, len, le, ifLocal > 0x3fffffff ? 0x3fffffff : ifLocal);
  }

  #opb(p: number, len: number, le: boolean): boolean {
    return this.#packet(p, len, le, this.dv.getUint16(p + 8, le));
  }

  /** Simple Packet Block: interface 0 of the section, no timestamp (the previous packet's is repeated). */
  #spb(p: number, len: number, le: boolean): boolean {
    if (this.info.interfaces.length - this.#sectionBase < 1) {
      this.#anomaly('capture.pcapng.unknown_interface', p);
      return false;
    }
    const id = this.#sectionBase;
    if (id !== this.#cur) this.#use(id);
    const origLen = this.dv.getUint32(p + 8, le);
    const snap = this.#curSnap;
    let cap = origLen;
    if (snap !== 0 && cap > snap) cap = snap;
    if (cap > len - 16) cap = len - 16;
    if (cap > this.maxRecordLength) { cap = this.maxRecordLength; this.#anomaly('capture.pcapng.record_too_large', p); }
    const rec = this.rec;
    rec.direction = 0;
    rec.tsSec = this.#lastSec;
    rec.tsNsec = this.#lastNsec;
    addCaptureAnomaly(this.info, 'capture.pcapng.spb_without_timestamp', this.count, this.base + p);
    return this.#deliver(p, id, cap, origLen, 12);
  }

  #shb(p: number, len: number, le: boolean): boolean {
    const dv = this.dv, at = this.base + p, info = this.info;
    const major = dv.getUint16(p + 12, le), minor = dv.getUint16(p + 14, le);
    if (major !== 1) {
      return this.damage('capture.pcapng.unsupported_version', at + 12, `section header block at byte ${at} has version ${major}.${minor} (only 1.x is read)`);
    }
    if (this.#checkOptions(p + 24, p + len - 4, le, at, 'SHB') < 0) return false;
    this.#inSection = true;
    this.#le = le;
    this.#sectionBase = info.interfaces.length;
    const sec = this.#section;
    this.#ifs = [];
    sec.littleEndian = le; sec.interfaces = this.#ifs; sec.version++;
    sec.maxRecordLength = this.maxRecordLength; sec.maxBlockSize = this.maxBlockSize;
    info.sections++;
    this.#orders.add(le);
    info.byteOrder = this.#orders.size > 1 ? 'mixed' : le ? 'little-endian' : 'big-endian';
    return true;
  }

  #idb(p: number, len: number, le: boolean): boolean {
    const dv = this.dv, at = this.base + p, info = this.info;
    const lt = dv.getUint16(p + 8, le);
    const snap = dv.getUint32(p + 12, le);
    let pow2 = false, exp = 6, off = 0;
    let name: string | null = null;
    let o = p + 16;
    const oEnd = p + len - 4;
    while (o + 4 <= oEnd) {
      const code = dv.getUint16(o, le), olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      const nxt = o + 4 + ((olen + 3) & ~3);
      if (nxt > oEnd) return this.#overrun(o, code, olen, at, oEnd, 'IDB');
      if (code === 2) name = this.buf.toString('utf8', o + 4, o + 4 + olen).replace(/\0+$/, '');
      else if (code === 9 && olen >= 1) { const r = this.buf[o + 4]!; pow2 = (r & 0x80) !== 0; exp = r & 0x7f; }
      else if (code === 14 && olen === 8) {
        const hi = dv.getInt32(le ? o + 8 : o + 4, le), lo = dv.getUint32(le ? o + 4 : o + 8, le);
        off = hi * 4294967296 + lo;
      }
      o = nxt;
    }
    const id = info.interfaces.length;
    const ifc = newInterface(id, info.sections - 1, lt, snap, pow2 ? Math.ceil(exp * Math.log10(2)) : exp);
    ifc.name = name;
    ifc.tsOffsetSec = off;
    info.interfaces.push(ifc);
    this.#ifs.push({ ifIndex: id, linkType: lt, snaplen: snap, digits: !pow2 && (exp === 6 || exp === 9) ? exp : 0, tsOffset: off, pow2, exp });
    this.#section.version++;
    this.#digits.add(ifc.tsResolutionDigits);
    info.tsPrecision = this.#digits.size > 1 ? 'mixed' : precisionName(ifc.tsResolutionDigits, pow2, exp);
    return true;
  }

  #overrun(o: number, code: number, olen: number, at: number, oEnd: number, what: string): false {
    return this.damage('capture.pcapng.option_overrun', this.base + o,
      `${what} at byte ${at}: option at byte ${this.base + o} (code ${code}, length ${olen}) runs past the end of the block's options (byte ${this.base + oEnd})`);
  }

  #checkOptions(o: number, oEnd: number, le: boolean, at: number, what: string): number {
    const dv = this.dv;
    while (o + 4 <= oEnd) {
      const code = dv.getUint16(o, le), olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      const nxt = o + 4 + ((olen + 3) & ~3);
      if (nxt > oEnd) { this.#overrun(o, code, olen, at, oEnd, what); return -1; }
      o = nxt;
    }
    return 0;
  }

  protected truncated(offset: number, avail: number): void {
    const b = this.buf, p = this.pos;
    if (avail < 12 || this.lim - p < 12) {
      this.damage('capture.pcapng.truncated_block', offset, `file ends inside a block header (at byte ${offset}, ${avail} bytes present)`);
      return;
    }
    const type = b.readUInt32LE(p);
    let le = this.#le;
    if (type === BlockType.SHB) le = b.readUInt32LE(p + 8) === BYTE_ORDER_MAGIC;
    const t = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
    const len = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
    this.damage('capture.pcapng.truncated_block', offset,
      `file ends inside the ${blockName(t)} block at byte ${offset} (needs ${len} bytes, ${avail} present)`);
  }
}

function precisionName(digits: number, pow2: boolean, exp: number): string {
  if (pow2) return `2^-${exp} s`;
  if (digits === 6) return 'microseconds';
  if (digits === 9) return 'nanoseconds';
  if (digits === 3) return 'milliseconds';
  return `10^-${digits} s`;
}
