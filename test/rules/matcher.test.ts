import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { policyFor } from '../audit/helpers.js';
import type { CompiledPolicy } from '../../src/rules/policy.js';

const INV = { roles: { aadconnect: ['10.0.0.20'], dc: ['10.0.0.10'], pta: ['10.0.0.30'], azuread: ['203.0.113.0/24'], users: ['198.51.100.0/24'], wap: ['10.1.0.40'] } };
const ids = (pol: CompiledPolicy, proto: number, port: number, o: string, r: string) =>
  pol.match(proto, port, pol.rolesOf(o), pol.rolesOf(r)).map((i) => pol.rules[i]!.id);

test('dynamic RPC range edges: 49151 no, 49152 and 65535 yes (TCP and the seed\'s UDP)', async () => {
  const pol = await policyFor(INV);
  assert.equal(ids(pol, 6, 49151, '10.0.0.20', '10.0.0.10'), []);
  assert.equal(ids(pol, 6, 49152, '10.0.0.20', '10.0.0.10'), ['T1-RPC']);
  assert.equal(ids(pol, 6, 65535, '10.0.0.20', '10.0.0.10'), ['T1-RPC']);
  assert.equal(ids(pol, 17, 49152, '10.0.0.20', '10.0.0.10'), ['T1-RPC']);
  const cur = await policyFor(INV, 'entra-connect-2025');
  assert.equal(ids(cur, 17, 49152, '10.0.0.20', '10.0.0.10'), [], 'TCP only in the current page');
  assert.equal(ids(cur, 6, 65535, '10.0.0.20', '10.0.0.10'), ['T1-RPC']);
});

test('connector range edges: 10099 no, 10100 and 10120 yes, 10121 no', async () => {
  const pol = await policyFor(INV);
  assert.equal(ids(pol, 6, 10099, '10.0.0.30', '203.0.113.5'), []);
  assert.equal(ids(pol, 6, 10100, '10.0.0.30', '203.0.113.5'), ['T6a-CONNECTOR']);
  assert.equal(ids(pol, 6, 10120, '10.0.0.30', '203.0.113.5'), ['T6a-CONNECTOR']);
  assert.equal(ids(pol, 6, 10121, '10.0.0.30', '203.0.113.5'), []);
  assert.equal(ids(pol, 17, 10100, '10.0.0.30', '203.0.113.5'), [], 'no UDP for Table 6a');
});

test('role pair and direction matter; a port in several rows matches each', async () => {
  const pol = await policyFor(INV);
  assert.equal(ids(pol, 6, 389, '10.0.0.20', '10.0.0.10'), ['T1-LDAP']);
  assert.equal(ids(pol, 6, 389, '10.0.0.10', '10.0.0.20'), [], 'wrong direction');
  assert.equal(ids(pol, 6, 389, '198.51.100.9', '10.0.0.10'), [], 'wrong role pair');
  assert.equal(ids(pol, 6, 443, '10.0.0.30', '203.0.113.5'), ['T6a-HTTPS', 'T6a-BOOTSTRAP']);
  assert.equal(ids(pol, 6, 443, '198.51.100.9', '10.1.0.40'), ['T5-HTTPS']);
  assert.equal(ids(pol, 6, 0, '10.0.0.20', '10.0.0.10'), []);
  assert.equal(ids(pol, 1, 0, '10.0.0.20', '10.0.0.10'), [], 'ICMP is not matched');
});

test('the port table is compiled once: every port of every rule maps back to it', async () => {
  const pol = await policyFor(INV);
  for (const [pi, proto] of [[0, 'tcp'], [1, 'udp']] as const) {
    for (let port = 0; port < 65536; port += 1) {
      const want = pol.rules.flatMap((r, i) => (r.protocols.includes(proto) && r.ports.some(([a, b]) => port >= a && port <= b) ? [i] : []));
      const got = pol.classRules[pol.portClass[pi][port]!]!;
      if (want.join() !== got.join()) assert.unreachable(`${proto}/${port}: ${got} != ${want}`);
    }
  }
});

test.run();
