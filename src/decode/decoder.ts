/**
 * The packet decoder: PacketRecord bytes → one reused DecodedPacket. Never throws, allocates
 * nothing per packet (absolute-offset reads on rec.data, addresses into the packet's Uint32Arrays,
 * fragment table in typed arrays), and names every non-Ok result and every oddity as a counted
 * anomaly (see anomalies.ts for the full list and the Outcome each stands for).
 *
 * Dispatch: link type (switch in decode()) → EtherType (#etherType) → IP protocol (#transport),
 * with the per-protocol field tables and check()s in link/, net/, transport/, tunnel/.
 *
 * ## Which fields are valid, per outcome
 *
 * Always: `outcome`, `vlan`/`innerVlan` (-1 when no tag was seen before decoding stopped).
 *
 * - **Ok** — `ipVersion` is 4 or 6; `src`, `dst`, `proto`, `ipLen` are valid. `hasPorts` tells
 *   whether `srcPort`/`dstPort` are (TCP, UDP, SCTP, and later fragments whose first fragment was
 *   seen). For TCP also `tcpFlags`, `tcpSeq`, `tcpAck` — unless `tcpFlagsKnown` is false: the
 *   snaplen cut the TCP header after the ports (4..13 bytes captured); such a packet is still Ok,
 *   because the IP header and ports are there (counted in `Decoder.stats.headerCut`, not an
 *   anomaly). A UDP header cut after the ports by the snaplen is Ok the same way.
 *   `payloadLen` (per the headers), `payloadOffset` and `payloadCaptured` (≤ payloadLen; smaller when snaplen cut the packet,
 *   which is normal and only counted in `Decoder.stats.payloadCut`). ICMP/ICMPv6: `icmpType`,
 *   `icmpCode`, and for errors `hasQuoted` (quoted addresses + protocol) and `quotedHasPorts`.
 *   `fragment` is 0/1/2. `tunnel`/`tunnelDepth`/`outerSrc`/`outerDst` describe the innermost
 *   tunnel the audited packet came out of. Ok packets may still have counted oddities
 *   (anomalies whose outcome is Ok, e.g. `decode.ipv4.zero_total_length`).
 * - **Truncated** — the packet ended inside a header before the ports (snaplen), or the frame
 *   itself is shorter than its IP header says and ends inside the transport header. If
 *   `ipVersion` > 0 the IP header was complete: `src`, `dst`, `ipLen` are valid and `proto` is the
 *   transport protocol (for IPv6 cut inside the extension-header chain: the extension header where
 *   decoding stopped). If `hasPorts`, the ports are valid too. `ipVersion` = 0 means no address.
 * - **Malformed** — a header contradicts itself (bad IHL, TCP data offset < 5, UDP length 1..7,
 *   more than 8 VLAN tags or MPLS labels, more than 256 IPv6 extension headers, tunnels nested
 *   more than 8 deep). Same rule as Truncated: addresses valid iff `ipVersion` > 0, ports iff
 *   `hasPorts`. Flows should not be built from them.
 * - **Unsupported** — well-formed but not IP (ARP, LLDP, STP, PPP LCP, MPLS pseudowire, unknown link type or AF):
 *   `ipVersion` = 0, nothing but the VLAN fields is valid.
 *
 * Tunnels: when the payload of a GRE / ERSPAN / VXLAN / Geneve / Teredo / IP-in-IP / 6in4 packet cannot
 * be decoded down to an inner IP header (unknown inner protocol, cut by snaplen, bad tunnel
 * header), the anomaly is counted and the packet is reported as the OUTER packet (Ok, tunnel = 0),
 * since the outer flow is real traffic. Once the inner IP header is complete, the inner packet
 * is the result, with its own outcome.
 *
 * Fragments: a first fragment (MF set, offset 0) is decoded normally (fragment = 1) and its
 * ports are remembered under (src, dst, id, protocol); later fragments (offset > 0) get
 * fragment = 2, `proto`, addresses, and the remembered ports when known (hasPorts); otherwise
 * `decode.fragments.first_not_seen` is counted. Only TCP/UDP/SCTP/UDP-Lite use the table.
 * Tunnels carried in fragmented packets are not opened (the outer packet is reported).
 */
