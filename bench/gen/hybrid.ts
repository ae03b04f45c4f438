/**
 * The hybrid-identity address plan, DNS names and traffic classes used by the benchmark capture and
 * the demo sample, plus the matching inventory JSON.
 *
 * Address plan:
 *   10.10.0.0/24   servers: DCs .10–.17, Entra/AAD Connect .20–.21, AD FS .30–.31, PTA agents .40–.41,
 *                  Connect Health agent .50, a SQL host .70 (not in the inventory); IPv6 fd00:10::<last octet>
 *   10.10.1.0/24   DMZ: web application proxies .10–.11
 *   10.20.0.0/16   users (fd00:20::/64 for their IPv6); a share of them sits on VLANs 120–123
 *   203.0.113.0/24 external users reaching the WAP
 *   public         login.microsoftonline.com 20.190.151.x/40.126.31.x, *.servicebus.windows.net 52.169.x,
 *                  *.msappproxy.net 52.178.x, crl.microsoft.com 23.46.x, *.adhybridhealth.azure.com 52.184.x,
 *                  web sites 104.16.x, resolvers 1.1.1.1/8.8.8.8, scanners 198.51.100.x
 */
import { makeHost, v6 } from './model.js';
import type { Flow, Host } from './model.js';
import type { Generator, TcpParams, TrafficClass } from './generator.js';
import { DnsType, dnsQuery, dnsResponse, PREFIX, tcpFramed, tlsClientHello, tlsServerHello } from './payloads.js';
import type { DnsAnswer } from './payloads.js';
import type { Prng } from './prng.js';

export interface TopologySize {
  dcs: number;
  users: number;
  extUsers: number;
  webSites: number;
  scanners: number;
}

export const BENCH_SIZE: TopologySize = { dcs: 8, users: 6000, extUsers: 200, webSites: 3000, scanners: 500 };
export const DEMO_SIZE: TopologySize = { dcs: 2, users: 40, extUsers: 6, webSites: 0, scanners: 0 };

export interface DnsPair {
  name: string;
  q: Buffer;
  a: Buffer;
  tq: Buffer;
  ta: Buffer;
}

export interface Topology {
  dcs: Host[];
  aadconnect: Host[];
  adfs: Host[];
  wap: Host[];
  pta: Host[];
  health: Host[];
  sql: Host;
  users: Host[];
  extUsers: Host[];
  login: Host[];
  servicebus: Host[];
  appproxy: Host[];
  crl: Host[];
  healthSvc: Host[];
  web: Host[];
  resolvers: Host[];
  scanners: Host[];
  dnsInternal: DnsPair[];
  dnsAzure: DnsPair[];
  dnsWeb: DnsPair[];
  /** Sorted by name for lookup. */
  dnsByName: Map<string, DnsPair>;
  tls: Map<string, { c: Buffer; s: Buffer }>;
}

const SRV = (n: number) => Array.from({ length: n }, (_, i) => i);

function server(addr: string, last: number): Host {
  return makeHost(addr, { v6: v6([0xfd00, 0x10, 0, 0, 0, 0, 0, last]) });
}

export const NAMES = {
  login: 'login.microsoftonline.com',
  servicebus: 'contoso-sync.servicebus.windows.net',
  appproxy: '5f1e2d3c.his.msappproxy.net',
  crl: 'crl.microsoft.com',
  health: 'eu.s1.adhybridhealth.azure.com',
  domain: 'corp.contoso.com',
} as const;

