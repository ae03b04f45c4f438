/**
 * The library API (src/index.ts) runs the whole pipeline: the demo sample's planted violations
 * (fixtures/demo/README.md: V1–V6 unexpected, V7 missing T1-LDAPS) come out through it as they do
 * through the CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fa from '../../src/index.js';

const DEMO = new URL('../../fixtures/demo/', import.meta.url).pathname;

test('gatherEvidence → compilePolicy → audit finds the demo\'s planted violations', async () => {
  const profile = await fa.builtinProfile('hybrid-identity');
  const inventory = await fa.loadInventory(`${DEMO}inventory.json`, profile);
  const evidence = await fa.gatherEvidence([`${DEMO}sample.pcapng`]);
  const report = fa.audit(evidence, fa.compilePolicy(profile, inventory));
  assert.is(report.summary.verdict, 'FAIL');
  const unexpected = report.findings.filter((f) => f.kind === 'unexpected').map((f) => `${f.proto}/${f.resp_p}`).sort();
  assert.equal(unexpected, ['tcp/135', 'tcp/1433', 'tcp/3389', 'tcp/389', 'tcp/445', 'udp/161']);
  assert.equal(report.findings.filter((f) => f.kind === 'missing').map((f) => f.rule), ['T1-LDAPS']);
  assert.equal(fa.failingFindings(report, ['missing']).length, 1);
});

test.run();
