/**
 * RowLane: the audit of a batch of finished flows (rows packed as FlowTable.packRow packs them),
 * in WebAssembly (src/audit/wasm/row-lane.ts) for the flows that only add to what exists.
 *
 * Most flows of a capture change nothing in the audit but counts: flows between addresses in no
 * role, answered flows that rules allow, and flows of an unexpected finding that exists. The
 * JavaScript audit spends about 0.5–1 µs on each (unpacking the row, interning both addresses,
 * looking up their roles, matching, folding); the lane does the same in WebAssembly, asking the
 * auditor once per address (its roles, per roles version) and once per batch and (protocol, port,
 * roles) what to do (Auditor.laneMatch, laneFold), and hands the counts over after each batch
 * (Auditor.addCounted). The other flows are handed back, in their order and with their address
 * keys, for the caller to audit one by one as before (Auditor.addRow / addFlow). The report is the
 * one of auditing every flow with addRow (test/audit/row-lane.test.ts).
 *
 * The lane's address ids are the audit's address keys (texts: their text), and it remembers
 * every address of the flows it was given (has), which the early audit needs to know whether a
 * late name changes an address already audited.
 *
 * Rows must come from packet captures (pcap, pcapng, live: both directions seen), as flow tables'
 * rows do.
 */
import { FlowauditError } from '../core/errors.js';
import { formatAddr, parseAddr } from '../core/ip.js';
import type { EvidenceKind } from '../flow/record.js';
import { PACKED_ROW_BYTES } from '../flow/table.js';
import { tcpConnState, udpConnState } from '../flow/tcp-state.js';
import type { CompiledPolicy } from '../rules/policy.js';
import { plainOutcome, type Auditor, type CountedFlows, type FoldCounts } from './auditor.js';
import type { AddressTexts } from './peer-set.js';
import { ROW_LANE_WASM } from './row-lane-wasm.js';
import { STATE_NAMES } from './state-counts.js';

/** The lane module's exports (see wasm/row-lane.ts). */
interface LaneExports {
  readonly memory: { readonly buffer: SharedArrayBuffer };
  init(initial: number): number;
  run(n: number, epoch: number): number;
  lookup(w0: number, w1: number, w2: number, w3: number): number;
  internKey(): number;
  keyOffset(): number;
  foldInit(target: number, repSec: number): void;
  foldRep(target: number, repSec: number): void;
  rowsOffset(): number;
  classOffset(): number;
  tcpStateOffset(): number;
  udpStateOffset(): number;
  outcomeOffset(): number;
  seenOffset(): number;
  foldOffset(): number;
  foldBytes(): number;
  touchedOffset(): number;
  slowOffset(): number;
  eventsOffset(): number;
  wordsOffset(): number;
  rowSlots(): number;
  rowBytes(): number;
  maxTargets(): number;
  addresses(): number;
  slowRows(): number;
  counted(): number;
  countedOutOfScope(): number;
  countedAudited(): number;
  countedInitiators(): number;
  seenTargets(): number;
  touchedFolds(): number;
  events(): number;
  windowSeen(): number;
  windowFirstSec(): number;
  windowFirstNsec(): number;
  windowLastSec(): number;
  windowLastNsec(): number;
}

/** The part of the global WebAssembly API used here (its types are in TypeScript's DOM library, which this project does not load). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, (...args: number[]) => number>>) => { readonly exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | null = null;

const INITIAL_ADDRESSES = 1 << 14;
/** Byte offsets in a fold record (wasm/row-lane.ts). */
const F_FLOWS = 16, F_FSEC = 24, F_FNSEC = 32, F_LSEC = 40, F_LNSEC = 48, F_OPKT = 56, F_RPKT = 64, F_OBYT = 72, F_RBYT = 80, F_OUTC = 88, F_STATES = 104;
const OUTCOME_CODE = { answered: 0, 'no-answer': 1, refused: 2, 'icmp-unreachable': 255, denied: 255 } as const;

/** The lane's tables of connection states and outcomes: TCP state byte (+ 256 with payload) → state index, UDP → state index, outcome by protocol and index. */
interface StateTables { tcp: Uint8Array; udp: Uint8Array; outcome: Uint8Array }

/**
 * The connection state (its STATE_NAMES index) of a TCP flow per state byte (originator state << 4
 * | responder state), + 256 when the flow carried payload: 255 when the state depends on the
 * history (RSTOS0 or OTH), whose flows go to the caller; of a UDP flow per (originator sent,
 * responder sent); and the outcome of each for the auditor (plainOutcome of a packet capture's
 * flow: 0 answered, 1 no answer, 2 refused), TCP then UDP.
 */
