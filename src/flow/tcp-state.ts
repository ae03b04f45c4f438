/**
 * Per-endpoint TCP state, Zeek-style history letters and Zeek's `conn_state`, as small pure
 * functions over numbers (the flow table keeps the numbers in typed-array columns).
 *
 * The endpoint state machine follows Zeek's TCPSessionAdapter (UpdateInactiveState,
 * UpdateSYN_SentState, UpdateEstablishedState, UpdateClosedState); `connState` is Zeek's
 * `conn_state()` from base/protocols/conn/main.zeek. Differences (documented in notes/flow.md):
 * no sequence-number tracking (so no 'T'/'G'/'W'/'C' letters, and a repeated SYN/FIN/RST with a
 * new sequence number is not recorded twice), and the "FIN then RST turns back into CLOSED" rule
 * of UpdateEstablishedState is not applied.
 */

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Zeek's EndpointState values. */
export const Tcp = { INACTIVE: 0, SYN_SENT: 1, SYN_ACK_SENT: 2, PARTIAL: 3, ESTABLISHED: 4, CLOSED: 5, RESET: 6 } as const;
export type TcpState = (typeof Tcp)[keyof typeof Tcp];
export const TCP_STATE_NAMES = ['INACTIVE', 'SYN_SENT', 'SYN_ACK_SENT', 'PARTIAL', 'ESTABLISHED', 'CLOSED', 'RESET'] as const;

/**
 * Advance both endpoint states for one packet sent by `isOrig`'s side. Returns the pair packed
 * as `(orig << 4) | resp`. Pure.
 */
export function tcpStep(origState: number, respState: number, isOrig: boolean, flags: number, payloadLen: number): number {
  let e = isOrig ? origState : respState;
  let p = isOrig ? respState : origState;
  const syn = (flags & TcpFlag.SYN) !== 0, ack = (flags & TcpFlag.ACK) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0, rst = (flags & TcpFlag.RST) !== 0;
  switch (e) {
    case Tcp.INACTIVE:
      if (syn) {
        if (isOrig) e = ack ? Tcp.SYN_ACK_SENT : Tcp.SYN_SENT;
        else {
          if (p === Tcp.SYN_SENT) p = Tcp.ESTABLISHED;
          e = Tcp.ESTABLISHED;
        }
      }
      if (fin) e = Tcp.CLOSED;
      if (rst) e = Tcp.RESET;
      if (e === Tcp.INACTIVE) {
        const origSt = isOrig ? e : p;
        if (!isOrig && payloadLen === 0 && origSt === Tcp.SYN_SENT) { /* early ACK of a SYN: not partial */ }
        else if (ack && p === Tcp.ESTABLISHED) e = Tcp.ESTABLISHED; // missed the SYN, saw SYN-ACK then ACK
        else e = Tcp.PARTIAL;
      }
      break;
    case Tcp.SYN_SENT:
    case Tcp.SYN_ACK_SENT:
      if (fin) e = Tcp.CLOSED;
      if (rst) e = Tcp.RESET;
      break;
    case Tcp.ESTABLISHED:
    case Tcp.PARTIAL:
      if (syn && e === Tcp.PARTIAL && p === Tcp.INACTIVE && !ack) e = Tcp.SYN_SENT;
      if (fin && !rst) e = Tcp.CLOSED;
      if (rst) e = Tcp.RESET;
      break;
    case Tcp.CLOSED:
      if (rst && p !== Tcp.CLOSED) e = Tcp.RESET;
      break;
    default:
      break;
  }
  return isOrig ? (e << 4) | p : (p << 4) | e;
}

/**
 * History letters. Index 0..7 for the originator (upper case), 8..15 for the responder (lower
 * case). 'Q' = multi-flag (SYN with FIN or RST), 'I' = FIN+RST.
 */
