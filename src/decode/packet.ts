/**
 * The decoder writes into one preallocated DecodedPacket per pipeline and reuses it for every
 * packet. Addresses are four big-endian uint32 words each (IPv4 mapped as ::ffff:a.b.c.d).
 * Nothing here is valid after the next packet is decoded.
 */
import { Outcome } from '../core/outcome.js';

export const IpProto = { ICMP: 1, IGMP: 2, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, GRE: 47, ESP: 50, AH: 51, ICMPV6: 58, SCTP: 132 } as const;

/** Tunnel kinds kept as context for the inner (audited) packet. */
export const Tunnel = { None: 0, GRE: 1, VXLAN: 2, GENEVE: 3, IPIP: 4, SIXIN4: 5, TEREDO: 6, ERSPAN: 7 } as const;
export const TUNNEL_NAMES = ['', 'gre', 'vxlan', 'geneve', 'ipip', '6in4', 'teredo', 'erspan'] as const;

export class DecodedPacket {
  /** Outcome.* for this packet. Ok means the addresses (and ports when hasPorts) are valid. */
  outcome: Outcome = Outcome.Ok;
  /** 4 or 6 for the (inner, audited) IP header; 0 when no IP layer was reached. */
  ipVersion = 0;
  /** IP protocol number of the transport (after IPv6 extension headers). */
  proto = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** True when srcPort/dstPort are meaningful (TCP, UDP, SCTP; first fragments). */
  hasPorts = false;
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  /**
   * False when the snaplen cut the TCP header after the ports (fewer than 14 bytes captured):
   * the packet is still Ok (it belongs to its flow) but tcpFlags/tcpSeq/tcpAck are 0, not real.
   */
  tcpFlagsKnown = true;
  /** Transport payload length in bytes as the IP header says (not limited by snaplen). */
  payloadLen = 0;
  /** Offset of the transport payload in the record's data buffer, and how many bytes of it were captured. */
  payloadOffset = 0;
  payloadCaptured = 0;
  /** IP length of the audited (inner) packet: IPv4 total length, or IPv6 40 + payload length. */
  ipLen = 0;
  /** Outermost 802.1Q VLAN id, or -1. */
  vlan = -1;
  /** Inner VLAN id for QinQ, or -1. */
  innerVlan = -1;
  /** ICMP/ICMPv6 type and code (when proto is ICMP/ICMPv6), else -1. */
  icmpType = -1;
  icmpCode = -1;
  /** For ICMP errors (unreachable, time exceeded, packet too big, parameter problem): the quoted original packet. */
  hasQuoted = false;
  quotedProto = 0;
  readonly quotedSrc = new Uint32Array(4);
  readonly quotedDst = new Uint32Array(4);
  quotedSrcPort = 0;
  quotedDstPort = 0;
  /** True when quotedSrcPort/quotedDstPort are meaningful (the quote reached a TCP/UDP/SCTP header). */
  quotedHasPorts = false;
  /** IP fragment state of this packet: 0 not a fragment, 1 first fragment, 2 later fragment (ports from the fragment table when hasPorts). */
  fragment = 0;
  /** Tunnel.* the inner packet came out of, with the outer IP endpoints. */
  tunnel = 0;
  readonly outerSrc = new Uint32Array(4);
  readonly outerDst = new Uint32Array(4);
  /** How many tunnel layers were opened to reach the audited packet (0 = not tunnelled). */
  tunnelDepth = 0;

  reset(): void {
    this.outcome = Outcome.Ok;
    this.ipVersion = 0; this.proto = 0; this.hasPorts = false; this.srcPort = 0; this.dstPort = 0;
    this.tcpFlags = 0; this.tcpSeq = 0; this.tcpAck = 0; this.payloadLen = 0; this.payloadOffset = 0; this.payloadCaptured = 0;
    this.ipLen = 0; this.vlan = -1; this.innerVlan = -1; this.icmpType = -1; this.icmpCode = -1;
    this.hasQuoted = false; this.quotedProto = 0; this.quotedSrcPort = 0; this.quotedDstPort = 0;
    this.fragment = 0; this.tunnel = 0;
    this.quotedHasPorts = false; this.tunnelDepth = 0; this.tcpFlagsKnown = true;
  }
}
