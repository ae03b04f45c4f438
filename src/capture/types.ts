/**
 * What the capture stage produces. The capture stage never looks inside a packet.
 *
 * PacketRecord is BORROWED: one object is reused for every packet and `data` is the reader's
 * chunk. Everything in it is valid only until the callback returns. Copy what you keep.
 */

/** Link-layer header types (LINKTYPE_* values as stored in pcap/pcapng files). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL', 1: 'ETHERNET', 12: 'RAW', 14: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL',
  228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

/** pcapng epb_flags direction bits (bits 0-1): 0 unknown, 1 inbound, 2 outbound. */
export const Direction = { Unknown: 0, Inbound: 1, Outbound: 2 } as const;

export interface PacketRecord {
  /** 0-based index of the packet in the whole (merged) stream. */
  index: number;
  /** Which input (position in the list of files given) this packet came from. */
  fileIndex: number;
  /** Interface id within its file: pcapng IDB number (per section, numbered across sections), 0 for pcap. */
  ifIndex: number;
  linkType: number;
  /** Timestamp, full precision: epoch seconds and nanoseconds (0..999 999 999). */
  tsSec: number;
  tsNsec: number;
  /** Bytes captured (available in `data`) and the packet's length on the wire. */
  capLen: number;
  origLen: number;
  /** Borrowed: the packet's bytes are data[offset .. offset + capLen). */
  data: Buffer;
  offset: number;
  /** Direction from pcapng epb_flags (Direction.*), 0 when unknown. */
  direction: number;
  /** Byte offset of this record's header in the (decompressed) input file. */
  fileOffset: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface InterfaceInfo {
  /** Interface id as used in PacketRecord.ifIndex. */
  id: number;
  section: number;
  linkType: number;
  linkTypeName: string;
  snaplen: number;
  name: string | null;
  /** Timestamp resolution as a power of ten of seconds' fraction digits (6 = µs, 9 = ns). */
  tsResolutionDigits: number;
  tsOffsetSec: number;
  packets: number;
}

/** How reading a file ended: cleanly, cut off (truncated), or stopped at damage. */
export interface CaptureEnd {
  clean: boolean;
  /** Stable code when not clean, e.g. `capture.pcap.truncated_record`, `capture.pcapng.block_length_mismatch`. */
  code: string | null;
  /** Byte offset (in the decompressed input) where reading stopped. */
  offset: number;
  /** One sentence: what was wrong. */
  reason: string | null;
}

/** What a reader learned about one input file. Filled in as reading goes on. */
export interface CaptureInfo {
  file: string;
  /** null when the file could not be recognised at all (then `end.clean` is false). */
  format: CaptureFormat | null;
  compressed: 'gzip' | null;
  byteOrder: 'little-endian' | 'big-endian' | 'mixed' | null;
  /** 'microseconds' | 'nanoseconds' | 'mixed' (pcapng interfaces may differ) | null. */
  tsPrecision: string | null;
  sections: number;
  interfaces: InterfaceInfo[];
  packets: number;
  /** Sum of captured bytes of all packets. */
  capturedBytes: number;
  /** Size of the input read so far (decompressed bytes). */
  fileBytes: number;
  firstTsSec: number; firstTsNsec: number;
  lastTsSec: number; lastTsNsec: number;
  /** pcapng blocks skipped by kind (e.g. `NRB`, `ISB`, `DSB`, `custom`, `unknown:0x…`). */
  skippedBlocks: Record<string, number>;
  end: CaptureEnd;
  /**
   * Named, counted container-level anomalies that did not stop reading (e.g.
   * `capture.pcap.caplen_exceeds_snaplen`, `capture.pcapng.unknown_interface`). Added by the capture
   * stage; optional so that other producers of CaptureInfo need not fill it in.
   */
  anomalies?: Record<string, { count: number; firstPacket: number; firstOffset: number }>;
}

export interface ReadOptions {
  /** Bytes per read (default 4 MiB; several inputs merged read in smaller chunks: see mergeChunkSize and resumeChunkSize). */
  chunkSize?: number;
  /** Largest pcapng block accepted (default 16 MiB). */
  maxBlockSize?: number;
  /** Largest packet record accepted (default 256 KiB, like libpcap). */
  maxRecordLength?: number;
  /** Called now and then with bytes read so far and the total (null when unknown: stdin, gzip). */
  onProgress?: (bytesRead: number, totalBytes: number | null) => void;
  /**
   * Called before each chunk after the first is read; when it returns a promise, reading waits
   * for it (back-pressure: a consumer writing records out as they come can hold the reader).
   */
  between?: () => Promise<void> | undefined;
  /**
   * Where a file's read buffers come from (FILE_BUFFERS per file, `chunkSize` bytes each): a buffer, or
   * null for an ordinary one. The flow table lends buffers in its own memory (FlowTable.arenaChunk),
   * so that its WebAssembly core decodes packets where they were read.
   */
  chunkAlloc?: (size: number) => Buffer | null;
  /** Where buffers from chunkAlloc go back when their file is closed (several files: a file is closed when read through). */
  chunkFree?: (b: Buffer) => void;
  /**
   * Classic pcap records, and pcapng Enhanced Packet Blocks, are offered to this consumer straight
   * from the chunk before they are parsed one by one (see PcapRecordSink): all of one input read
   * alone; of several merged by time, the runs of one input that no other's packet comes between.
   */
  recordSink?: PcapRecordSink;
}

/** The file header of a classic pcap file, as a PcapRecordSink needs it. */
export interface PcapHeader {
  littleEndian: boolean;
  nanoseconds: boolean;
  /** The snapshot length in effect (0 or absurd in the file: the largest record accepted). */
  snaplen: number;
  maxRecordLength: number;
  linkType: number;
}

/** One interface of the pcapng section a reader is in, as a PcapRecordSink needs it to take its Enhanced Packet Blocks. */
export interface PcapngSinkInterface {
  /** The interface's id across the file (PacketRecord.ifIndex). */
  ifIndex: number;
  linkType: number;
  /** The interface's snaplen (0: none). */
  snaplen: number;
  /** Resolution 10^-digits s: 6 or 9 (the only two a sink takes); 0 for any other (2^-n, other powers of ten). */
  digits: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

/** The pcapng section a reader is in, as a PcapRecordSink needs it to take Enhanced Packet Blocks of its interfaces. */
export interface PcapngSection {
  /** The section's byte order. */
  littleEndian: boolean;
  /** The section's interfaces by local id (an EPB's interface id). */
  interfaces: PcapngSinkInterface[];
  /** Changed whenever the section or its interfaces change (a sink may keep what it derived from them until then). */
  version: number;
  maxRecordLength: number;
  maxBlockSize: number;
}

/** What a PcapRecordSink took, for the reader's own counts. */
export interface TakenRecords {
  /** Offset in the chunk where the next record starts. */
  end: number;
  /** Captured bytes of the records taken, and the earliest and latest of their times. */
  bytes: number;
  firstSec: number; firstNsec: number; lastSec: number; lastNsec: number;
  /** The time of the last record taken (in file order). */
  tailSec: number; tailNsec: number;
  /** pcapng: the blocks taken per interface, as pairs (local id, count); `ifPairs` numbers used. */
  ifTaken: number[]; ifPairs: number;
}

/**
 * A consumer that takes whole classic pcap records straight from a chunk (the flow engine, whose
 * WebAssembly core decodes and accounts them where they were read): each record it takes is one
 * the reader would have handed over as it is, with no anomaly. The reader then counts them as read.
 */
export interface PcapRecordSink {
  /** The memory chunks must lie in for takeRecords to be asked (null: never). */
  readonly arena: SharedArrayBuffer | null;
  /**
   * Take records from chunk[pos, lim), the first of packet index `index0`, none past `bound`
   * (null: no bound); returns how many, `out` the rest.
   */
  takeRecords(chunk: Buffer, pos: number, lim: number, h: PcapHeader, fileIndex: number, index0: number, out: TakenRecords, bound: TimeBound | null): number;
  /** The same for pcapng: Enhanced Packet Blocks of section `s`'s interfaces (each one the reader would hand over as it is, with no anomaly). */
  takeBlocks(chunk: Buffer, pos: number, lim: number, s: PcapngSection, fileIndex: number, index0: number, out: TakenRecords, bound: TimeBound | null): number;
}

/**
 * How far in time a record sink may take records of one input while several are merged: up to the
 * next packet of the other inputs, at (sec, nsec); `tie`: a record at that very time goes first too
 * (its input is listed before that packet's).
 */
export interface TimeBound {
  sec: number;
  nsec: number;
  tie: boolean;
}
