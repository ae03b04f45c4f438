/** Flow-log documents for the hostile-input tests (shared by the evidence fuzz and the determinism test). */
import type { EvidenceKind } from '../../src/flow/record.js';

/** Documents written from the formats' public descriptions (Azure NSG v2 / VNet v4 schema, AWS VPC v2 default format, Zeek conn.log, Suricata eve flow). */
export const DOCS: { kind: EvidenceKind; name: string; text: string }[] = [
  {
    kind: 'azure-nsg', name: 'nsg-v2.json', text: JSON.stringify({
      records: [{
        time: '2024-01-01T00:01:00.0000000Z', systemId: 'a', macAddress: '000D3A000001', category: 'NetworkSecurityGroupFlowEvent',
        resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG', operationName: 'NetworkSecurityGroupFlowEvents',
        properties: {
          Version: 2, flows: [{
            rule: 'UserRule_AllowLdap', flows: [{
              mac: '000D3A000001', flowTuples: [
                '1704067200,10.0.0.4,10.0.0.5,49152,389,T,O,A,B,,,,',
                '1704067260,10.0.0.4,10.0.0.5,49152,389,T,O,A,E,5,500,4,400',
                '1704067201,10.0.0.4,10.0.0.6,50000,88,U,O,A,B,,,,',
                '1704067202,192.0.2.9,10.0.0.5,40000,3389,T,I,D,B,,,,',
              ],
            }],
          }],
        },
      }, {
        time: '2024-01-01T00:02:00.0000000Z', systemId: 'a', macAddress: '000D3A000001', category: 'NetworkSecurityGroupFlowEvent',
        resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG', operationName: 'NetworkSecurityGroupFlowEvents',
        properties: { Version: 2, flows: [{ rule: 'DefaultRule_AllowVnetOutBound', flows: [{ mac: '000D3A000001', flowTuples: ['1704067300,10.0.0.4,10.0.0.7,50001,445,T,O,A,E,3,300,3,300'] }] }] },
      }],
    }),
  },
  {
    kind: 'azure-vnet', name: 'vnet-v4.json', text: JSON.stringify({
      records: [{
        time: '2024-01-01T00:01:00.0000000Z', flowLogVersion: 4, flowLogGUID: 'g', macAddress: '000D3A000001', category: 'FlowLogFlowEvent',
        flowLogResourceID: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL', targetResourceID: '/x', operationName: 'FlowLogFlowEvent',
        flowRecords: { flows: [{ aclID: 'a', flowGroups: [{ rule: 'r', flowTuples: ['1704067200000,10.0.0.4,10.0.0.5,49152,636,6,O,B,NX,0,0,0,0', '1704067260000,10.0.0.4,10.0.0.5,49152,636,6,O,E,NX,5,500,4,400', '1704067261000,10.0.0.4,10.0.0.6,50002,53,17,O,B,NX,0,0,0,0'] }] }] },
      }],
    }),
  },
  {
    kind: 'aws-vpc', name: 'vpc.log', text: [
      'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
      '2 123456789012 eni-0a1b2c3d 10.0.0.4 10.0.0.5 49152 389 6 10 840 1704067200 1704067260 ACCEPT OK',
      '2 123456789012 eni-0a1b2c3d 10.0.0.5 10.0.0.4 389 49152 6 8 700 1704067200 1704067260 ACCEPT OK',
      '2 123456789012 eni-0a1b2c3d 198.51.100.7 10.0.0.5 40000 3389 6 1 60 1704067200 1704067260 REJECT OK',
      '2 123456789012 eni-0a1b2c3d - - - - - - - 1704067200 1704067260 - NODATA',
      '',
    ].join('\n'),
  },
  {
    kind: 'zeek', name: 'conn.log', text: [
      '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn', '#open\t2024-01-01-00-00-00',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
      '1704067200.000001\tCabc1\t10.0.0.4\t49152\t10.0.0.5\t389\ttcp\tldap\t1.5\t100\t200\tSF\t-\t-\t0\tShADadFf\t6\t420\t5\t460\t(empty)',
      '1704067201.5\tCabc2\t10.0.0.4\t50000\t10.0.0.6\t88\tudp\tkrb\t0.01\t100\t200\tSF\t-\t-\t0\tDd\t1\t128\t1\t228\t(empty)',
      '1704067202.25\tCabc3\t2001:db8::4\t50001\t2001:db8::5\t636\ttcp\t-\t-\t-\t-\tS0\t-\t-\t0\tS\t1\t80\t0\t0\t(empty)',
      '#close\t2024-01-01-01-00-00', '',
    ].join('\n'),
  },
  {
    kind: 'zeek', name: 'conn.json', text: [
      JSON.stringify({ ts: 1704067200.000001, uid: 'C1', 'id.orig_h': '10.0.0.4', 'id.orig_p': 49152, 'id.resp_h': '10.0.0.5', 'id.resp_p': 389, proto: 'tcp', conn_state: 'SF', history: 'ShADadFf', orig_pkts: 6, orig_ip_bytes: 420, resp_pkts: 5, resp_ip_bytes: 460 }),
      JSON.stringify({ ts: '2024-01-01T00:00:01.000000Z', uid: 'C2', 'id.orig_h': '10.0.0.4', 'id.orig_p': 50000, 'id.resp_h': '10.0.0.6', 'id.resp_p': 88, proto: 'udp', conn_state: 'SF', history: 'Dd', orig_pkts: 1, orig_ip_bytes: 128, resp_pkts: 1, resp_ip_bytes: 228 }),
      '',
    ].join('\n'),
  },
  {
    kind: 'suricata', name: 'eve.json', text: [
      JSON.stringify({ timestamp: '2024-01-01T00:01:00.000000+0000', flow_id: 1, event_type: 'flow', src_ip: '10.0.0.4', src_port: 49152, dest_ip: '10.0.0.5', dest_port: 389, proto: 'TCP', flow: { pkts_toserver: 6, pkts_toclient: 5, bytes_toserver: 420, bytes_toclient: 460, start: '2024-01-01T00:00:00.000000+0000', end: '2024-01-01T00:00:01.500000+0000', state: 'closed', reason: 'timeout', alerted: false }, tcp: { tcp_flags: '1b', tcp_flags_ts: '1b', tcp_flags_tc: '1b', syn: true, fin: true, psh: true, ack: true, state: 'closed' } }),
      JSON.stringify({ timestamp: '2024-01-01T00:01:00.000000+0000', flow_id: 2, event_type: 'alert', src_ip: '10.0.0.4', dest_ip: '10.0.0.5', proto: 'TCP' }),
      JSON.stringify({ timestamp: '2024-01-01T00:01:01.000000+0000', flow_id: 3, event_type: 'flow', src_ip: '10.0.0.4', src_port: 50000, dest_ip: '10.0.0.6', dest_port: 88, proto: 'UDP', flow: { pkts_toserver: 1, pkts_toclient: 1, bytes_toserver: 128, bytes_toclient: 228, start: '2024-01-01T00:00:01.000000+0000', end: '2024-01-01T00:00:01.010000+0000', state: 'established', reason: 'timeout' } }),
      '',
    ].join('\n'),
  },
];