export function buildTopology(rng: Prng, size: TopologySize, vlanShare: number): Topology {
  const dcs = SRV(size.dcs).map((i) => server(`10.10.0.${10 + i}`, 0x10 + i));
  const aadconnect = [server('10.10.0.20', 0x20), server('10.10.0.21', 0x21)];
  for (const h of aadconnect) { h.portLo = 1024; h.port = 1024 + (h.v4 & 0xfff) * 7; }
  const adfs = [server('10.10.0.30', 0x30), server('10.10.0.31', 0x31)];
  const wap = [makeHost('10.10.1.10'), makeHost('10.10.1.11')];
  const pta = [server('10.10.0.40', 0x40), server('10.10.0.41', 0x41)];
  const health = [server('10.10.0.50', 0x50)];
  const sql = server('10.10.0.70', 0x70);
  const users: Host[] = [];
  for (let i = 0; i < size.users; i++) {
    const x = 1 + Math.floor(i / 250), y = 1 + (i % 250);
    const vlan = rng.chance(vlanShare) ? 120 + (x & 3) : 0;
    users.push(makeHost(`10.20.${x}.${y}`, { v6: v6([0xfd00, 0x20, 0, 0, 0, 0, x, y]), vlan }));
  }
  const ext = (a: string) => makeHost(a, { internal: false, portLo: 1024 });
  const extUsers = SRV(size.extUsers).map((i) => ext(`203.0.113.${1 + (i % 254)}`));
  const login = ['20.190.151.7', '20.190.151.8', '40.126.31.2', '40.126.31.3'].map(ext);
  const servicebus = ['52.169.10.5', '52.169.10.6'].map(ext);
  const appproxy = ['52.178.20.9', '52.178.20.10'].map(ext);
  const crl = ['23.46.203.10'].map(ext);
  const healthSvc = ['52.184.220.37'].map(ext);
  const web = SRV(size.webSites).map((i) => ext(`104.16.${(i >> 8) & 255}.${1 + (i & 255) % 254}`));
  const resolvers = ['1.1.1.1', '8.8.8.8'].map(ext);
  const scanners = SRV(size.scanners).map((i) => ext(`198.51.100.${1 + (i % 254)}`));
  for (const s of scanners) s.port = 1024 + ((s.v4 * 977) & 0x7fff);

  const pair = (name: string, qtype: number, answers: DnsAnswer[]): DnsPair => {
    const q = dnsQuery(0, name, qtype);
    const a = dnsResponse(0, name, qtype, answers);
    return { name, q, a, tq: tcpFramed(q), ta: tcpFramed(a) };
  };
  const A = (hs: Host[]): DnsAnswer[] => hs.map((h) => ({ type: DnsType.A, data: Uint8Array.from([h.v4 >>> 24, (h.v4 >>> 16) & 255, (h.v4 >>> 8) & 255, h.v4 & 255]) }));
  const dnsInternal: DnsPair[] = [
    pair(`_ldap._tcp.dc._msdcs.${NAMES.domain}`, DnsType.SRV, dcs.slice(0, 4).map((_, i) => ({ type: DnsType.SRV, data: `dc${i + 1}.${NAMES.domain}`, port: 389 }))),
    pair(`_kerberos._tcp.${NAMES.domain}`, DnsType.SRV, dcs.slice(0, 4).map((_, i) => ({ type: DnsType.SRV, data: `dc${i + 1}.${NAMES.domain}`, port: 88 }))),
    ...dcs.map((h, i) => pair(`dc${i + 1}.${NAMES.domain}`, DnsType.A, A([h]))),
    ...dcs.map((h, i) => pair(`dc${i + 1}.${NAMES.domain}`, DnsType.AAAA, [{ type: DnsType.AAAA, data: h.v6! }])),
  ];
  const dnsAzure: DnsPair[] = [
    pair(NAMES.login, DnsType.A, A(login)),
    pair(NAMES.servicebus, DnsType.A, A(servicebus)),
    pair(NAMES.appproxy, DnsType.A, A(appproxy)),
    pair(NAMES.crl, DnsType.A, A(crl)),
    pair(NAMES.health, DnsType.A, A(healthSvc)),
  ];
  const dnsWeb: DnsPair[] = [];
  for (let i = 0; i < Math.min(64, web.length); i++) dnsWeb.push(pair(`www.site-${i}.example`, DnsType.A, A([web[i]!])));
  const dnsByName = new Map<string, DnsPair>();
  for (const p of [...dnsInternal, ...dnsAzure, ...dnsWeb]) if (!dnsByName.has(p.name)) dnsByName.set(p.name, p);
  const tls = new Map<string, { c: Buffer; s: Buffer }>();
  let seed = 7;
  for (const n of [NAMES.login, NAMES.servicebus, NAMES.appproxy, NAMES.health, 'adfs.contoso.com', 'sts.contoso.com', 'www.site.example']) {
    tls.set(n, { c: tlsClientHello(n, seed++), s: tlsServerHello(seed++) });
  }
  return { dcs, aadconnect, adfs, wap, pta, health, sql, users, extUsers, login, servicebus, appproxy, crl, healthSvc, web, resolvers, scanners, dnsInternal, dnsAzure, dnsWeb, dnsByName, tls };
}

