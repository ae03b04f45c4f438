/**
 * Idle timeouts in PACKET time, by protocol × state. A flow whose last packet is older than its
 * timeout (measured from the newest packet seen) is finished: the next packet of the same 5-tuple
 * starts a new flow record. Defaults (seconds):
 *
 *   tcpEstablished 3600  both sides past the handshake, or picked up mid-stream, no FIN/RST
 *   tcpAttempt       60  SYN sent, nothing back yet (covers Windows' 3 SYN retries, 21 s)
 *   tcpHalfClosed   300  one side sent FIN
 *   tcpClosed         5  both sides FIN, or a RST (a late retransmission within 5 s still joins)
 *   udp              60
 *   icmp             60
 *   other            60
 */
import { Tcp } from './tcp-state.js';

export interface Timeouts {
  tcpEstablished: number;
  tcpAttempt: number;
  tcpHalfClosed: number;
  tcpClosed: number;
  udp: number;
  icmp: number;
  other: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({
  tcpEstablished: 3600, tcpAttempt: 60, tcpHalfClosed: 300, tcpClosed: 5, udp: 60, icmp: 60, other: 60,
});

/** Timeout classes (index into a Float64Array built from Timeouts). */
export const TO = { TCP_EST: 0, TCP_ATTEMPT: 1, TCP_HALF: 2, TCP_CLOSED: 3, UDP: 4, ICMP: 5, OTHER: 6 } as const;

export function timeoutVector(t: Timeouts): Float64Array {
  return Float64Array.of(t.tcpEstablished, t.tcpAttempt, t.tcpHalfClosed, t.tcpClosed, t.udp, t.icmp, t.other);
}

/** Timeout class of a flow. Pure. */
export function timeoutClass(proto: number, os: number, rs: number): number {
  if (proto === 6) {
    if (os === Tcp.RESET || rs === Tcp.RESET || (os === Tcp.CLOSED && rs === Tcp.CLOSED)) return TO.TCP_CLOSED;
    if (os === Tcp.CLOSED || rs === Tcp.CLOSED) return TO.TCP_HALF;
    if ((os === Tcp.SYN_SENT || os === Tcp.SYN_ACK_SENT) && (rs === Tcp.INACTIVE)) return TO.TCP_ATTEMPT;
    if ((rs === Tcp.SYN_ACK_SENT) && (os === Tcp.INACTIVE)) return TO.TCP_ATTEMPT;
    return TO.TCP_EST;
  }
  if (proto === 17) return TO.UDP;
  if (proto === 1 || proto === 58) return TO.ICMP;
  return TO.OTHER;
}

export function resolveTimeouts(partial: Partial<Timeouts> | undefined): Timeouts {
  const t: Timeouts = { ...DEFAULT_TIMEOUTS };
  if (partial) for (const k of Object.keys(t) as (keyof Timeouts)[]) { const v = partial[k]; if (v !== undefined) t[k] = v; }
  return t;
}
