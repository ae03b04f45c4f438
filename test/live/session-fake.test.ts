/**
 * The whole live handler (capture session → flow engine → incremental audit → report, plus
 * --write) driven by a FAKE cap module, so it runs anywhere (no root, no libpcap). The packets
 * are built by hand below (Ethernet/IPv4/TCP, fields per RFC 791/793); what they must produce
 * follows from TCP semantics and test/live/inventory.json (127.0.0.1 aadconnect, 127.0.0.2 dc):
 *   - SYN 127.0.0.1:40000 → 127.0.0.2:88, answered by RST|ACK: flow REJ → `blocked` (T1-KRB);
 *   - SYN 127.0.0.1:40001 → 127.0.0.2:18555, no answer: S0 → `unexpected`, printed on the
 *     first packet (before the run ends).
 * The --write file must read back with the same bytes, and `audit` over it must give the same
 * findings as the live report.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLive } from '../../src/cli/commands/live/handler.js';
import type { LiveArgs } from '../../src/cli/commands/live/command.js';
import type { CapHandle, CapModule } from '../../src/capture/live-cap.js';
import { readCaptureStream } from '../../src/capture/read.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { audit } from '../../src/audit/auditor.js';
import { policyOf } from '../../src/cli/options/policy.js';
import type { Finding } from '../../src/audit/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const inventory = path.join(root, 'test/live/inventory.json');

function ipv4Checksum(b: Buffer, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += b.readUInt16BE(off + i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Ethernet (zero MACs, as on Linux lo) + IPv4 (20 bytes, TTL 64) + TCP (20 bytes, no options). */
function tcpFrame(src: string, sport: number, dst: string, dport: number, flags: number, seq: number, ack: number): Buffer {
  const b = Buffer.alloc(14 + 20 + 20);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45; b.writeUInt16BE(40, ip + 2); b.writeUInt16BE(0x4000, ip + 6); b[ip + 8] = 64; b[ip + 9] = 6;
  src.split('.').forEach((x, i) => { b[ip + 12 + i] = Number(x); });
  dst.split('.').forEach((x, i) => { b[ip + 16 + i] = Number(x); });
  b.writeUInt16BE(ipv4Checksum(b, ip, 20), ip + 10);
  const t = ip + 20;
  b.writeUInt16BE(sport, t); b.writeUInt16BE(dport, t + 2); b.writeUInt32BE(seq, t + 4); b.writeUInt32BE(ack, t + 8);
  b[t + 12] = 5 << 4; b[t + 13] = flags; b.writeUInt16BE(65535, t + 14);
  return b;
}

const SYN = 0x02, RST = 0x04, ACK = 0x10;

class FakeHandle implements CapHandle {
  buffer: Buffer | null = null;
  listener: ((n: number, t: boolean) => void) | null = null;
  closed = false;
  args: unknown[] = [];
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string { this.args = [device, filter, bufSize]; this.buffer = buffer; return 'ETHERNET'; }
  close(): boolean { this.closed = true; return true; }
  on(_e: 'packet', l: (n: number, t: boolean) => void): this { this.listener = l; return this; }
  removeAllListeners(): this { this.listener = null; return this; }
  emit(frame: Buffer): void { frame.copy(this.buffer!, 0); this.listener?.(frame.length, false); }
}

function fakeCap(): { mod: CapModule; handles: FakeHandle[] } {
  const handles: FakeHandle[] = [];
  const Cap = function (this: unknown) { const h = new FakeHandle(); handles.push(h); return h; } as unknown as CapModule['Cap'];
  Object.assign(Cap, { deviceList: () => [{ name: 'fake0', addresses: [] }], findDevice: () => 'fake0' });
  return { mod: { Cap }, handles };
}

function args(dir: string, over: Partial<LiveArgs> = {}): LiveArgs {
  return {
    interface: 'fake0', filter: 'tcp', duration: 0.4, 'report-every': 0, write: path.join(dir, 'w.pcap'), engine: 'cap', 'buffer-size': 8,
    'max-flows': 1000, 'vlan-in-key': false, inventory, profile: 'hybrid-identity',
    format: 'json', output: path.join(dir, 'r.json'), 'fail-on': ['unexpected', 'blocked', 'missing'],
    ...over,
  } as LiveArgs;
}

const frames = [
  tcpFrame('127.0.0.1', 40000, '127.0.0.2', 88, SYN, 1000, 0),
  tcpFrame('127.0.0.2', 88, '127.0.0.1', 40000, RST | ACK, 0, 1001),
  tcpFrame('127.0.0.1', 40001, '127.0.0.2', 18555, SYN, 5000, 0),
];

function stable(fs: Finding[]) {
  return fs.map((f) => ({ id: f.id, kind: f.kind, rule: f.rule, proto: f.proto, orig_h: f.orig_h, resp_h: f.resp_h, resp_p: f.resp_p,
    flows: f.flows, first: f.first, last: f.last, conn_states: f.evidence.conn_states, severity: f.severity }));
}

