/**
 * Which side is the originator when no SYN says so (UDP, TCP picked up mid-stream, ICMP).
 *
 * Rule (documented in notes/flow.md "Which side is the originator"):
 *   - TCP SYN without ACK: its sender. TCP SYN-ACK first: the other side (direction inferred).
 *   - otherwise the first packet's sender, UNLESS its source port is a service port and its
 *     destination port is not; then the receiver is the originator (direction inferred).
 * A service port is any port below 1024 or one of the hybrid-identity / common server ports below.
 * 49152–65535 is deliberately NOT in the list: it is Windows' ephemeral client range and also the
 * RPC dynamic range, so a port there never outranks a real service port (445 ↔ 50000 → resp_p 445),
 * and a SYN to 49667 still makes 49667 the responder port (the SYN rule comes first).
 */

/** Service ports at or above 1024 (below 1024 every port counts as a service port). */
export const SERVICE_PORTS_HIGH: readonly number[] = [
  1433, 1434, 1521, 1645, 1646, 1812, 1813, 2049, 2179, 3268, 3269, 3306, 3343, 3389, 5060, 5061, 5355, 5432, 5671,
  5722, 5985, 5986, 8080, 8443, 9090, 9091, 9350, 9352, 9389, 10100, 10101, 10102, 10103, 10104, 10105, 10106,
  10107, 10108, 10109, 10110, 10111, 10112, 10113, 10114, 10115, 10116, 10117, 10118, 10119, 10120, 47001,
];

const serviceBits = new Uint8Array(65536);
for (let p = 0; p < 1024; p++) serviceBits[p] = 1;
for (const p of SERVICE_PORTS_HIGH) serviceBits[p] = 1;

export function isServicePort(port: number): boolean {
  return serviceBits[port & 0xffff] === 1;
}

/**
 * True when the receiver of the first packet (not its sender) should be the originator under the
 * port heuristic. Pure.
 */
export function receiverIsOriginator(srcPort: number, dstPort: number): boolean {
  return serviceBits[srcPort & 0xffff] === 1 && serviceBits[dstPort & 0xffff] !== 1;
}
