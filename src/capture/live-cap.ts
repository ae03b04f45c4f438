/**
 * In-process live capture with the optional native addon `cap` (libpcap).
 *
 * What cap gives and does not give (checked in cap 0.2.1's binding.cc):
 * - one Buffer, passed to open(), into which it memcpy()s every packet before emitting
 *   ('packet', nbytes, truncated). The PacketRecord built here is a view over that buffer:
 *   BORROWED, valid only until the callback returns;
 * - no timestamp and no original length: the timestamp is taken when the packet reaches JS
 *   (epoch from Date.now() at start plus performance.now() deltas, so it is monotonic, ns
 *   units, µs-ish accuracy, and late by however long the event loop was busy); origLen = capLen;
 * - no drop counter (pcap_stats is not bound), snaplen fixed at 65535, promiscuous mode on,
 *   immediate mode on; the kernel buffer size is the bufSize argument (default here 64 MiB:
 *   smaller buffers lose packets silently at high rates).
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { LinkType, type PacketRecord } from './types.js';
import { CAP_HINT, LiveCaptureError, LiveErrorCode, pcapOpenError } from './live-errors.js';

/** The part of a cap `Cap` instance we use (also implemented by test fakes). */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean | void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners?(event?: string): unknown;
  setMinBytes?(n: number): void;
}

export interface CapAddress { addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }
export interface CapDevice { name: string; description?: string; addresses: CapAddress[]; flags?: string }

/** The part of the `cap` module we use. */
export interface CapModule {
  Cap: {
    new (): CapHandle;
    deviceList(): CapDevice[];
    findDevice(ip?: string): string | undefined;
  };
}

export type CapLoad = { ok: true; cap: CapModule } | { ok: false; reason: string };

let cached: CapLoad | null = null;

/**
 * Load `cap` if it is installed and built. Never throws: file audits run without it.
 * (createRequire rather than import(): cap is CommonJS and may be absent at type-check time.)
 */
export function loadCap(): CapLoad {
  if (cached !== null) return cached;
  if (process.env.FLOWAUDIT_NO_CAP === '1') return (cached = { ok: false, reason: 'disabled by FLOWAUDIT_NO_CAP=1' });
  try {
    const req = createRequire(import.meta.url);
    const mod = req('cap') as CapModule;
    if (typeof mod?.Cap !== 'function') return (cached = { ok: false, reason: 'the installed `cap` package has no Cap class' });
    cached = { ok: true, cap: mod };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'MODULE_NOT_FOUND' && /'cap'/.test(err.message)
      ? 'the package `cap` is not installed'
      : `the package \`cap\` cannot be loaded (${String(err.message).split('\n')[0]})`;
    cached = { ok: false, reason };
  }
  return cached;
}

/** cap, or a user-facing error saying how to get it. */
export function requireCap(iface = ''): CapModule {
  const r = loadCap();
  if (r.ok) return r.cap;
  throw new LiveCaptureError(LiveErrorCode.NoCap, iface, `${r.reason}: ${CAP_HINT}`);
}

/** DLT_* values (as libpcap reports them on this platform) that differ from their LINKTYPE_* value. */
const DLT_TO_LINKTYPE: Readonly<Record<number, number>> = { 12: LinkType.RAW, 14: LinkType.RAW };

/**
 * Map the string cap.open() returns to a LINKTYPE_* number, or -1 when it is not one we know.
 * cap returns 'NULL', 'ETHERNET', 'IEEE802_11_RADIO', 'LINKTYPE_LINUX_SLL', 'RAW', or
 * 'Unknown linktype N' (N the DLT value) for anything else.
 */
export function capLinkType(name: string): number {
  switch (name.replace(/^LINKTYPE_/, '')) {
    case 'NULL': return LinkType.NULL;
    case 'ETHERNET': return LinkType.ETHERNET;
    case 'RAW': return LinkType.RAW;
    case 'LINUX_SLL': return LinkType.LINUX_SLL;
    case 'LINUX_SLL2': return LinkType.LINUX_SLL2;
    case 'LOOP': return LinkType.LOOP;
    case 'IEEE802_11_RADIO': return 127;
  }
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m !== null) {
    const dlt = Number(m[1]);
    return DLT_TO_LINKTYPE[dlt] ?? dlt;
  }
  return -1;
}

/** Milliseconds clock (monotonic); injectable for tests. */
export type MsClock = () => number;

/**
 * Turns a monotonic millisecond clock into epoch (sec, nsec) without allocating: the epoch
 * base is read once from the wall clock; each stamp adds the monotonic delta.
 */
export class ArrivalClock {
  readonly #now: MsClock;
  readonly #baseSec: number;
  readonly #baseNsec: number;
  readonly #baseMono: number;
  sec = 0;
  nsec = 0;

  constructor(now: MsClock = () => performance.now(), epochMs: number = Date.now()) {
    this.#now = now;
    this.#baseMono = now();
    this.#baseSec = Math.floor(epochMs / 1000);
    this.#baseNsec = Math.round((epochMs - this.#baseSec * 1000) * 1e6);
  }

  /** Set `sec`/`nsec` to now. */
  stamp(): void {
    const total = this.#baseNsec + Math.round((this.#now() - this.#baseMono) * 1e6);
    const carry = Math.floor(total / 1e9);
    this.sec = this.#baseSec + carry;
    this.nsec = total - carry * 1e9;
  }
}

export interface CapSourceOptions {
  device: string;
  /** BPF filter ('' for none). */
  filter: string;
  /** libpcap kernel buffer size in bytes (default 64 MiB). */
  bufferSize?: number;
  /** Index reported as PacketRecord.fileIndex (default 0). */
  fileIndex?: number;
  clock?: ArrivalClock;
}

