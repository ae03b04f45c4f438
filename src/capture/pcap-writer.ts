/**
 * Classic pcap writer, nanosecond precision (magic 0xa1b23c4d, written little-endian), for
 * `live --write FILE.pcap`. Records are copied into one preallocated block buffer (this is the
 * copy out of a borrowed PacketRecord / cap's shared buffer) and written with synchronous
 * writes when the block is full and on close(), so the file is complete whenever close() has
 * returned, also from a signal handler. No per-packet allocation.
 *
 * Layout (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
 *   global header 24 bytes: magic u32, version 2.4 (u16,u16), thiszone i32 = 0, sigfigs u32 = 0,
 *   snaplen u32, linktype u32; then per record 16 bytes: ts_sec u32, ts_nsec u32, incl_len u32,
 *   orig_len u32, followed by incl_len bytes.
 */
import { openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import type { PacketRecord } from './types.js';
import { LiveCaptureError, LiveErrorCode } from './live-errors.js';

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface PcapWriterOptions {
  /** Snapshot length written to the global header (default 262144, like tcpdump). */
  snaplen?: number;
  /** Size of the block buffer in bytes (default 1 MiB). */
  blockSize?: number;
}

/** Sink the writer flushes blocks into (a file descriptor by default; tests can pass their own). */
export interface BlockSink {
  write(buf: Buffer, len: number): void;
  close(): void;
}

function fileSink(path: string): BlockSink {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new LiveCaptureError(LiveErrorCode.Write, '', `cannot write ${path}: ${(e as Error).message}`);
  }
  return {
    write(buf, len) {
      let off = 0;
      while (off < len) off += writeSync(fd, buf, off, len - off);
    },
    close() {
      try { fsyncSync(fd); } catch { /* pipes and some filesystems refuse fsync */ }
      closeSync(fd);
    },
  };
}

export class PcapWriter {
  readonly path: string;
  readonly snaplen: number;
  #sink: BlockSink;
  #buf: Buffer;
  #used = 0;
  #closed = false;
  #flushed = false;
  #linkType: number;
  /** Records and bytes (headers included) written so far. */
  packets = 0;
  bytes = 0;

  constructor(path: string, linkType: number, opts: PcapWriterOptions = {}, sink?: BlockSink) {
    this.path = path;
    this.#linkType = linkType;
    this.snaplen = opts.snaplen ?? 262144;
    this.#buf = Buffer.allocUnsafe(Math.max(opts.blockSize ?? 1 << 20, 64 * 1024 + PCAP_RECORD_HEADER_LEN));
    this.#sink = sink ?? fileSink(path);
    const b = this.#buf;
    b.writeUInt32LE(PCAP_MAGIC_NS, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(this.snaplen >>> 0, 16);
    b.writeUInt32LE(linkType >>> 0, 20);
    this.#used = PCAP_GLOBAL_HEADER_LEN;
    this.bytes = PCAP_GLOBAL_HEADER_LEN;
  }

  get linkType(): number {
    return this.#linkType;
  }

  /**
   * Set the link type after opening (the file is opened before the capture starts, so that an
   * unwritable path fails early; the link type is known once the device is open). Possible
   * until the first block has been written; returns false after that.
   */
  setLinkType(linkType: number): boolean {
    if (this.#flushed) return linkType === this.#linkType;
    this.#linkType = linkType;
    this.#buf.writeUInt32LE(linkType >>> 0, 20);
    return true;
  }

  /** Append one packet (its bytes are copied now; `data` may be reused afterwards). */
  writePacket(tsSec: number, tsNsec: number, data: Buffer, offset: number, capLen: number, origLen: number): void {
    if (this.#closed) return;
    const n = Math.min(capLen, this.snaplen);
    const need = PCAP_RECORD_HEADER_LEN + n;
    if (this.#used + need > this.#buf.length) {
      this.flush();
      if (need > this.#buf.length) this.#buf = Buffer.allocUnsafe(need);
    }
    const b = this.#buf;
    let o = this.#used;
    b.writeUInt32LE(tsSec >>> 0, o);
    b.writeUInt32LE(tsNsec >>> 0, o + 4);
    b.writeUInt32LE(n, o + 8);
    b.writeUInt32LE(Math.max(origLen, n) >>> 0, o + 12);
    o += PCAP_RECORD_HEADER_LEN;
    data.copy(b, o, offset, offset + n);
    this.#used = o + n;
    this.packets++;
    this.bytes += need;
  }

  /** Append a borrowed PacketRecord. */
  write(rec: PacketRecord): void {
    this.writePacket(rec.tsSec, rec.tsNsec, rec.data, rec.offset, rec.capLen, rec.origLen);
  }

  /** Write out what is buffered. */
  flush(): void {
    if (this.#used === 0) return;
    try {
      this.#sink.write(this.#buf, this.#used);
      this.#flushed = true;
    } catch (e) {
      this.#closed = true;
      throw new LiveCaptureError(LiveErrorCode.Write, '', `cannot write ${this.path}: ${(e as Error).message}`);
    }
    this.#used = 0;
  }

  /** Flush and close; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    try { this.flush(); } finally {
      this.#closed = true;
      this.#sink.close();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }
}
