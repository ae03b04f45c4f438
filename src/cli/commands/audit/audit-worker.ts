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
  if (m.t === 'flows') { audit.addBatch(m); return; }
  void audit.finish(m.evidence).then((report) => {
    const out: FromAuditThread = { report };
    port.postMessage(out);
    port.close();
  });
});
