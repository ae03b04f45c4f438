/**
 * Classic pcap (libpcap savefile) push core. Reads all four magics (µs/ns × LE/BE), version 2.x,
 * the link type from the header, and honours the snapshot length the way libpcap 1.10 does:
 * a record longer than the file's snaplen is cut to snaplen (anomaly
 * `capture.pcap.caplen_exceeds_snaplen`), a record longer than maxRecordLength (262144 like
 * libpcap's MAXIMUM_SNAPLEN) stops reading (`capture.pcap.record_too_large`).
 *
 * Layout: file header 24 bytes {magic, major u16, minor u16, thiszone i32, sigfigs u32, snaplen u32,
 * linktype u32}; each record 16 bytes {ts_sec, ts_frac, incl_len, orig_len} + incl_len bytes.
 */
import type { PcapHeader, PcapRecordSink, ReadOptions, TakenRecords, TimeBound } from './types.js';
import { ChunkedParser } from './chunked.js';
import { addCaptureAnomaly, newInterface, notePacket, notePackets } from './info.js';

export const PCAP = { FILE_HEADER_LEN: 24, RECORD_HEADER_LEN: 16, TS_SEC: 0, TS_FRAC: 4, INCL_LEN: 8, ORIG_LEN: 12 } as const;

export const PCAP_MAGIC = { USEC: 0xa1b2c3d4, NSEC: 0xa1b23c4d } as const;

/** libpcap LT_LINKTYPE(): the low 26 bits of the header's link-type field (upper bits: FCS info). */
const LINKTYPE_MASK = 0x03ffffff;

export class PcapParser extends ChunkedParser {
  #headerDone = false;
  #le = true;
  #nanos = false;
  #snaplen = 0;
  #linkType = 0;
  #header: PcapHeader | null = null;
  readonly #taken: TakenRecords = { end: 0, bytes: 0, firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, tailSec: 0, tailNsec: 0, ifTaken: [], ifPairs: 0 };

  constructor(file: string, opts: ReadOptions = {}, fileIndex = 0) {
    super(file, opts, fileIndex);
    this.info.format = 'pcap';
  }

