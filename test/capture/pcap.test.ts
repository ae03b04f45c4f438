/**
 * Classic pcap push core, on files made by the fixture builder: every magic, both byte orders,
 * µs/ns, snaplen, version, damaged and cut-off files. Expected values come from the builder's
 * inputs (what was written), not from the reader's output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PcapParser } from '../../src/capture/pcap-reader.js';
import { sniffCapture } from '../../src/capture/sniff.js';
import { buildPcap, ethIpv4Udp, filler, ipv4Udp, linkFrame, pcapHeader, pcapRecord } from '../helpers/capture-builder.js';
import { LinkType } from '../../src/capture/types.js';
import { parseWith } from '../helpers/capture-collect.js';

const PKTS = [
  { tsSec: 1700000000, tsNsec: 123456789, data: ethIpv4Udp({ payload: 10 }) },
  { tsSec: 1700000001, tsNsec: 999999999, data: filler(60, 1), origLen: 1514 },
  { tsSec: 1700000002, tsNsec: 0, data: ethIpv4Udp({ sport: 88, dport: 50000, payload: 300 }) },
];

for (const bigEndian of [false, true]) {
  for (const nanos of [false, true]) {
    test(`pcap ${bigEndian ? 'BE' : 'LE'} ${nanos ? 'ns' : 'µs'}: magic, header and records`, () => {
      const file = buildPcap({ linkType: 113, nanos, bigEndian, snaplen: 65535, packets: PKTS });
      const s = sniffCapture(file);
      assert.is(s.kind, 'pcap');
      assert.ok(s.detail.includes(bigEndian ? 'big-endian' : 'little-endian'), s.detail);
      const { recs, info } = parseWith(PcapParser, file);
      assert.is(info.format, 'pcap');
      assert.is(info.byteOrder, bigEndian ? 'big-endian' : 'little-endian');
      assert.is(info.tsPrecision, nanos ? 'nanoseconds' : 'microseconds');
      assert.is(info.interfaces.length, 1);
      assert.is(info.interfaces[0]!.linkType, 113);
      assert.is(info.interfaces[0]!.snaplen, 65535);
      assert.is(recs.length, 3);
      let off = 24;
      recs.forEach((r, i) => {
        const p = PKTS[i]!;
        assert.is(r.index, i);
        assert.is(r.linkType, 113);
        assert.is(r.tsSec, p.tsSec);
        // µs files keep microseconds: the nanoseconds below a µs were dropped by the writer
        assert.is(r.tsNsec, nanos ? p.tsNsec : Math.floor(p.tsNsec / 1000) * 1000);
        assert.is(r.capLen, p.data.length);
        assert.is(r.origLen, p.origLen ?? p.data.length);
        assert.is(r.hex, p.data.toString('hex'));
        assert.is(r.fileOffset, off);
        off += 16 + p.data.length;
      });
      assert.ok(info.end.clean);
      assert.is(info.end.offset, file.length);
      assert.is(info.packets, 3);
      assert.is(info.capturedBytes, PKTS.reduce((a, p) => a + p.data.length, 0));
      assert.is(info.firstTsSec, 1700000000);
      assert.is(info.lastTsSec, 1700000002);
    });
  }
}

test('LE and BE variants of the same capture give identical records', () => {
  for (const nanos of [false, true]) {
    const a = parseWith(PcapParser, buildPcap({ nanos, packets: PKTS }));
    const b = parseWith(PcapParser, buildPcap({ nanos, bigEndian: true, packets: PKTS }));
    assert.equal(a.recs, b.recs);
  }
});

test('snaplen honoured like libpcap: longer records are cut to snaplen and counted', () => {
  // tcpdump (libpcap 1.10.3) shows 1 byte of corpus trunc-hdr-snaplen1.pcap, whose header says snaplen 1 and record caplen 8
  const data = filler(100, 3);
  const file = buildPcap({ snaplen: 64, packets: [{ tsSec: 1, data }, { tsSec: 2, data: data.subarray(0, 64) }] });
  const { recs, info } = parseWith(PcapParser, file);
  assert.is(recs.length, 2);
  assert.is(recs[0]!.capLen, 64);
  assert.is(recs[0]!.origLen, 100);
  assert.is(recs[0]!.hex, data.subarray(0, 64).toString('hex'));
  // the next record is still found after the full 100 bytes
  assert.is(recs[1]!.fileOffset, 24 + 16 + 100);
  assert.is(info.anomalies!['capture.pcap.caplen_exceeds_snaplen']!.count, 1);
  assert.is(info.anomalies!['capture.pcap.caplen_exceeds_snaplen']!.firstOffset, 24);
  assert.ok(info.end.clean);
});

test('snaplen 0 means "no limit" (libpcap adjusts it to the maximum)', () => {
  const { recs, info } = parseWith(PcapParser, buildPcap({ snaplen: 0, packets: [{ tsSec: 1, data: filler(3000) }] }));
  assert.is(recs[0]!.capLen, 3000);
  assert.is(info.anomalies!['capture.pcap.caplen_exceeds_snaplen'], undefined);
});

test('record longer than maxRecordLength stops reading with a named reason and offset', () => {
  const good = { tsSec: 1, data: filler(50) };
  const file = Buffer.concat([pcapHeader({ snaplen: 65535 }), pcapRecord(good), pcapRecord({ tsSec: 2, data: filler(20), inclLen: 262145 })]);
  const { recs, info } = parseWith(PcapParser, file);
  assert.is(recs.length, 1);
  assert.is(info.end.clean, false);
  assert.is(info.end.code, 'capture.pcap.record_too_large');
  assert.is(info.end.offset, 24 + 16 + 50);
  assert.match(info.end.reason!, /record 2 .*262145/);
  // a smaller limit as an option is honoured too
  const small = parseWith(PcapParser, buildPcap({ packets: [good, { tsSec: 2, data: filler(2000) }] }), undefined, { maxRecordLength: 1500 });
  assert.is(small.recs.length, 1);
  assert.is(small.info.end.code, 'capture.pcap.record_too_large');
});

test('unsupported version is reported with its offset', () => {
  const file = buildPcap({ versionMajor: 1, versionMinor: 4, packets: PKTS });
  const { recs, info } = parseWith(PcapParser, file);
  assert.is(recs.length, 0);
  assert.is(info.end.code, 'capture.pcap.unsupported_version');
  assert.is(info.end.offset, 4);
  assert.match(info.end.reason!, /version 1\.4/);
});

test('cut-off files: inside the file header, a record header, a record body', () => {
  const file = buildPcap({ packets: PKTS });
  let r = parseWith(PcapParser, file.subarray(0, 10));
  assert.is(r.info.end.code, 'capture.pcap.truncated_file_header');
  assert.is(r.info.end.offset, 0);
  const rec2 = 24 + 16 + PKTS[0]!.data.length;
  r = parseWith(PcapParser, file.subarray(0, rec2 + 7));
  assert.is(r.recs.length, 1);
  assert.is(r.info.end.code, 'capture.pcap.truncated_record_header');
  assert.is(r.info.end.offset, rec2);
  r = parseWith(PcapParser, file.subarray(0, rec2 + 16 + 20));
  assert.is(r.recs.length, 1);
  assert.is(r.info.end.code, 'capture.pcap.truncated_record');
  assert.is(r.info.end.offset, rec2);
  assert.is(r.info.end.reason, `file ends inside record 2 (header at byte ${rec2}, needs 60 bytes, 20 present)`);
});

test('empty pcap (header only) ends cleanly with 0 packets', () => {
  const { recs, info } = parseWith(PcapParser, pcapHeader());
  assert.is(recs.length, 0);
  assert.ok(info.end.clean);
  assert.is(info.interfaces.length, 1);
});

test('microsecond fraction >= 1e6 is carried into seconds and counted', () => {
  const { recs, info } = parseWith(PcapParser, buildPcap({ packets: [{ tsSec: 10, tsFrac: 2500000, data: filler(4) }] }));
  assert.is(recs[0]!.tsSec, 12);
  assert.is(recs[0]!.tsNsec, 500000000);
  assert.is(info.anomalies!['capture.pcap.ts_fraction_out_of_range']!.count, 1);
});

test('every link type the builder knows is carried through with its frames unchanged', () => {
  for (const lt of Object.values(LinkType)) {
    const frame = linkFrame(lt, ipv4Udp({ payload: 5 }));
    const { recs, info } = parseWith(PcapParser, buildPcap({ linkType: lt, packets: [{ tsSec: 1, data: frame }] }));
    assert.is(info.interfaces[0]!.linkType, lt);
    assert.is(recs[0]!.linkType, lt);
    assert.is(recs[0]!.hex, frame.toString('hex'));
  }
});

test.run();
