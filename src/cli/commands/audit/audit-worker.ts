/**
 * The audit thread's entry (worker_threads): an IncrementalAudit fed by the messages of
 * audit-thread.ts, which answers with the report.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IncrementalAudit, type AuditSetup } from './incremental.js';
import type { FromAuditThread, ToAuditThread } from './audit-thread.js';

const port = parentPort!;
const audit = await IncrementalAudit.create(workerData as AuditSetup);
let reading: Int32Array | null = null;
port.on('message', (m: ToAuditThread) => {
  if (m.t === 'reading') { reading = m.flags; return; }
  if (m.t === 'flows') {
    audit.addBatch(m);
    // the rows are audited (and kept, for stdin or a pipe): the core may fill their batch again,
    // or a copied batch's buffer goes back to be filled again
    if (m.batch !== undefined) {
      Atomics.store(reading!, m.batch, 0);
      const taken: FromAuditThread = { t: 'taken' };
      port.postMessage(taken);
    } else {
      // (shared, not transferred: a transfer would detach it, see PackedRows)
      const taken: FromAuditThread = { t: 'taken', buf: m.buf as SharedArrayBuffer };
      port.postMessage(taken);
    }
    return;
  }
  void audit.finish(m.evidence).then((outcome) => {
    const out: FromAuditThread = { t: 'report', outcome };
    port.postMessage(out);
    port.close();
  });
});
