/**
 * DNS answers → (name, address) pairs for the audit's hostname roles (RFC 1035). Not on the
 * per-packet hot path: the flow stage calls it for UDP/TCP port 53 payloads, so it may allocate.
 *
 * For every A/AAAA answer it reports the record's owner name AND every name that leads to it
 * through CNAME records in the same message (so the queried name maps to the final address too).
 * Compression pointers must point backwards (RFC 1035 §4.1.4: "a prior occurrence"), which makes
 * pointer loops impossible; jumps and name length are bounded as well. Names are lower-cased,
 * without the trailing dot, in presentation format (unprintable bytes as \DDD).
 */
import { formatAddr, formatV4 } from '../../core/ip.js';

export const DNS = { ID: 0, FLAGS: 2, QDCOUNT: 4, ANCOUNT: 6, NSCOUNT: 8, ARCOUNT: 10, HEADER_LEN: 12, FLAG_QR: 0x8000 } as const;
export const DnsType = { A: 1, CNAME: 5, AAAA: 28 } as const;

const MAX_NAME_LEN = 255;
const MAX_JUMPS = 32;
const MAX_CHAIN = 16;
/** Anomaly name for the caller to count when onLimit fires (the parser itself has no registry). */
export const DNS_ANSWERS_CAPPED = 'decode.dns.answers_capped';

/** Names reported per address (the owner plus its aliases through CNAME chains). */
export const DNS_MAX_NAMES_PER_ADDRESS = 16;
/** onAnswer calls per message: 16 + one per 8 bytes, so output stays linear in the input (1000 aliases × 1000 A records cannot fan out). */
export function dnsMaxAnswers(len: number): number {
  return 16 + Math.floor(len / 8);
}

/**
 * A label in DNS presentation format (RFC 1035 §5.1, as dig prints it): ASCII letters lower-cased,
 * '.' and '\\' escaped with a backslash, any byte outside 0x21..0x7e as \\DDD (decimal). Names from a
 * capture therefore never carry raw control characters into reports (hostile-bugs.md #2).
 */
function labelText(b: Buffer, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c >= 0x41 && c <= 0x5a) s += String.fromCharCode(c + 32);
    else if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/** Read a (possibly compressed) name at `at` within [start, end). Returns [name, offset after it] or null. */
function readName(b: Buffer, start: number, end: number, at: number): [string, number] | null {
  const labels: string[] = [];
  let p = at;
  let after = -1;
  let jumps = 0;
  let total = 0;
  let lowest = at; // pointers must go strictly below every position already visited
  for (;;) {
    if (p >= end) return null;
    const l = b[p]!;
    if ((l & 0xc0) === 0xc0) {
      if (p + 1 >= end) return null;
      const target = start + (((l & 0x3f) << 8) | b[p + 1]!);
      if (after < 0) after = p + 2;
      if (++jumps > MAX_JUMPS || target >= lowest) return null;
      p = target;
      lowest = target;
      continue;
    }
    if ((l & 0xc0) !== 0) return null; // 0x40/0x80: extended label types, unsupported
    if (l === 0) { if (after < 0) after = p + 1; break; }
    if (p + 1 + l > end) return null;
    total += l + 1;
    if (total > MAX_NAME_LEN) return null;
    labels.push(labelText(b, p + 1, p + 1 + l));
    p += 1 + l;
  }
  const name = labels.join('.');
  return name.length > MAX_NAME_LEN ? null : [name, after]; // escapes can make the text longer than the wire form
}

/**
 * Parse a DNS response message in buf[off, off+len). Calls onAnswer(name, address) for each
 * A/AAAA answer (once per name in its CNAME chain). Returns false when the message is not a
 * response or is malformed/truncated (answers parsed before the damage are still reported).
 * Output is bounded: at most DNS_MAX_NAMES_PER_ADDRESS names per address and dnsMaxAnswers(len)
 * calls per message; onLimit (optional) is called once when a bound cut the output.
 */
