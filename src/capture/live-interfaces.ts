/**
 * The capture interfaces of this machine, with addresses and flags: from libpcap through cap's
 * deviceList() when cap is available, else from `tcpdump -D` plus os.networkInterfaces().
 * Flags from `tcpdump -D` (up, running, loopback, connected, wireless …) are merged in when
 * tcpdump is there, since cap only reports the loopback flag.
 */
import { networkInterfaces } from 'node:os';
import { spawnSync } from 'node:child_process';
import { loadCap, type CapModule } from './live-cap.js';
import { findTcpdump, parseTcpdumpD, type TcpdumpInterface } from './live-tcpdump.js';
import { canonicalAddr } from '../core/ip.js';

export interface InterfaceAddress {
  family: 'ipv4' | 'ipv6';
  address: string;
  netmask: string | null;
}

export interface CaptureInterface {
  name: string;
  description: string | null;
  addresses: InterfaceAddress[];
  /** Lower-case flags: loopback, up, running, connected, disconnected, wireless … */
  flags: string[];
}

export interface InterfaceListing {
  /** Where the list came from: 'libpcap' (cap), 'tcpdump', or 'os' (neither available). */
  source: 'libpcap' | 'tcpdump' | 'os';
  interfaces: CaptureInterface[];
  /** Why the preferred source was not used (e.g. cap missing), for a note in the output. */
  notes: string[];
}

function addrOf(a: string | undefined): InterfaceAddress | null {
  if (a === undefined) return null;
  const c = canonicalAddr(a);
  if (c === null) return null;
  return { family: c.includes(':') ? 'ipv6' : 'ipv4', address: c, netmask: null };
}

export interface ListDeps {
  cap?: CapModule | null;
  tcpdumpD?: TcpdumpInterface[] | null;
  os?: ReturnType<typeof networkInterfaces>;
}

function runTcpdumpD(): TcpdumpInterface[] | null {
  const exe = findTcpdump();
  if (exe === null) return null;
  const r = spawnSync(exe, ['-D'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  return parseTcpdumpD(r.stdout);
}

/** List the interfaces (dependencies injectable for tests). */
export function listInterfaces(deps: ListDeps = {}): InterfaceListing {
  const notes: string[] = [];
  let cap: CapModule | null;
  if (deps.cap !== undefined) cap = deps.cap;
  else {
    const l = loadCap();
    cap = l.ok ? l.cap : null;
    if (!l.ok) notes.push(`${l.reason}; listing from tcpdump -D and the OS instead`);
  }
  const td = deps.tcpdumpD !== undefined ? deps.tcpdumpD : runTcpdumpD();
  const osIfs = deps.os ?? networkInterfaces();
  const tdFlags = new Map<string, TcpdumpInterface>();
  for (const t of td ?? []) tdFlags.set(t.name, t);

  const osAddrs = (name: string): InterfaceAddress[] => (osIfs[name] ?? []).map((a) => ({
    family: a.family === 'IPv6' ? 'ipv6' as const : 'ipv4' as const,
    address: canonicalAddr(a.address) ?? a.address,
    netmask: a.netmask,
  }));

  const mergeFlags = (name: string, own: string[]): string[] => {
    const s = new Set(own);
    for (const f of tdFlags.get(name)?.flags ?? []) s.add(f);
    return [...s];
  };

  if (cap !== null) {
    let devs: ReturnType<CapModule['Cap']['deviceList']> | null = null;
    try { devs = cap.Cap.deviceList(); } catch (e) { notes.push(`libpcap could not list devices: ${(e as Error).message}`); }
    if (devs !== null) {
      return {
        source: 'libpcap',
        notes,
        interfaces: devs.map((d) => {
          const addresses: InterfaceAddress[] = [];
          for (const a of d.addresses ?? []) {
            const x = addrOf(a.addr);
            if (x === null) continue;
            x.netmask = a.netmask !== undefined ? (canonicalAddr(a.netmask) ?? a.netmask) : null;
            addresses.push(x);
          }
          return {
            name: d.name,
            description: d.description ?? tdFlags.get(d.name)?.description ?? null,
            addresses,
            flags: mergeFlags(d.name, d.flags === 'PCAP_IF_LOOPBACK' ? ['loopback'] : []),
          };
        }),
      };
    }
  }
  if (td !== null) {
    return {
      source: 'tcpdump',
      notes,
      interfaces: td.map((t) => ({ name: t.name, description: t.description, addresses: osAddrs(t.name), flags: [...t.flags] })),
    };
  }
  notes.push('tcpdump is not available either: listing the OS network interfaces (capture may not be possible)');
  return {
    source: 'os',
    notes,
    interfaces: Object.keys(osIfs).map((name) => ({
      name, description: null, addresses: osAddrs(name),
      flags: (osIfs[name] ?? []).some((a) => a.internal) ? ['loopback'] : [],
    })),
  };
}

/** Just the names (for error messages), never throwing. */
export function interfaceNames(): string[] | null {
  try { return listInterfaces().interfaces.map((i) => i.name); } catch { return null; }
}
