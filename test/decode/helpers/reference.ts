/**
 * Per-packet ground truth from tshark's `<capture>.packets.tsv` (../shared/corpus/reference):
 * the audited (innermost, non-quoted) IP layer's addresses, protocol and ports.
 *
 * tshark aggregates repeated fields comma-separated in protocol order, so the n-th `ip` layer
 * in frame.protocols owns the n-th value of ip.src. Layers after `icmp`/`icmpv6` are the quoted
 * packet of an ICMP error; they are returned separately.
 */
import { readFileSync } from 'node:fs';
import { canonicalAddr } from '../../../src/core/ip.js';

export interface RefPacket {
  frame: number;
  protocols: string;
  /** Innermost IP layer before any ICMP quote: 4, 6 or 0 when tshark shows none. */
  ipVersion: number;
  src: string | null;
  dst: string | null;
  /** Transport protocol number when tshark dissected tcp/udp/icmp/icmpv6 after that IP layer, else ip.proto (IPv4) or null. */
  proto: number | null;
  srcPort: number | null;
  dstPort: number | null;
  /** ICMP / ICMPv6 type (and ICMP code) of the audited packet. */
  icmpType: number | null;
  icmpCode: number | null;
  /** TCP flags byte from tcp.flags.str when the audited transport is TCP. */
  tcpFlags: number | null;
  /** The IP layer enclosing the audited one (a tunnel's endpoints), or null. */
  outerSrc: string | null;
  outerDst: string | null;
  /** Number of IP layers before any ICMP quote (the tunnel depth + 1). */
  ipLayers: number;
  /** The quoted packet of an ICMP error, when tshark dissected it. */
  quoted: { src: string; dst: string; srcPort: number | null; dstPort: number | null } | null;
  mf: boolean;
  fragOffset: number;
  vlan: number[];
  /** tshark showed no interface id (in pcapng: a non-packet block it lists as a frame). */
  ifaceless: boolean;
}

function vals(row: Record<string, string>, col: string): string[] {
  const v = row[col] ?? '';
  return v === '' ? [] : v.split(',');
}

