/**
 * Output safety end to end: `--output FILE` never leaves a half-written FILE (process killed
 * mid-run with SIGKILL or SIGTERM at several moments: FILE is absent, or still holds its old
 * content, or is complete when the run finished first), and a broken stdout pipe
 * (`flowaudit flows big.pcap | head -1`) ends quietly: no stack trace, exit code 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { skip } from '../fuzz/modules.js';
import { pcapFile, eth, ipv4, udp } from '../fuzz/bytes.js';
import { cliAvailable, startCli, MAIN, hasStackTrace } from './cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'flowaudit-out-'));
const FLOWS = 12000;

/** A capture of FLOWS one-packet UDP flows (distinct source ports and hosts): many output lines. */
function bigCapture(): string {
  const f = path.join(tmp, 'big.pcap');
  const recs = [];
  for (let i = 0; i < FLOWS; i++) {
    recs.push({ tsSec: 1700000000 + Math.floor(i / 1000), tsFrac: (i % 1000) * 1000, data: eth(0x0800, ipv4(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, '192.168.1.1', 17, udp(1024 + (i % 60000), 53, Buffer.alloc(8)))) });
  }
  writeFileSync(f, pcapFile({ records: recs }));
  return f;
}

function wait(ms: number): Promise<void> { return new Promise((r) => setTimeout(r, ms)); }

test('--output FILE: killed mid-run never leaves a partial FILE (SIGKILL and SIGTERM at several moments)', async () => {
  if (!cliAvailable('flows')) return skip('the flows command is not there yet');
  const big = bigCapture();
  const out = path.join(tmp, 'flows.ndjson');
  const OLD = '{"old":"content"}\n';
  let killed = 0, finished = 0, midWrite = 0;
  // delay -1: kill as soon as the temporary file appears (the run is writing its output)
  for (const [sig, delay] of [['SIGKILL', -1], ['SIGTERM', -1], ['SIGKILL', 300], ['SIGTERM', 900]] as const) {
    writeFileSync(out, OLD);
    const p = startCli(['flows', big, '--output', out], { stdout: 'ignore' });
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    let exited = false;
    const done = new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('close', (c, s) => { exited = true; r([c, s]); }));
    if (delay < 0) {
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 30000 && !readdirSync(tmp).some((n) => n !== 'big.pcap' && n !== 'flows.ndjson')) await wait(2);
      if (!exited) midWrite++;
    } else await wait(delay);
    p.kill(sig);
    const [code, signal] = await done;
    const now = readFileSync(out, 'utf8');
    // A signal after the rename (while the run was ending) finds FILE complete: that run counts as
    // finished. Otherwise FILE must have kept its old content: it is never partial.
    const interrupted = (signal !== null || (code !== 0 && code !== 1)) && now === OLD;
    if (signal !== null || (code !== 0 && code !== 1)) assert.ok(now === OLD || now.trim().split('\n').length === FLOWS, `${sig} after ${delay} ms: FILE is its old content or complete (exit ${code}, signal ${signal})`);
    if (interrupted) {
      killed++;
      if (sig === 'SIGTERM') {
        const temps = readdirSync(tmp).filter((n) => n.includes(`.${p.pid}.`));
        assert.equal(temps, [], `SIGTERM: the run's temporary file is removed (left: ${temps.join(', ')})`);
      }
    } else {
      finished++;
      const lines = now.trim().split('\n');
      assert.is(lines.length, FLOWS, `finished before ${sig} at ${delay} ms: FILE complete`);
      for (const l of [lines[0]!, lines[lines.length - 1]!]) JSON.parse(l);
    }
    assert.not.ok(hasStackTrace(err), `no stack trace: ${err}`);
    // SIGKILL cannot be caught: its temporary file stays (FILE is untouched); clear it for the next run
    for (const n of readdirSync(tmp)) if (n.endsWith('.tmp')) rmSync(path.join(tmp, n));
  }
  process.stdout.write(`output safety: ${killed} runs killed mid-way (${midWrite} while the temporary file existed), ${finished} finished before the signal\n`);
  assert.ok(killed >= 2, 'at least two runs were really interrupted');
  assert.ok(midWrite >= 1, 'at least one run was killed while writing its output');
});

test('broken pipe: `flows big.pcap | head -1` ends quietly with exit code 0 (sorted; --unsorted with its format thread and without)', () => {
  if (!cliAvailable('flows')) return skip('the flows command is not there yet');
  const big = path.join(tmp, 'big.pcap');
  if (!existsSync(big)) bigCapture();
  for (const [fmt, extra] of [['ndjson', ''], ['ndjson', '--unsorted --threads 2'], ['csv', '--unsorted --threads 1']] as const) {
    const errFile = path.join(tmp, `stderr-${fmt}.txt`);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx "${MAIN}" flows "${big}" --format ${fmt} ${extra} 2>"${errFile}" | head -1; echo "rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60000 });
    const stderr = readFileSync(errFile, 'utf8');
    const lines = r.stdout.trim().split('\n');
    assert.is(lines.length, 2, `${fmt}: one line through head, then the exit code (${r.stdout.slice(0, 300)})`);
    assert.is(lines[1], 'rc=0', `${fmt}: exit code 0 after EPIPE (stderr: ${stderr.slice(0, 400)})`);
    assert.not.ok(hasStackTrace(stderr), `${fmt}: no stack trace on stderr: ${stderr.slice(0, 400)}`);
    assert.not.match(stderr, /EPIPE|Error|error/, `${fmt}: no error text on stderr (${stderr.slice(0, 300)})`);
  }
});

test('audit | head -1 on a damaged file: exit code is the run\'s own (1 for findings), no stack trace', () => {
  if (!cliAvailable('audit')) return skip('the audit command is not there yet');
  const big = path.join(tmp, 'big.pcap');
  if (!existsSync(big)) bigCapture();
  // cut the big capture in the middle of a record: damaged but readable
  const cut = path.join(tmp, 'big-cut.pcap');
  const b = readFileSync(big);
  writeFileSync(cut, b.subarray(0, b.length - 7));
  const errFile = path.join(tmp, 'stderr-audit.txt');
  const inv = path.join(tmp, 'inv.json');
  writeFileSync(inv, JSON.stringify({ roles: { dc: ['192.168.1.1'], aadconnect: ['10.0.0.0/8'] } }));
  const r = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx "${MAIN}" audit "${cut}" --inventory "${inv}" --format ndjson 2>"${errFile}" | head -1; echo "rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 60000 });
  const stderr = readFileSync(errFile, 'utf8');
  const rc = /rc=(\d+)/.exec(r.stdout)?.[1];
  assert.ok(rc === '0' || rc === '1', `exit code ${rc} (the run's code), stderr ${stderr.slice(0, 300)}`);
  assert.not.ok(hasStackTrace(stderr), `no stack trace: ${stderr.slice(0, 400)}`);
});

test.after(() => { rmSync(tmp, { recursive: true, force: true }); });

test.run();