function stateTables(): StateTables {
  const tcp = new Uint8Array(512), udp = new Uint8Array(4), outcome = new Uint8Array(32).fill(255);
  for (let p = 0; p < 2; p++) {
    for (let st = 0; st < 256; st++) {
      const os = st >> 4, rs = st & 15;
      // (a history the RSTOS0 pattern matches, and one it does not)
      const a = tcpConnState(os, rs, 'SR', p === 1), b = tcpConnState(os, rs, 'SHR', p === 1);
      tcp[p * 256 + st] = a !== b ? 255 : STATE_NAMES.indexOf(a);
    }
  }
  for (let i = 0; i < 4; i++) udp[i] = STATE_NAMES.indexOf(udpConnState(i >> 1, i & 1));
  for (let i = 0; i < STATE_NAMES.length; i++) {
    outcome[i] = OUTCOME_CODE[plainOutcome(6, STATE_NAMES[i]!, 1, 'pcap')];
    // (a UDP flow's outcome is by its responder's packets: SF and SHR have some)
    outcome[16 + i] = OUTCOME_CODE[plainOutcome(17, STATE_NAMES[i]!, STATE_NAMES[i] === 'SF' || STATE_NAMES[i] === 'SHR' ? 1 : 0, 'pcap')];
  }
  return { tcp, udp, outcome };
}
let tables: StateTables | null = null;

/** The lane's memory cannot hold another address (a limit of the process, not a bug: one line, no stack). */
function fullError(addresses: number): FlowauditError {
  return new FlowauditError('audit.addresses.full', `the audit's address table is full (${addresses} addresses): the capture has more distinct addresses than this process can hold`);
}

export class RowLane implements AddressTexts {
  readonly #x: LaneExports;
  readonly #policy: CompiledPolicy;
  readonly #auditor: Auditor;
  readonly #maxTargets: number;
  /** The fold targets set up in the lane (their representative flows move between batches). */
  readonly #folds: number[] = [];
  readonly #isFold = new Uint8Array(65536);
  /** Address texts by id, made when asked for. */
  readonly #texts: (string | undefined)[] = [];
  #u32: Uint32Array;

  private constructor(x: LaneExports, policy: CompiledPolicy, auditor: Auditor) {
    this.#x = x;
    this.#policy = policy;
    this.#auditor = auditor;
    this.#maxTargets = Math.min(x.maxTargets(), this.#isFold.length);
    this.#u32 = new Uint32Array(x.memory.buffer);
    const bytes = new Uint8Array(x.memory.buffer);
    bytes.set(new Uint8Array(policy.portClass[0].buffer, policy.portClass[0].byteOffset, 131072), x.classOffset());
    bytes.set(new Uint8Array(policy.portClass[1].buffer, policy.portClass[1].byteOffset, 131072), x.classOffset() + 131072);
    const t = tables ??= stateTables();
    bytes.set(t.tcp, x.tcpStateOffset());
    bytes.set(t.udp, x.udpStateOffset());
    bytes.set(t.outcome, x.outcomeOffset());
  }

  /** A lane for this policy's auditor; null when its memory cannot be had. */
  static create(policy: CompiledPolicy, auditor: Auditor): RowLane | null {
    compiled ??= new wasmApi.Module(Buffer.from(ROW_LANE_WASM, 'base64'));
    let lane: RowLane | null = null;
    const inst = new wasmApi.Instance(compiled, {
      lane: {
        roles: (id: number) => lane!.#roles(id),
        match: (proto: number, port: number, om: number, rm: number) => auditor.laneMatch(proto, port, om >>> 0, rm >>> 0, lane!.#maxTargets),
        fold: (proto: number, port: number, om: number, rm: number) => lane!.#foldTarget(proto, port, om >>> 0, rm >>> 0),
      },
    });
    const x = inst.exports as LaneExports;
    // (the module reads the rows' fields at fixed offsets: a packed row of another size is a build out of step)
    if (x.rowBytes() !== PACKED_ROW_BYTES) throw new Error(`the row lane reads ${x.rowBytes()}-byte rows, but the flow table packs ${PACKED_ROW_BYTES}: rebuild it (node tools/build-wasm.mjs)`);
    if (x.init(INITIAL_ADDRESSES) === 0) return null;
    lane = new RowLane(x, policy, auditor);
    return lane;
  }

  /** The words of the lane's memory (taken again when the memory grew: a shared memory's old buffer stays valid, shorter). */
  #words(): Uint32Array {
    const buf = this.#x.memory.buffer;
    if (this.#u32.byteLength !== buf.byteLength) this.#u32 = new Uint32Array(buf);
    return this.#u32;
  }

  #roles(id: number): number {
    const u = this.#words(), o = (this.#x.wordsOffset() >>> 2) + id * 4;
    return this.#policy.rolesOfWords([u[o]!, u[o + 1]!, u[o + 2]!, u[o + 3]!]);
  }