import type { Anomalies } from '../core/anomalies.js';
import { Outcome } from '../core/outcome.js';
import type { PacketRecord } from '../capture/types.js';
import { DECODE_ANOMALIES, type DecodeAnomaly } from './anomalies.js';
import { putV4, putV6, u16 } from './bytes.js';
import { FragmentTable } from './fragments.js';
import { IpProto, Tunnel, type DecodedPacket } from './packet.js';
import { checkEthernet, ethernetType, EtherType, isVlanTpid, ETHERNET } from './link/ethernet.js';
import { checkVlan, vlanEthertype, vlanId, VLAN } from './link/vlan.js';
import { checkPppoe, PPPOE } from './link/pppoe.js';
import { checkMpls, mplsPayloadVersion, mplsStackLen } from './link/mpls.js';
import { checkPpp, pppHeaderLen, pppProtocol, PPP } from './link/ppp.js';
import { checkSll, sllProtocol, SLL } from './link/sll.js';
import { checkSll2, sll2Protocol, SLL2 } from './link/sll2.js';
import { checkLoop, checkNull, loopIpVersion, nullIpVersion, NULL_LINK } from './link/null.js';
import { checkRaw, rawIpVersion } from './link/raw.js';
import { checkIpv4, ipv4FlagsFrag, ipv4HeaderLen, ipv4Id, ipv4TotalLen, IPV4 } from './net/ipv4.js';
import {
  checkIpv6, IPV6, IPV6_EXT_CHAIN_LIMIT, IPV6_FRAG, IPV6_MAX_EXT_HEADERS, Ipv6Ext, ipv6ExtLen, ipv6FragId, ipv6FragMore, ipv6FragOffset,
  isIpv6ExtHeader,
} from './net/ipv6.js';
import { checkTcp, tcpAck, tcpDstPort, tcpFlags, tcpHeaderLen, tcpSeq, tcpSrcPort, TCP } from './transport/tcp.js';
import { checkUdp, udpDstPort, udpLength, udpSrcPort, UDP } from './transport/udp.js';
import { checkSctp, sctpDstPort, sctpSrcPort } from './transport/sctp.js';
import { checkIcmp, icmpCode, icmpIsError, icmpType, ICMP } from './transport/icmp.js';
import { checkIcmpv6, icmpv6Code, icmpv6IsError, icmpv6Type, ICMPV6 } from './transport/icmpv6.js';
import { checkGre, GRE, greHeaderLen, greProtocol, greVersion } from './tunnel/gre.js';
import { checkVxlan, VXLAN } from './tunnel/vxlan.js';
import { checkErspan, ERSPAN, erspanFrameType, erspanHeaderLen } from './tunnel/erspan.js';
import { checkGeneve, geneveHeaderLen, geneveProtocol, GENEVE } from './tunnel/geneve.js';
import { teredoIpv6Offset, TEREDO } from './tunnel/teredo.js';
import { MAX_TUNNEL_DEPTH } from './tunnel/ipip.js';

export interface DecoderOptions {
  /** Capacity of the IP fragment table (first-fragment ports); default 4096. */
  maxFragments?: number;
  /** Decode plain packets by the fast path first (default true; false: always the general path, for tests). */
  fastPath?: boolean;
}

/** Plain counters for normal conditions that are not anomalies. */
export interface DecoderStats {
  /** Packets whose transport payload was cut by the snaplen (payloadCaptured < payloadLen). */
  payloadCut: number;
  /** Packets whose TCP/UDP header was cut by the snaplen after the ports (still Ok; TCP: tcpFlagsKnown = false). */
  headerCut: number;
}

const UDPLITE = 136;
const SAVE_N = 11;

function isPortProto(p: number): boolean {
  return p === IpProto.TCP || p === IpProto.UDP || p === IpProto.SCTP || p === UDPLITE;
}

export class Decoder {
  readonly stats: DecoderStats = { payloadCut: 0, headerCut: 0 };
  readonly fragments: FragmentTable;
  readonly #anomalies: Anomalies;
  #idx = 0;
  /** End of the packet as it was on the wire (offset + origLen), for "exceeds frame" checks. */
  #wireEnd = 0;
  #fragProto = 0;
  /** The capture cut this packet (capLen < origLen): a header ending at the capture's end is a snaplen cut. */
  #snapCut = false;
  #end = 0;
  readonly #saveW = new Uint32Array(MAX_TUNNEL_DEPTH * 8);
  readonly #saveN = new Float64Array(MAX_TUNNEL_DEPTH * SAVE_N);

  readonly #fastPath: boolean;
  /** Packets decoded by the fast path (#plain). */
  plainPackets = 0;

  constructor(anomalies: Anomalies, opts: DecoderOptions = {}) {
    this.#anomalies = anomalies;
    this.fragments = new FragmentTable(opts.maxFragments ?? 4096);
    this.#fastPath = opts.fastPath ?? true;
  }

