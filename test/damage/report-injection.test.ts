/**
 * Capture-controlled text in reports: a DNS answer whose name holds ESC, CR, LF and TAB
 * (fixtures/malformed/report.dns_name_control_chars.pcap, built by test/fuzz/bytes.ts: one UDP DNS
 * response `x<ESC>[2J<LF>PASS   FAKE<CR><TAB>line.login → 10.0.0.99`, then a TCP 9999 handshake
 * from an aadconnect host to 10.0.0.99, which the inventory puts in azuread by `*.login`).
 * The finding's note names the host; no report format may pass the control characters through
 * (a terminal would run the escape sequence; the newline forges a report line).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { MALFORMED } from '../fuzz/harness.js';
import { skip } from '../fuzz/modules.js';
import { cliAvailable, runMany } from './cli.js';

const CAP = path.join(MALFORMED, 'report.dns_name_control_chars.pcap');
const INV = path.join(MALFORMED, 'report.dns_name_control_chars.inventory.json');

test('names from the capture reach no report format with raw control characters', async () => {
  if (!cliAvailable('audit')) return skip('audit not there yet');
  const formats = ['text', 'markdown', 'json']; // ndjson is JSON-encoded like json
  const runs = await runMany(formats.map((f) => ['audit', CAP, '--inventory', INV, '--format', f]));
  const problems: string[] = [];
  runs.forEach((r, i) => {
    const f = formats[i]!;
    if (r.code !== 0 && r.code !== 1) problems.push(`${f}: exit ${r.code}: ${r.stderr.slice(0, 200)}`);
    if ((f === 'text' || f === 'json') && !/fake/i.test(r.stdout)) problems.push(`${f}: the hostile name is not in the report at all (test no longer reaches the printing code)`);
    const bad = /[\x00-\x08\x0b-\x1f\x7f]/.exec(r.stdout);
    if (bad) problems.push(`${f}: raw control character 0x${bad[0].charCodeAt(0).toString(16)} at char ${bad.index}: ${JSON.stringify(r.stdout.slice(Math.max(0, bad.index - 60), bad.index + 40))}`);
    if (/^pass {3}fake/im.test(r.stdout)) problems.push(`${f}: the name's newline starts a forged report line`);
  });
  if (problems.length) assert.unreachable(problems.join('\n'));
});

test('inspect: a pcapng interface name with ESC/BEL/LF is not printed raw', async () => {
  if (!cliAvailable('inspect')) return skip('inspect not there yet');
  // fixtures/malformed/inspect.pcapng_if_name_control_chars.pcapng: SHB (shb_userappl with ESC/LF), IDB with
  // if_name "eth0<ESC>]0;pwned<BEL><LF>    #9  FAKE (1)" (an OSC title sequence and a forged interface line),
  // if_description with ESC, one EPB with an opt_comment holding ESC[2J and LF
  const [r] = await runMany([['inspect', path.join(MALFORMED, 'inspect.pcapng_if_name_control_chars.pcapng')]]);
  assert.ok(r!.code === 0, `exit ${r!.code}`);
  const bad = /[\x00-\x08\x0b-\x1f\x7f]/.exec(r!.stdout);
  assert.not.ok(bad, `raw control character in inspect output: ${JSON.stringify(r!.stdout.slice(0, 600))}`);
  assert.not.match(r!.stdout, /^\s+#9 {2}FAKE/m, 'no forged interface line');
});

test.run();