export function readReference(tsvPath: string): RefPacket[] {
  const lines = readFileSync(tsvPath, 'utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const header = lines[0]!.split('\t');
  const out: RefPacket[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split('\t');
    const row: Record<string, string> = {};
    header.forEach((h, i) => { row[h] = cells[i] ?? ''; });
    const layers = (row['frame.protocols'] ?? '').split(':');
    let nIp = 0, nIp6 = 0, nTcp = 0, nUdp = 0;
    let last: 'ip' | 'ipv6' | null = null;
    let transport: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | null = null;
    let quotedAt = -1;
    const ipStack: { kind: 'ip' | 'ipv6'; k: number }[] = [];
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!;
      if (l === 'ip') { ipStack.push({ kind: 'ip', k: nIp }); nIp++; last = 'ip'; transport = null; }
      else if (l === 'ipv6') { ipStack.push({ kind: 'ipv6', k: nIp6 }); nIp6++; last = 'ipv6'; transport = null; }
      else if (l === 'tcp') { nTcp++; transport = 'tcp'; }
      else if (l === 'udp') { nUdp++; transport = 'udp'; }
      else if (l === 'icmp' || l === 'icmpv6') { transport = l; quotedAt = i; break; }
    }
    const srcs = last === 'ip' ? vals(row, 'ip.src') : vals(row, 'ipv6.src');
    const dsts = last === 'ip' ? vals(row, 'ip.dst') : vals(row, 'ipv6.dst');
    const n = last === 'ip' ? nIp : nIp6;
    const src = last === null ? null : canonicalAddr(srcs[n - 1] ?? '');
    const dst = last === null ? null : canonicalAddr(dsts[n - 1] ?? '');
    let proto: number | null = null;
    if (transport === 'tcp') proto = 6;
    else if (transport === 'udp') proto = 17;
    else if (transport === 'icmp') proto = 1;
    else if (transport === 'icmpv6') proto = 58;
    else if (last === 'ip') proto = Number(vals(row, 'ip.proto')[nIp - 1] ?? NaN);
    let srcPort: number | null = null, dstPort: number | null = null;
    if (transport === 'tcp') { srcPort = Number(vals(row, 'tcp.srcport')[nTcp - 1]); dstPort = Number(vals(row, 'tcp.dstport')[nTcp - 1]); }
    if (transport === 'udp') { srcPort = Number(vals(row, 'udp.srcport')[nUdp - 1]); dstPort = Number(vals(row, 'udp.dstport')[nUdp - 1]); }
    let tcpFlags: number | null = null;
    if (transport === 'tcp') {
      const str = vals(row, 'tcp.flags.str')[nTcp - 1] ?? '';
      const chars = [...str];
      if (chars.length === 12) { // RRRNCEUAPRSF: the last 8 are CWR ECE URG ACK PSH RST SYN FIN
        tcpFlags = 0;
        for (let i = 4; i < 12; i++) if (chars[i] !== '·') tcpFlags |= 1 << (11 - i);
      }
    }
    // the audited ICMP header is the first icmp/icmpv6 layer (quoted packets never carry one tshark lists first)
    const icmpType = transport === 'icmp' ? Number(vals(row, 'icmp.type')[0] ?? NaN) : transport === 'icmpv6' ? Number(vals(row, 'icmpv6.type')[0] ?? NaN) : null;
    const icmpCode = transport === 'icmp' ? Number(vals(row, 'icmp.code')[0] ?? NaN) : null;
    let quoted: RefPacket['quoted'] = null;
    if (quotedAt >= 0) {
      const rest = layers.slice(quotedAt + 1);
      const qv = rest.indexOf('ip') >= 0 ? 'ip' : rest.indexOf('ipv6') >= 0 ? 'ipv6' : null;
      if (qv !== null) {
        const qs = qv === 'ip' ? vals(row, 'ip.src') : vals(row, 'ipv6.src');
        const qd = qv === 'ip' ? vals(row, 'ip.dst') : vals(row, 'ipv6.dst');
        const k = qv === 'ip' ? nIp : nIp6;
        const qt = rest.includes('tcp') ? 'tcp' : rest.includes('udp') ? 'udp' : null;
        const kt = qt === 'tcp' ? nTcp : nUdp;
        quoted = {
          src: canonicalAddr(qs[k] ?? '') ?? '', dst: canonicalAddr(qd[k] ?? '') ?? '',
          srcPort: qt === null ? null : Number(vals(row, `${qt}.srcport`)[kt] ?? NaN),
          dstPort: qt === null ? null : Number(vals(row, `${qt}.dstport`)[kt] ?? NaN),
        };
      }
    }
    const outer = ipStack.length >= 2 ? ipStack[ipStack.length - 2]! : null;
    const outerSrc = outer === null ? null : canonicalAddr(vals(row, outer.kind === 'ip' ? 'ip.src' : 'ipv6.src')[outer.k] ?? '');
    const outerDst = outer === null ? null : canonicalAddr(vals(row, outer.kind === 'ip' ? 'ip.dst' : 'ipv6.dst')[outer.k] ?? '');
    out.push({
      outerSrc, outerDst, tcpFlags, icmpType, icmpCode,
      frame: Number(row['frame.number']), protocols: row['frame.protocols'] ?? '',
      ipVersion: last === 'ip' ? 4 : last === 'ipv6' ? 6 : 0, src, dst, proto, srcPort, dstPort,
      ipLayers: nIp + nIp6, quoted,
      mf: (vals(row, 'ip.flags.mf')[nIp - 1] ?? '0') === '1',
      fragOffset: Number(vals(row, 'ip.frag_offset')[nIp - 1] ?? 0),
      vlan: vals(row, 'vlan.id').map(Number),
      ifaceless: (row['frame.interface_id'] ?? '') === '',
    });
  }
  return out;
}
