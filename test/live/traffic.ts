/**
 * Bounded loopback traffic for the live-capture tests (test helper, not a test file):
 * - a complete TCP session 127.0.0.1 → SERVER_ADDR:tcpPort (request, reply, both close) → SF;
 * - a connection to a closed TCP port → RST → REJ;
 * - a UDP datagram to a closed UDP port → ICMP port unreachable (from SERVER_ADDR).
 * Every step has a time limit; nothing is sent anywhere but 127.0.0.0/8.
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';

export const CLIENT_ADDR = '127.0.0.1';
export const SERVER_ADDR = '127.0.0.2';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

/** True when nothing listens on addr:port (TCP). */
export function tcpPortFree(addr: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, addr, () => s.close(() => res(true)));
  });
}

/** True when addr:port (UDP) can be bound (so nothing answers there). */
export function udpPortFree(addr: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); res(false); });
    s.bind(port, addr, () => s.close(() => res(true)));
  });
}

/** A TCP server that answers each request with "pong" and closes. */
export async function startServer(addr: string, port: number): Promise<net.Server> {
  const srv = net.createServer((c) => {
    c.setTimeout(3000, () => c.destroy());
    c.once('data', () => c.end('pong\n'));
    c.on('error', () => undefined);
  });
  await withTimeout(new Promise<void>((res, rej) => { srv.once('error', rej); srv.listen(port, addr, () => res()); }), 2000, 'listen');
  return srv;
}

/** One complete session: connect, send, read the reply, close. Resolves with the reply. */
export function tcpSession(addr: string, port: number, from = CLIENT_ADDR): Promise<string> {
  return withTimeout(new Promise<string>((res, rej) => {
    let got = '';
    const c = net.connect({ host: addr, port, localAddress: from }, () => c.write('ping\n'));
    c.setEncoding('utf8');
    c.on('data', (d: string) => { got += d; });
    c.on('end', () => { c.end(); });
    c.on('close', () => res(got));
    c.on('error', rej);
  }), 3000, `tcp session to ${addr}:${port}`);
}

/** Connect to a closed port; resolves with the error code (ECONNREFUSED expected). */
export function tcpRefused(addr: string, port: number, from = CLIENT_ADDR): Promise<string> {
  return withTimeout(new Promise<string>((res) => {
    const c = net.connect({ host: addr, port, localAddress: from });
    c.on('connect', () => { c.destroy(); res('CONNECTED'); });
    c.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? e.message));
  }), 3000, `connect to ${addr}:${port}`);
}

/** One UDP datagram to addr:port from `from`; waits briefly for the ICMP error to come back. */
export function udpToClosed(addr: string, port: number, from = CLIENT_ADDR): Promise<string> {
  return withTimeout(new Promise<string>((res) => {
    const s = dgram.createSocket('udp4');
    let done = false;
    const finish = (r: string) => { if (done) return; done = true; clearTimeout(t); s.close(); res(r); };
    const t = setTimeout(() => finish('sent'), 300);
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.bind(0, from, () => {
      s.connect(port, addr, () => {
        s.send('probe', (err) => { if (err) finish(err.message); });
      });
    });
  }), 3000, `udp to ${addr}:${port}`);
}

export interface CaptureAbility { ok: boolean; why: string }

/** Can this process capture on `lo` with cap? (opens and closes a handle) */
export async function capAbility(): Promise<CaptureAbility> {
  const { loadCap, openCap } = await import('../../src/capture/live-cap.js');
  const l = loadCap();
  if (!l.ok) return { ok: false, why: `cap engine unavailable: ${l.reason}` };
  try {
    const s = openCap({ device: 'lo', filter: 'host 127.0.0.254', bufferSize: 1 << 20 }, () => undefined, l.cap);
    s.stop();
    return { ok: true, why: '' };
  } catch (e) {
    return { ok: false, why: `cannot capture on lo with cap: ${(e as Error).message}` };
  }
}

/** Can tcpdump capture on `lo` here? */
export async function tcpdumpAbility(): Promise<CaptureAbility> {
  const { findTcpdump } = await import('../../src/capture/live-tcpdump.js');
  const exe = findTcpdump();
  if (exe === null) return { ok: false, why: 'tcpdump not installed' };
  const r = spawnSync(exe, ['-i', 'lo', '-c', '1', '-w', '/dev/null', 'host 127.0.0.254'], { encoding: 'utf8', timeout: 1500 });
  if (/listening on/.test(r.stderr ?? '')) return { ok: true, why: '' };
  return { ok: false, why: `tcpdump cannot capture on lo: ${(r.stderr ?? '').trim() || `exit ${r.status}`}` };
}
