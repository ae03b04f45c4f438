/**
 * Originator and conn_state on real captures. Expected values come from the pilot's ground truth
 * (../shared/corpus/pilot/ground-truth.json, GROUND-TRUTH.md) and from tshark's per-packet flags
 * (reference/*.packets.tsv) read by hand, never from our own output.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatherEvidence } from '../../src/cli/gather.js';
import type { FlowRecord } from '../../src/flow/record.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const have = existsSync(corpus + 'pilot/ground-truth.json');

interface GtFlow {
  id: string; client_ip: string; server_ip?: string; server_ips?: string[]; proto: string; server_port?: number;
  observed: { conversations: number; server_ports: number[]; client_ports: number[]; packets: number };
}

if (!have) {
  test('golden captures', () => { console.log('skip: ../shared/corpus not found; golden originator/conn_state tests not run'); });
} else {
  const gt = JSON.parse(readFileSync(corpus + 'pilot/ground-truth.json', 'utf8')) as {
    variants: Record<string, { expected_flows: GtFlow[]; violations: GtFlow[]; icmp: { from: string; type: number; code: number; quoted: { src: string; dst: string; sport: number; dport: number } }[] }>;
  };
  const full = gt.variants['full']!;

  for (const file of ['pilot-full.pcap', 'pilot-full.pcapng']) {
    test(`${file}: every ground-truth conversation is one flow with the client as originator and the service port as resp_p`, async () => {
      const ev = await gatherEvidence([corpus + 'pilot/' + file]);
      const tcpUdp = ev.flows.filter((f) => f.proto === 6 || f.proto === 17);
      const byKey = new Map<string, FlowRecord[]>();
      for (const f of tcpUdp) {
        const k = `${f.proto === 6 ? 'tcp' : 'udp'}|${f.origH}|${f.origP}|${f.respH}`;
        byKey.set(k, [...(byKey.get(k) ?? []), f]);
      }
      let matched = 0;
      for (const e of [...full.expected_flows, ...full.violations]) {
        const servers = e.server_ips ?? (e.server_ip !== undefined ? [e.server_ip] : []);
        for (const cp of e.observed.client_ports) {
          const cands = servers.flatMap((s) => byKey.get(`${e.proto}|${e.client_ip}|${cp}|${s}`) ?? []);
          assert.is(cands.length, 1, `${e.id}: client port ${cp} → exactly one flow with ${e.client_ip}:${cp} as originator`);
          assert.ok(e.observed.server_ports.includes(cands[0]!.respP), `${e.id}: resp_p ${cands[0]!.respP} is a server port ${e.observed.server_ports}`);
          matched++;
        }
      }
      assert.is(matched, tcpUdp.length, 'every TCP/UDP flow is a ground-truth conversation');
    });

    test(`${file}: violations V3 (dropped SYN → S0), V4 (refused → REJ), V5 (ICMP port unreachable on the UDP 161 flow)`, async () => {
      const ev = await gatherEvidence([corpus + 'pilot/' + file]);
      const rdp = ev.flows.filter((f) => f.proto === 6 && f.respP === 3389);
      assert.is(rdp.length, 1);
      assert.is(rdp[0]!.connState, 'S0');
      assert.is(rdp[0]!.origH, '10.20.0.20'); assert.is(rdp[0]!.respH, '10.20.0.10');
      assert.is(rdp[0]!.origPkts, 4, 'GROUND-TRUTH: V3 4 packets, all SYNs'); assert.is(rdp[0]!.respPkts, 0);
      assert.is(rdp[0]!.history, 'S');
      const sql = ev.flows.filter((f) => f.proto === 6 && f.respP === 1433);
      assert.is(sql.length, 1);
      assert.is(sql[0]!.connState, 'REJ');
      assert.is(sql[0]!.history, 'Sr');
      const snmp = ev.flows.filter((f) => f.proto === 17 && f.respP === 161);
      assert.is(snmp.length, 1);
      const icmp = full.icmp[0]!;
      assert.is(snmp[0]!.origP, icmp.quoted.sport);
      assert.equal(snmp[0]!.icmpErrors, [{ proto: 'icmp', type: icmp.type, code: icmp.code, count: 1, from: icmp.from }]);
      assert.is(snmp[0]!.connState, 'S0');
      assert.not.ok(ev.flows.some((f) => f.proto === 1), 'the ICMP error is not a separate flow');
      for (const id of ['V1', 'V2', 'V6']) {
        const v = full.violations.find((x) => x.id === id)!;
        const f = ev.flows.find((x) => x.respP === v.server_port && x.origH === v.client_ip && x.origP === v.observed.client_ports[0]);
        assert.ok(f, id);
        assert.is(f!.connState, 'SF', `${id}: "complete TCP session"`);
        assert.is(f!.origPkts + f!.respPkts, v.observed.packets, `${id}: packets`);
      }
    });

    test(`${file}: no flow has an ephemeral port (49152–65535) as resp_p unless a server listened there`, async () => {
      const ev = await gatherEvidence([corpus + 'pilot/' + file]);
      const listening = new Set<number>();
      for (const e of [...full.expected_flows, ...full.violations]) for (const p of e.observed.server_ports) listening.add(p);
      for (const f of ev.flows) {
        if (f.proto !== 6 && f.proto !== 17) continue;
        if (f.respP >= 49152) assert.ok(listening.has(f.respP), `${f.origH}:${f.origP} → ${f.respH}:${f.respP}`);
      }
      assert.ok(ev.flows.some((f) => f.respP === 49153) && ev.flows.some((f) => f.respP === 49443), 'the real listeners above 49152 are there');
    });
  }

  test('pilot-full.pcap: name observations (DNS answers, TLS SNI) agree with the ground-truth hosts', async () => {
    const hosts = (JSON.parse(readFileSync(corpus + 'pilot/ground-truth.json', 'utf8')) as { hosts: Record<string, { ips: string[]; names: string[] }> }).hosts;
    // name → allowed addresses, from "a / b = ip" and "name (internal)" entries
    const allowed = new Map<string, Set<string>>();
    for (const h of Object.values(hosts)) {
      for (const entry of h.names) {
        const [names, ip] = entry.includes('=') ? entry.split('=').map((x) => x.trim()) as [string, string] : [entry.replace(/\s*\(.*\)$/, ''), null];
        for (const n of names.split('/').map((x) => x.trim())) {
          const set = allowed.get(n) ?? new Set<string>();
          for (const a of ip !== null ? [ip] : h.ips) set.add(a);
          allowed.set(n, set);
        }
      }
    }
    const ev = await gatherEvidence([corpus + 'pilot/pilot-full.pcap']);
    assert.ok(ev.names.length > 0);
    for (const n of ev.names) assert.ok(allowed.get(n.name)?.has(n.address), `${n.via} ${n.name} → ${n.address}`);
    const sni = new Set(ev.names.filter((n) => n.via === 'sni').map((n) => `${n.name}=${n.address}`));
    for (const want of ['login.microsoftonline.com=203.0.113.50', 'pilot-sb.servicebus.windows.net=203.0.113.52', 'pilot-pta.msappproxy.net=203.0.113.53']) {
      assert.ok(sni.has(want), want);
    }
    assert.ok(ev.names.some((n) => n.via === 'dns' && n.name === 'dc1.corp.example.com' && n.address === '10.20.0.10'));
  });

  test('ad-logon-krb-ldap-smb-rpc.pcap: all 36 streams are mid-stream (only ACK+PSH packets): resp is the DC service port', async () => {
    const ev = await gatherEvidence([corpus + 'public/ad-logon-krb-ldap-smb-rpc.pcap']);
    const tcp = ev.flows.filter((f) => f.proto === 6);
    assert.is(tcp.length, 36);
    for (const f of tcp) {
      assert.is(f.origH, '172.16.8.201'); assert.is(f.respH, '172.16.8.8');
      assert.ok([88, 389, 445, 49155].includes(f.respP), `resp_p ${f.respP}`);
      assert.ok(f.origP >= 49152);
      assert.ok(f.directionInferred);
      assert.is(f.connState, 'OTH', 'no SYN, no FIN: a partial connection');
      assert.ok(f.history === 'Dd' || f.history === '^dD', f.history);
    }
  });

  test('krb-kinit-udp-tcp.pcap: 91 UDP and 3 TCP Kerberos flows, client → KDC 88, SF', async () => {
    const ev = await gatherEvidence([corpus + 'public/krb-kinit-udp-tcp.pcap']);
    const udp = ev.flows.filter((f) => f.proto === 17), tcp = ev.flows.filter((f) => f.proto === 6);
    assert.is(udp.length, 91); assert.is(tcp.length, 3);
    for (const f of ev.flows) {
      assert.is(f.origH, '192.168.1.31'); assert.is(f.respH, '192.168.1.32'); assert.is(f.respP, 88);
    }
    for (const f of udp) { assert.is(f.connState, 'SF'); assert.is(f.history, 'Dd'); assert.is(f.origPkts, 1); assert.is(f.respPkts, 1); }
    // tsv flags per stream: client S, A, AP, AF; server SA, A, AP, AF → letters S h A D a d F f, SYN first
    for (const f of tcp) {
      assert.is(f.connState, 'SF');
      assert.is(f.directionInferred, false);
      assert.ok(f.history.startsWith('Sh'), f.history);
      assert.equal([...f.history].sort().join(''), [...'ShADadFf'].sort().join(''));
    }
  });
}

test.run();