  protected need(b: Buffer): number {
    if (!this.#headerDone) return PCAP.FILE_HEADER_LEN;
    if (b.length < PCAP.RECORD_HEADER_LEN) return PCAP.RECORD_HEADER_LEN;
    const incl = this.#le ? b.readUInt32LE(PCAP.INCL_LEN) : b.readUInt32BE(PCAP.INCL_LEN);
    return incl > this.maxRecordLength ? -1 : PCAP.RECORD_HEADER_LEN + incl;
  }

  next(): boolean {
    for (;;) {
      if (this.stopped) return false;
      const p = this.pos;
      const avail = this.lim - p;
      if (!this.#headerDone) {
        if (avail < PCAP.FILE_HEADER_LEN) { if (this.more()) continue; return false; }
        if (!this.#fileHeader()) return false;
        continue;
      }
      if (avail >= PCAP.RECORD_HEADER_LEN) {
        const dv = this.dv, le = this.#le;
        const incl = dv.getUint32(p + PCAP.INCL_LEN, le);
        if (incl > this.maxRecordLength) {
          return this.damage('capture.pcap.record_too_large', this.base + p,
            `record ${this.count + 1} (header at byte ${this.base + p}) claims ${incl} captured bytes, more than the maximum of ${this.maxRecordLength}`);
        }
        if (avail >= PCAP.RECORD_HEADER_LEN + incl) {
          const rec = this.rec;
          let sec = dv.getUint32(p, le);
          let frac = dv.getUint32(p + PCAP.TS_FRAC, le);
          if (this.#nanos) {
            if (frac >= 1000000000) { sec += Math.floor(frac / 1000000000); frac %= 1000000000; this.#anomaly('capture.pcap.ts_fraction_out_of_range', p); }
            rec.tsNsec = frac;
          } else {
            if (frac >= 1000000) { sec += Math.floor(frac / 1000000); frac %= 1000000; this.#anomaly('capture.pcap.ts_fraction_out_of_range', p); }
            rec.tsNsec = frac * 1000;
          }
          rec.tsSec = sec;
          rec.origLen = dv.getUint32(p + PCAP.ORIG_LEN, le);
          let cap = incl;
          if (cap > this.#snaplen) { cap = this.#snaplen; this.#anomaly('capture.pcap.caplen_exceeds_snaplen', p); }
          if (rec.origLen < incl) this.#anomaly('capture.pcap.caplen_exceeds_len', p);
          rec.capLen = cap;
          rec.data = this.buf;
          rec.offset = p + PCAP.RECORD_HEADER_LEN;
          rec.fileOffset = this.base + p;
          rec.index = this.count++;
          this.pos = p + PCAP.RECORD_HEADER_LEN + incl;
          notePacket(this.info, rec);
          this.info.interfaces[0]!.packets++;
          return true;
        }
      }
      if (this.more()) continue;
      return false;
    }
  }

  /**
   * Offer the records from the current position to `sink` (when the chunk lies in its memory),
   * and count those it took as read, as next() would have one by one. Call between next() calls.
   * Several inputs merged: `index0` is the first one's packet index in the merged stream, and none
   * past `bound` is taken. Returns how many were taken.
   */
  offer(sink: PcapRecordSink, index0 = this.count, bound: TimeBound | null = null): number {
    const h = this.#header, b = this.buf;
    if (h === null || this.stopped || b.buffer !== sink.arena) return 0;
    const t = this.#taken;
    const n = sink.takeRecords(b, this.pos, this.lim, h, this.rec.fileIndex, index0, t, bound);
    if (n === 0) return 0;
    const info = this.info;
    notePackets(info, n, t.bytes, t.firstSec, t.firstNsec, t.lastSec, t.lastNsec);
    info.interfaces[0]!.packets += n;
    this.count += n;
    this.pos = t.end;
    return n;
  }

  #anomaly(name: string, p: number): void {
    addCaptureAnomaly(this.info, name, this.count, this.base + p);
  }

  #fileHeader(): boolean {
    const b = this.buf, p = this.pos, info = this.info;
    const m = b.readUInt32LE(p);
    if (m === PCAP_MAGIC.USEC || m === PCAP_MAGIC.NSEC) this.#le = true;
    else if (b.readUInt32BE(p) === PCAP_MAGIC.USEC || b.readUInt32BE(p) === PCAP_MAGIC.NSEC) this.#le = false;
    else return this.damage('capture.pcap.bad_magic', this.base + p, `not a pcap file header (first bytes ${b.subarray(p, p + 4).toString('hex')})`);
    const le = this.#le;
    const magic = le ? m : b.readUInt32BE(p);
    this.#nanos = magic === PCAP_MAGIC.NSEC;
    info.byteOrder = le ? 'little-endian' : 'big-endian';
    info.tsPrecision = this.#nanos ? 'nanoseconds' : 'microseconds';
    const major = le ? b.readUInt16LE(p + 4) : b.readUInt16BE(p + 4);
    const minor = le ? b.readUInt16LE(p + 6) : b.readUInt16BE(p + 6);
    if (major !== 2) {
      return this.damage('capture.pcap.unsupported_version', this.base + p + 4,
        `unsupported pcap version ${major}.${minor} (only version 2.x is read)`);
    }
    const snap = le ? b.readUInt32LE(p + 16) : b.readUInt32BE(p + 16);
    const lt = (le ? b.readUInt32LE(p + 20) : b.readUInt32BE(p + 20)) & LINKTYPE_MASK;
    // libpcap pcap_adjust_snapshot(): 0 or absurd snaplen means "the maximum"
    this.#snaplen = snap === 0 || snap > this.maxRecordLength ? this.maxRecordLength : snap;
    this.#linkType = lt;
    this.#header = { littleEndian: le, nanoseconds: this.#nanos, snaplen: this.#snaplen, maxRecordLength: this.maxRecordLength, linkType: lt };
    info.sections = 1;
    info.interfaces.push(newInterface(0, 0, lt, snap, this.#nanos ? 9 : 6));
    const rec = this.rec;
    rec.linkType = lt;
    rec.ifIndex = 0;
    rec.direction = 0;
    this.#headerDone = true;
    this.pos = p + PCAP.FILE_HEADER_LEN;
    return true;
  }

  get linkType(): number {
    return this.#linkType;
  }

  protected truncated(offset: number, avail: number): void {
    if (!this.#headerDone) {
      this.damage('capture.pcap.truncated_file_header', offset, `file ends inside the 24-byte pcap file header (${avail} bytes present)`);
      return;
    }
    const n = this.count + 1;
    if (avail < PCAP.RECORD_HEADER_LEN) {
      this.damage('capture.pcap.truncated_record_header', offset,
        `file ends inside the header of record ${n} (at byte ${offset}, ${avail} of 16 bytes present)`);
      return;
    }
    const b = this.buf, p = this.pos;
    const incl = this.#le ? b.readUInt32LE(p + PCAP.INCL_LEN) : b.readUInt32BE(p + PCAP.INCL_LEN);
    this.damage('capture.pcap.truncated_record', offset,
      `file ends inside record ${n} (header at byte ${offset}, needs ${incl} bytes, ${avail - PCAP.RECORD_HEADER_LEN} present)`);
  }
}
