/**
 * IP-in-IP (IP protocol 4: IPv4 inside IPv4 or IPv6, RFC 2003/2473) and 6in4 (IP protocol 41:
 * IPv6 inside IPv4 or IPv6, RFC 4213). No header of their own: the inner IP header follows.
 */
export const IPIP = { PROTO_IPV4: 4, PROTO_IPV6: 41 } as const;

/** Largest tunnel nesting decoded (outer + 8 inner IP layers); deeper counts decode.tunnel.too_deep. */
export const MAX_TUNNEL_DEPTH = 8;
