/**
 * End-to-end live audits on `lo`, for both engines. The test makes its own bounded loopback
 * traffic while `flowaudit live` captures (filter `host 127.0.0.2`), then checks the report:
 *   - 127.0.0.1 → 127.0.0.2:389/tcp, a complete session: allowed (rule T1-LDAP seen), conn_state SF;
 *   - 127.0.0.1 → 127.0.0.2:<free 18xxx>/tcp, a complete session: `unexpected`, SF, printed while
 *     the capture was still running;
 *   - 127.0.0.1 → 127.0.0.2:88/tcp, nothing listens: RST → `blocked`, conn_state REJ;
 *   - 127.0.0.1 → 127.0.0.2:88/udp, nothing listens: ICMP port unreachable (type 3 code 3, from
 *     127.0.0.2) → `blocked` with that ICMP evidence.
 * The expectations follow from the traffic (TCP/ICMP semantics) and the inventory
 * (test/live/inventory.json) with the built-in profile's rules, not from our output.
 * The --write file is then audited offline and must give the same findings.
 * Skips (with a `skip:` line) where capture is impossible: not root, no cap / no tcpdump.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type net from 'node:net';
import {
  SERVER_ADDR, capAbility, tcpdumpAbility, startServer, tcpSession, tcpRefused, udpToClosed, tcpPortFree, udpPortFree,
} from './traffic.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const inventory = path.join(root, 'test/live/inventory.json');
const LDAP = 389, KRB = 88;

interface CliRun { code: number | null; signal: string | null; stdout: string; stderr: string; stopLineAt: number }

/** Run the CLI; `during` runs once it says it is capturing; `stop` decides how it ends. */
function runCli(args: string[], during: () => Promise<void>, stop: 'SIGINT' | 'SIGTERM' | 'duration', stopAfterMs = 2600, limitMs = 25_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' },
    });
    let stdout = '', stderr = '', started = false;
    const kill = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`flowaudit live did not end within ${limitMs} ms; stderr:\n${stderr}`)); }, limitMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!started && /capturing on lo/.test(stderr)) {
        started = true;
        during().then(
          () => { if (stop !== 'duration') setTimeout(() => child.kill(stop), stopAfterMs); },
          (e: unknown) => { child.kill('SIGKILL'); reject(e); },
        );
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr, stopLineAt: stderr.search(/flowaudit: stopping/) });
    });
  });
}

function runCliPlain(args: string[], limitMs = 20_000): Promise<CliRun> {
  return runCli(args, async () => undefined, 'duration', 0, limitMs);
}

interface Finding {
  id: string; kind: string; rule: string | null; proto: string | null; orig_h: string | null; resp_h: string | null; resp_p: number | null;
  flows: number; first: string | null; last: string | null;
  evidence: { conn_states: Record<string, number>; icmp: Array<{ proto: string; type: number; code: number; from: string; count: number }> };
}

function stable(fs: Finding[]) {
  return fs.map((f) => ({ id: f.id, kind: f.kind, rule: f.rule, proto: f.proto, orig_h: f.orig_h, resp_h: f.resp_h, resp_p: f.resp_p,
    flows: f.flows, first: f.first, last: f.last, conn_states: f.evidence.conn_states, icmp: f.evidence.icmp }));
}

async function pickUnexpectedPort(): Promise<number | null> {
  for (let i = 0; i < 40; i++) {
    const p = 18000 + Math.floor(Math.random() * 1000);
    if (await tcpPortFree(SERVER_ADDR, p)) return p;
  }
  return null;
}