export const HIST_LETTERS = 'SHADFRQIshadfrqi';
export const H = { S: 0, H: 1, A: 2, D: 3, F: 4, R: 5, Q: 6, I: 7 } as const;

/** The history letter (0..7, orig form) a packet contributes, or -1 (Zeek's update_history). */
export function historyLetter(flags: number, payloadLen: number): number {
  const syn = (flags & TcpFlag.SYN) !== 0, fin = (flags & TcpFlag.FIN) !== 0, rst = (flags & TcpFlag.RST) !== 0;
  const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (n > 1) return fin && rst ? H.I : H.Q;
  if (n === 1) {
    if (syn) return (flags & TcpFlag.ACK) !== 0 ? H.H : H.S;
    if (fin) return H.F;
    return H.R;
  }
  if (payloadLen > 0) return H.D;
  if ((flags & TcpFlag.ACK) !== 0) return H.A;
  return -1;
}

// historyString's cache: texts by (letter mask and flipped, nibbles), direct-mapped, with integer
// keys in typed arrays (no boxed key per lookup)
const HISTORY_SLOTS = 4096;
const hcMask = new Int32Array(HISTORY_SLOTS).fill(-1), hcSeq = new Int32Array(HISTORY_SLOTS);
const hcText: string[] = new Array<string>(HISTORY_SLOTS).fill('');

/**
 * The history text from the letter mask and the nibble sequence (cached: most flows share a few
 * histories such as "ShADdFf" or "Dd", so records share the strings).
 */
export function historyString(mask: number, seq0: number, seq1: number, flipped: boolean): string {
  if (seq1 !== 0) return buildHistory(mask, seq0, seq1, flipped);
  const mk = (mask << 1) | (flipped ? 1 : 0), sq = seq0 | 0;
  const slot = (Math.imul(mk ^ Math.imul(sq, 0x9e3779b1), 0x85ebca77) >>> 20) & (HISTORY_SLOTS - 1);
  if (hcMask[slot] === mk && hcSeq[slot] === sq) return hcText[slot]!;
  const h = buildHistory(mask, seq0, seq1, flipped);
  hcMask[slot] = mk; hcSeq[slot] = sq; hcText[slot] = h;
  return h;
}

function buildHistory(mask: number, seq0: number, seq1: number, flipped: boolean): string {
  let s = flipped ? '^' : '';
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  for (let i = 0; i < n; i++) {
    const nib = i < 8 ? (seq0 >>> (i * 4)) & 15 : (seq1 >>> ((i - 8) * 4)) & 15;
    s += HIST_LETTERS[nib];
  }
  return s;
}

/** Zeek's `conn_state` for TCP from the two endpoint states, the history string and whether any payload was seen. */
export function tcpConnState(os: number, rs: number, history: string, anyPayload: boolean): string {
  const oInactive = os === Tcp.INACTIVE || os === Tcp.PARTIAL;
  const rInactive = rs === Tcp.INACTIVE || rs === Tcp.PARTIAL;
  if (rs === Tcp.RESET) {
    if (os === Tcp.SYN_SENT || os === Tcp.SYN_ACK_SENT || (os === Tcp.RESET && !anyPayload)) return 'REJ';
    if (oInactive) return 'RSTRH';
    return 'RSTR';
  }
  if (os === Tcp.RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === Tcp.CLOSED && os === Tcp.CLOSED) return 'SF';
  if (os === Tcp.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === Tcp.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === Tcp.SYN_SENT && rs === Tcp.INACTIVE) return 'S0';
  if (os === Tcp.ESTABLISHED && rs === Tcp.ESTABLISHED) return 'S1';
  return 'OTH';
}

/** Zeek's `conn_state` for UDP: by which sides sent anything. Other protocols are 'OTH'. */
export function udpConnState(origPkts: number, respPkts: number): string {
  if (origPkts > 0) return respPkts > 0 ? 'SF' : 'S0';
  return respPkts > 0 ? 'SHR' : 'OTH';
}
