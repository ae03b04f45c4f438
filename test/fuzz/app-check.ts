/**
 * The properties of the app-layer name parsers (DNS answers, TLS SNI) on any payload, shared by
 * the fixed-seed test and the long run.
 */
import { canonicalAddr } from '../../src/core/ip.js';
import { FuzzStats, withinBudget, hex } from './harness.js';
import { PropertyFailure } from './capture-check.js';

export type DnsParse = (buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void) => boolean;
export type SniParse = (buf: Buffer, off: number, len: number) => string | null;

/** The payload placed at offset `pad` of a buffer filled with `fill` around it. */
export function framed(msg: Uint8Array, pad: number, fill: number): Buffer {
  const b = Buffer.alloc(pad + msg.length + pad, fill);
  b.set(msg, pad);
  return b;
}

export function dnsCase(stats: FuzzStats, target: string, fn: DnsParse, msg: Uint8Array, pad = 3): void {
  const run = (fill: number) => {
    const out: string[] = [];
    let ok = false;
    withinBudget(stats, target, msg.length, () => { out.length = 0; ok = fn(framed(msg, pad, fill), pad, msg.length, (n, a) => { out.push(`${n} ${a}`); }); });
    return { ok, out };
  };
  const a = run(0x00), b = run(0xc0); // 0xc0 around the message: a pointer byte, tempting to follow
  if (a.ok !== b.ok || a.out.join('\n') !== b.out.join('\n')) throw new PropertyFailure('app.reads_outside_payload', `${target}: result depends on bytes outside [off, off+len): ${hex(msg)}`);
  const limit = Math.floor(msg.length / 8) + 16;
  if (a.out.length > limit) throw new PropertyFailure('app.dns.output_not_linear', `${target}: ${a.out.length} answers from ${msg.length} bytes (limit ${limit}): output not linear in the input`);
  for (const line of a.out) {
    const sp = line.lastIndexOf(' ');
    const name = line.slice(0, sp), addr = line.slice(sp + 1);
    if (canonicalAddr(addr) !== addr) throw new PropertyFailure('app.dns.address_not_canonical', `${target}: address ${JSON.stringify(addr)} is not canonical`);
    if (name.length > 255) throw new PropertyFailure('app.dns.name_too_long', `${target}: name of ${name.length} characters`);
    if (/[\x00-\x1f\x7f]/.test(name)) stats.seen('app.dns.name_with_control_chars');
  }
  stats.count(target);
  stats.seen(`${target}:${a.ok ? 'ok' : 'rejected'}`);
  if (a.out.length) stats.seen(`${target}:answers`, a.out.length);
}

export function sniCase(stats: FuzzStats, parseSni: SniParse, msg: Uint8Array, pad = 2): void {
  let r1: string | null = null, r2: string | null = null;
  withinBudget(stats, 'app.tls', msg.length, () => { r1 = parseSni(framed(msg, pad, 0x00), pad, msg.length); });
  r2 = parseSni(framed(msg, pad, 0x16), pad, msg.length);
  if (r1 !== r2) throw new PropertyFailure('app.reads_outside_payload', `app.tls: result depends on bytes outside [off, off+len): ${hex(msg)}`);
  if (r1 !== null) {
    const s: string = r1;
    if (!/^[a-z0-9_.-]+$/.test(s)) throw new PropertyFailure('app.tls.bad_sni_chars', `app.tls: SNI ${JSON.stringify(s)} has characters a host name cannot have`);
    if (s.length > msg.length) throw new PropertyFailure('app.tls.sni_too_long', 'app.tls: SNI longer than the message');
  }
  stats.count('app.tls');
  stats.seen(`app.tls:${r1 === null ? 'none' : 'sni'}`);
}

