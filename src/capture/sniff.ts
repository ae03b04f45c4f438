/**
 * Recognise a capture from its first bytes (never from the file name). Formats we do not read get
 * a kind and a sentence that says what to do.
 */

export type SniffKind = 'pcap' | 'pcapng' | 'gzip' | 'netmon' | 'etl' | 'unknown';

/** Bytes sniffCapture wants to see (fewer is fine at end of input). */
export const SNIFF_BYTES = 16;

function hexBytes(b: Buffer, n: number): string {
  return [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

export function sniffCapture(first: Buffer): { kind: SniffKind; detail: string } {
  if (first.length === 0) return { kind: 'unknown', detail: 'the input is empty (0 bytes)' };
  if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) return { kind: 'gzip', detail: 'gzip-compressed (1f 8b)' };
  if (first.length >= 4) {
    const le = first.readUInt32LE(0), be = first.readUInt32BE(0);
    if (le === 0xa1b2c3d4) return { kind: 'pcap', detail: 'pcap, little-endian, microsecond timestamps (d4 c3 b2 a1)' };
    if (le === 0xa1b23c4d) return { kind: 'pcap', detail: 'pcap, little-endian, nanosecond timestamps (4d 3c b2 a1)' };
    if (be === 0xa1b2c3d4) return { kind: 'pcap', detail: 'pcap, big-endian, microsecond timestamps (a1 b2 c3 d4)' };
    if (be === 0xa1b23c4d) return { kind: 'pcap', detail: 'pcap, big-endian, nanosecond timestamps (a1 b2 3c 4d)' };
    if (be === 0x0a0d0d0a) {
      if (first.length >= 12) {
        const bom = first.readUInt32LE(8);
        if (bom === 0x1a2b3c4d) return { kind: 'pcapng', detail: 'pcapng, first section little-endian' };
        if (bom === 0x4d3c2b1a) return { kind: 'pcapng', detail: 'pcapng, first section big-endian' };
      }
      return { kind: 'pcapng', detail: 'pcapng (section header block)' };
    }
    if (le === 0xa1b2cd34 || be === 0xa1b2cd34) {
      return { kind: 'unknown', detail: `a "modified" (Kuznetzov/Red Hat) pcap (first bytes ${hexBytes(first, 4)}), which flowaudit does not read; convert it with: editcap -F pcap in.pcap out.pcap` };
    }
    const ascii = first.toString('latin1', 0, 4);
    if (ascii === 'GMBU' || ascii === 'RTSS') {
      return {
        kind: 'netmon',
        detail: `a Microsoft Network Monitor ${ascii === 'GMBU' ? '2.x' : '1.x'} capture (magic "${ascii}"), which flowaudit does not read; convert it to pcapng with Wireshark: editcap -F pcapng in.cap out.pcapng`,
      };
    }
    if (looksLikeEtl(first)) {
      return { kind: 'etl', detail: `a Windows ETL trace (WMI buffer header), which flowaudit does not read; ${ETL_ADVICE}` };
    }
  }
  return { kind: 'unknown', detail: `not a pcap or pcapng file (first bytes: ${hexBytes(first, SNIFF_BYTES)})` };
}

export const ETL_ADVICE = 'convert it with "pktmon etl2pcap in.etl --out out.pcapng" (Windows) or etl2pcapng';

/**
 * ETL files are a sequence of WMI buffers; the first starts with a WMI_BUFFER_HEADER whose
 * first three uint32 (LE) are BufferSize, SavedOffset and CurrentOffset. BufferSize is a power of
 * two (4 KiB .. 64 MiB) and both offsets lie inside the buffer. A heuristic: read.ts also uses the
 * `.etl` extension as a hint when the bytes match nothing.
 */
function looksLikeEtl(b: Buffer): boolean {
  if (b.length < 12) return false;
  const size = b.readUInt32LE(0), saved = b.readUInt32LE(4), cur = b.readUInt32LE(8);
  if (size < 4096 || size > 64 * 1024 * 1024 || (size & (size - 1)) !== 0) return false;
  return saved > 0 && saved <= size && cur > 0 && cur <= size;
}
