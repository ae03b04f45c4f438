/**
 * FlowRow: a finished flow read out of the flow table as plain numbers (addresses as four 32-bit
 * words, IPv4 mapped). One reusable object: the table fills it per finished flow with
 * `FlowTable.readRow`, a consumer copies what it keeps (see FlowStore.addRow), and nothing is
 * allocated per flow. `FlowTable.toRecord` builds the FlowRecord object from the same fill.
 */
import { formatAddr } from '../core/ip.js';
import { communityId } from './community-id.js';
import { NO_ICMP_ERRORS, type ConnState, type EvidenceKind, type FlowRecord } from './record.js';

export class FlowRow {
  firstSec = 0; firstNsec = 0; lastSec = 0; lastNsec = 0;
  proto = 0;
  /** Originator and responder addresses as four words each (IPv4 mapped: 0, 0, 0xffff, v4). */
  readonly orig = new Uint32Array(4);
  readonly resp = new Uint32Array(4);
  /** Ports (ICMP: type and code of the originator's message, as in FlowRecord). */
  origP = 0; respP = 0;
  origPkts = 0; respPkts = 0; origIpBytes = 0; respIpBytes = 0;
  origFlags = 0; respFlags = 0;
  connState: ConnState = '';
  /** Zeek history letters (shared cached strings). */
  history = '';
  directionInferred = false;
  /** Outer VLAN id, or -1 for none. */
  vlan = -1;
  /** Interface id within the input, or -1 for none. */
  ifIndex = -1;
  /** Input the flow came from (FlowTable.setSource). */
  fileIndex = 0;
}

/**
 * Fills FlowRecords from FlowRows: what FlowTable.recordInto does for a flow of the table, for a
 * row read anywhere (a packed row in another thread, say). Address texts of IPv4 addresses are
 * cached (servers repeat across flows). The record comes with no ICMP errors and no tunnel: a caller
 * whose rows carry them puts them on (FlowTable.icmpErrorsOf and tunnelOf; packedIcmpErrors and
 * packedTunnel for PackedRows).
 */
export class RowRecords {
  readonly #v4 = new Map<number, string>();

  /** Address text of four words (IPv4 mapped). */
  addr(w: Uint32Array): string {
    if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) {
      const v = w[3]!;
      let s = this.#v4.get(v);
      if (s === undefined) {
        if (this.#v4.size >= 65536) this.#v4.clear();
        s = formatAddr(w);
        this.#v4.set(v, s);
      }
      return s;
    }
    return formatAddr(w);
  }

  /** Fill `out` from row r of the input `src`; without `withCommunityId` its communityId is '' (no SHA-1). */
  fill(r: FlowRow, src: { name: string; kind: EvidenceKind } | undefined, out: FlowRecord, withCommunityId = true): FlowRecord {
    return this.fillWith(r, src, out, this.addr(r.orig), this.addr(r.resp), withCommunityId);
  }

  /** fill() with the address texts given (a caller that keeps its own table of addresses). */
  fillWith(r: FlowRow, src: { name: string; kind: EvidenceKind } | undefined, out: FlowRecord, origH: string, respH: string, withCommunityId: boolean): FlowRecord {
    out.firstSec = r.firstSec; out.firstNsec = r.firstNsec; out.lastSec = r.lastSec; out.lastNsec = r.lastNsec;
    out.proto = r.proto;
    out.origH = origH; out.origP = r.origP; out.respH = respH; out.respP = r.respP;
    out.origPkts = r.origPkts; out.respPkts = r.respPkts; out.origIpBytes = r.origIpBytes; out.respIpBytes = r.respIpBytes;
    out.origFlags = r.origFlags; out.respFlags = r.respFlags;
    out.connState = r.connState;
    out.history = r.history;
    out.directionInferred = r.directionInferred;
    out.icmpErrors = NO_ICMP_ERRORS;
    out.vlan = r.vlan >= 0 ? r.vlan : null;
    out.tunnel = null;
    out.ifIndex = r.ifIndex >= 0 ? r.ifIndex : null;
    out.communityId = withCommunityId ? communityId(r.orig, r.resp, r.proto, r.origP, r.respP) : '';
    out.evidence = src?.kind ?? 'pcap';
    out.source = src?.name ?? '';
    out.verdict = null;
    return out;
  }
}
