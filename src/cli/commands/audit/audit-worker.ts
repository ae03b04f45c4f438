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
    for (const [i, name, kind] of m.sources) audit.setSource(i, name, kind);
    for (const n of m.names) audit.addName(n);
    if (m.n > 0) audit.addRows(m.buf, m.n);
    if (m.records.length > 0) audit.addRecords(m.records);
    return;
  }
  void audit.finish(m.evidence).then((report) => {
    const out: FromAuditThread = { report };
    port.postMessage(out);
    port.close();
  });
});