/** Inventory JSON (format read by `flowaudit audit --inventory`). */
export function inventoryFor(t: Topology): object {
  const addrs = (hs: Host[]) => hs.flatMap((h) => {
    const a = [`${h.v4 >>> 24}.${(h.v4 >>> 16) & 255}.${(h.v4 >>> 8) & 255}.${h.v4 & 255}`];
    if (h.v6 !== null) a.push(v6text(h.v6));
    return a;
  });
  return {
    roles: {
      aadconnect: addrs(t.aadconnect),
      dc: addrs(t.dcs),
      azuread: [NAMES.login, '*.servicebus.windows.net', '*.msappproxy.net', NAMES.crl, '*.adhybridhealth.azure.com'],
      adfs: addrs(t.adfs),
      wap: addrs(t.wap),
      // external users reach the WAP from anywhere: "internet" = any public address not in a more specific role
      users: ['10.20.0.0/16', 'fd00:20::/64', 'internet'],
      pta: addrs(t.pta),
      health: addrs(t.health),
    },
    features: ['ldaps', 'phs', 'seamless-sso', 'certificate-auth'],
    proxy: [],
  };
}

function v6text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // longest run of zeros → '::' (RFC 5952)
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return bs < 0 ? hex(g) : `${hex(g.slice(0, bs))}::${hex(g.slice(bs + bl))}`;
}

// ---- traffic classes -------------------------------------------------------------------------

const lan = (exMin: number, exMax: number, req: TcpParams['req'], resp: TcpParams['resp'], think: number, rstP: number, cPrefix: Uint8Array | null, sPrefix: Uint8Array | null): TcpParams =>
  ({ exMin, exMax, req, resp, think, rstP, wan: false, cPrefix, sPrefix });
const wan = (p: TcpParams): TcpParams => ({ ...p, wan: true });

export const P = {
  ldap: lan(1, 3, [120, 1.6, 1400], [150, 1.8, 12000], 300_000, 0.25, PREFIX.ldapC, PREFIX.ldapS),
  ldapBulk: lan(2, 6, [200, 1.5, 2000], [500, 1.7, 12000], 800_000, 0.05, PREFIX.ldapC, PREFIX.ldapS),
  ldaps: lan(1, 3, [300, 1.6, 1400], [300, 1.8, 8000], 300_000, 0.2, null, null),
  krb: lan(1, 1, [1300, 8, 1500], [1450, 8, 1700], 50_000, 0.1, PREFIX.krbTcpC, PREFIX.krbTcpS),
  rpc: lan(1, 2, [116, 6, 300], [92, 6, 300], 30_000, 0, PREFIX.rpcC, PREFIX.rpcS),
  rpcDyn: lan(1, 4, [200, 1.4, 4000], [250, 1.7, 8000], 200_000, 0.05, PREFIX.rpcC, PREFIX.rpcS),
  winrm: lan(2, 5, [900, 1.5, 6000], [700, 1.5, 8000], 500_000, 0, PREFIX.winrmC, PREFIX.winrmS),
  https: (sni: string, t: Topology): TcpParams => wan({ ...lan(1, 2, [517, 1.5, 4000], [220, 1.9, 9000], 1_500_000, 0.25, t.tls.get(sni)?.c ?? null, t.tls.get(sni)?.s ?? null) }),
  httpsLan: (sni: string, t: Topology): TcpParams => lan(1, 2, [517, 1.5, 4000], [220, 1.9, 9000], 1_000_000, 0.1, t.tls.get(sni)?.c ?? null, t.tls.get(sni)?.s ?? null),
  crl: wan(lan(1, 1, [160, 10, 200], [600, 2, 8000], 100_000, 0.2, PREFIX.crlC, PREFIX.crlS)),
  amqp: wan(lan(2, 6, [200, 1.5, 2000], [200, 1.5, 4000], 5_000_000, 0, PREFIX.amqpC, PREFIX.amqpS)),
  smb: lan(2, 6, [150, 1.5, 4000], [150, 1.8, 12000], 400_000, 0.05, PREFIX.smbC, PREFIX.smbS),
  ssh: lan(4, 12, [60, 1.5, 600], [100, 1.3, 4000], 1_000_000, 0, PREFIX.sshC, PREFIX.sshS),
  rdp: lan(2, 8, [80, 1.5, 1000], [300, 1.6, 8000], 300_000, 0.1, PREFIX.rdpC, PREFIX.rdpS),
} as const;