  decode(rec: PacketRecord, out: DecodedPacket): Outcome {
    if (this.#fastPath && this.#plain(rec, out)) { this.plainPackets++; return Outcome.Ok; }
    out.reset();
    this.#idx = rec.index;
    const b = rec.data;
    const off = rec.offset;
    let end = off + rec.capLen;
    if (end > b.length) end = b.length;
    this.#wireEnd = rec.origLen > rec.capLen ? off + rec.origLen : end;
    this.#snapCut = rec.origLen > rec.capLen;
    this.#end = end;
    let r: Outcome;
    try {
      r = this.#link(b, off, end, rec.linkType, out);
    } catch {
      // Unreachable by construction (every read is bounds-checked first); kept so that a bug
      // becomes a counted anomaly instead of ending the run.
      r = this.#fail('decode.internal_error');
    }
    out.outcome = r;
    return r;
  }

  /**
   * The fast path: the packets most captures are made of (Ethernet, Linux cooked v1 or v2, or raw
   * IP links; at most one 802.1Q tag after an Ethernet or cooked header; IPv4 without options or
   * fragmentation, or IPv6 without extension headers; then TCP or UDP that is not a tunnel's, all
   * of its headers captured and consistent; a payload the snaplen cut counts in
   * stats.payloadCut, as there) decoded in one pass into exactly what the general path gives them:
   * the same fields, and no anomaly or note, since such a packet has none. Anything
   * else, or any doubt, returns false before `out` is touched, and the general path decodes the
   * packet. A test decodes real, generated and mutated packets of every link type here both ways
   * and compares every field and count.
   */
  #plain(rec: PacketRecord, out: DecodedPacket): boolean {
    const b = rec.data, off = rec.offset, cap = rec.capLen, link = rec.linkType;
    if (cap > rec.origLen || off + cap > b.length) return false;
    // the captured end, and the end on the wire (the IP length may reach past the first when the snaplen cut the packet)
    const end = off + cap, wireEnd = off + rec.origLen;
    // the network header's offset and EtherType (raw IP links: the one the version names)
    let type: number, p: number, vlan = -1;
    if (link === 1) { // Ethernet
      if (cap < ETHERNET.HEADER_LEN) return false;
      type = (b[off + 12]! << 8) | b[off + 13]!; p = off + ETHERNET.HEADER_LEN;
    } else if (link === 113) { // Linux cooked v1
      if (cap < SLL.HEADER_LEN) return false;
      type = (b[off + SLL.PROTOCOL]! << 8) | b[off + SLL.PROTOCOL + 1]!; p = off + SLL.HEADER_LEN;
    } else if (link === 276) { // Linux cooked v2
      if (cap < SLL2.HEADER_LEN) return false;
      type = (b[off + SLL2.PROTOCOL]! << 8) | b[off + SLL2.PROTOCOL + 1]!; p = off + SLL2.HEADER_LEN;
    } else if (link === 101 || link === 12 || link === 14 || link === 228 || link === 229) { // raw IP
      if (cap < 1) return false;
      const v = b[off]! >> 4;
      if (v === 4 && link !== 229) type = EtherType.IPV4;
      else if (v === 6 && link !== 228) type = EtherType.IPV6;
      else return false;
      p = off;
    } else return false;
    if (type === EtherType.VLAN) {
      if (end - p < VLAN.HEADER_LEN) return false;
      vlan = ((b[p]! << 8) | b[p + 1]!) & VLAN.VID_MASK;
      type = (b[p + 2]! << 8) | b[p + 3]!;
      p += VLAN.HEADER_LEN;
    }
    let ipEnd = 0, q = 0, proto = 0, v6 = false;
    if (type === EtherType.IPV4) {
      // version 4, a 20-byte header, a total length inside the frame, neither MF nor an offset
      if (end - p < IPV4.MIN_HEADER_LEN || b[p] !== 0x45) return false;
      const total = (b[p + 2]! << 8) | b[p + 3]!;
      if (total < IPV4.MIN_HEADER_LEN || p + total > wireEnd || (((b[p + 6]! << 8) | b[p + 7]!) & 0x3fff) !== 0) return false;
      ipEnd = p + total; q = p + IPV4.MIN_HEADER_LEN; proto = b[p + IPV4.PROTOCOL]!; v6 = false;
    } else if (type === EtherType.IPV6) {
      // version 6, TCP or UDP next (no extension header), a payload length inside the frame
      if (end - p < IPV6.HEADER_LEN || b[p]! >> 4 !== 6) return false;
      proto = b[p + IPV6.NEXT_HEADER]!;
      const plen = (b[p + 4]! << 8) | b[p + 5]!;
      if ((proto !== IpProto.TCP && proto !== IpProto.UDP) || plen === 0 || p + IPV6.HEADER_LEN + plen > wireEnd) return false;
      ipEnd = p + IPV6.HEADER_LEN + plen; q = p + IPV6.HEADER_LEN; v6 = true;
    } else return false;
    // (the transport header must be captured whole; its payload may be cut)
    const segLen = ipEnd - q, capEnd = ipEnd < end ? ipEnd : end;
    let sport = 0, dport = 0, at = 0, len = 0, flags = 0, seq = 0, ack = 0;
    if (proto === IpProto.TCP) {
      if (segLen < TCP.MIN_HEADER_LEN || capEnd - q < TCP.MIN_HEADER_LEN) return false;
      const hl = (b[q + TCP.DATA_OFFSET]! >> 4) << 2;
      if (hl < TCP.MIN_HEADER_LEN || hl > segLen || q + hl > capEnd) return false;
      sport = (b[q]! << 8) | b[q + 1]!; dport = (b[q + 2]! << 8) | b[q + 3]!;
      flags = b[q + TCP.FLAGS]!;
      seq = ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0;
      ack = ((b[q + 8]! << 24) | (b[q + 9]! << 16) | (b[q + 10]! << 8) | b[q + 11]!) >>> 0;
      at = q + hl; len = segLen - hl;
    } else if (proto === IpProto.UDP) {
      if (segLen < UDP.HEADER_LEN || capEnd - q < UDP.HEADER_LEN) return false;
      const ulen = (b[q + 4]! << 8) | b[q + 5]!;
      if ((ulen !== 0 && ulen < UDP.HEADER_LEN) || ulen > segLen) return false;
      sport = (b[q]! << 8) | b[q + 1]!; dport = (b[q + 2]! << 8) | b[q + 3]!;
      if (sport === VXLAN.PORT || dport === VXLAN.PORT || sport === GENEVE.PORT || dport === GENEVE.PORT || sport === TEREDO.PORT || dport === TEREDO.PORT) return false;
      at = q + UDP.HEADER_LEN; len = (ulen === 0 ? segLen : ulen) - UDP.HEADER_LEN;
    } else return false;
    // what reset() and the general path leave in every field
    out.reset();
    out.vlan = vlan;
    // (the address words are written here rather than by putV4/putV6: a 32-bit word returned from
    // a call that is not inlined is boxed when it passes 2^30, an allocation per packet)
    const src = out.src, dst = out.dst;
    if (v6) {
      out.ipVersion = 6;
      for (let k = 0, x = p + IPV6.SRC; k < 4; k++, x += 4) {
        src[k] = (b[x]! << 24) | (b[x + 1]! << 16) | (b[x + 2]! << 8) | b[x + 3]!;
        dst[k] = (b[x + 16]! << 24) | (b[x + 17]! << 16) | (b[x + 18]! << 8) | b[x + 19]!;
      }
    } else {
      out.ipVersion = 4;
      const x = p + IPV4.SRC;
      src[0] = 0; src[1] = 0; src[2] = 0xffff; src[3] = (b[x]! << 24) | (b[x + 1]! << 16) | (b[x + 2]! << 8) | b[x + 3]!;
      dst[0] = 0; dst[1] = 0; dst[2] = 0xffff; dst[3] = (b[x + 4]! << 24) | (b[x + 5]! << 16) | (b[x + 6]! << 8) | b[x + 7]!;
    }
    out.proto = proto;
    out.ipLen = ipEnd - p;
    out.hasPorts = true; out.srcPort = sport; out.dstPort = dport;
    out.tcpFlags = flags; out.tcpSeq = seq; out.tcpAck = ack;
    const captured = at + len <= capEnd ? len : capEnd - at;
    out.payloadOffset = at; out.payloadLen = len; out.payloadCaptured = captured;
    if (captured < len) this.stats.payloadCut++;
    return true;
  }

