/** bench/refused.ts: the capture of flows refused by ICMP, and its answered control, read back. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { refusedCapture } from '../../bench/refused.js';
import { gatherEvidence } from '../../src/cli/gather.js';
import { withTmpDir } from '../helpers/tmp-dir.js';

test('refused: every flow quoted by one ICMP port unreachable from its server; answered: the same flows, answered by UDP', async () => {
  await withTmpDir('fa-refused-', async (dir) => {
    const icmp = path.join(dir, 'refused.pcap'), udp = path.join(dir, 'answered.pcap');
    writeFileSync(icmp, refusedCapture(600, 'icmp'));
    writeFileSync(udp, refusedCapture(600, 'udp'));
    const a = await gatherEvidence([icmp]), b = await gatherEvidence([udp]);
    assert.is(a.inputs[0]!.packets, 1200);
    assert.is(Object.keys(a.inputs[0]!.anomalies).length, 0, `no anomaly: ${JSON.stringify(a.inputs[0]!.anomalies)}`);
    assert.is(a.flows.length, 600);
    for (const f of a.flows) {
      assert.is(f.proto, 17);
      assert.equal(f.icmpErrors, [{ proto: 'icmp', type: 3, code: 3, count: 1, from: f.respH }]);
      assert.is(f.respPkts, 0);
    }
    const sync = a.flows.filter((f) => f.origH.startsWith('10.100.0.'));
    assert.is(sync.length, 300, 'half from the sync servers');
    for (const f of sync) assert.ok([53, 88, 389].includes(f.respP), `sync server to ${f.respP}`);
    assert.is(b.flows.length, 600);
    assert.equal(b.flows.map((f) => `${f.origH} ${f.origP} ${f.respH} ${f.respP}`).sort(), a.flows.map((f) => `${f.origH} ${f.origP} ${f.respH} ${f.respP}`).sort());
    for (const f of b.flows) { assert.is(f.icmpErrors.length, 0); assert.is(f.respPkts, 1); assert.is(f.connState, 'SF'); }
  });
});

test.run();
