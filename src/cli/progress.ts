/** The progress bar on standard error (bytes read of the total), shown only when stderr is a terminal. */
import cliProgress from 'cli-progress';
import type { GatherOptions } from './gather.js';

/** `label` (e.g. "pass 1/2") is shown before the bar when a run reads its inputs more than once. */
export function progressBar(label = ''): { opts: Pick<GatherOptions, 'onProgress'>; stop: () => void } {
  if (!process.stderr.isTTY) return { opts: {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, hideCursor: true, clearOnComplete: true,
    format: `${label === '' ? '' : ` ${label}`} {bar} {percentage}% | {mb}/{totalMb} MiB | eta {eta}s`,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    opts: {
      onProgress: (done, total) => {
        if (total === null || total === 0) return;
        const mb = (x: number) => (x / 1048576).toFixed(0);
        if (!started) { bar.start(total, 0, { mb: mb(0), totalMb: mb(total) }); started = true; }
        bar.update(done, { mb: mb(done), totalMb: mb(total) });
      },
    },
    stop: () => { if (started) bar.stop(); },
  };
}
