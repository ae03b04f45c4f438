/**
 * Flow record writers: prolog / record / epilog per format, no logic beyond framing.
 *   ndjson     one JSON object per line (fields: fields.ts)
 *   json       one array document
 *   csv        header line, then one line per flow
 *   zeek-json  Zeek conn.log JSON lines (Zeek's own field names)
 *   text       a readable table
 */
import type { FlowRecord } from '../../flow/record.js';
import { tsToIso } from '../../core/time.js';
import type { Output } from '../output.js';
import { CSV_COLUMNS, durationOf, flowToCsv, flowToJsonLine, flowToZeek, protoName } from './fields.js';
import { JSON_LINE_MAX, writeJsonLine } from './json-bytes.js';

export const FLOW_FORMATS = ['ndjson', 'json', 'csv', 'zeek-json', 'text'] as const;
export type FlowFormat = (typeof FLOW_FORMATS)[number];

export interface FlowWriter {
  prolog(): string;
  record(f: FlowRecord, i: number): string;
  epilog(n: number): string;
}

function endpoint(h: string, p: number): string {
  return h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`;
}

const TEXT_HEADER = ['first packet (UTC)', 'proto', 'originator', 'responder', 'pkts o/r', 'ip bytes o/r', 'state', 'history', 'notes'];

function textNotes(f: FlowRecord): string {
  const n: string[] = [];
  if (f.directionInferred) n.push('direction inferred');
  for (const e of f.icmpErrors) n.push(`${e.proto} ${e.type}/${e.code} x${e.count} from ${e.from}`);
  if (f.vlan !== null) n.push(`vlan ${f.vlan}`);
  if (f.tunnel !== null) n.push(`${f.tunnel.kind} ${f.tunnel.outerSrc}>${f.tunnel.outerDst}`);
  if (f.verdict !== null) n.push(f.verdict);
  return n.join('; ');
}

function textRow(f: FlowRecord): string[] {
  return [
    tsToIso(f.firstSec, f.firstNsec), protoName(f.proto), endpoint(f.origH, f.origP), endpoint(f.respH, f.respP),
    `${f.origPkts}/${f.respPkts}`, `${f.origIpBytes}/${f.respIpBytes}`, f.connState || '-', f.history || '-', textNotes(f),
  ];
}

export function flowWriter(format: FlowFormat): FlowWriter {
  switch (format) {
    case 'ndjson':
      return { prolog: () => '', record: (f) => flowToJsonLine(f) + '\n', epilog: () => '' };
    case 'json':
      return { prolog: () => '[', record: (f, i) => (i === 0 ? '\n' : ',\n') + flowToJsonLine(f), epilog: (n) => (n === 0 ? ']\n' : '\n]\n') };
    case 'csv':
      return { prolog: () => CSV_COLUMNS.join(',') + '\n', record: (f) => flowToCsv(f) + '\n', epilog: () => '' };
    case 'zeek-json':
      return { prolog: () => '', record: (f) => JSON.stringify(flowToZeek(f)) + '\n', epilog: () => '' };
    case 'text':
      // rows are fixed-width per column; widths come from the header and a fixed budget
      return {
        prolog: () => formatRow(TEXT_HEADER) + '\n',
        record: (f) => formatRow(textRow(f)) + '\n',
        epilog: (n) => `${n} flow${n === 1 ? '' : 's'}\n`,
      };
  }
}

const WIDTHS = [30, 5, 46, 46, 11, 17, 6, 12, 0];

function formatRow(cells: string[]): string {
  return cells.map((c, i) => (WIDTHS[i]! > 0 ? c.padEnd(WIDTHS[i]!) : c)).join(' ').trimEnd();
}

/** Bytes per output block when the Output takes bytes. */
const BYTE_BLOCK = 1 << 20;

/**
 * Write record i of an ndjson or json output straight into buf at pos (JSON_LINE_MAX bytes free):
 * the same bytes as flowWriter(format).record(f, i). Returns the end, or -1 for other formats and
 * for records left to the text path (see json-bytes.ts).
 */
function recordBytes(format: FlowFormat, f: FlowRecord, i: number, buf: Buffer, pos: number): number {
  if (format === 'ndjson') {
    const end = writeJsonLine(f, buf, pos);
    if (end < 0) return -1;
    buf[end] = 10;
    return end + 1;
  }
  if (format === 'json') {
    let p = pos;
    if (i > 0) buf[p++] = 44; // ,
    buf[p++] = 10;
    return writeJsonLine(f, buf, p);
  }
  return -1;
}

/**
 * Write one block of output bytes (as text to an Output that takes no bytes). `released` is called
 * once the Output holds the block no more (written, or failed), when it may be reused.
 */
export async function writeBlock(out: Output, bytes: Uint8Array, released?: () => void): Promise<void> {
  if (out.writeBytes !== undefined) return out.writeBytes(bytes, released);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  released?.();
  return out.write(text);
}

/**
 * Write every flow in the given format to out (does not end it). Lines are encoded straight into
 * 1 MiB blocks (FlowBlockFormatter: no long concatenated strings to flatten and convert).
 */
export async function writeFlows(out: Output, flows: Iterable<FlowRecord>, format: FlowFormat): Promise<number> {
  const blocks: Uint8Array[] = [];
  const fmt = new FlowBlockFormatter(format, (b) => { blocks.push(b); });
  const flush = async (): Promise<void> => {
    for (const b of blocks) await writeBlock(out, b);
    blocks.length = 0;
  };
  fmt.prolog();
  for (const f of flows) {
    fmt.add(f);
    if (blocks.length > 0) await flush();
  }
  fmt.flush();
  await flush();
  await out.write(fmt.epilog(fmt.count));
  return fmt.count;
}

/** A new output block of `bytes` bytes. */
export type BlockAlloc = (bytes: number) => Buffer;

/**
 * Formats flows one at a time into 1 MiB blocks of output bytes, handing each full block to
 * `emit` (the block is the emitter's from then on). Record i of the output is the i-th flow added,
 * counted from `start` (the json format puts a comma before every record but the first). The same
 * bytes as writeFlows; the prolog and the epilog are the caller's. `alloc` makes the blocks
 * (Buffer.allocUnsafe by default; SharedBlocks in a thread that posts them).
 */
export class FlowBlockFormatter {
  readonly #w: FlowWriter;
  readonly #format: FlowFormat;
  readonly #emit: (block: Uint8Array) => void;
  readonly #alloc: BlockAlloc;
  #buf: Buffer;
  #pos = 0;
  #n: number;

  constructor(format: FlowFormat, emit: (block: Uint8Array) => void, start = 0, alloc: BlockAlloc = Buffer.allocUnsafe) {
    this.#w = flowWriter(format);
    this.#format = format;
    this.#emit = emit;
    this.#n = start;
    this.#alloc = alloc;
    this.#buf = alloc(BYTE_BLOCK);
  }

  /** Index of the next record (flows added so far, plus start). */
  get count(): number {
    return this.#n;
  }

  /** Make the next record record `i` of the output (for formatters that take turns over one output's batches). */
  skipTo(i: number): void {
    this.#n = i;
  }

  /** Text to put in front of everything (written into the first block). */
  prolog(): void {
    this.#pos += this.#buf.write(this.#w.prolog(), this.#pos, 'utf8');
  }

  add(f: FlowRecord): void {
    if (this.#pos + JSON_LINE_MAX > BYTE_BLOCK) this.flush();
    const end = recordBytes(this.#format, f, this.#n, this.#buf, this.#pos);
    if (end >= 0) { this.#pos = end; this.#n++; return; }
    const text = this.#w.record(f, this.#n++);
    if (this.#pos + text.length * 3 > BYTE_BLOCK) {
      this.flush();
      if (text.length * 3 > BYTE_BLOCK) { this.#emit(Buffer.from(text, 'utf8')); return; }
    }
    this.#pos += this.#buf.write(text, this.#pos, 'utf8');
  }

  /** Hand over the block being filled (if it holds anything) and start a new one. */
  flush(): void {
    if (this.#pos === 0) return;
    const block = this.#buf.subarray(0, this.#pos);
    this.#buf = this.#alloc(BYTE_BLOCK);
    this.#pos = 0;
    this.#emit(block);
  }

  /** The format's closing text after n records. */
  epilog(n: number): string {
    return this.#w.epilog(n);
  }
}

/** Blocks a FlowStreamWriter lets queue up before it asks the reader to wait. */
const MAX_QUEUED_BLOCKS = 4;

/**
 * Writes flows in the given format as they are handed over (one at a time, synchronously, from a
 * gatherEvidence onFlow callback), in 1 MiB blocks; memory stays bounded because `pending()` gives
 * the reader a promise to wait on while too many blocks are queued (GatherOptions.between).
 */
export class FlowStreamWriter {
  readonly #out: Output;
  readonly #fmt: FlowBlockFormatter;
  #queued = 0;
  #chain: Promise<void> = Promise.resolve();
  #error: unknown = null;

  constructor(out: Output, format: FlowFormat) {
    this.#out = out;
    this.#fmt = new FlowBlockFormatter(format, (block) => this.#queue(block));
    this.#fmt.prolog();
  }

  /** Flows written so far. */
  get count(): number {
    return this.#fmt.count;
  }

  add(f: FlowRecord): void {
    this.#fmt.add(f);
  }

  #queue(bytes: Uint8Array): void {
    const out = this.#out;
    this.#queued++;
    this.#chain = this.#chain.then(async () => {
      try {
        if (this.#error === null) await writeBlock(out, bytes);
      } catch (e) {
        if (this.#error === null) this.#error = e;
      } finally {
        this.#queued--;
      }
    });
  }

  /** A promise to wait on before reading more (too many blocks queued, or a write failed), else undefined. */
  pending(): Promise<void> | undefined {
    if (this.#error !== null) return Promise.reject(this.#error);
    return this.#queued > MAX_QUEUED_BLOCKS ? this.#chain : undefined;
  }

  /** Write what is left and the format's epilog (does not end the Output). */
  async end(): Promise<number> {
    this.#fmt.flush();
    await this.#chain;
    if (this.#error !== null) throw this.#error;
    const n = this.#fmt.count;
    await this.#out.write(this.#fmt.epilog(n));
    return n;
  }
}

export { durationOf };