export type ClassMaker = (g: Generator, t: number) => Flow;

/** Every traffic class, by name. Hosts are drawn with the generator's PRNG. */
export function classes(T: Topology): Record<string, ClassMaker> {
  const dnsUdp = (g: Generator, cls: string, c: Host, s: Host, p: DnsPair, t: number, wanDns = false) =>
    g.udp(cls, c, s, 53, p.q, p.a, t, { dnsId: true, wan: wanDns });
  const anyDns = (g: Generator): DnsPair => {
    const x = g.rng.float();
    if (x < 0.45 || T.dnsWeb.length === 0) return g.rng.pick(x < 0.3 ? T.dnsInternal : T.dnsAzure);
    return g.rng.pick(T.dnsWeb);
  };
  const rpcPair = (g: Generator, cls: string, c: Host, s: Host, t: number): Flow => {
    const f = g.tcp(cls, c, s, 135, P.rpc, t);
    const dyn = g.tcp(`${cls}-dyn`, c, s, g.rng.range(49152, 65535), P.rpcDyn, 0, f.isV6);
    f.follow = dyn;
    f.followDelay = g.rng.range(200, 3000);
    return f;
  };
  const r = (g: Generator, hs: Host[]) => g.rng.pick(hs);
  return {
    // users ↔ DCs (not in Microsoft's tables, but the bulk of a real capture)
    'user-dc-dns': (g, t) => dnsUdp(g, 'user-dc-dns', r(g, T.users), r(g, T.dcs), anyDns(g), t),
    'user-dc-dns-tcp': (g, t) => { const p = anyDns(g); return g.tcpDns('user-dc-dns-tcp', r(g, T.users), r(g, T.dcs), p.tq, p.ta, t); },
    'dc-upstream-dns': (g, t) => dnsUdp(g, 'dc-upstream-dns', r(g, T.dcs), r(g, T.resolvers), g.rng.pick(T.dnsWeb.length > 0 ? T.dnsWeb : T.dnsAzure), t, true),
    'user-dc-krb-udp': (g, t) => g.udp('user-dc-krb-udp', r(g, T.users), r(g, T.dcs), 88, PREFIX.krbUdpC, PREFIX.krbUdpS, t),
    'user-dc-cldap': (g, t) => g.udp('user-dc-cldap', r(g, T.users), r(g, T.dcs), 389, PREFIX.cldapC, PREFIX.cldapS, t),
    'user-dc-ntp': (g, t) => g.udp('user-dc-ntp', r(g, T.users), r(g, T.dcs), 123, PREFIX.ntpC, PREFIX.ntpS, t),
    'user-dc-krb': (g, t) => g.tcp('user-dc-krb', r(g, T.users), r(g, T.dcs), 88, P.krb, t),
    'user-dc-ldap': (g, t) => g.tcp('user-dc-ldap', r(g, T.users), r(g, T.dcs), 389, P.ldap, t),
    'user-dc-ldaps': (g, t) => g.tcp('user-dc-ldaps', r(g, T.users), r(g, T.dcs), 636, P.ldaps, t),
    'user-dc-rpc': (g, t) => rpcPair(g, 'user-dc-rpc', r(g, T.users), r(g, T.dcs), t),
    'user-web-https': (g, t) => g.tcp('user-web-https', r(g, T.users), r(g, T.web.length > 0 ? T.web : T.login), 443, P.https('www.site.example', T), t, false),
    'user-web-crl': (g, t) => g.tcp('user-web-crl', r(g, T.users), r(g, T.crl), 80, P.crl, t, false),
    // Table 1: sync server → DCs
    'aadc-dc-dns': (g, t) => dnsUdp(g, 'aadc-dc-dns', r(g, T.aadconnect), r(g, T.dcs), g.rng.pick(g.rng.chance(0.5) ? T.dnsAzure : T.dnsInternal), t),
    'aadc-dc-dns-tcp': (g, t) => { const p = g.rng.pick(T.dnsInternal); return g.tcpDns('aadc-dc-dns-tcp', r(g, T.aadconnect), r(g, T.dcs), p.tq, p.ta, t); },
    'aadc-dc-krb-udp': (g, t) => g.udp('aadc-dc-krb-udp', r(g, T.aadconnect), r(g, T.dcs), 88, PREFIX.krbUdpC, PREFIX.krbUdpS, t),
    'aadc-dc-krb': (g, t) => g.tcp('aadc-dc-krb', r(g, T.aadconnect), r(g, T.dcs), 88, P.krb, t),
    'aadc-dc-cldap': (g, t) => g.udp('aadc-dc-cldap', r(g, T.aadconnect), r(g, T.dcs), 389, PREFIX.cldapC, PREFIX.cldapS, t),
    'aadc-dc-ldap': (g, t) => g.tcp('aadc-dc-ldap', r(g, T.aadconnect), r(g, T.dcs), 389, P.ldapBulk, t),
    'aadc-dc-ldaps': (g, t) => g.tcp('aadc-dc-ldaps', r(g, T.aadconnect), r(g, T.dcs), 636, P.ldaps, t),
    'aadc-dc-rpc': (g, t) => rpcPair(g, 'aadc-dc-rpc', r(g, T.aadconnect), r(g, T.dcs), t),
    // Table 2: sync server → Azure AD
    'aadc-azure-https': (g, t) => g.tcp('aadc-azure-https', r(g, T.aadconnect), r(g, T.login), 443, P.https(NAMES.login, T), t, false),
    'aadc-azure-crl': (g, t) => g.tcp('aadc-azure-crl', r(g, T.aadconnect), r(g, T.crl), 80, P.crl, t, false),
    // Table 3: sync server → AD FS / WAP
    'aadc-adfs-https': (g, t) => g.tcp('aadc-adfs-https', r(g, T.aadconnect), r(g, T.adfs), 443, P.httpsLan('adfs.contoso.com', T), t),
    'aadc-adfs-http': (g, t) => g.tcp('aadc-adfs-http', r(g, T.aadconnect), r(g, T.adfs), 80, { ...P.crl, wan: false }, t),
    'aadc-adfs-winrm': (g, t) => g.tcp('aadc-adfs-winrm', r(g, T.aadconnect), r(g, T.adfs), 5985, P.winrm, t),
    'aadc-wap-https': (g, t) => g.tcp('aadc-wap-https', r(g, T.aadconnect), r(g, T.wap), 443, P.httpsLan('sts.contoso.com', T), t, false),
    'aadc-wap-winrm': (g, t) => g.tcp('aadc-wap-winrm', r(g, T.aadconnect), r(g, T.wap), 5985, P.winrm, t, false),
    // Table 4: WAP → AD FS
    'wap-adfs-https': (g, t) => g.tcp('wap-adfs-https', r(g, T.wap), r(g, T.adfs), 443, P.httpsLan('adfs.contoso.com', T), t, false),
    // Table 5: users → WAP
    'user-wap-https': (g, t) => g.tcp('user-wap-https', r(g, g.rng.chance(0.6) ? T.extUsers : T.users), r(g, T.wap), 443, P.https('sts.contoso.com', T), t, false),
    'user-wap-cert': (g, t) => g.tcp('user-wap-cert', r(g, g.rng.chance(0.6) ? T.extUsers : T.users), r(g, T.wap), 49443, P.https('sts.contoso.com', T), t, false),
    // Table 6a: PTA agent → Azure
    'pta-azure-https': (g, t) => g.tcp('pta-azure-https', r(g, T.pta), r(g, T.appproxy), 443, P.https(NAMES.appproxy, T), t, false),
    'pta-azure-crl': (g, t) => g.tcp('pta-azure-crl', r(g, T.pta), r(g, T.crl), 80, P.crl, t, false),
    'pta-sb-9352': (g, t) => g.tcp('pta-sb-9352', r(g, T.pta), r(g, T.servicebus), 9352, P.https(NAMES.servicebus, T), t, false),
    'pta-sb-9350': (g, t) => g.tcp('pta-sb-9350', r(g, T.pta), r(g, T.servicebus), 9350, P.https(NAMES.servicebus, T), t, false),
    'pta-sb-amqp': (g, t) => g.tcp('pta-sb-amqp', r(g, T.pta), r(g, T.servicebus), 5671, P.amqp, t, false),
    // Table 7a: health agent → Azure
    'health-azure-https': (g, t) => g.tcp('health-azure-https', r(g, T.health), r(g, T.healthSvc), 443, P.https(NAMES.health, T), t, false),
    'health-sb-amqp': (g, t) => g.tcp('health-sb-amqp', r(g, T.health), r(g, T.servicebus), 5671, P.amqp, t, false),
    // noise
    'user-smb': (g, t) => g.tcp('user-smb', r(g, T.users), r(g, g.rng.chance(0.8) ? T.dcs : T.aadconnect), 445, P.smb, t),
    'rdp-dropped': (g, t) => g.synOnly('rdp-dropped', r(g, T.users), r(g, [...T.dcs, ...T.aadconnect]), 3389, t, g.rng.range(1, 3)),
    'rdp-refused': (g, t) => g.refused('rdp-refused', r(g, T.users), r(g, T.dcs), 3389, t),
    'rdp-session': (g, t) => g.tcp('rdp-session', r(g, T.users), r(g, T.dcs), 3389, P.rdp, t),
    'ssh-admin': (g, t) => g.tcp('ssh-admin', r(g, T.users), r(g, [T.sql, ...T.aadconnect]), 22, P.ssh, t),
    'sql-refused': (g, t) => g.refused('sql-refused', r(g, T.users), r(g, [T.sql, ...T.aadconnect]), 1433, t),
    'snmp-unreachable': (g, t) => g.udpUnreachable('snmp-unreachable', r(g, T.users), r(g, T.dcs), 161, PREFIX.snmpC, t, g.rng.range(1, 2)),
    'scan': (g, t) => {
      const dport = g.rng.pick([21, 23, 25, 110, 139, 445, 1433, 3306, 5900, 8080, 8443]);
      const s = r(g, [...T.wap, ...T.dcs]);
      const c = r(g, T.scanners.length > 0 ? T.scanners : T.extUsers);
      return g.rng.chance(0.5) ? g.synOnly('scan', c, s, dport, t, 1, false) : g.refused('scan', c, s, dport, t, true, false);
    },
  };
}