export function parseDnsAnswers(
  buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void, onLimit?: () => void,
): boolean {
  const end = Math.min(buf.length, off + len);
  if (off < 0 || end - off < DNS.HEADER_LEN) return false;
  const flags = buf.readUInt16BE(off + DNS.FLAGS);
  if ((flags & DNS.FLAG_QR) === 0) return false;
  const qd = buf.readUInt16BE(off + DNS.QDCOUNT);
  const an = buf.readUInt16BE(off + DNS.ANCOUNT);
  let p = off + DNS.HEADER_LEN;
  let ok = true;
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, off, end, p);
    if (n === null || n[1] + 4 > end) { ok = false; break; }
    p = n[1] + 4;
  }
  const cnames = new Map<string, string>(); // alias → canonical
  const addrs: [string, string][] = [];
  for (let i = 0; ok && i < an; i++) {
    const n = readName(buf, off, end, p);
    if (n === null || n[1] + 10 > end) { ok = false; break; }
    const q = n[1];
    const type = buf.readUInt16BE(q);
    const rdlen = buf.readUInt16BE(q + 8);
    const rd = q + 10;
    if (rd + rdlen > end) { ok = false; break; }
    if (type === DnsType.A && rdlen === 4) addrs.push([n[0], formatV4(buf.readUInt32BE(rd))]);
    else if (type === DnsType.AAAA && rdlen === 16) {
      addrs.push([n[0], formatAddr([buf.readUInt32BE(rd), buf.readUInt32BE(rd + 4), buf.readUInt32BE(rd + 8), buf.readUInt32BE(rd + 12)])]);
    } else if (type === DnsType.CNAME) {
      const t = readName(buf, off, end, rd);
      if (t === null || t[1] > rd + rdlen) { ok = false; break; }
      cnames.set(n[0], t[0]);
    }
    p = rd + rdlen;
  }
  // reverse CNAME edges: canonical → aliases
  const aliases = new Map<string, string[]>();
  for (const [alias, canon] of cnames) {
    const l = aliases.get(canon);
    if (l === undefined) aliases.set(canon, [alias]); else l.push(alias);
  }
  let budget = dnsMaxAnswers(end - off);
  let limited = false;
  outer: for (const [name, addr] of addrs) {
    if (budget <= 0) { limited = true; break; }
    const seen = new Set<string>([name]);
    onAnswer(name, addr);
    budget--;
    let frontier = [name];
    for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const f of frontier) {
        for (const a of aliases.get(f) ?? []) {
          if (seen.has(a)) continue;
          if (seen.size >= DNS_MAX_NAMES_PER_ADDRESS || budget <= 0) { limited = true; continue outer; }
          seen.add(a);
          onAnswer(a, addr);
          budget--;
          next.push(a);
        }
      }
      frontier = next;
    }
  }
  if (limited && onLimit !== undefined) onLimit();
  return ok;
}

/**
 * DNS over TCP (RFC 1035 §4.2.2): each message has a 2-byte length prefix; a segment may hold
 * several. Parses every complete message in buf[off, off+len). Returns false when none parsed
 * cleanly (e.g. the segment starts mid-message).
 */
export function parseDnsTcpAnswers(
  buf: Buffer, off: number, len: number, onAnswer: (name: string, address: string) => void, onLimit?: () => void,
): boolean {
  const end = Math.min(buf.length, off + len);
  let p = off;
  let any = false;
  while (end - p >= 2) {
    const mlen = buf.readUInt16BE(p);
    if (mlen < DNS.HEADER_LEN) return any;
    const ok = parseDnsAnswers(buf, p + 2, Math.min(mlen, end - p - 2), onAnswer, onLimit);
    if (!ok || p + 2 + mlen > end) return any && ok;
    any = true;
    p += 2 + mlen;
  }
  return any;
}
