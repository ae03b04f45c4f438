/**
 * Streaming capture writer: classic pcap (µs, little-endian) or pcapng (SHB + one IDB + EPBs).
 * Frames are built in place inside one large batch Buffer; full batches go to a sink
 * (a file descriptor via fs.writeSync, or an in-memory collector for tests). The whole file is
 * never held in memory.
 */
import fs from 'node:fs';

export type OutFormat = 'pcap' | 'pcapng';

/**
 * How each frame is delivered: as captured on the wire, or as a mirror sends it to its collector:
 * inside VXLAN (AWS Traffic Mirroring, Azure vTAP), Geneve (AWS Gateway Load Balancer) or GRE with
 * an ERSPAN type II header (a switch's or vSphere's remote mirror). Each adds ENCAP_LEN bytes of
 * outer Ethernet, IPv4 (10.99.0.1 → 10.99.0.2) and tunnel headers.
 */
export type Encap = 'none' | 'vxlan' | 'geneve' | 'erspan';
export const ENCAPS: readonly Encap[] = ['none', 'vxlan', 'geneve', 'erspan'];
/** Outer bytes per frame: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN or Geneve 8, or GRE 8 + ERSPAN II 8. */
export const ENCAP_LEN = 50;

/** The Internet checksum (RFC 1071) of b[from, from + len): the one's complement of the one's-complement sum of its 16-bit big-endian words. */
export function internetChecksum(b: Uint8Array, from: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[from + i]! << 8) | (i + 1 < len ? b[from + i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Sink {
  write(chunk: Buffer): void;
  close(): void;
}

export class FdSink implements Sink {
  private readonly fd: number;
  constructor(path: string) {
    this.fd = fs.openSync(path, 'w');
  }
  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off, chunk.length - off);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Collects everything in memory (small captures and tests only). */
export class MemorySink implements Sink {
  readonly parts: Buffer[] = [];
  write(chunk: Buffer): void {
    this.parts.push(Buffer.from(chunk));
  }
  close(): void {}
  result(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Largest frame the generator produces (VLAN-tagged full-MSS frame is 1518, plus ENCAP_LEN in a tunnel). */
export const MAX_FRAME = 1600;
const PCAP_REC_HDR = 16;
const EPB_HDR = 28;

export class CaptureWriter {
  readonly format: OutFormat;
  private readonly sink: Sink;
  private readonly batch: Buffer;
  private pos = 0;
  /** Where the frame being built starts (valid between begin() and commit()). */
  private frameOff = 0;
  packets = 0;
  bytes = 0;
  readonly encap: Encap;
  /** Bytes of outer headers before each frame (0 or ENCAP_LEN). */
  private readonly outer: number;

  constructor(sink: Sink, format: OutFormat, batchBytes = 8 << 20, snaplen = 65535, encap: Encap = 'none') {
    this.sink = sink;
    this.format = format;
    this.encap = encap;
    this.outer = encap === 'none' ? 0 : ENCAP_LEN;
    this.batch = Buffer.alloc(batchBytes);
    const b = this.batch;
    if (format === 'pcap') {
      b.writeUInt32LE(0xa1b2c3d4, 0);
      b.writeUInt16LE(2, 4);
      b.writeUInt16LE(4, 6);
      b.writeInt32LE(0, 8);
      b.writeUInt32LE(0, 12);
      b.writeUInt32LE(snaplen, 16);
      b.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
      this.pos = 24;
    } else {
      // Section Header Block, no options, section length unknown (-1).
      b.writeUInt32LE(0x0a0d0d0a, 0);
      b.writeUInt32LE(28, 4);
      b.writeUInt32LE(0x1a2b3c4d, 8);
      b.writeUInt16LE(1, 12);
      b.writeUInt16LE(0, 14);
      b.writeInt32LE(-1, 16);
      b.writeInt32LE(-1, 20);
      b.writeUInt32LE(28, 24);
      // Interface Description Block: Ethernet, no options (if_tsresol defaults to µs).
      b.writeUInt32LE(1, 28);
      b.writeUInt32LE(20, 32);
      b.writeUInt16LE(1, 36);
      b.writeUInt16LE(0, 38);
      b.writeUInt32LE(snaplen, 40);
      b.writeUInt32LE(20, 44);
      this.pos = 48;
    }
    this.bytes = this.pos;
  }

  /** Reserve room for one frame; returns the buffer and the offset where the frame bytes go. */
  begin(): number {
    if (this.pos + MAX_FRAME + EPB_HDR + 8 > this.batch.length) this.flush();
    this.frameOff = this.pos + (this.format === 'pcap' ? PCAP_REC_HDR : EPB_HDR);
    return this.frameOff + this.outer;
  }

  get buf(): Buffer {
    return this.batch;
  }

  /** Finish the frame started by begin(): write the record header for `len` bytes (and the outer headers, in a tunnel) at time `tsUs`. */
  commit(tsUs: number, frameLen: number): void {
    if (this.outer !== 0) this.#wrap(frameLen);
    const len = frameLen + this.outer;
    const b = this.batch;
    const p = this.pos;
    const sec = Math.floor(tsUs / 1e6);
    if (this.format === 'pcap') {
      b.writeUInt32LE(sec, p);
      b.writeUInt32LE(tsUs - sec * 1e6, p + 4);
      b.writeUInt32LE(len, p + 8);
      b.writeUInt32LE(len, p + 12);
      this.pos = p + PCAP_REC_HDR + len;
      this.bytes += PCAP_REC_HDR + len;
    } else {
      const padded = (len + 3) & ~3;
      const total = EPB_HDR + padded + 4;
      for (let i = this.frameOff + len; i < this.frameOff + padded; i++) b[i] = 0;
      const hi = Math.floor(tsUs / 4294967296);
      b.writeUInt32LE(6, p);
      b.writeUInt32LE(total, p + 4);
      b.writeUInt32LE(0, p + 8);
      b.writeUInt32LE(hi, p + 12);
      b.writeUInt32LE(tsUs - hi * 4294967296, p + 16);
      b.writeUInt32LE(len, p + 20);
      b.writeUInt32LE(len, p + 24);
      b.writeUInt32LE(total, p + EPB_HDR + padded);
      this.pos = p + total;
      this.bytes += total;
    }
    this.packets++;
  }

  /** Write the outer headers before the frame of `len` bytes at frameOff + ENCAP_LEN. */
  #wrap(len: number): void {
    const b = this.batch, o = this.frameOff;
    b.fill(0, o, o + ENCAP_LEN);
    b.writeUIntBE(0x02000000a001, o, 6); b.writeUIntBE(0x02000000a002, o + 6, 6); b.writeUInt16BE(0x0800, o + 12);
    const ip = o + 14, inner = ENCAP_LEN - 14 - 20 + len;
    b[ip] = 0x45; b.writeUInt16BE(20 + inner, ip + 2); b.writeUInt16BE(this.packets & 0xffff, ip + 4);
    b[ip + 8] = 64; b[ip + 9] = this.encap === 'erspan' ? 47 : 17;
    b.writeUInt32BE(0x0a630001, ip + 12); b.writeUInt32BE(0x0a630002, ip + 16);
    b.writeUInt16BE(internetChecksum(b, ip, 20), ip + 10);
    const t = ip + 20;
    if (this.encap === 'erspan') {
      // GRE with a sequence number (0x1000), protocol ERSPAN (0x88be); ERSPAN II: version 1, session 1
      b.writeUInt16BE(0x1000, t); b.writeUInt16BE(0x88be, t + 2); b.writeUInt32BE(this.packets >>> 0, t + 4);
      b.writeUInt16BE(0x1000, t + 8); b.writeUInt16BE(0x0001, t + 10);
    } else {
      // UDP from a port the inner frame's bytes choose (as senders spread flows), checksum 0
      b.writeUInt16BE(49152 + ((b[o + ENCAP_LEN + len - 1]! * 31 + len) & 0x3fff), t);
      b.writeUInt16BE(this.encap === 'vxlan' ? 4789 : 6081, t + 2); b.writeUInt16BE(inner, t + 4);
      const h = t + 8;
      if (this.encap === 'vxlan') { b[h] = 0x08; b.writeUIntBE(100, h + 4, 3); } // flag I, VNI 100
      else { b.writeUInt16BE(0x6558, h + 2); b.writeUIntBE(100, h + 4, 3); } // Geneve: Ethernet, VNI 100
    }
  }

  flush(): void {
    if (this.pos > 0) this.sink.write(this.batch.subarray(0, this.pos));
    this.pos = 0;
  }

  close(): void {
    this.flush();
    this.sink.close();
  }
}