  #fail(name: DecodeAnomaly): Outcome {
    this.#anomalies.add(name, this.#idx);
    return DECODE_ANOMALIES[name];
  }

  #note(name: DecodeAnomaly): void {
    this.#anomalies.add(name, this.#idx);
  }

  #link(b: Buffer, off: number, end: number, linkType: number, out: DecodedPacket): Outcome {
    switch (linkType) {
      case 1: { // ETHERNET
        const c = checkEthernet(b, off, end);
        if (c !== null) return this.#fail(c);
        return this.#etherType(b, off + ETHERNET.HEADER_LEN, end, ethernetType(b, off), out, 0, 'decode.ethernet.non_ip');
      }
      case 228: return this.#ipv4(b, off, end, out, 0);
      case 229: return this.#ipv6(b, off, end, out, 0);
      case 101: case 12: case 14: { // RAW
        const c = checkRaw(b, off, end);
        if (c !== null) return this.#fail(c);
        const v = rawIpVersion(b, off);
        if (v === 4) return this.#ipv4(b, off, end, out, 0);
        if (v === 6) return this.#ipv6(b, off, end, out, 0);
        return this.#fail('decode.raw.bad_version');
      }
      case 113: { // LINUX_SLL
        const c = checkSll(b, off, end);
        if (c !== null) return this.#fail(c);
        return this.#etherType(b, off + SLL.HEADER_LEN, end, sllProtocol(b, off), out, 0, 'decode.sll.non_ip');
      }
      case 276: { // LINUX_SLL2
        const c = checkSll2(b, off, end);
        if (c !== null) return this.#fail(c);
        return this.#etherType(b, off + SLL2.HEADER_LEN, end, sll2Protocol(b, off), out, 0, 'decode.sll.non_ip');
      }
      case 0: { // NULL: host byte order
        const c = checkNull(b, off, end);
        if (c !== null) return this.#fail(c);
        const v = nullIpVersion(b, off);
        if (v === 4) return this.#ipv4(b, off + NULL_LINK.HEADER_LEN, end, out, 0);
        if (v === 6) return this.#ipv6(b, off + NULL_LINK.HEADER_LEN, end, out, 0);
        return this.#fail('decode.null.unknown_family');
      }
      case 108: { // LOOP: network byte order
        const c = checkLoop(b, off, end);
        if (c !== null) return this.#fail(c);
        const v = loopIpVersion(b, off);
        if (v === 4) return this.#ipv4(b, off + NULL_LINK.HEADER_LEN, end, out, 0);
        if (v === 6) return this.#ipv6(b, off + NULL_LINK.HEADER_LEN, end, out, 0);
        return this.#fail('decode.loop.unknown_family');
      }
      default:
        return this.#fail('decode.link.unsupported_linktype');
    }
  }

  /** EtherType dispatch, after walking any stacked VLAN tags (outermost id → vlan, next → innerVlan). */
  #etherType(b: Buffer, p: number, end: number, type: number, out: DecodedPacket, depth: number, nonIp: DecodeAnomaly): Outcome {
    let tags = 0;
    while (isVlanTpid(type)) {
      const c = checkVlan(b, p, end);
      if (c !== null) return this.#fail(c);
      if (++tags > VLAN.MAX_TAGS) return this.#fail('decode.vlan.too_many_tags');
      if (depth === 0) {
        const vid = vlanId(b, p);
        if (out.vlan < 0) out.vlan = vid;
        else if (out.innerVlan < 0) out.innerVlan = vid;
      }
      type = vlanEthertype(b, p);
      p += VLAN.HEADER_LEN;
    }
    switch (type) {
      case EtherType.IPV4: return this.#ipv4(b, p, end, out, depth);
      case EtherType.IPV6: return this.#ipv6(b, p, end, out, depth);
      case EtherType.MPLS_UNICAST: case EtherType.MPLS_MULTICAST: {
        const c = checkMpls(b, p, end);
        if (c !== null) return this.#fail(c);
        const v = mplsPayloadVersion(b, p, end);
        const q = p + mplsStackLen(b, p, end);
        if (v === 4) return this.#ipv4(b, q, end, out, depth);
        if (v === 6) return this.#ipv6(b, q, end, out, depth);
        return this.#fail('decode.mpls.non_ip');
      }
      case EtherType.PPPOE_SESSION: {
        const c = checkPppoe(b, p, end);
        if (c !== null) return this.#fail(c);
        return this.#ppp(b, p + PPPOE.HEADER_LEN, end, out, depth);
      }
      default: return this.#fail(nonIp);
    }
  }

  #ppp(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkPpp(b, p, end);
    if (c !== null) return this.#fail(c);
    const proto = pppProtocol(b, p, end);
    const q = p + pppHeaderLen(b, p, end);
    if (proto === PPP.PROTO_IPV4) return this.#ipv4(b, q, end, out, depth);
    if (proto === PPP.PROTO_IPV6) return this.#ipv6(b, q, end, out, depth);
    return this.#fail('decode.ppp.non_ip');
  }

  #ipv4(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkIpv4(b, p, end);
    if (c !== null) return this.#fail(c);
    const hl = ipv4HeaderLen(b, p);
    let total = ipv4TotalLen(b, p);
    if (total === 0) { // TCP segmentation offload captures: length left to the NIC
      this.#note('decode.ipv4.zero_total_length');
      total = (depth === 0 ? this.#wireEnd : end) - p;
    }
    const proto = b[p + IPV4.PROTOCOL]!;
    out.ipVersion = 4;
    out.proto = proto;
    putV4(out.src, b, p + IPV4.SRC);
    putV4(out.dst, b, p + IPV4.DST);
    out.ipLen = total;
    const ipEnd = p + total;
    let capEnd = end;
    if (ipEnd <= end) capEnd = ipEnd; // trailing link-layer padding is not IP payload
    else if (depth === 0 && ipEnd > this.#wireEnd) this.#note('decode.ipv4.length_exceeds_frame');
    const ff = ipv4FlagsFrag(b, p);
    const q = p + hl;
    if ((ff & IPV4.FRAG_OFFSET_MASK) !== 0) return this.#laterFragment(b, out, ipv4Id(b, p), proto, q, total - hl, capEnd);
    let fragId = -1;
    if ((ff & IPV4.FLAG_MF) !== 0) {
      out.fragment = 1;
      fragId = ipv4Id(b, p);
      this.#fragProto = proto;
    }
    return this.#transport(b, q, capEnd, total - hl, proto, out, depth, fragId);
  }

  #ipv6(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkIpv6(b, p, end);
    if (c !== null) return this.#fail(c);
    out.ipVersion = 6;
    putV6(out.src, b, p + IPV6.SRC);
    putV6(out.dst, b, p + IPV6.DST);
    let nh = b[p + IPV6.NEXT_HEADER]!;
    let plen = u16(b, p + IPV6.PAYLOAD_LEN);
    if (plen === 0 && nh !== Ipv6Ext.NO_NEXT) { // jumbogram or TSO
      this.#note('decode.ipv6.zero_payload_length');
      plen = (depth === 0 ? this.#wireEnd : end) - p - IPV6.HEADER_LEN;
    }
    out.ipLen = IPV6.HEADER_LEN + plen;
    const ipEnd = p + IPV6.HEADER_LEN + plen;
    let capEnd = end;
    if (ipEnd <= end) capEnd = ipEnd;
    else if (depth === 0 && ipEnd > this.#wireEnd) this.#note('decode.ipv6.length_exceeds_frame');
    let q = p + IPV6.HEADER_LEN;
    let n = 0;
    let fragId = -1;
    while (isIpv6ExtHeader(nh)) {
      if (++n > IPV6_MAX_EXT_HEADERS) {
        if (n > IPV6_EXT_CHAIN_LIMIT) { out.proto = nh; return this.#fail('decode.ipv6.ext_chain_limit'); }
        if (n === IPV6_MAX_EXT_HEADERS + 1) this.#note('decode.ipv6.too_many_ext_headers');
      }
      const len = ipv6ExtLen(b, q, capEnd, nh);
      if (len < 0 || q + len > capEnd) { out.proto = nh; return this.#fail('decode.ipv6.ext_header_truncated'); }
      if (nh === Ipv6Ext.FRAGMENT) {
        const fo = ipv6FragOffset(b, q);
        const id = ipv6FragId(b, q);
        const more = ipv6FragMore(b, q);
        nh = b[q + IPV6_FRAG.NEXT_HEADER]!;
        q += IPV6_FRAG.HEADER_LEN;
        if (fo !== 0) { out.proto = nh; return this.#laterFragment(b, out, id, nh, q, ipEnd - q, capEnd); }
        if (more) { out.fragment = 1; fragId = id; this.#fragProto = nh; }
        continue;
      }
      nh = b[q]!;
      q += len;
    }
    out.proto = nh;
    return this.#transport(b, q, capEnd, ipEnd - q, nh, out, depth, fragId);
  }

  /** A fragment with offset > 0: no transport header; ports come from the first fragment if seen. */
  #laterFragment(_b: Buffer, out: DecodedPacket, id: number, proto: number, q: number, segLen: number, capEnd: number): Outcome {
    out.fragment = 2;
    this.#setPayload(out, q, segLen, capEnd);
    if (!isPortProto(proto)) return Outcome.Ok;
    const ports = this.fragments.lookup(out.src, out.dst, id, proto);
    if (ports >= 0) {
      out.hasPorts = true;
      out.srcPort = ports >>> 16;
      out.dstPort = ports & 0xffff;
    } else this.#note('decode.fragments.first_not_seen');
    return Outcome.Ok;
  }

  /** True when the bytes end at capEnd because the capture's snaplen ended them (not a short IP length). */
  #cutBySnaplen(capEnd: number): boolean {
    return this.#snapCut && capEnd === this.#end;
  }

  #remember(out: DecodedPacket, fragId: number): void {
    if (this.fragments.insert(out.src, out.dst, fragId, this.#fragProto, out.srcPort, out.dstPort)) this.#note('decode.fragments.table_full');
  }

  #setPayload(out: DecodedPacket, at: number, len: number, capEnd: number): void {
    if (len < 0) len = 0;
    let cap = capEnd - at;
    if (cap < 0) cap = 0;
    if (cap > len) cap = len;
    out.payloadOffset = at;
    out.payloadLen = len;
    out.payloadCaptured = cap;
    if (cap < len) this.stats.payloadCut++;
  }

  /** IP protocol dispatch. q = transport start, capEnd = end of captured IP payload, segLen per the IP header. */
  #transport(b: Buffer, q: number, capEnd: number, segLen: number, proto: number, out: DecodedPacket, depth: number, fragId: number): Outcome {
    const avail = capEnd - q;
    switch (proto) {
      case IpProto.TCP: {
        if (avail >= 4) { out.hasPorts = true; out.srcPort = tcpSrcPort(b, q); out.dstPort = tcpDstPort(b, q); }
        const c = checkTcp(b, q, avail, segLen);
        if (c !== null) {
          if (fragId >= 0 && out.hasPorts) this.#remember(out, fragId);
          if (c === 'decode.tcp.truncated' && out.hasPorts && this.#cutBySnaplen(capEnd) && segLen >= TCP.MIN_HEADER_LEN) {
            // snaplen cut the header after the ports: the packet still belongs to its flow
            out.tcpFlagsKnown = false;
            this.stats.headerCut++;
            this.#setPayload(out, q + TCP.MIN_HEADER_LEN, segLen - TCP.MIN_HEADER_LEN, capEnd);
            return Outcome.Ok;
          }
          return this.#fail(c);
        }
        out.tcpFlags = tcpFlags(b, q);
        out.tcpSeq = tcpSeq(b, q);
        out.tcpAck = avail >= TCP.ACK + 4 ? tcpAck(b, q) : 0;
        const hl = tcpHeaderLen(b, q);
        this.#setPayload(out, q + hl, segLen - hl, capEnd);
        if (fragId >= 0) this.#remember(out, fragId);
        return Outcome.Ok;
      }
      case IpProto.UDP: case UDPLITE: {
        if (avail >= 4) { out.hasPorts = true; out.srcPort = udpSrcPort(b, q); out.dstPort = udpDstPort(b, q); }
        const c = checkUdp(b, q, avail);
        if (c !== null) {
          if (fragId >= 0 && out.hasPorts) this.#remember(out, fragId);
          if (c === 'decode.udp.truncated' && out.hasPorts && this.#cutBySnaplen(capEnd) && segLen >= UDP.HEADER_LEN) {
            this.stats.headerCut++;
            this.#setPayload(out, q + UDP.HEADER_LEN, segLen - UDP.HEADER_LEN, capEnd);
            return Outcome.Ok;
          }
          return this.#fail(c);
        }
        const len = udpLength(b, q);
        let dgramEnd = q + segLen;
        if (proto === IpProto.UDP && len !== 0) {
          if (fragId >= 0) dgramEnd = q + len; // a first fragment: the length covers the whole datagram
          else if (len > segLen) this.#note('decode.udp.length_exceeds_ip');
          else dgramEnd = q + len;
        }
        this.#setPayload(out, q + UDP.HEADER_LEN, dgramEnd - q - UDP.HEADER_LEN, capEnd);
        if (fragId >= 0) { this.#remember(out, fragId); return Outcome.Ok; }
        if (proto !== IpProto.UDP) return Outcome.Ok;
        const sp = out.srcPort, dp = out.dstPort;
        const udpCapEnd = dgramEnd < capEnd ? dgramEnd : capEnd;
        if (dp === VXLAN.PORT || sp === VXLAN.PORT) return this.#vxlan(b, q + UDP.HEADER_LEN, udpCapEnd, out, depth);
        if (dp === GENEVE.PORT || sp === GENEVE.PORT) return this.#geneve(b, q + UDP.HEADER_LEN, udpCapEnd, out, depth);
        if (dp === TEREDO.PORT || sp === TEREDO.PORT) return this.#teredo(b, q + UDP.HEADER_LEN, udpCapEnd, out, depth);
        return Outcome.Ok;
      }
      case IpProto.ICMP: {
        this.#setPayload(out, q, segLen, capEnd);
        const c = checkIcmp(b, q, avail);
        if (c !== null) return this.#fail(c);
        const t = icmpType(b, q);
        out.icmpType = t;
        out.icmpCode = icmpCode(b, q);
        if (icmpIsError(t) && out.fragment !== 2) this.#quotedV4(b, q + ICMP.QUOTED, capEnd, out);
        return Outcome.Ok;
      }
      case IpProto.ICMPV6: {
        this.#setPayload(out, q, segLen, capEnd);
        const c = checkIcmpv6(b, q, avail);
        if (c !== null) return this.#fail(c);
        const t = icmpv6Type(b, q);
        out.icmpType = t;
        out.icmpCode = icmpv6Code(b, q);
        if (icmpv6IsError(t)) this.#quotedV6(b, q + ICMPV6.QUOTED, capEnd, out);
        return Outcome.Ok;
      }
      case IpProto.SCTP: {
        this.#setPayload(out, q, segLen, capEnd);
        const c = checkSctp(b, q, avail);
        if (c !== null) return this.#fail(c);
        out.hasPorts = true;
        out.srcPort = sctpSrcPort(b, q);
        out.dstPort = sctpDstPort(b, q);
        if (fragId >= 0) this.#remember(out, fragId);
        return Outcome.Ok;
      }
      case IpProto.GRE:
        this.#setPayload(out, q, segLen, capEnd);
        if (fragId >= 0 || avail <= 0) return Outcome.Ok;
        return this.#gre(b, q, capEnd, segLen, out, depth);
      case IpProto.IPIP: case IpProto.IPV6:
        this.#setPayload(out, q, segLen, capEnd);
        if (fragId >= 0 || avail <= 0) return Outcome.Ok;
        if (!this.#enter(out, proto === IpProto.IPIP ? Tunnel.IPIP : Tunnel.SIXIN4, depth)) return Outcome.Malformed;
        return this.#leave(out, depth, proto === IpProto.IPIP ? this.#ipv4(b, q, capEnd, out, depth + 1) : this.#ipv6(b, q, capEnd, out, depth + 1));
      default:
        this.#setPayload(out, q, segLen, capEnd);
        return Outcome.Ok;
    }
  }

  // ---- ICMP errors: the quoted original packet ----

  #quotedV4(b: Buffer, o: number, end: number, out: DecodedPacket): void {
    if (end - o < IPV4.MIN_HEADER_LEN) { this.#note('decode.icmp.quoted_truncated'); return; }
    const vi = b[o]!;
    const hl = (vi & 15) << 2;
    if (vi >> 4 !== 4 || hl < IPV4.MIN_HEADER_LEN) { this.#note('decode.icmp.quoted_malformed'); return; }
    out.hasQuoted = true;
    out.quotedProto = b[o + IPV4.PROTOCOL]!;
    putV4(out.quotedSrc, b, o + IPV4.SRC);
    putV4(out.quotedDst, b, o + IPV4.DST);
    if (!isPortProto(out.quotedProto) || (ipv4FlagsFrag(b, o) & IPV4.FRAG_OFFSET_MASK) !== 0) return;
    const t = o + hl;
    if (end - t < 4) { this.#note('decode.icmp.quoted_truncated'); return; }
    out.quotedHasPorts = true;
    out.quotedSrcPort = u16(b, t);
    out.quotedDstPort = u16(b, t + 2);
  }

  #quotedV6(b: Buffer, o: number, end: number, out: DecodedPacket): void {
    if (end - o < IPV6.HEADER_LEN) { this.#note('decode.icmpv6.quoted_truncated'); return; }
    if (b[o]! >> 4 !== 6) { this.#note('decode.icmpv6.quoted_malformed'); return; }
    out.hasQuoted = true;
    putV6(out.quotedSrc, b, o + IPV6.SRC);
    putV6(out.quotedDst, b, o + IPV6.DST);
    let nh = b[o + IPV6.NEXT_HEADER]!;
    let q = o + IPV6.HEADER_LEN;
    let n = 0;
    let laterFragment = false;
    while (isIpv6ExtHeader(nh)) {
      const len = ipv6ExtLen(b, q, end, nh);
      if (++n > IPV6_EXT_CHAIN_LIMIT || len < 0 || q + len > end) { out.quotedProto = nh; this.#note('decode.icmpv6.quoted_truncated'); return; }
      if (nh === Ipv6Ext.FRAGMENT && ipv6FragOffset(b, q) !== 0) laterFragment = true;
      nh = b[q]!;
      q += len;
    }
    out.quotedProto = nh;
    if (!isPortProto(nh) || laterFragment) return;
    if (end - q < 4) { this.#note('decode.icmpv6.quoted_truncated'); return; }
    out.quotedHasPorts = true;
    out.quotedSrcPort = u16(b, q);
    out.quotedDstPort = u16(b, q + 2);
  }

  // ---- tunnels ----

  /** Save the outer packet's state, make its addresses the outer endpoints, clear the inner fields. */
  #enter(out: DecodedPacket, kind: number, depth: number): boolean {
    if (depth >= MAX_TUNNEL_DEPTH) { this.#note('decode.tunnel.too_deep'); return false; }
    const w = this.#saveW, s = this.#saveN, wo = depth * 8, so = depth * SAVE_N;
    const os = out.outerSrc, od = out.outerDst, src = out.src, dst = out.dst;
    w[wo] = os[0]!; w[wo + 1] = os[1]!; w[wo + 2] = os[2]!; w[wo + 3] = os[3]!;
    w[wo + 4] = od[0]!; w[wo + 5] = od[1]!; w[wo + 6] = od[2]!; w[wo + 7] = od[3]!;
    s[so] = out.ipVersion; s[so + 1] = out.proto; s[so + 2] = out.hasPorts ? 1 : 0; s[so + 3] = out.srcPort;
    s[so + 4] = out.dstPort; s[so + 5] = out.payloadLen; s[so + 6] = out.payloadOffset; s[so + 7] = out.payloadCaptured;
    s[so + 8] = out.ipLen; s[so + 9] = out.tunnel; s[so + 10] = out.fragment;
    os[0] = src[0]!; os[1] = src[1]!; os[2] = src[2]!; os[3] = src[3]!;
    od[0] = dst[0]!; od[1] = dst[1]!; od[2] = dst[2]!; od[3] = dst[3]!;
    out.tunnel = kind;
    out.tunnelDepth = depth + 1;
    out.ipVersion = 0; out.proto = 0; out.hasPorts = false; out.srcPort = 0; out.dstPort = 0;
    out.payloadLen = 0; out.payloadOffset = 0; out.payloadCaptured = 0; out.ipLen = 0; out.fragment = 0;
    return true;
  }

  /** After decoding a tunnel's inner packet: keep it if its IP header was reached, else restore the outer packet. */
  #leave(out: DecodedPacket, depth: number, r: Outcome): Outcome {
    if (out.ipVersion !== 0) return r;
    const w = this.#saveW, s = this.#saveN, wo = depth * 8, so = depth * SAVE_N;
    const os = out.outerSrc, od = out.outerDst, src = out.src, dst = out.dst;
    src[0] = os[0]!; src[1] = os[1]!; src[2] = os[2]!; src[3] = os[3]!;
    dst[0] = od[0]!; dst[1] = od[1]!; dst[2] = od[2]!; dst[3] = od[3]!;
    os[0] = w[wo]!; os[1] = w[wo + 1]!; os[2] = w[wo + 2]!; os[3] = w[wo + 3]!;
    od[0] = w[wo + 4]!; od[1] = w[wo + 5]!; od[2] = w[wo + 6]!; od[3] = w[wo + 7]!;
    out.ipVersion = s[so]!; out.proto = s[so + 1]!; out.hasPorts = s[so + 2] === 1; out.srcPort = s[so + 3]!;
    out.dstPort = s[so + 4]!; out.payloadLen = s[so + 5]!; out.payloadOffset = s[so + 6]!; out.payloadCaptured = s[so + 7]!;
    out.ipLen = s[so + 8]!; out.tunnel = s[so + 9]!; out.fragment = s[so + 10]!;
    out.tunnelDepth = depth;
    out.tcpFlags = 0; out.tcpSeq = 0; out.tcpAck = 0; out.icmpType = -1; out.icmpCode = -1;
    out.hasQuoted = false; out.quotedHasPorts = false; out.tcpFlagsKnown = true;
    return Outcome.Ok;
  }

  #gre(b: Buffer, q: number, capEnd: number, segLen: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkGre(b, q, capEnd - q);
    if (c !== null) { this.#note(c); return Outcome.Ok; }
    const hl = greHeaderLen(b, q);
    const inner = q + hl;
    if (segLen <= hl || inner >= capEnd) return Outcome.Ok; // no payload (PPTP ack-only) or cut by snaplen
    const ptype = greProtocol(b, q);
    if ((ptype === ERSPAN.TYPE_II || ptype === ERSPAN.TYPE_III) && greVersion(b, q) === 0) return this.#erspan(b, q, inner, capEnd, ptype, out, depth);
    if (ptype !== EtherType.IPV4 && ptype !== EtherType.IPV6 && ptype !== EtherType.TEB && ptype !== EtherType.PPP) {
      this.#note('decode.gre.unsupported_protocol');
      return Outcome.Ok;
    }
    if (!this.#enter(out, Tunnel.GRE, depth)) return Outcome.Malformed;
    let r: Outcome;
    if (ptype === EtherType.IPV4) r = this.#ipv4(b, inner, capEnd, out, depth + 1);
    else if (ptype === EtherType.IPV6) r = this.#ipv6(b, inner, capEnd, out, depth + 1);
    else if (ptype === EtherType.PPP) r = this.#ppp(b, inner, capEnd, out, depth + 1);
    else r = this.#innerEthernet(b, inner, capEnd, out, depth + 1);
    return this.#leave(out, depth, r);
  }

  /**
   * ERSPAN in GRE (protocol `ptype`, its header at q, the ERSPAN header or frame at p): type I (no
   * sequence number in GRE) carries the frame right away, type II and III after their header.
   */
  #erspan(b: Buffer, q: number, p: number, end: number, ptype: number, out: DecodedPacket, depth: number): Outcome {
    let frame = p, ip = false;
    if (ptype === ERSPAN.TYPE_III || (u16(b, q) & GRE.FLAG_S) !== 0) {
      const c = checkErspan(b, p, end - p);
      if (c !== null) { this.#note(c); return Outcome.Ok; }
      frame = p + erspanHeaderLen(b, p);
      ip = erspanFrameType(b, p) === ERSPAN.FRAME_IP;
    }
    if (frame >= end) { this.#note('decode.erspan.truncated'); return Outcome.Ok; }
    if (!this.#enter(out, Tunnel.ERSPAN, depth)) return Outcome.Malformed;
    let r: Outcome;
    if (!ip) r = this.#innerEthernet(b, frame, end, out, depth + 1);
    else {
      const v = b[frame]! >> 4;
      r = v === 4 ? this.#ipv4(b, frame, end, out, depth + 1) : v === 6 ? this.#ipv6(b, frame, end, out, depth + 1) : this.#fail('decode.raw.bad_version');
    }
    return this.#leave(out, depth, r);
  }

  #innerEthernet(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkEthernet(b, p, end);
    if (c !== null) return this.#fail(c);
    return this.#etherType(b, p + ETHERNET.HEADER_LEN, end, ethernetType(b, p), out, depth, 'decode.ethernet.non_ip');
  }

  #vxlan(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkVxlan(b, p, end - p);
    if (c !== null) { this.#note(c); return Outcome.Ok; }
    if (!this.#enter(out, Tunnel.VXLAN, depth)) return Outcome.Malformed;
    return this.#leave(out, depth, this.#innerEthernet(b, p + VXLAN.HEADER_LEN, end, out, depth + 1));
  }

  #geneve(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const c = checkGeneve(b, p, end - p);
    if (c !== null) { this.#note(c); return Outcome.Ok; }
    const inner = p + geneveHeaderLen(b, p);
    const ptype = geneveProtocol(b, p);
    if (ptype !== EtherType.TEB && ptype !== EtherType.IPV4 && ptype !== EtherType.IPV6) {
      this.#note('decode.geneve.unsupported_protocol');
      return Outcome.Ok;
    }
    if (!this.#enter(out, Tunnel.GENEVE, depth)) return Outcome.Malformed;
    let r: Outcome;
    if (ptype === EtherType.TEB) r = this.#innerEthernet(b, inner, end, out, depth + 1);
    else if (ptype === EtherType.IPV4) r = this.#ipv4(b, inner, end, out, depth + 1);
    else r = this.#ipv6(b, inner, end, out, depth + 1);
    return this.#leave(out, depth, r);
  }

  #teredo(b: Buffer, p: number, end: number, out: DecodedPacket, depth: number): Outcome {
    const inner = teredoIpv6Offset(b, p, end);
    if (inner < 0) return Outcome.Ok; // a Teredo control message or not Teredo at all: plain UDP
    if (!this.#enter(out, Tunnel.TEREDO, depth)) return Outcome.Malformed;
    return this.#leave(out, depth, this.#ipv6(b, inner, end, out, depth + 1));
  }
}
