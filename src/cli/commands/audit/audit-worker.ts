/**
 * The audit thread's entry (worker_threads): an IncrementalAudit fed by the messages of
 * audit-thread.ts, which answers with the report.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IncrementalAudit, type AuditSetup } from './incremental.js';
import type { FromAuditThread, ToAuditThread } from './audit-thread.js';

const port = parentPort!;
const audit = await IncrementalAudit.create(workerData as AuditSetup);
port.on('message', (m: ToAuditThread) => {
  if (m.t === 'flows') {
    audit.addBatch(m);
    // the rows are audited (and kept, for stdin or a pipe): the buffer goes back to be filled again
    const taken: FromAuditThread = { t: 'taken', buf: m.buf };
    port.postMessage(taken, [m.buf]);
    return;
  }
  void audit.finish(m.evidence).then((outcome) => {
    const out: FromAuditThread = { t: 'report', outcome };
    port.postMessage(out);
    port.close();
  });
});
