/**
 * Throughput of capture read → decode → flow table on one core (not a test):
 *   node --import tsx test/flow/perf/measure.ts /tmp/flowaudit-perf.pcap [stage=all|read|decode|rows|flow]
 * (rows: finished flows read out as FlowRows, as the flows/audit commands keep them; flow: as FlowRecords)
 * Prints packets/s per stage and the flow table's bytes per flow.
 */
import { readCaptures } from '../../../src/capture/read.js';
import { Decoder } from '../../../src/decode/decoder.js';
import { DecodedPacket } from '../../../src/decode/packet.js';
import { Anomalies } from '../../../src/core/anomalies.js';
import { FlowEngine } from '../../../src/flow/engine.js';
import { FlowRow } from '../../../src/flow/row.js';

const file = process.argv[2] ?? '/tmp/flowaudit-perf.pcap';
const stage = process.argv[3] ?? 'all';

/** Wall time and CPU time (user + system of this process): on a shared machine CPU time is the steadier figure. */
async function time(name: string, fn: () => Promise<number>): Promise<void> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const n = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  const cs = (cu.user + cu.system) / 1e6;
  console.log(`${name.padEnd(28)} ${n} packets: wall ${s.toFixed(2)} s = ${(n / s / 1e6).toFixed(2)} M packets/s; cpu ${cs.toFixed(2)} s = ${(n / cs / 1e6).toFixed(2)} M packets/s`);
}

if (stage === 'all' || stage === 'read') {
  await time('read only', async () => { let n = 0; await readCaptures([file], {}, () => { n++; }); return n; });
}
if (stage === 'all' || stage === 'decode') {
  await time('read + decode', async () => {
    let n = 0; const d = new Decoder(new Anomalies()); const p = new DecodedPacket();
    await readCaptures([file], {}, (r) => { d.decode(r, p); n++; });
    return n;
  });
}
if (stage === 'all' || stage === 'rows') {
  let flows = 0;
  const eng = new FlowEngine({ onFlow: () => { flows++; } });
  const row = new FlowRow();
  eng.table.setRowSink((t, f) => { t.readRow(f, row); flows++; return true; });
  await time('read + decode + flow (rows)', async () => {
    await readCaptures([file], {}, (r) => eng.packet(r));
    eng.flush();
    return eng.packets;
  });
  console.log(`flows ${flows}`);
}
if (stage === 'all' || stage === 'flow') {
  let flows = 0, peak = 0, colBytes = 0;
  const eng = new FlowEngine({ onFlow: () => { flows++; } });
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  await time('read + decode + flow', async () => {
    await readCaptures([file], {}, (r) => {
      eng.packet(r);
      if ((r.index & 0xfffff) === 0) {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
      }
    });
    colBytes = eng.table.columnBytes;
    const live = eng.table.size;
    const m = process.memoryUsage();
    console.log(`live flows before flush: ${live}; table columns ${(colBytes / 1e6).toFixed(1)} MB`);
    console.log(`heap+arrayBuffers now ${((m.heapUsed + m.arrayBuffers - heap0) / 1e6).toFixed(1)} MB above start; sampled peak ${((peak - heap0) / 1e6).toFixed(1)} MB`);
    eng.flush();
    return eng.packets;
  });
  console.log(`flows ${flows}, evictions ${eng.evictions}, expired ${eng.table.expired}`);
}