export const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
/** cap fixes snaplen at 65535; one byte more tells us if it ever changes. */
const PACKET_BUFFER_BYTES = 65536;

/**
 * One capture over a cap handle. start() opens the device (throwing a LiveCaptureError with
 * the reason when it cannot), then calls onPacket for each packet with the shared, BORROWED
 * PacketRecord over cap's buffer. stop() closes the handle; it is safe to call twice.
 */
export class CapSource {
  readonly device: string;
  readonly filter: string;
  readonly bufferSize: number;
  /** LINKTYPE_* of the opened device (valid after start()). */
  linkType = -1;
  /** The string cap.open() returned. */
  linkTypeName = '';
  packets = 0;
  bytes = 0;
  /** Packets longer than the JS buffer (cap says `truncated`). */
  truncated = 0;
  readonly #handle: CapHandle;
  readonly #buf = Buffer.alloc(PACKET_BUFFER_BYTES);
  readonly #rec: PacketRecord;
  readonly #clock: ArrivalClock;
  readonly #onPacket: (rec: PacketRecord) => void;
  #open = false;

  constructor(handle: CapHandle, opts: CapSourceOptions, onPacket: (rec: PacketRecord) => void) {
    this.#handle = handle;
    this.device = opts.device;
    this.filter = opts.filter;
    this.bufferSize = opts.bufferSize ?? DEFAULT_BUFFER_BYTES;
    this.#clock = opts.clock ?? new ArrivalClock();
    this.#onPacket = onPacket;
    this.#rec = {
      index: 0, fileIndex: opts.fileIndex ?? 0, ifIndex: 0, linkType: -1, tsSec: 0, tsNsec: 0,
      capLen: 0, origLen: 0, data: this.#buf, offset: 0, direction: 0, fileOffset: -1,
    };
  }

  /**
   * Open the device. `interfaces` is called only to list names in a no-such-interface error.
   */
  start(interfaces: () => string[] | null = () => null): void {
    let ret: string;
    try {
      ret = this.#handle.open(this.device, this.filter, this.bufferSize, this.#buf);
    } catch (e) {
      // Do NOT close() here: after a failed open cap 0.2.1 holds a pcap handle but never
      // initialised its poll handle, and close() (also from its destructor at GC) crashes the
      // process (uv_poll_stop on garbage, then Nan::ObjectWrap::Unref assertion). Keep the
      // handle reachable so it is never collected.
      RETAINED_HANDLES.push(this.#handle);
      throw pcapOpenError(String((e as Error).message ?? e), this.device, this.filter, safeList(interfaces));
    }
    const lt = capLinkType(String(ret));
    if (lt < 0) {
      RETAINED_HANDLES.push(this.#handle);
      try { this.#handle.close(); } catch { /* ignore */ }
      throw new LiveCaptureError(LiveErrorCode.Open, this.device, `cannot capture on ${this.device}: libpcap reported the link type ${JSON.stringify(ret)}, which flowaudit cannot decode`);
    }
    RETAINED_HANDLES.push(this.#handle);
    this.linkType = lt;
    this.linkTypeName = String(ret);
    this.#rec.linkType = lt;
    this.#open = true;
    if (typeof this.#handle.setMinBytes === 'function') {
      try { this.#handle.setMinBytes(0); } catch { /* Windows only */ }
    }
    this.#handle.on('packet', this.#packet);
  }

  readonly #packet = (nbytes: number, truncated: boolean): void => {
    if (!this.#open) return;
    const rec = this.#rec;
    this.#clock.stamp();
    rec.index = this.packets;
    rec.tsSec = this.#clock.sec;
    rec.tsNsec = this.#clock.nsec;
    rec.capLen = nbytes;
    rec.origLen = nbytes;
    this.packets++;
    this.bytes += nbytes;
    if (truncated) this.truncated++;
    this.#onPacket(rec);
  };

  /** Stop capturing (packets already queued in libpcap are dropped). */
  stop(): void {
    if (!this.#open) return;
    this.#open = false;
    try { this.#handle.close(); } catch { /* already closed */ }
    this.#handle.removeAllListeners?.('packet');
  }

  get isOpen(): boolean {
    return this.#open;
  }
}

/**
 * Every cap handle that was ever opened (or failed to open) stays reachable for the life of the
 * process. cap 0.2.1's close() stops its uv_poll_t but never uv_close()s it, so when the Cap
 * object is garbage-collected the C++ destructor frees a poll handle that is still linked into
 * libuv's handle queue, and the process later crashes (seen as a segfault in the tests).
 */
const RETAINED_HANDLES: CapHandle[] = [];

function safeList(f: () => string[] | null): string[] | null {
  try { return f(); } catch { return null; }
}

/** Open a capture on `device` with the real cap addon. */
export function openCap(opts: CapSourceOptions, onPacket: (rec: PacketRecord) => void, capMod: CapModule = requireCap(opts.device)): CapSource {
  const names = (): string[] | null => { try { return capMod.Cap.deviceList().map((d) => d.name); } catch { return null; } };
  // Check the name first: a clean error, and none of the "Warning: SIOCGIFADDR …" line that
  // cap's C code prints for an unknown device.
  const known = names();
  if (known !== null && known.length > 0 && !known.includes(opts.device)) {
    throw pcapOpenError('No such device exists', opts.device, opts.filter, known);
  }
  const src = new CapSource(new capMod.Cap(), opts, onPacket);
  src.start(names);
  return src;
}
