/**
 * PackedRows: finished flows of the flow table packed for another thread. Each flow's table
 * record is copied into a batch buffer (FlowTable.packRow, 144 bytes, nothing else made), with the
 * inputs first seen in the batch, the tunnels its flows came through and their ICMP errors (a row's
 * last word: 1 + its tunnel's index in the batch's `tunnels` in the low 16 bits, 1 + the index of
 * its ICMP errors in `icmpErrors` in the high 16; 0 for none); a full batch is taken and posted,
 * and the buffers that come back are filled again. Shared by the audit thread and the format thread.
 *
 * The buffers are SharedArrayBuffers, posted without a transfer list: transferring an ArrayBuffer
 * detaches it, and the first detach in a thread invalidates V8's ArrayBufferDetaching protector
 * there, which deoptimises every function compiled without detach checks (on the bench capture
 * about 40 hot functions at once, in both threads) and adds those checks to every typed-array
 * access compiled after. test/cli/no-detach.test.ts checks that no threaded run detaches one.
 */
import type { EvidenceKind, IcmpErrorEvidence, TunnelEvidence } from './record.js';
import { PACKED_ROW_BYTES, PACKED_ROW_WORDS, type FlowTable } from './table.js';

/** Rows per batch (4096 × 144 B = 576 KiB). */
export const BATCH_ROWS = 4096;
const BATCH_BYTES = BATCH_ROWS * PACKED_ROW_BYTES;

/** A batch's rows: `n` packed rows in `buf`, and the inputs first seen in it, as [fileIndex, name, kind] (FlowTable.sourceOf). */
export interface PackedBatch {
  buf: SharedArrayBuffer;
  /** Where the rows start in buf (bytes). */
  at: number;
  n: number;
  sources: [number, string, EvidenceKind][];
  /** The tunnels of the batch's tunnelled flows (packedTunnel). Rows packed by the table's core have none. */
  tunnels: TunnelEvidence[];
  /** The ICMP errors of the batch's flows that have some (packedIcmpErrors). Rows packed by the table's core have none. */
  icmpErrors: IcmpErrorEvidence[][];
}

/** The tunnel of packed row `at` (a word index of `u`) among its batch's `tunnels`, or null. */
export function packedTunnel(u: Uint32Array, at: number, tunnels: readonly TunnelEvidence[]): TunnelEvidence | null {
  const w = u[at + PACKED_ROW_WORDS - 1]! & 0xffff;
  return w === 0 ? null : tunnels[w - 1]!;
}

/** The ICMP errors of packed row `at` (a word index of `u`) among its batch's `icmpErrors`, or null. */
export function packedIcmpErrors(u: Uint32Array, at: number, icmpErrors: readonly IcmpErrorEvidence[][]): IcmpErrorEvidence[] | null {
  const w = u[at + PACKED_ROW_WORDS - 1]! >>> 16;
  return w === 0 ? null : icmpErrors[w - 1]!;
}

export class PackedRows {
  readonly #maxSpare: number;
  #buf = new SharedArrayBuffer(BATCH_BYTES);
  #u = new Uint32Array(this.#buf);
  #n = 0;
  #sources: [number, string, EvidenceKind][] = [];
  #tunnels: TunnelEvidence[] = [];
  #icmpErrors: IcmpErrorEvidence[][] = [];
  /** Index in #tunnels of each tunnel object added to this batch (the table shares one object per run of flows of a tunnel). */
  #tunnelIndex = new Map<TunnelEvidence, number>();
  readonly #sent: boolean[] = [];
  readonly #spare: SharedArrayBuffer[] = [];

  /** `maxSpare`: buffers kept for reuse at most (the batches that can be out at once). */
  constructor(maxSpare: number) {
    this.#maxSpare = maxSpare;
  }

  /** Whether the batch is full (take it before adding). */
  get full(): boolean {
    return this.#n === BATCH_ROWS;
  }

  /** Rows in the batch. */
  get size(): number {
    return this.#n;
  }

