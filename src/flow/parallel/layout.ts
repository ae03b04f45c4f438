/**
 * The per-packet summary a worker sends to the main thread: exactly what FlowTable.update and the
 * engine's name inspection read from a DecodedPacket, plus the timestamp, the interface, and the
 * decoder's fragment-table events (replayed in the main thread in global packet order, so the
 * fragment table behaves as in one thread even when a datagram's fragments straddle two ranges).
 *
 * One batch = an Int32Array of BATCH × S words (array of structs), a Float64Array of BATCH
 * timestamps' seconds, and PAYLOAD_BYTES of copied payloads (the engine's DNS/SNI inspection reads
 * them); all three are SharedArrayBuffers, posted and handed back for reuse (not transferred: a
 * transfer detaches a buffer, which deoptimises the thread's hot code, see PackedRows).
 */

/** Packets per batch. */
export const BATCH = 4096;
/** Int32 words per packet. */
export const S = 48;
/** Bytes of payload per batch (payloads the engine may inspect for DNS/SNI names are copied here). */
export const PAYLOAD_BYTES = 4 << 20;

export const W = {
  FLAGS: 0,
  TS_NSEC: 1,
  /** srcPort << 16 | dstPort */
  PORTS: 2,
  IP_LEN: 3,
  PAYLOAD_LEN: 4,
  VLAN: 5,
  IF_INDEX: 6,
  ICMP_TYPE: 7,
  ICMP_CODE: 8,
  SRC: 9, // 4 words
  DST: 13, // 4 words
  TUNNEL: 17,
  QUOTED_PROTO: 18,
  QUOTED_PORTS: 19,
  QUOTED_SRC: 20, // 4
  QUOTED_DST: 24, // 4
  OUTER_SRC: 28, // 4
  OUTER_DST: 32, // 4
  /** Fragment-table insert: IP id, protocol, ports (srcPort << 16 | dstPort). */
  INS_ID: 36, INS_PROTO: 37, INS_PORTS: 38,
  /** Fragment-table lookup: IP id, protocol. */
  LOOK_ID: 39, LOOK_PROTO: 40,
  /** The captured transport payload, copied into the batch's payload bytes at this offset (-1: not copied), and its length. */
  PAY_OFF: 41, PAY_CAP: 42,
  TCP_SEQ: 43, TCP_ACK: 44, INNER_VLAN: 45, TUNNEL_DEPTH: 46,
} as const;

export const F = {
  QUOTED_HAS_PORTS: 1,
  HAS_PORTS: 2,
  HAS_QUOTED: 4,
  /** A pcapng SPB before any timestamped packet of the range: its time is the previous packet's (patched by the main thread). */
  SPB_NO_TS: 8,
  /** fragment (0/1/2) in bits 4-5 */
  FRAG_SHIFT: 4,
  TCP_FLAGS_KNOWN: 64,
  FRAG_INSERT: 128,
  FRAG_LOOKUP: 256,
  /** The worker's decode anomaly registry got a new name at this packet (first-packet index mapping). */
  NEW_ANOMALY: 512,
  /** Outcome in bits 10-11, IP version in bits 12-15. */
  OUTCOME_SHIFT: 10,
  IPV_SHIFT: 12,
  /** proto in bits 16-23, TCP flags in bits 24-31 */
  PROTO_SHIFT: 16,
  TCP_FLAGS_SHIFT: 24,
} as const;

export interface Job {
  id: number;
  file: string;
  fileIndex: number;
  format: 'pcap' | 'pcapng';
  /** Bytes fed to the parser before the range (file header / SHB + IDBs); empty when start is 0. */
  context: Uint8Array;
  start: number;
  end: number;
  /** The last range of the file: read to the end and report truncation. */
  last: boolean;
  /** Parse from `start` but emit only packets at or after this file offset (re-reading with full context). */
  emitFrom: number;
  chunkSize: number;
  names: boolean;
}

export interface JobResult {
  packets: number;
  /** File offset of the first packet at or after `end` (not emitted), or -1 when reading ended (end of file or damage). */
  landed: number;
  /** Reading stopped at damage (end says where and why). */
  stopped: boolean;
  end: { clean: boolean; code: string | null; offset: number; reason: string | null };
  /** An SHB or IDB was met inside the range: later ranges were read with the wrong context. */
  contextChanged: boolean;
  /** Decode anomalies of the range: [name, count, range-local first packet, first offset]. */
  anomalies: [string, number, number, number][];
}

export type ToWorker =
  | { type: 'job'; job: Job }
  | { type: 'cancel'; id: number }
  | { type: 'credit'; i32: SharedArrayBuffer; f64: SharedArrayBuffer; pay: SharedArrayBuffer }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'batch'; id: number; n: number; i32: SharedArrayBuffer; f64: SharedArrayBuffer; pay: SharedArrayBuffer }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'error'; id: number; message: string };
