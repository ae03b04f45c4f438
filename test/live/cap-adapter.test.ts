/**
 * The cap → PacketRecord adapter, with a fake cap handle (no libpcap, no root needed).
 * Expected values come from cap 0.2.1's binding.cc: open() returns a link-type string and
 * memcpy()s each packet into the ONE buffer it was given before emitting ('packet', nbytes, truncated).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArrivalClock, CapSource, capLinkType, type CapHandle } from '../../src/capture/live-cap.js';
import { LiveCaptureError, LiveErrorCode } from '../../src/capture/live-errors.js';
import { LinkType, type PacketRecord } from '../../src/capture/types.js';

class FakeCap implements CapHandle {
  opened: { device: string; filter: string; bufSize: number; buffer: Buffer } | null = null;
  closed = 0;
  listener: ((n: number, t: boolean) => void) | null = null;
  constructor(private readonly ret: string | Error) {}
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string {
    if (this.ret instanceof Error) throw this.ret;
    this.opened = { device, filter, bufSize, buffer };
    return this.ret;
  }
  close(): boolean { this.closed++; return true; }
  on(_e: 'packet', l: (n: number, t: boolean) => void): this { this.listener = l; return this; }
  removeAllListeners(): this { this.listener = null; return this; }
  /** What cap's C++ EmitPacket does: copy into the shared buffer, then emit. */
  emit(bytes: Buffer, truncated = false): void {
    bytes.copy(this.opened!.buffer, 0);
    this.listener!(bytes.length, truncated);
  }
}

/** A clock whose monotonic reading the test controls (milliseconds). */
function fakeClock(epochMs: number) {
  let mono = 5000;
  const clock = new ArrivalClock(() => mono, epochMs);
  return { clock, advance(ms: number) { mono += ms; } };
}

test('cap link-type strings map to LINKTYPE numbers', () => {
  assert.is(capLinkType('ETHERNET'), 1);
  assert.is(capLinkType('NULL'), 0);
  assert.is(capLinkType('RAW'), 101);
  assert.is(capLinkType('LINKTYPE_LINUX_SLL'), 113);
  assert.is(capLinkType('IEEE802_11_RADIO'), 127);
  assert.is(capLinkType('Unknown linktype 276'), 276);   // DLT_LINUX_SLL2 = LINKTYPE 276
  assert.is(capLinkType('Unknown linktype 12'), 101);    // DLT_RAW on Linux = 12 → LINKTYPE_RAW 101
  assert.is(capLinkType('nonsense'), -1);
});

test('ArrivalClock: epoch base plus monotonic delta, nanosecond carry', () => {
  const { clock, advance } = fakeClock(1_700_000_000_999.5);   // .999500000 s
  clock.stamp();
  assert.is(clock.sec, 1_700_000_000);
  assert.is(clock.nsec, 999_500_000);
  advance(0.75);                                                // +750 µs → crosses the second
  clock.stamp();
  assert.is(clock.sec, 1_700_000_001);
  assert.is(clock.nsec, 250_000);
  advance(3_600_000);                                           // one hour later, still exact
  clock.stamp();
  assert.is(clock.sec, 1_700_003_601);
  assert.is(clock.nsec, 250_000);
});

test('CapSource opens with the 64 MiB default buffer and builds a borrowed record over cap\'s buffer', () => {
  const fake = new FakeCap('ETHERNET');
  const { clock, advance } = fakeClock(1_700_000_000_000);
  const seen: { rec: PacketRecord; first: number; len: number; ts: [number, number] }[] = [];
  const src = new CapSource(fake, { device: 'lo', filter: 'tcp', clock, fileIndex: 3 }, (rec) => {
    seen.push({ rec, first: rec.data[rec.offset]!, len: rec.capLen, ts: [rec.tsSec, rec.tsNsec] });
  });
  src.start();
  assert.is(fake.opened!.device, 'lo');
  assert.is(fake.opened!.filter, 'tcp');
  assert.is(fake.opened!.bufSize, 64 * 1024 * 1024);
  assert.ok(fake.opened!.buffer.length >= 65535, 'buffer holds cap\'s 65535-byte snaplen');
  assert.is(src.linkType, LinkType.ETHERNET);

  fake.emit(Buffer.from([0xaa, 1, 2, 3, 4, 5]));
  advance(2.5);
  fake.emit(Buffer.from([0xbb, 9, 9]), true);
  assert.is(seen.length, 2);
  const [a, b] = seen;
  assert.is(a!.first, 0xaa); assert.is(a!.len, 6);
  assert.is(b!.first, 0xbb); assert.is(b!.len, 3);
  assert.equal(a!.ts, [1_700_000_000, 0]);
  assert.equal(b!.ts, [1_700_000_000, 2_500_000]);
  // One record object, over cap's one buffer: borrowed, reused.
  assert.ok(a!.rec === b!.rec);
  assert.ok(b!.rec.data === fake.opened!.buffer);
  assert.is(b!.rec.index, 1);
  assert.is(b!.rec.fileIndex, 3);
  assert.is(b!.rec.linkType, 1);
  assert.is(b!.rec.origLen, 3);
  assert.is(src.packets, 2);
  assert.is(src.bytes, 9);
  assert.is(src.truncated, 1);

  src.stop();
  src.stop();
  assert.is(fake.closed, 1);
  assert.is(fake.listener, null);
});

function openError(msg: string): LiveCaptureError {
  const fake = new FakeCap(new Error(msg));
  const src = new CapSource(fake, { device: 'nosuch0', filter: 'tcp port 88' }, () => undefined);
  try {
    src.start(() => ['eth0', 'lo']);
  } catch (e) {
    assert.instance(e, LiveCaptureError);
    // cap 0.2.1 crashes when close() follows a failed open(): the adapter must not call it.
    assert.is(fake.closed, 0);
    return e as LiveCaptureError;
  }
  throw new Error('start() did not throw');
}

test('libpcap errors (as cap throws them) become clear user errors', () => {
  const noDev = openError('No such device exists');
  assert.is(noDev.code, LiveErrorCode.NoInterface);
  assert.match(noDev.message, 'no such interface: nosuch0');
  assert.match(noDev.message, 'eth0, lo');

  const perm = openError('socket: Operation not permitted');
  assert.is(perm.code, LiveErrorCode.Permission);
  assert.match(perm.message, 'cap_net_raw,cap_net_admin');
  assert.match(perm.message, 'setcap');

  const filt = openError("can't parse filter expression: syntax error");
  assert.is(filt.code, LiveErrorCode.Filter);
  assert.match(filt.message, "can't parse filter expression: syntax error");
  assert.match(filt.message, '"tcp port 88"');
  assert.is(filt.exitCode, 2);
});

test('an undecodable link type is refused and the handle closed', () => {
  const fake = new FakeCap('IEEE802_11_RADIO_BOGUS');
  const src = new CapSource(fake, { device: 'wlan0', filter: '' }, () => undefined);
  assert.throws(() => src.start(), (e: Error) => e instanceof LiveCaptureError && /link type/.test(e.message));
  assert.is(fake.closed, 1);
});

test.run();
