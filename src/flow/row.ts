/**
 * FlowRow: a finished flow read out of the flow table as plain numbers (addresses as four 32-bit
 * words, IPv4 mapped). One reusable object: the table fills it per finished flow with
 * `FlowTable.readRow`, a consumer copies what it keeps (see FlowStore.addRow), and nothing is
 * allocated per flow. `FlowTable.toRecord` builds the FlowRecord object from the same fill.
 */
import type { ConnState } from './record.js';

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