async function scenario(engine: 'cap' | 'tcpdump', stop: 'SIGINT' | 'SIGTERM' | 'duration'): Promise<void> {
  const ability = engine === 'cap' ? await capAbility() : await tcpdumpAbility();
  if (!ability.ok) { console.log(`skip: live ${engine} on lo: ${ability.why}`); return; }
  if (!(await tcpPortFree(SERVER_ADDR, LDAP)) || !(await tcpPortFree(SERVER_ADDR, KRB)) || !(await udpPortFree(SERVER_ADDR, KRB))) {
    console.log(`skip: live ${engine} on lo: something already listens on ${SERVER_ADDR}:389/tcp, 88/tcp or 88/udp`);
    return;
  }
  const odd = await pickUnexpectedPort();
  if (odd === null) { console.log('skip: no free port in 18000-18999 on 127.0.0.2'); return; }

  const dir = mkdtempSync(path.join(tmpdir(), `fa-live-${engine}-`));
  const servers: net.Server[] = [];
  try {
    servers.push(await startServer(SERVER_ADDR, LDAP), await startServer(SERVER_ADDR, odd));
    const pcap = path.join(dir, 'live.pcap'), report = path.join(dir, 'live.json');
    const args = ['live', '-i', 'lo', '--engine', engine, '--filter', `host ${SERVER_ADDR}`, '--report-every', '1',
      '--write', pcap, '--inventory', inventory, '--format', 'json', '--output', report];
    if (stop === 'duration') args.push('--duration', '3');
    // Closed TCP flows expire after 1 s of idleness instead of 5: the refused connection's
    // `blocked` finding must then be printed while the capture is still running (expiry is
    // driven by the clock, not only by the end of the run).
    else args.push('--timeout-tcp-closed', '1');
    const replies: string[] = [];
    const r = await runCli(args, async () => {
      replies.push(await tcpSession(SERVER_ADDR, LDAP));
      replies.push(await tcpSession(SERVER_ADDR, odd));
      replies.push(await tcpRefused(SERVER_ADDR, KRB));
      replies.push(await udpToClosed(SERVER_ADDR, KRB));
    }, stop);
    assert.equal(replies.slice(0, 3), ['pong\n', 'pong\n', 'ECONNREFUSED'], 'the traffic itself happened');
    // Findings were found: the default --fail-on (unexpected, blocked, missing) gives exit 1.
    assert.is(r.code, 1, `exit code; stderr:\n${r.stderr}`);
    assert.not.match(r.stderr, /internal error|    at /, 'no stack trace');
    assert.ok(existsSync(report), 'report written');
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { findings: Finding[]; coverage: Array<{ rule: string; status: string; flows: number }>; inputs: Array<{ file: string; packets: number }> };

    const find = (kind: string, proto: string, port: number) => rep.findings.filter((f) => f.kind === kind && f.proto === proto && f.resp_h === SERVER_ADDR && f.resp_p === port);
    const unexpected = find('unexpected', 'tcp', odd);
    assert.is(unexpected.length, 1, 'one unexpected finding for the odd port');
    assert.is(unexpected[0]!.orig_h, '127.0.0.1');
    assert.equal(unexpected[0]!.evidence.conn_states, { SF: 1 });

    const rej = find('blocked', 'tcp', KRB);
    assert.is(rej.length, 1, 'refused Kerberos/tcp is blocked');
    assert.equal(rej[0]!.evidence.conn_states, { REJ: 1 });

    const udp = find('blocked', 'udp', KRB);
    assert.is(udp.length, 1, 'Kerberos/udp to a closed port is blocked');
    assert.ok(udp[0]!.evidence.icmp.some((e) => e.type === 3 && e.code === 3 && e.from === SERVER_ADDR), `ICMP port unreachable evidence: ${JSON.stringify(udp[0]!.evidence.icmp)}`);

    assert.is(find('unexpected', 'tcp', LDAP).length + find('blocked', 'tcp', LDAP).length, 0, 'LDAP session is allowed');
    const ldap = rep.coverage.find((c) => c.rule === 'T1-LDAP');
    assert.ok(ldap !== undefined && ldap.status === 'seen' && ldap.flows >= 1, `T1-LDAP seen: ${JSON.stringify(ldap)}`);

    // The unexpected flow was printed while the capture ran (before it was told to stop).
    if (stop !== 'duration') {
      const at = r.stderr.search(new RegExp(`unexpected[^\\n]*${SERVER_ADDR.replace(/\./g, '\\.')}[^\\n]*${odd}`));
      assert.ok(at >= 0 && r.stopLineAt > 0 && at < r.stopLineAt, `unexpected finding printed before the stop:\n${r.stderr}`);
      const bl = r.stderr.search(/\[flow ended\] blocked[^\n]*tcp\/88/);
      assert.ok(bl >= 0 && bl < r.stopLineAt, `refused flow expired and reported before the stop:\n${r.stderr}`);
    }
    assert.match(r.stderr, /\[live lo /, 'a rolling summary was printed');
    if (engine === 'tcpdump') {
      assert.match(r.stderr, /\[live lo [^\n]*tcpdump: \d+ dropped by kernel/, 'running drop count (SIGUSR1) in the rolling summary');
      assert.match(r.stderr, /capture ended[^\n]*tcpdump: \d+ packets dropped by kernel/, 'final drop count');
    }

    // The --write file: complete, nanosecond pcap, and the same findings when audited offline.
    const head = readFileSync(pcap);
    assert.is(head.readUInt32LE(0), 0xa1b23c4d);
    assert.is(head.readUInt32LE(20), 1, 'lo is Ethernet (DLT_EN10MB) for both engines');
    // The flows in the written file (flowaudit flows): exactly the four the test made.
    const off = path.join(dir, 'offline.json');
    const [fl, o] = await Promise.all([
      runCliPlain(['flows', pcap, '--format', 'ndjson']),
      runCliPlain(['audit', pcap, '--inventory', inventory, '--format', 'json', '--output', off]),
    ]);
    assert.is(fl.code, 0, fl.stderr);
    const flows = fl.stdout.trim().split('\n').map((l) => JSON.parse(l) as { proto: string; orig_h: string; resp_h: string; resp_p: number; conn_state: string; icmp_errors: Array<{ type: number; code: number; from: string }> })
      .filter((f) => f.resp_h === SERVER_ADDR)
      .map((f) => ({ proto: f.proto, orig_h: f.orig_h, resp_p: f.resp_p, conn_state: f.conn_state, icmp: f.icmp_errors.map((e) => `${e.type}/${e.code} from ${e.from}`) }))
      .sort((x, y) => x.proto.localeCompare(y.proto) || x.resp_p - y.resp_p);
    assert.equal(flows, [
      { proto: 'tcp', orig_h: '127.0.0.1', resp_p: KRB, conn_state: 'REJ', icmp: [] },
      { proto: 'tcp', orig_h: '127.0.0.1', resp_p: LDAP, conn_state: 'SF', icmp: [] },
      { proto: 'tcp', orig_h: '127.0.0.1', resp_p: odd, conn_state: 'SF', icmp: [] },
      { proto: 'udp', orig_h: '127.0.0.1', resp_p: KRB, conn_state: 'S0', icmp: [`3/3 from ${SERVER_ADDR}`] },
    ].sort((x, y) => x.proto.localeCompare(y.proto) || x.resp_p - y.resp_p));

    assert.is(o.code, 1, `offline exit code; stderr:\n${o.stderr}`);
    const offRep = JSON.parse(readFileSync(off, 'utf8')) as { findings: Finding[]; inputs: Array<{ packets: number }> };
    assert.equal(stable(offRep.findings), stable(rep.findings), 'offline re-audit gives the same findings');
    assert.is(offRep.inputs[0]!.packets, rep.inputs[0]!.packets, 'same packet count');
  } finally {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('live --engine cap on lo, ended by SIGINT: flows, findings, --write re-audit', async () => {
  await scenario('cap', 'SIGINT');
});

test('live --engine tcpdump on lo, ended by --duration: flows, findings, drops, --write re-audit', async () => {
  await scenario('tcpdump', 'duration');
});

test('SIGTERM with no traffic: clean end, exit code from --fail-on, header-only --write file', async () => {
  await Promise.all((['cap', 'tcpdump'] as const).map(async (engine) => {
    const ability = engine === 'cap' ? await capAbility() : await tcpdumpAbility();
    if (!ability.ok) { console.log(`skip: live ${engine} SIGTERM: ${ability.why}`); return; }
    const dir = mkdtempSync(path.join(tmpdir(), `fa-live-term-${engine}-`));
    try {
      const pcap = path.join(dir, 'empty.pcap'), report = path.join(dir, 'r.json');
      const r = await runCli(['live', '-i', 'lo', '--engine', engine, '--filter', `host 127.0.0.${engine === 'cap' ? 253 : 252}`, '--report-every', '0',
        '--write', pcap, '--inventory', inventory, '--format', 'json', '--output', report, '--fail-on', 'none'], async () => undefined, 'SIGTERM', 300);
      assert.is(r.code, 0, `${engine}: ${r.stderr}`);
      assert.match(r.stderr, /stopping \(SIGTERM\)/);
      assert.not.match(r.stderr, /\[live lo /, '--report-every 0: no rolling summary');
      const b = readFileSync(pcap);
      assert.is(b.length, 24, 'global header only');
      assert.is(b.readUInt32LE(0), 0xa1b23c4d);
      assert.is(b.readUInt32LE(20), 1);
      const rep = JSON.parse(readFileSync(report, 'utf8')) as { inputs: Array<{ file: string; packets: number; end: { clean: boolean } }>; summary: { verdict: string } };
      assert.equal(rep.inputs.map((i) => [i.file, i.packets, i.end.clean]), [['live:lo', 0, true]]);
      assert.is(rep.summary.verdict, 'PASS');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }));
});

test('tcpdump killed under a running audit: the report of what was captured is written, exit 2', async () => {
  const ability = await tcpdumpAbility();
  if (!ability.ok) { console.log(`skip: tcpdump killed: ${ability.why}`); return; }
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-live-kill-'));
  try {
    const report = path.join(dir, 'r.json');
    const r = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'live', '-i', 'lo', '--engine', 'tcpdump',
        '--filter', 'host 127.0.0.248', '--report-every', '0', '--inventory', inventory, '--format', 'json', '--output', report, '--fail-on', 'none'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '', killed = false;
      const limit = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`did not end; stderr:\n${stderr}`)); }, 20_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (!killed && /capturing on lo/.test(stderr)) {
          killed = true;
          // Our own child's child: the tcpdump this run started.
          const p = spawnSync('pgrep', ['-P', String(child.pid), '-x', 'tcpdump'], { encoding: 'utf8' });
          const pid = Number(p.stdout.trim().split('\n')[0]);
          if (!(pid > 0)) { child.kill('SIGKILL'); reject(new Error(`no tcpdump child found: ${p.stderr}`)); return; }
          process.kill(pid, 'SIGKILL');
        }
      });
      child.on('close', (code, signal) => { clearTimeout(limit); resolve({ code, signal, stdout, stderr, stopLineAt: -1 }); });
    });
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /stopping \(engine\)/);
    assert.match(r.stderr, /tcpdump stopped capturing on lo by itself \(signal SIGKILL\)/);
    assert.not.match(r.stderr, /    at /);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { warnings: string[]; inputs: Array<{ file: string }> };
    assert.equal(rep.inputs.map((i) => i.file), ['live:lo']);
    assert.ok(rep.warnings.some((w) => /ended on an error/.test(w)), JSON.stringify(rep.warnings));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('live errors are one clear line, exit 2: no such interface, bad filter', async () => {
  const ability = await capAbility();
  const engines: Array<'cap' | 'tcpdump'> = [];
  if (ability.ok) engines.push('cap');
  if ((await tcpdumpAbility()).ok) engines.push('tcpdump');
  if (engines.length === 0) { console.log('skip: live errors: no capture engine usable here'); return; }
  const runs = await Promise.all(engines.map((engine) => Promise.all([
    runCliPlain(['live', '-i', 'nosuch0', '--engine', engine, '--inventory', inventory, '--duration', '1']),
    runCliPlain(['live', '-i', 'lo', '--engine', engine, '--filter', 'tcp prot 80', '--inventory', inventory, '--duration', '1']),
  ])));
  runs.forEach(([a, b], i) => {
    const engine = engines[i]!;
    assert.is(a.code, 2, `${engine}: ${a.stderr}`);
    assert.match(a.stderr, /no such interface: nosuch0/);
    assert.match(a.stderr, /\blo\b/, 'lists the interfaces there are');
    assert.not.match(a.stderr, /    at /);
    assert.is(b.code, 2, `${engine}: ${b.stderr}`);
    assert.match(b.stderr, /bad capture filter "tcp prot 80": .*syntax error/);
    assert.not.match(b.stderr, /    at /);
  });
});

test('without capture rights: the permission error names root and setcap (run as nobody)', async () => {
  if (process.getuid?.() !== 0) { console.log('skip: permission error test: needs root to switch to nobody'); return; }
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (setpriv === undefined) { console.log('skip: permission error test: setpriv not installed'); return; }
  const engines: Array<'cap' | 'tcpdump'> = [];
  if ((await capAbility()).ok) engines.push('cap');
  if ((await tcpdumpAbility()).ok) engines.push('tcpdump');
  const runs = await Promise.all(engines.map((engine) => new Promise<CliRun>((resolve) => {
    const child = spawn(setpriv, ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', 'HOME=/tmp', process.execPath, '--import', 'tsx',
      path.join(root, 'src/cli/main.ts'), 'live', '-i', 'lo', '--engine', engine, '--inventory', inventory, '--duration', '1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr, stopLineAt: -1 }); });
  })));
  runs.forEach((r, i) => {
    if (!/no permission/.test(r.stderr) && /EACCES|Cannot find module|permission denied/i.test(r.stderr)) {
      console.log(`skip: permission error test (${engines[i]}): nobody cannot run the checkout here: ${r.stderr.split('\n')[0]}`);
      return;
    }
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /flowaudit: no permission to capture on lo/);
    assert.match(r.stderr, /run as root/);
    assert.match(r.stderr, /setcap cap_net_raw,cap_net_admin\+eip/);
    assert.not.match(r.stderr, /    at /);
  });
});

test('live without cap says how to get it; without tcpdump says so', async () => {
  const env = { ...process.env, FLOWAUDIT_NO_CAP: '1', FLOWAUDIT_TCPDUMP: '/nonexistent/tcpdump' };
  const run = (args: string[]) => new Promise<CliRun>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code, signal) => { clearTimeout(t); resolve({ code, signal, stdout, stderr, stopLineAt: -1 }); });
  });
  const [a, b, c] = await Promise.all([
    run(['live', '-i', 'lo', '--inventory', inventory, '--duration', '1']),
    run(['live', '-i', 'lo', '--engine', 'tcpdump', '--inventory', inventory, '--duration', '1']),
    run(['interfaces', '--format', 'json']),
  ]);
  assert.is(a.code, 2, a.stderr);
  assert.match(a.stderr, /libpcap-dev/);
  assert.match(a.stderr, /npm install cap|npm ci/);
  assert.is(b.code, 2, b.stderr);
  assert.match(b.stderr, /tcpdump not found/);
  // `interfaces` still works without cap (tcpdump -D / OS list).
  assert.is(c.code, 0, c.stderr);
  const l = JSON.parse(c.stdout) as { source: string; interfaces: Array<{ name: string; flags: string[]; addresses: Array<{ address: string }> }> };
  assert.ok(l.source === 'os' || l.source === 'tcpdump');
  const lo = l.interfaces.find((i) => i.name === 'lo');
  assert.ok(lo !== undefined && lo.addresses.some((x) => x.address === '127.0.0.1'), 'lo with 127.0.0.1 listed');
});

test.run();