/** Share of flows per class in the benchmark capture (weights; noise classes are scaled to --noise-share). */
export const BENCH_WEIGHTS: Record<string, [number, boolean]> = {
  'user-dc-dns': [23, false], 'user-dc-dns-tcp': [0.75, false], 'dc-upstream-dns': [7.4, false], 'user-dc-krb-udp': [5.3, false],
  'user-dc-cldap': [6.3, false], 'user-dc-ntp': [1.6, false], 'user-dc-krb': [7.4, false], 'user-dc-ldap': [10.5, false],
  'user-dc-ldaps': [2.1, false], 'user-dc-rpc': [3.7, false], 'user-web-https': [10.5, false], 'user-web-crl': [2.6, false],
  'aadc-dc-dns': [0.5, false], 'aadc-dc-dns-tcp': [0.05, false], 'aadc-dc-krb-udp': [0.2, false], 'aadc-dc-krb': [0.2, false],
  'aadc-dc-cldap': [0.2, false], 'aadc-dc-ldap': [0.4, false], 'aadc-dc-ldaps': [0.2, false], 'aadc-dc-rpc': [0.27, false],
  'aadc-azure-https': [2.6, false], 'aadc-azure-crl': [0.3, false], 'aadc-adfs-https': [0.2, false], 'aadc-adfs-winrm': [0.1, false],
  'aadc-wap-https': [0.1, false], 'aadc-wap-winrm': [0.05, false], 'wap-adfs-https': [1.5, false], 'user-wap-https': [2.0, false],
  'user-wap-cert': [0.3, false], 'pta-azure-https': [0.5, false], 'pta-azure-crl': [0.05, false], 'pta-sb-9352': [0.3, false],
  'pta-sb-9350': [0.1, false], 'pta-sb-amqp': [0.2, false], 'health-azure-https': [0.4, false], 'health-sb-amqp': [0.42, false],
  'user-smb': [2.7, true], 'rdp-dropped': [2.0, true], 'rdp-refused': [1.2, true], 'rdp-session': [1.0, true], 'ssh-admin': [0.3, true],
  'sql-refused': [0.6, true], 'snmp-unreachable': [0.6, true], 'scan': [2.5, true],
};

export function benchMix(T: Topology): TrafficClass[] {
  const mk = classes(T);
  return Object.entries(BENCH_WEIGHTS).map(([name, [weight, noise]]) => ({ name, weight, noise, make: mk[name]! }));
}