  #foldTarget(proto: number, port: number, om: number, rm: number): number {
    const t = this.#auditor.laneFold(proto, port, om, rm, this.#maxTargets);
    if (t > 0 && this.#isFold[t] === 0) {
      this.#isFold[t] = 1;
      this.#folds.push(t);
      this.#x.foldInit(t, this.#auditor.laneRep(t));
    }
    return t;
  }

  /** The text of address key `id` (an id of this lane). */
  text(id: number): string {
    let s = this.#texts[id];
    if (s === undefined) {
      s = formatAddr(this.#words(), (this.#x.wordsOffset() >>> 2) + id * 4);
      this.#texts[id] = s;
    }
    return s;
  }

  /**
   * Audit `n` packed rows (at most rowSlots) from byte `at` of `buf`: the flows that only add to
   * what exists are counted into the auditor (with `sources`, the inputs by fileIndex); the others
   * are returned for the caller to audit one by one, with the names known now: per flow its row,
   * its originator's key and its responder's key (a view, valid until the next call). Throws when
   * the lane's memory cannot hold another address.
   */
  run(buf: ArrayBufferLike, at: number, n: number, sources: readonly ({ name: string; kind: EvidenceKind } | undefined)[]): Uint32Array {
    const x = this.#x;
    if (n > x.rowSlots()) throw new RangeError(`RowLane.run: ${n} rows, at most ${x.rowSlots()} at once`);
    new Uint8Array(x.memory.buffer, x.rowsOffset(), n * PACKED_ROW_BYTES).set(new Uint8Array(buf, at, n * PACKED_ROW_BYTES));
    // (slow flows of the last batch may have brought a finding an earlier representative)
    for (const t of this.#folds) x.foldRep(t, this.#auditor.laneRep(t));
    if (x.run(n, this.#policy.rolesVersion + 1) === 0) throw fullError(x.addresses());
    this.#fold(sources);
    return new Uint32Array(x.memory.buffer, x.slowOffset(), x.slowRows() * 3);
  }

  /** Hand the last run's counts to the auditor. */
  #fold(sources: readonly ({ name: string; kind: EvidenceKind } | undefined)[]): void {
    const x = this.#x;
    if (x.counted() === 0) return;
    const u = this.#words(), buf = x.memory.buffer;
    const seen: [number, number][] = [];
    const s = x.seenOffset() >>> 2, top = x.seenTargets();
    for (let t = 1; t < top; t++) if (u[s + t]! > 0) seen.push([t, u[s + t]!]);
    const folds: FoldCounts[] = [];
    const touched = x.touchedOffset() >>> 2, fb = x.foldBytes(), f0 = x.foldOffset();
    for (let i = 0; i < x.touchedFolds(); i++) {
      const t = u[touched + i]!, at = f0 + t * fb;
      const d = new Float64Array(buf, at, 12), w = new Uint32Array(buf, at + F_OUTC, 4 + 16);
      folds.push({
        target: t, flows: d[F_FLOWS / 8]!,
        window: [d[F_FSEC / 8]!, d[F_FNSEC / 8]!, d[F_LSEC / 8]!, d[F_LNSEC / 8]!],
        origPkts: d[F_OPKT / 8]!, respPkts: d[F_RPKT / 8]!, origBytes: d[F_OBYT / 8]!, respBytes: d[F_RBYT / 8]!,
        answered: w[0]!, noAnswer: w[1]!, refused: w[2]!, inferred: w[3]!,
        states: w.slice((F_STATES - F_OUTC) / 4, (F_STATES - F_OUTC) / 4 + STATE_NAMES.length),
      });
    }
    const members = new Uint32Array(buf, x.eventsOffset(), x.events() * 2);
    const c: CountedFlows = {
      total: x.counted(), outOfScope: x.countedOutOfScope(), audited: x.countedAudited(), initiators: x.countedInitiators() >>> 0,
      window: x.windowSeen() !== 0 ? [x.windowFirstSec(), x.windowFirstNsec(), x.windowLastSec(), x.windowLastNsec()] : null,
      seen, folds, members,
    };
    this.#auditor.addCounted(c, this, sources);
  }

  /** The key of an address (4 words, as in a flow table's rows), added when new. */
  idOfWords(w: Uint32Array): number {
    const u = this.#words(), k = this.#x.keyOffset() >>> 2;
    u[k] = w[0]!; u[k + 1] = w[1]!; u[k + 2] = w[2]!; u[k + 3] = w[3]!;
    const id = this.#x.internKey();
    if (id < 0) throw fullError(this.#x.addresses());
    return id;
  }

  /** Whether the address (text) was in a row given to run, or given to idOfWords. */
  has(addr: string): boolean {
    const w = parseAddr(addr);
    return w !== null && this.#x.lookup(w[0], w[1], w[2], w[3]) >= 0;
  }

  /** Rows run takes at once (at most). */
  get rowSlots(): number {
    return this.#x.rowSlots();
  }

  /** Distinct addresses of the rows given to run. */
  get addresses(): number {
    return this.#x.addresses();
  }
}
