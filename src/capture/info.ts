/**
 * Small helpers shared by the capture readers: fresh CaptureInfo / PacketRecord objects, the
 * end-of-read bookkeeping and container anomalies. Nothing here runs per packet except
 * `notePacket` (a few number updates on objects that already exist).
 */
import type { CaptureInfo, InterfaceInfo, PacketRecord } from './types.js';
import { LINK_TYPE_NAMES } from './types.js';

/** Default limits (libpcap: MAXIMUM_SNAPLEN 262144; pcapng max block 16 MiB like BT_SHB_INSANE_MAX). */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_MAX_BLOCK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_LENGTH = 262144;

export function newCaptureInfo(file: string): CaptureInfo {
  return {
    file, format: null, compressed: null, byteOrder: null, tsPrecision: null, sections: 0, interfaces: [],
    packets: 0, capturedBytes: 0, fileBytes: 0,
    firstTsSec: 0, firstTsNsec: 0, lastTsSec: 0, lastTsNsec: 0,
    skippedBlocks: {}, end: { clean: true, code: null, offset: 0, reason: null }, anomalies: {},
  };
}

export function newPacketRecord(fileIndex: number): PacketRecord {
  return {
    index: 0, fileIndex, ifIndex: 0, linkType: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0,
    data: Buffer.alloc(0), offset: 0, direction: 0, fileOffset: 0,
  };
}

export function linkTypeName(lt: number): string {
  return LINK_TYPE_NAMES[lt] ?? `LINKTYPE_${lt}`;
}

export function newInterface(id: number, section: number, linkType: number, snaplen: number, digits: number): InterfaceInfo {
  return { id, section, linkType, linkTypeName: linkTypeName(linkType), snaplen, name: null, tsResolutionDigits: digits, tsOffsetSec: 0, packets: 0 };
}

/** Record that reading stopped (damage or cut-off). The first call wins. */
export function setDamage(info: CaptureInfo, code: string, offset: number, reason: string): void {
  if (!info.end.clean) return;
  info.end.clean = false;
  info.end.code = code;
  info.end.offset = offset;
  info.end.reason = reason;
}

export function addCaptureAnomaly(info: CaptureInfo, name: string, packetIndex: number, offset: number): void {
  const a = (info.anomalies ??= {});
  const e = a[name];
  if (e !== undefined) e.count++;
  else a[name] = { count: 1, firstPacket: packetIndex, firstOffset: offset };
}

export function countSkipped(info: CaptureInfo, kind: string): void {
  info.skippedBlocks[kind] = (info.skippedBlocks[kind] ?? 0) + 1;
}

/** Per-packet counters: packets, bytes, earliest and latest timestamp (capinfos-style span). */
export function notePacket(info: CaptureInfo, rec: PacketRecord): void {
  notePackets(info, 1, rec.capLen, rec.tsSec, rec.tsNsec, rec.tsSec, rec.tsNsec);
}

/** Count `n` packets of `bytes` captured bytes in all, whose times span [first, last], as read. */
export function notePackets(info: CaptureInfo, n: number, bytes: number, firstSec: number, firstNsec: number, lastSec: number, lastNsec: number): void {
  if (info.packets === 0) {
    info.firstTsSec = firstSec; info.firstTsNsec = firstNsec; info.lastTsSec = lastSec; info.lastTsNsec = lastNsec;
  } else {
    if (firstSec < info.firstTsSec || (firstSec === info.firstTsSec && firstNsec < info.firstTsNsec)) { info.firstTsSec = firstSec; info.firstTsNsec = firstNsec; }
    if (lastSec > info.lastTsSec || (lastSec === info.lastTsSec && lastNsec > info.lastTsNsec)) { info.lastTsSec = lastSec; info.lastTsNsec = lastNsec; }
  }
  info.packets += n;
  info.capturedBytes += bytes;
}

export function hex(b: Buffer, n = 16): string {
  return [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}
