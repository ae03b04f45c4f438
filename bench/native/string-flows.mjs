// string-flows.mjs — the decode and flow map that the npm-package peers (pcap-parser, node_pcap)
// share, as in the peer benchmark: Ethernet + up to 2 VLAN tags, IPv4/IPv6 (no extension headers),
// TCP/UDP ports, and a Map keyed by a string of the canonical bidirectional 5-tuple. The usual way a
// Node program built on these packages counts flows.
export function createStringFlows() {
  const flows = new Map();
  let packets = 0;
  return {
    get packets() { return packets; },
    get flows() { return flows.size; },
    /** One Ethernet frame: d[0 .. end), origLen bytes on the wire. */
    add(d, end, origLen) {
      packets++;
      if (end < 14) return;
      let p = 12;
      let et = d.readUInt16BE(p);
      for (let v = 0; v < 2 && (et === 0x8100 || et === 0x88a8) && p + 6 <= end; v++) { p += 4; et = d.readUInt16BE(p); }
      p += 2;
      let s, t, proto;
      if (et === 0x0800 && p + 20 <= end) {
        proto = d[p + 9];
        s = `${d[p + 12]}.${d[p + 13]}.${d[p + 14]}.${d[p + 15]}`;
        t = `${d[p + 16]}.${d[p + 17]}.${d[p + 18]}.${d[p + 19]}`;
        p += (d[p] & 15) * 4;
      } else if (et === 0x86dd && p + 40 <= end) {
        proto = d[p + 6];
        s = d.toString('hex', p + 8, p + 24);
        t = d.toString('hex', p + 24, p + 40);
        p += 40;
      } else return;
      let sp = 0, dp = 0;
      if ((proto === 6 || proto === 17) && p + 4 <= end) { sp = d.readUInt16BE(p); dp = d.readUInt16BE(p + 2); }
      const a = `${s}/${sp}`, b = `${t}/${dp}`;
      const key = a < b ? `${proto} ${a} ${b}` : `${proto} ${b} ${a}`;
      const f = flows.get(key);
      if (f === undefined) flows.set(key, { pkts: 1, bytes: origLen });
      else { f.pkts++; f.bytes += origLen; }
    },
  };
}
