/**
 * The flow table's WebAssembly core (src/flow/wasm/flow-core.ts, compiled by tools/build-wasm.mjs
 * into flow-core-wasm.ts): keying, lookup, creation and the per-packet update of the 128-byte flow
 * records, in the instance's linear memory. FlowTable (table.ts) owns one instance and reads the
 * records through typed-array views of that memory; the module calls back into the table to emit
 * a flow (finish), to evict one (evict), to count a port reuse and to keep a tunnelled flow's
 * endpoints (tunnel).
 *
 * Why WebAssembly: the same table code in JavaScript cost about 1 s of a 3.6 s audit of the
 * benchmark capture (update, key, create, history); as WebAssembly it runs without bounds checks,
 * boxing or deoptimisation (README, "Performance").
 */
import { FLOW_CORE_WASM } from './flow-core-wasm.js';

/** Fixed byte offsets in the core's memory (see the layout in wasm/flow-core.ts). */
export const CORE = { KEY: 0, TO: 128, SVC: 256, PAIR: 256 + 65536, REPLY: 256 + 65536 + 1024 } as const;

/**
 * One slot of batchNg's interface table (wasm/flow-core.ts IF_*): its size in 32-bit words, the
 * words of link type, snaplen, global id, resolution digits and blocks taken, and the 64-bit word
 * of if_tsoffset.
 */
export const IF_SLOT = { WORDS: 8, LINK: 0, SNAPLEN: 1, ID: 2, DIGITS: 3, TAKEN: 6, OFFSET_F64: 2 } as const;

/** Most flows one table can hold: the records and their index must fit the 4 GiB of a wasm32 memory. */
export const MAX_TABLE_FLOWS = 16 * 1024 * 1024;

export interface FlowCoreHost {
  /** Emit flow f, then release it (FlowCore.release). */
  finish(f: number): void;
  /** Evict one flow (the table is full). */
  evict(): void;
  /** A SYN reused the 5-tuple of a closed flow (which is finished just after): at the packet of this index (-1: the one being accounted). */
  portReuse(index: number): void;
  /** The row batch is full: take its rows (then rowsTaken). */
  rowsFull(): void;
  /** Flow f was created by a tunnel's inner packet: its kind (decode/packet.ts Tunnel) and outer source and destination (at tunnelOffset(), 4 words each). */
  tunnel(f: number, kind: number): void;
}