test('live over a fake cap: findings at once and at the end, --write, same findings offline', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-live-fake-'));
  try {
    const { mod, handles } = fakeCap();
    const lines: string[] = [];
    let unexpectedBeforeEnd = false;
    const code = await runLive(args(dir), {
      cap: mod,
      log: (l) => lines.push(l),
      onStarted: () => {
        const h = handles[0]!;
        for (const f of frames) h.emit(f);
        unexpectedBeforeEnd = lines.some((l) => /\[new flow\] unexpected .*127\.0\.0\.1 → 127\.0\.0\.2 tcp\/18555/.test(l));
      },
    });
    assert.is(code, 1, lines.join('\n'));
    assert.ok(unexpectedBeforeEnd, `unexpected printed on the flow's first packet:\n${lines.join('\n')}`);
    assert.equal(handles[0]!.args, ['fake0', 'tcp', 8 * 1024 * 1024], 'device, filter and --buffer-size (MiB → bytes) reach cap.open');
    assert.ok(handles[0]!.closed, 'capture closed at the end');
    assert.ok(lines.some((l) => /\[flow ended\] blocked \(high\) T1-KRB: 127\.0\.0\.1 → 127\.0\.0\.2 tcp\/88 \[REJ:1\]/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /stopping \(duration\)/.test(l)));

    const rep = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as { findings: Finding[]; inputs: Array<{ file: string; format: string; packets: number }>; warnings: string[] };
    assert.equal(rep.inputs.map((i) => [i.file, i.format, i.packets]), [['live:fake0', 'live', 3]]);
    assert.ok(rep.warnings.some((w) => /drops: not counted/.test(w)));
    const kinds = rep.findings.filter((f) => f.kind === 'unexpected' || f.kind === 'blocked').map((f) => `${f.kind} ${f.proto}/${f.resp_p} ${JSON.stringify(f.evidence.conn_states)}`).sort();
    assert.equal(kinds, ['blocked tcp/88 {"REJ":1}', 'unexpected tcp/18555 {"S0":1}']);

    // --write: the same bytes, in order, nanosecond pcap, non-decreasing arrival timestamps.
    const got: { hex: string; ts: number }[] = [];
    const info = await readCaptureStream(createReadStream(path.join(dir, 'w.pcap')), 'w.pcap', {}, (r) => {
      got.push({ hex: r.data.subarray(r.offset, r.offset + r.capLen).toString('hex'), ts: r.tsSec * 1e9 + r.tsNsec });
    });
    assert.is(info.tsPrecision, 'nanoseconds');
    assert.is(info.interfaces[0]?.linkType, 1);
    assert.equal(got.map((g) => g.hex), frames.map((f) => f.toString('hex')));
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.ts >= got[i - 1]!.ts, 'arrival timestamps never go back');

    // Offline audit of the written file: the same findings.
    const a = args(dir);
    const offline = audit(await gatherEvidence([path.join(dir, 'w.pcap')]), await policyOf(a), { failOn: ['unexpected', 'blocked', 'missing'] });
    assert.equal(stable(offline.findings), stable(rep.findings));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('live over a fake cap: --fail-on none exits 0; no --write file requested, none written', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-live-fake-'));
  try {
    const { mod, handles } = fakeCap();
    const a = args(dir, { 'fail-on': ['none'], duration: 0.2 });
    delete (a as { write?: string }).write;
    const code = await runLive(a, { cap: mod, log: () => undefined, onStarted: () => { for (const f of frames) handles[0]!.emit(f); } });
    assert.is(code, 0);
    assert.equal(readFileSync(path.join(dir, 'r.json'), 'utf8').length > 0, true);
    const { readdirSync } = await import('node:fs');
    assert.equal(readdirSync(dir).sort(), ['r.json']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('live: --write fails during the run (disk full: /dev/full): the run ends, the report is still written, exit 2', async () => {
  const { accessSync, constants } = await import('node:fs');
  try { accessSync('/dev/full', constants.W_OK); accessSync('/dev', constants.W_OK); } catch {
    console.log('skip: /dev/full not writable here');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-live-fake-'));
  try {
    const { mod, handles } = fakeCap();
    const lines: string[] = [];
    // 1 MiB block buffer: ~20 000 frames of 54 bytes force a block write (ENOSPC) mid-run.
    const code = await runLive(args(dir, { write: '/dev/full', duration: 5 }), {
      cap: mod, log: (l) => lines.push(l),
      onStarted: () => { for (let i = 0; i < 25_000 && handles[0]!.listener !== null; i++) handles[0]!.emit(frames[i % 3]!); },
    });
    assert.is(code, 2, lines.join('\n'));
    assert.ok(lines.some((l) => /stopping \(write error\)/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /flowaudit: cannot write \/dev\/full: .*(ENOSPC|no space)/i.test(l)), lines.join('\n'));
    const rep = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as { warnings: string[]; inputs: Array<{ packets: number }> };
    assert.ok(rep.warnings.some((w) => /ended on an error/.test(w)));
    assert.ok(rep.inputs[0]!.packets > 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('live: an unwritable --write or --output path fails before capturing (exit 2 via UsageError)', async () => {
  const { mod, handles } = fakeCap();
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-live-fake-'));
  try {
    for (const over of [{ write: '/nonexistent-dir/x.pcap' }, { output: '/nonexistent-dir/r.json' }]) {
      let err: unknown = null;
      try { await runLive(args(dir, over), { cap: mod, log: () => undefined }); } catch (e) { err = e; }
      assert.ok(err instanceof Error && /nonexistent-dir/.test(err.message) && (err as { exitCode?: number }).exitCode === 2, String(err));
    }
    assert.is(handles.length, 0, 'no capture was opened');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
