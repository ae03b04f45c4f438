/**
 * Community ID v1 against the spec's published vectors (corelight/community-id-spec baseline,
 * repeated in Zeek's testing/btest community_id test and other implementations):
 *   tcp  1.2.3.4:1122 → 5.6.7.8:3344 seed 0  1:wCb3OG7yAFWelaUydu0D+125CLM=   seed 1  1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=
 *   udp  same                          seed 0  1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=   seed 1  1:OShq+iKDAMVouh/4bMxB9Sz4amw=
 *   icmp 1.2.3.4 8/0 → 5.6.7.8         seed 0  1:crodRHL2FEsHjbv3UkRrfbs4bZ0=   seed 1  1:9pr4ZGTICiuZoIh90RRYE2RyXpU=
 *   icmp6 fe80:1:203:405:607:809:a0b:c0d 128 → fe80:1011:1213:1415:1617:1819:1a1b:1c1d
 *                                      seed 0  1:0bf7hyMJUwt3fMED7z8LIfRpBeo=   seed 1  1:IO27GQzPuCtNnwFvjWALMHu5tJE=
 *   rsvp (46, no ports) 1.2.3.4 → 5.6.7.8 seed 0 1:ikv3kmf89luf73WPz1jOs49S768=
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { communityId, sha1Base64 } from '../../src/flow/community-id.js';
import { createHash, randomBytes } from 'node:crypto';
import { parseAddr } from '../../src/core/ip.js';
import { run } from './synth.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatherEvidence } from '../../src/cli/gather.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildPcap } from '../helpers/capture-builder.js';
import { withTmpDir } from '../helpers/tmp-dir.js';
import { TUNNELS, writeTunnelCapture } from '../helpers/tunnel-capture.js';
import { eth, ipv4, tcp, udp } from '../decode/helpers/build.js';
import type { FlowRecord } from '../../src/flow/record.js';

const a = (s: string) => parseAddr(s)!;
const v6a = 'fe80:1:203:405:607:809:a0b:c0d', v6b = 'fe80:1011:1213:1415:1617:1819:1a1b:1c1d';

test('spec vectors, seed 0, both directions', () => {
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 6, 1122, 3344), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.is(communityId(a('5.6.7.8'), a('1.2.3.4'), 6, 3344, 1122), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 17, 1122, 3344), '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  assert.is(communityId(a('5.6.7.8'), a('1.2.3.4'), 17, 3344, 1122), '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=');
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 1, 8, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.is(communityId(a('5.6.7.8'), a('1.2.3.4'), 1, 0, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
  assert.is(communityId(a(v6a), a(v6b), 58, 128, 0), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
  assert.is(communityId(a(v6b), a(v6a), 58, 129, 0), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 46, 0, 0), '1:ikv3kmf89luf73WPz1jOs49S768=');
});

test('spec vectors, seed 1', () => {
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 6, 1122, 3344, 1), '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=');
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 17, 1122, 3344, 1), '1:OShq+iKDAMVouh/4bMxB9Sz4amw=');
  assert.is(communityId(a('1.2.3.4'), a('5.6.7.8'), 1, 8, 0, 1), '1:9pr4ZGTICiuZoIh90RRYE2RyXpU=');
  assert.is(communityId(a(v6a), a(v6b), 58, 128, 0, 1), '1:IO27GQzPuCtNnwFvjWALMHu5tJE=');
});

test('flow records carry the Community ID of their 5-tuple', () => {
  const { flows } = run([{ src: '1.2.3.4', dst: '5.6.7.8', sport: 1122, dport: 3344, flags: 2 }]);
  assert.is(flows[0]!.communityId, '1:wCb3OG7yAFWelaUydu0D+125CLM=');
  const icmp = run([{ proto: 1, src: '5.6.7.8', dst: '1.2.3.4', icmpType: 0, icmpCode: 0 }]).flows[0]!;
  assert.is(icmp.communityId, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
});

test('sha1Base64 (the hand-written one-block SHA-1) = node:crypto for every length 0..55 and random bytes', () => {
  // FIPS 180-2 appendix A.1 "abc" and the empty message (well-known digests, independent of node:crypto)
  const abc = new Uint8Array(64); abc.set([0x61, 0x62, 0x63]);
  assert.is(sha1Base64(abc, 3), Buffer.from('a9993e364706816aba3e25717850c26c9cd0d89d', 'hex').toString('base64'));
  assert.is(sha1Base64(new Uint8Array(64), 0), Buffer.from('da39a3ee5e6b4b0d3255bfef95601890afd80709', 'hex').toString('base64'));
  for (let n = 0; n <= 55; n++) {
    for (let r = 0; r < 40; r++) {
      const msg = r === 0 ? Buffer.alloc(n, 0xff) : randomBytes(n);
      const block = new Uint8Array(64); block.set(msg); block.fill(0xa5, n);
      assert.is(sha1Base64(block, n), createHash('sha1').update(msg).digest('base64'), `n=${n} ${msg.toString('hex')}`);
    }
  }
  assert.throws(() => sha1Base64(new Uint8Array(64), 56));
});

const pilot = fileURLToPath(new URL('../../../shared/corpus/pilot/pilot-full.pcap', import.meta.url));
const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

test('pilot-full.pcap: every TCP/UDP flow has the Community ID tshark computes for its packets (tshark --enable-protocol communityid)', async () => {
  if (!tshark || !existsSync(pilot)) { console.log('skip: tshark or ../shared/corpus not available'); return; }
  const r = spawnSync('tshark', ['-n', '--enable-protocol', 'communityid', '-r', pilot, '-T', 'fields',
    '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'udp.dstport', '-e', 'communityid'],
  { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  const want = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [sh, tsp, usp, dh, tdp, udp, cid] = line.split('\t');
    if (!cid || !sh || sh.includes(',')) continue; // no IP, or an ICMP error quoting a packet
    const proto = tsp ? 6 : udp || usp ? 17 : 0;
    if (proto === 0) continue;
    const k = [proto, ...[`${sh}#${tsp || usp}`, `${dh}#${tdp || udp}`].sort()].join('|');
    want.set(k, cid);
  }
  const ev = await gatherEvidence([pilot]);
  let n = 0;
  for (const f of ev.flows) {
    if (f.proto !== 6 && f.proto !== 17) continue;
    const k = [f.proto, ...[`${f.origH}#${f.origP}`, `${f.respH}#${f.respP}`].sort()].join('|');
    assert.is(f.communityId, want.get(k), k);
    n++;
  }
  assert.is(n, 128);
});

test('flow records of tunnelled flows carry their Community ID, and none (no SHA-1) with communityIds: false, as the audit reads them; nothing else differs', async () => {
  await withTmpDir('fa-cid-', async (dir) => {
    // TCP sessions inside VXLAN (records, not rows: flows with a tunnel are emitted as records)
    const vxlan = (inner: Buffer) => eth(0x0800, ipv4({ src: '10.99.0.1', dst: '10.99.0.2', proto: 17 }, udp(40000, 4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0x10, 0]), inner]))));
    const packets = [];
    for (let i = 0; i < 6; i++) {
      const c = `10.1.1.${i + 1}`;
      packets.push({ tsSec: 1_700_000_000 + i, data: vxlan(eth(0x0800, ipv4({ src: c, dst: '10.2.2.2' }, tcp({ sport: 50000 + i, dport: 389, flags: 0x02 })))) });
      packets.push({ tsSec: 1_700_000_000 + i, tsNsec: 1000, data: vxlan(eth(0x0800, ipv4({ src: '10.2.2.2', dst: c }, tcp({ sport: 389, dport: 50000 + i, flags: 0x12 })))) });
    }
    const file = path.join(dir, 'vxlan.pcap');
    writeFileSync(file, buildPcap({ packets }));
    const withIds = (await gatherEvidence([file])).flows, without = (await gatherEvidence([file], { communityIds: false })).flows;
    assert.is(withIds.length, 6);
    for (let i = 0; i < 6; i++) {
      const f = withIds[i]!, g = without[i]!;
      assert.ok(f.tunnel !== null, 'a tunnelled flow');
      assert.is(f.communityId, communityId(a(f.origH), a(f.respH), 6, f.origP, f.respP));
      assert.is(g.communityId, '');
      assert.equal({ ...g, communityId: f.communityId }, f);
    }
  });
});

test('tunnelled flows are rows (a row sink reads the tunnel with tunnelOf); tunnelEndpoints: false (the audit) keeps no tunnel; nothing else differs', async () => {
  await withTmpDir('fa-tun-', async (dir) => {
    // sessions inside VXLAN and ERSPAN (taken by the core) and GRE with a checksum (by the decoder)
    const file = path.join(dir, 'tunnels.pcap');
    writeTunnelCapture(file, 9);
    const gather = async (tunnelEndpoints: boolean) => {
      const rows: FlowRecord[] = [];
      const records = (await gatherEvidence([file], {
        tunnelEndpoints,
        rowSink: (t, f) => {
          const r = t.toRecord(f);
          assert.is(t.tunnelOf(f), r.tunnel, 'tunnelOf is the record\'s tunnel');
          rows.push(r);
          return true;
        },
      })).flows;
      return { rows, records };
    };
    const kept = await gather(true), dropped = await gather(false);
    assert.equal([kept.rows.length, kept.records.length], [9, 0]);
    assert.equal([dropped.rows.length, dropped.records.length], [9, 0]);
    // and without a row sink, records with their tunnels
    const asRecords = (await gatherEvidence([file])).flows;
    const byKey = (fs: FlowRecord[]) => [...fs].sort((x, y) => x.origP - y.origP);
    assert.equal(byKey(asRecords), byKey(kept.rows));
    const k = byKey(kept.rows), d = byKey(dropped.rows);
    for (let i = 0; i < 9; i++) {
      assert.equal(k[i]!.tunnel, TUNNELS[i % 3]);
      assert.is(d[i]!.tunnel, null);
      assert.equal({ ...d[i]!, tunnel: k[i]!.tunnel }, k[i]!);
    }
  });
});

test.run();