  /** Pack flow f of t into the batch. */
  add(t: FlowTable, f: number): void {
    const at = this.#n++ * PACKED_ROW_WORDS;
    t.packRow(f, this.#u, at);
    this.#noteSource(t, this.#u[at + PACKED_ROW_WORDS - 2]!);
    const tun = t.tunnelOf(f), icmp = t.icmpErrorsOf(f);
    if (tun !== null || icmp !== null) {
      let w = 0;
      if (tun !== null) {
        let k = this.#tunnelIndex.get(tun);
        if (k === undefined) { k = this.#tunnels.length; this.#tunnels.push(tun); this.#tunnelIndex.set(tun, k); }
        w = k + 1;
      }
      if (icmp !== null) { this.#icmpErrors.push(icmp); w |= this.#icmpErrors.length << 16; }
      this.#u[at + PACKED_ROW_WORDS - 1] = w >>> 0;
    }
  }

  /** Copy `n` rows of t packed by its core (RowBatchSink: at byte `at` of `buf`) into the batch, which must have room for them. */
  addPacked(t: FlowTable, buf: ArrayBufferLike, at: number, n: number): void {
    if (this.#n + n > BATCH_ROWS) throw new RangeError(`addPacked: ${n} rows do not fit (${this.#n} of ${BATCH_ROWS} taken)`);
    this.#u.set(new Uint32Array(buf, at, n * PACKED_ROW_WORDS), this.#n * PACKED_ROW_WORDS);
    this.#noteSources(t, this.#u, this.#n * PACKED_ROW_WORDS, n, this.#sources);
    this.#n += n;
  }

  /**
   * For `n` rows of t read where its core packed them (at byte `at` of `buf`), not copied: the
   * inputs first seen in them, as a batch's `sources` (noted as sent, like those of added rows).
   */
  sourcesIn(t: FlowTable, buf: ArrayBufferLike, at: number, n: number): [number, string, EvidenceKind][] {
    const found: [number, string, EvidenceKind][] = [];
    this.#noteSources(t, new Uint32Array(buf, at, n * PACKED_ROW_WORDS), 0, n, found);
    return found;
  }

  /** The inputs of `n` rows from word `from` of `u` not sent before, into `out`. */
  #noteSources(t: FlowTable, u: Uint32Array, from: number, n: number, out: [number, string, EvidenceKind][]): void {
    let last = -1;
    for (let k = 0, o = from + PACKED_ROW_WORDS - 2; k < n; k++, o += PACKED_ROW_WORDS) {
      const fi = u[o]!;
      if (fi !== last) { this.#noteSource(t, fi, out); last = fi; }
    }
  }

  #noteSource(t: FlowTable, fi: number, out: [number, string, EvidenceKind][] = this.#sources): void {
    if (this.#sent[fi] === true) return;
    const s = t.sourceOf(fi);
    out.push([fi, s?.name ?? '', s?.kind ?? 'pcap']);
    this.#sent[fi] = true;
  }

  /** The batch so far, left in place (for a last batch handled in this thread). */
  peek(): PackedBatch {
    return { buf: this.#buf, at: 0, n: this.#n, sources: this.#sources, tunnels: this.#tunnels, icmpErrors: this.#icmpErrors };
  }

  /**
   * The batch so far as a copy of its rows in a buffer of their size (for the few rows handed over
   * with another batch: nothing to give back), and the batch emptied in place.
   */
  takeCopy(): PackedBatch {
    const n = this.#n;
    const b = { buf: this.#buf.slice(0, n * PACKED_ROW_BYTES), at: 0, n, sources: this.#sources, tunnels: this.#tunnels, icmpErrors: this.#icmpErrors };
    this.#n = 0;
    this.#sources = [];
    if (this.#tunnels.length > 0) { this.#tunnels = []; this.#tunnelIndex = new Map(); }
    if (this.#icmpErrors.length > 0) this.#icmpErrors = [];
    return b;
  }

  /** The batch so far, to be posted (not to be touched here until given back); the next one starts in a buffer given back, or a new one. */
  take(): PackedBatch {
    const b = this.peek();
    this.#buf = this.#spare.pop() ?? new SharedArrayBuffer(BATCH_BYTES);
    this.#u = new Uint32Array(this.#buf);
    this.#n = 0;
    this.#sources = [];
    if (this.#tunnels.length > 0) { this.#tunnels = []; this.#tunnelIndex = new Map(); }
    if (this.#icmpErrors.length > 0) this.#icmpErrors = [];
    return b;
  }

  /** A batch's buffer back from the other thread, to be filled again. */
  giveBack(buf: SharedArrayBuffer): void {
    if (buf.byteLength === BATCH_BYTES && this.#spare.length < this.#maxSpare) this.#spare.push(buf);
  }
}
