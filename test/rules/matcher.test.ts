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

test('match() answers are remembered per (port class, masks): shared frozen arrays, equal to the rule-by-rule answer', async () => {
  const pol = await policyFor(INV);
  const roleCount = Object.keys(pol.profile.roles).length;
  const ports = [0, 53, 88, 135, 389, 443, 445, 636, 3268, 5985, 8080, 10100, 49152, 55000, 65535];
  let nonEmpty = 0;
  for (const proto of [6, 17, 1]) {
    for (const port of ports) {
      for (let om = 0; om < 1 << Math.min(roleCount, 6); om++) {
        for (const rm of [0, 1, 2, 4, 8, 16, 32, 3, 63, (1 << roleCount) - 1]) {
          const want = pol.rules.flatMap((r, i) => (r.protocols.includes(proto === 6 ? 'tcp' : 'udp') && proto !== 1 && om !== 0 && rm !== 0 &&
            r.ports.some(([a, b]) => port >= a && port <= b) && (pol.ruleInit[i]! & om) !== 0 && (pol.ruleResp[i]! & rm) !== 0 ? [i] : []));
          const first = pol.match(proto, port, om, rm), again = pol.match(proto, port, om, rm);
          if (first.join() !== want.join()) assert.unreachable(`${proto}/${port} ${om}→${rm}: ${first} != ${want}`);
          assert.ok(first === again, 'the same array the second time');
          assert.ok(Object.isFrozen(first), 'frozen: callers cannot change the remembered answer');
          if (first.length > 0) nonEmpty++;
        }
      }
    }
  }
  assert.ok(nonEmpty > 50, `${nonEmpty} non-empty answers checked`);
});

test.run();
