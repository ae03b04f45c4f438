/**
 * Start a worker thread on a module next to the caller: `spawnWorker(import.meta.url, 'worker')`
 * runs `./worker.js` from the built code, or `./worker.ts` (through tsx) when the caller itself
 * runs from source, as the tests do.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

export function spawnWorker(callerUrl: string, stem: string, workerData?: unknown, resourceLimits?: ResourceLimits): Worker {
  const opts = { ...(workerData === undefined ? {} : { workerData }), ...(resourceLimits === undefined ? {} : { resourceLimits }) };
  if (callerUrl.endsWith('.ts')) {
    // running from source under tsx: register tsx inside the worker, then load the TypeScript entry
    const api = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${stem}.ts`, callerUrl).href;
    return new Worker(`import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, ...opts });
  }
  return new Worker(new URL(`./${stem}.js`, callerUrl), opts);
}