export interface FlowCore {
  /** The instance's linear memory (grown once, by init; shared, so another thread can read the row batches in place). */
  readonly memory: { readonly buffer: SharedArrayBuffer };
  /**
   * Size for `flows` flows with `slots0` index slots (a power of two) and `arena` bytes for capture
   * chunks; returns the records' offset (0: no memory).
   */
  init(flows: number, slots0: number, vlanInKey: boolean, minTimeout: number, arena: number, rowBatches: number): number;
  arenaOffset(): number;
  vlanOffset(): number;
  ifIndexOffset(): number;
  fileOffset(): number;
  inspectOffset(): number;
  /** Per flow, 1 when the JavaScript side emits it itself (not packed into the row batch). */
  ownOffset(): number;
  /** Where the core writes a new tunnelled flow's outer source and destination (8 words) before FlowCoreHost.tunnel. */
  tunnelOffset(): number;
  /** Call FlowCoreHost.tunnel for a tunnelled flow the core creates (default true; false: the flow is like any other). */
  setTunnelFlows(on: boolean): void;
  /** Split ClientHellos being put together: per flow 1 + its slot (u16), per slot need, have, next sequence number, link (u32), the slots' bytes. */
  tlsSlotOffset(): number;
  tlsMetaOffset(): number;
  tlsBufferOffset(): number;
  tlsSlots(): number;
  tlsSlotBytes(): number;
  tlsInUse(): number;
  /** A slot for flow f's ClientHello of `need` bytes, next segment at `nextSeq` (have 0): its index, or -1 when none is free. */
  tlsStart(f: number, need: number, nextSeq: number): number;
  /** Free flow f's slot (if any). */
  tlsEnd(f: number): void;
  /** Pack finished flows into the row batch (on) or hand each to the host's finish (off). */
  setRows(on: boolean): void;
  rowsOffset(): number;
  rowCount(): number;
  /** Row batches there is room for (init's rowBatches). */
  rowBatches(): number;
  /** The batch being filled (0 .. rowBatches - 1). */
  rowBatchNow(): number;
  /** The batch's rows were taken: fill batch `next` from empty. */
  rowsTaken(next: number): void;
  /** Pack flow f into the row batch (the host's rowsFull first when it is full) and release it. */
  packRow(f: number): void;
  /** The name caches (engine.ts #inspect): UDP DNS messages, 4 words per slot, and TLS server names, 3 words per slot. */
  dnsCacheOffset(): number;
  dnsCacheSlots(): number;
  sniCacheOffset(): number;
  sniCacheSlots(): number;
  /** Whether plain() looks in the DNS cache and in the server-name cache (off until set). */
  setNameCaches(dns: boolean, sni: boolean, dnsTcp: boolean): void;
  /** UDP DNS messages and ClientHellos plain() recognised in the caches (not handed back for names). */
  dnsRepeats(): number;
  sniRepeats(): number;
  usedFlows(): number;
  liveFlows(): number;
  indexSlots(): number;
  expiredFlows(): number;
  now(): number;
  nowNs(): number;
  /** The flow of the addresses at KEY with these ports, protocol and VLAN, or -1. */
  lookup(sport: number, dport: number, proto: number, vlan: number): number;
  release(f: number): void;
  /** Finish (through the host) every flow idle past its timeout at this time, in flow-id order; returns how many. */
  expire(sec: number, nsec: number): number;
  /** Move the table's clock to a packet's time when it is later (update does it itself). */
  advance(tsSec: number, tsNsec: number): void;
  /** (flow id << 2) | (sent by the originator << 1) | (created); addresses at KEY. */
  /**
   * Decode (the decoder's fast path) and account a packet whose `cap` captured bytes (of `wire` on
   * the wire) are at `off` in this memory: (flow id << 5) | (inside a tunnel << 4) | (its payload was
   * cut << 3) | (to inspect for names << 2) | (sent by the originator << 1) | (created), or -1 when
   * it is not a fast-path packet (nothing changed).
   */
  plain(off: number, cap: number, wire: number, link: number, tsSec: number, tsNsec: number, fileIndex: number, ifIndex: number): number;
  /** Take classic pcap records from [pos, lim) of this memory (see wasm/flow-core.ts batch); returns how many. */
  batch(pos: number, lim: number, le: boolean, ns: boolean, snaplen: number, maxRecord: number, link: number,
    fileIndex: number, ifIndex: number, index0: number, budget: number): number;
  /** Take pcapng Enhanced Packet Blocks of the section's first `nIf` interfaces (the interface table) from [pos, lim) (see wasm/flow-core.ts batchNg); returns how many. */
  batchNg(pos: number, lim: number, le: boolean, nIf: number, maxRecord: number, maxBlock: number, fileIndex: number, index0: number, budget: number): number;
  /** batchNg's interface table (32 bytes per interface) and its size; the local ids it took blocks of, how many, and their counts cleared. */
  ifTableOffset(): number;
  ifTableSlots(): number;
  ifTouchedOffset(): number;
  ifTaken(): number;
  ifTakenClear(): void;
  batchLastIf(): number;
  batchStart(): void;
  /** Packets taken since batchStart() whose payload was cut (not counting a last one to be looked at for names). */
  batchCut(): number;
  /** Packets taken since batchStart() from inside a tunnel (VXLAN, Geneve, GRE, ERSPAN) (not counting a last one to be looked at for names). */
  batchTunnel(): number;
  batchBound(sec: number, nsec: number, tie: boolean): void;
  batchEnd(): number;
  batchLastPos(): number;
  batchLastCap(): number;
  batchLastOrig(): number;
  batchLastTsSec(): number;
  batchLastTsNsec(): number;
  batchBytes(): number;
  batchInspect(): number;
  batchFlow(): number;
  batchFirstSec(): number;
  batchFirstNsec(): number;
  batchLastSec(): number;
  batchLastNsec(): number;
  update(proto: number, hasPorts: boolean, sport: number, dport: number, vlan: number, tsSec: number, tsNsec: number,
    fileIndex: number, ifIndex: number, flags: number, flagsKnown: boolean, payloadLen: number, ipLen: number, fragment: number,
    icmpType: number, icmpCode: number): number;
}

/** The part of the global WebAssembly API used here (its types are in TypeScript's DOM library, which this project does not load). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, (...args: number[]) => void>>) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null = null;

/** A new core instance calling back into `host` (the module is compiled once per thread). */
export function newFlowCore(host: FlowCoreHost): FlowCore {
  compiled ??= new wasmApi.Module(Buffer.from(FLOW_CORE_WASM, 'base64'));
  const inst = new wasmApi.Instance(compiled, {
    table: {
      finish: (f: number) => host.finish(f), evict: () => host.evict(), portReuse: (i: number) => host.portReuse(i), rowsFull: () => host.rowsFull(),
      tunnel: (f: number, kind: number) => host.tunnel(f, kind),
    },
  });
  return inst.exports as FlowCore;
}
