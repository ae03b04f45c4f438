/**
 * FlowRow: a finished flow read out of the flow table as plain numbers (addresses as four 32-bit
 * words, IPv4 mapped). One reusable object: the table fills it per finished flow with
 * `FlowTable.readRow`, a consumer copies what it keeps (see FlowStore.addRow), and nothing is
 * allocated per flow. `FlowTable.toRecord` builds the FlowRecord object from the same fill.
 */
import { formatAddr } from '../core/ip.js';
import { communityId } from './community-id.js';
import type { ConnState, FlowRecord, IcmpErrorEvidence } from './record.js';

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

/** Address text from four words, with a cache for IPv4 (servers repeat across flows). */
export class AddressText {
  readonly #v4 = new Map<number, string>();

  of(w: Uint32Array): string {
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
}

/** The FlowRecord of a row (one object); without `withCommunityId` its communityId is '' (no SHA-1). */
export function recordOfRow(r: FlowRow, src: { name: string; kind: FlowRecord['evidence'] } | undefined, text: AddressText, withCommunityId: boolean,
  icmpErrors: IcmpErrorEvidence[], tunnel: FlowRecord['tunnel']): FlowRecord {
  return {
    firstSec: r.firstSec, firstNsec: r.firstNsec, lastSec: r.lastSec, lastNsec: r.lastNsec,
    proto: r.proto,
    origH: text.of(r.orig), origP: r.origP, respH: text.of(r.resp), respP: r.respP,
    origPkts: r.origPkts, respPkts: r.respPkts, origIpBytes: r.origIpBytes, respIpBytes: r.respIpBytes,
    origFlags: r.origFlags, respFlags: r.respFlags,
    connState: r.connState,
    history: r.history,
    directionInferred: r.directionInferred,
    icmpErrors,
    vlan: r.vlan >= 0 ? r.vlan : null,
    tunnel,
    ifIndex: r.ifIndex >= 0 ? r.ifIndex : null,
    communityId: withCommunityId ? communityId(r.orig, r.resp, r.proto, r.origP, r.respP) : '',
    evidence: src?.kind ?? 'pcap',
    source: src?.name ?? '',
    verdict: null,
  };
}
