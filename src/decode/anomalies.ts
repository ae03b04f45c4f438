/**
 * Every anomaly name the decode stage can count, with the Outcome it stands for.
 * `Outcome.Ok` entries are oddities: counted, but the packet still decodes (the flow stage uses it).
 * Names are stable (reports and tests use them); add, never rename.
 */
import { Outcome } from '../core/outcome.js';

export const DECODE_ANOMALIES = {
  // link layer
  'decode.link.unsupported_linktype': Outcome.Unsupported,
  'decode.link.empty': Outcome.Truncated,
  'decode.internal_error': Outcome.Malformed,
  'decode.ethernet.truncated': Outcome.Truncated,
  'decode.ethernet.non_ip': Outcome.Unsupported,
  'decode.vlan.truncated': Outcome.Truncated,
  'decode.vlan.too_many_tags': Outcome.Malformed,
  'decode.pppoe.truncated': Outcome.Truncated,
  'decode.pppoe.bad_version': Outcome.Malformed,
  'decode.mpls.truncated': Outcome.Truncated,
  'decode.mpls.too_many_labels': Outcome.Malformed,
  'decode.mpls.non_ip': Outcome.Unsupported,
  'decode.ppp.truncated': Outcome.Truncated,
  'decode.ppp.non_ip': Outcome.Unsupported,
  'decode.sll.truncated': Outcome.Truncated,
  'decode.sll.non_ip': Outcome.Unsupported,
  'decode.sll2.truncated': Outcome.Truncated,
  'decode.null.truncated': Outcome.Truncated,
  'decode.null.unknown_family': Outcome.Unsupported,
  'decode.loop.truncated': Outcome.Truncated,
  'decode.loop.unknown_family': Outcome.Unsupported,
  'decode.raw.bad_version': Outcome.Malformed,
  // IPv4
  'decode.ipv4.truncated': Outcome.Truncated,
  'decode.ipv4.bad_version': Outcome.Malformed,
  'decode.ipv4.bad_header_length': Outcome.Malformed,
  'decode.ipv4.bad_total_length': Outcome.Malformed,
  'decode.ipv4.zero_total_length': Outcome.Ok,
  'decode.ipv4.length_exceeds_frame': Outcome.Ok,
  // IPv6
  'decode.ipv6.truncated': Outcome.Truncated,
  'decode.ipv6.bad_version': Outcome.Malformed,
  'decode.ipv6.ext_header_truncated': Outcome.Truncated,
  'decode.ipv6.too_many_ext_headers': Outcome.Ok,
  'decode.ipv6.ext_chain_limit': Outcome.Malformed,
  'decode.ipv6.zero_payload_length': Outcome.Ok,
  'decode.ipv6.length_exceeds_frame': Outcome.Ok,
  // fragments
  'decode.fragments.table_full': Outcome.Ok,
  'decode.fragments.first_not_seen': Outcome.Ok,
  // transport
  'decode.tcp.truncated': Outcome.Truncated,
  'decode.tcp.bad_data_offset': Outcome.Malformed,
  'decode.udp.truncated': Outcome.Truncated,
  'decode.udp.bad_length': Outcome.Malformed,
  'decode.udp.length_exceeds_ip': Outcome.Ok,
  'decode.sctp.truncated': Outcome.Truncated,
  'decode.icmp.truncated': Outcome.Truncated,
  'decode.icmp.quoted_truncated': Outcome.Ok,
  'decode.icmp.quoted_malformed': Outcome.Ok,
  'decode.icmpv6.truncated': Outcome.Truncated,
  'decode.icmpv6.quoted_truncated': Outcome.Ok,
  'decode.icmpv6.quoted_malformed': Outcome.Ok,
  // tunnels (a tunnel whose inner packet cannot be decoded to an IP header falls back to the outer packet)
  'decode.tunnel.too_deep': Outcome.Malformed,
  'decode.gre.truncated': Outcome.Truncated,
  'decode.gre.unsupported_version': Outcome.Unsupported,
  'decode.gre.routing_present': Outcome.Unsupported,
  'decode.gre.unsupported_protocol': Outcome.Unsupported,
  'decode.vxlan.truncated': Outcome.Truncated,
  'decode.vxlan.bad_flags': Outcome.Ok,
  'decode.geneve.truncated': Outcome.Truncated,
  'decode.geneve.bad_version': Outcome.Ok,
  'decode.geneve.unsupported_protocol': Outcome.Unsupported,
  'decode.erspan.truncated': Outcome.Truncated,
  'decode.erspan.bad_version': Outcome.Malformed,
  'decode.erspan.unsupported_frame_type': Outcome.Unsupported,
} as const satisfies Record<string, Outcome>;

export type DecodeAnomaly = keyof typeof DECODE_ANOMALIES;

/** Result of a header check: null when the header passed, else the anomaly that describes why not. */
export type Check = DecodeAnomaly | null;

export function anomalyOutcome(name: DecodeAnomaly): Outcome {
  return DECODE_ANOMALIES[name];
}
