/** Decode every packet of a capture and compare the audited 5-tuple with tshark's reference. */
import { readCaptures } from '../../../src/capture/read.js';
import type { PacketRecord } from '../../../src/capture/types.js';
import { Anomalies } from '../../../src/core/anomalies.js';
import { formatAddr } from '../../../src/core/ip.js';
import { OUTCOME_NAMES } from '../../../src/core/outcome.js';
import { Decoder } from '../../../src/decode/decoder.js';
import { DecodedPacket } from '../../../src/decode/packet.js';
import type { RefPacket } from './reference.js';

export interface Ours {
  frame: number; outcome: string; ipVersion: number; src: string | null; dst: string | null; proto: number;
  hasPorts: boolean; srcPort: number; dstPort: number; tcpFlags: number; icmpType: number; icmpCode: number; fragment: number; tunnel: number; tunnelDepth: number; outerSrc: string | null; outerDst: string | null; vlan: number; innerVlan: number;
  quoted: { src: string; dst: string; srcPort: number | null; dstPort: number | null } | null;
}

export async function decodeCapture(file: string): Promise<{ packets: Ours[]; anomalies: Anomalies }> {
  const anomalies = new Anomalies();
  const dec = new Decoder(anomalies);
  const out = new DecodedPacket();
  const packets: Ours[] = [];
  let n = 0;
  await readCaptures([file], {}, (rec: PacketRecord) => {
    dec.decode(rec, out);
    n++;
    packets.push({
      frame: n, outcome: OUTCOME_NAMES[out.outcome], ipVersion: out.ipVersion,
      src: out.ipVersion ? formatAddr(out.src) : null, dst: out.ipVersion ? formatAddr(out.dst) : null,
      proto: out.proto, tcpFlags: out.tcpFlags, icmpType: out.icmpType, icmpCode: out.icmpCode, hasPorts: out.hasPorts, srcPort: out.srcPort, dstPort: out.dstPort,
      fragment: out.fragment, tunnel: out.tunnel, tunnelDepth: out.tunnelDepth,
      outerSrc: out.tunnel ? formatAddr(out.outerSrc) : null, outerDst: out.tunnel ? formatAddr(out.outerDst) : null, vlan: out.vlan, innerVlan: out.innerVlan,
      quoted: out.hasQuoted ? {
        src: formatAddr(out.quotedSrc), dst: formatAddr(out.quotedDst),
        srcPort: out.quotedHasPorts ? out.quotedSrcPort : null, dstPort: out.quotedHasPorts ? out.quotedDstPort : null,
      } : null,
    });
  });
  return { packets, anomalies };
}

/** Differences between our decode and tshark's for one packet (empty when they agree). */
export function compare(o: Ours, r: RefPacket): string[] {
  const d: string[] = [];
  if (r.ipVersion !== o.ipVersion) d.push(`ipVersion ${o.ipVersion} vs tshark ${r.ipVersion}`);
  if (r.ipVersion === 0) return d;
  if (r.src !== o.src) d.push(`src ${o.src} vs ${r.src}`);
  if (r.dst !== o.dst) d.push(`dst ${o.dst} vs ${r.dst}`);
  if (r.proto !== null && !Number.isNaN(r.proto) && r.proto !== o.proto) d.push(`proto ${o.proto} vs ${r.proto}`);
  if (r.srcPort !== null) {
    if (!o.hasPorts) d.push(`no ports vs ${r.srcPort}->${r.dstPort}`);
    else if (o.srcPort !== r.srcPort || o.dstPort !== r.dstPort) d.push(`ports ${o.srcPort}->${o.dstPort} vs ${r.srcPort}->${r.dstPort}`);
  } else if (o.hasPorts && (o.proto === 6 || o.proto === 17)) d.push(`ports ${o.srcPort}->${o.dstPort} vs none`);
  if (r.tcpFlags !== null && o.outcome === 'decoded' && o.tcpFlags !== r.tcpFlags) d.push(`tcp flags 0x${o.tcpFlags.toString(16)} vs 0x${r.tcpFlags.toString(16)}`);
  if (r.icmpType !== null && !Number.isNaN(r.icmpType) && o.icmpType !== r.icmpType) d.push(`icmp type ${o.icmpType} vs ${r.icmpType}`);
  if (r.icmpCode !== null && !Number.isNaN(r.icmpCode) && o.icmpCode !== r.icmpCode) d.push(`icmp code ${o.icmpCode} vs ${r.icmpCode}`);
  if (r.quoted !== null) {
    if (o.quoted === null) d.push('no quoted packet vs tshark quote');
    else {
      if (o.quoted.src !== r.quoted.src || o.quoted.dst !== r.quoted.dst) d.push(`quoted ${o.quoted.src}>${o.quoted.dst} vs ${r.quoted.src}>${r.quoted.dst}`);
      if (r.quoted.srcPort !== null && (o.quoted.srcPort !== r.quoted.srcPort || o.quoted.dstPort !== r.quoted.dstPort)) d.push(`quoted ports ${o.quoted.srcPort}->${o.quoted.dstPort} vs ${r.quoted.srcPort}->${r.quoted.dstPort}`);
    }
  }
  if (r.ipLayers - 1 !== o.tunnelDepth) d.push(`tunnel depth ${o.tunnelDepth} vs tshark ${r.ipLayers - 1} IP layers`);
  else if (o.tunnelDepth > 0 && (o.outerSrc !== r.outerSrc || o.outerDst !== r.outerDst)) d.push(`outer ${o.outerSrc}>${o.outerDst} vs ${r.outerSrc}>${r.outerDst}`);
  const vl = o.vlan >= 0 ? (o.innerVlan >= 0 ? [o.vlan, o.innerVlan] : [o.vlan]) : [];
  if (r.vlan.length > 0 && JSON.stringify(vl) !== JSON.stringify(r.vlan.slice(0, 2))) d.push(`vlan ${vl} vs ${r.vlan}`);
  return d;
}
