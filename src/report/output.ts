/**
 * Safe output for every command: stdout, or `--output FILE` written to a temporary file in the
 * same folder and renamed over FILE only when the whole output was written (an interrupted or
 * failed run never leaves a half-written FILE; the temporary file is removed on error, on SIGINT/
 * SIGTERM and at exit). Small writes are gathered into ~256 KiB blocks; big blocks respect the
 * stream's back-pressure (await 'drain'). A broken stdout pipe (`| head`) is handled by
 * src/cli/run-handler.ts (the process ends quietly).
 */
import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const BLOCK = 256 * 1024;

export interface Output {
  /** FILE, or undefined for stdout. */
  readonly path: string | undefined;
  /** Queue text; resolves when it may continue (after a 'drain' if the stream was full). */
  write(text: string): Promise<void>;
  /**
   * Write a block of bytes after any queued text (same back-pressure as write). The caller must
   * not reuse `bytes` until `released` is called: the stream keeps it until written (or failed).
   * Optional: callers fall back to write(text) when an Output does not have it.
   */
  writeBytes?(bytes: Uint8Array, released?: () => void): Promise<void>;
  /** Flush, close and (for a file) rename into place. */
  end(): Promise<void>;
  /** Give up: close and remove the temporary file (FILE is left as it was). */
  abort(): Promise<void>;
}

const pendingTemps = new Set<string>();
let hooksInstalled = false;

function installCleanupHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const cleanup = (): void => {
    for (const t of pendingTemps) { try { unlinkSync(t); } catch { /* already gone */ } }
    pendingTemps.clear();
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { cleanup(); process.kill(process.pid, sig); });
  }
}

class StreamOutput implements Output {
  readonly path: string | undefined;
  readonly #stream: NodeJS.WritableStream;
  readonly #temp: string | null;
  #buf = '';
  #error: Error | null = null;
  #closed = false;

  constructor(stream: NodeJS.WritableStream, filePath: string | undefined, temp: string | null) {
    this.#stream = stream;
    this.path = filePath;
    this.#temp = temp;
    if (temp !== null) stream.on('error', (e: Error) => { this.#error = e; });
  }

  async write(text: string): Promise<void> {
    if (this.#error) throw this.#error;
    this.#buf += text;
    if (this.#buf.length >= BLOCK) await this.#flush();
  }

  async writeBytes(bytes: Uint8Array, released?: () => void): Promise<void> {
    if (this.#error) { released?.(); throw this.#error; }
    await this.#flush();
    if (bytes.length > 0) await this.#send(bytes, released);
    else released?.();
  }

  async #flush(): Promise<void> {
    if (this.#buf.length === 0) return;
    const chunk = this.#buf;
    this.#buf = '';
    await this.#send(chunk);
  }

  async #send(chunk: string | Uint8Array, released?: () => void): Promise<void> {
    const s = this.#stream;
    // (the stream calls back once the chunk is written or has failed: either way it holds it no more)
    if (!(released !== undefined ? s.write(chunk, () => released()) : s.write(chunk))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { s.off('error', onErr); resolve(); };
        const onErr = (e: Error): void => { s.off('drain', onDrain); reject(e); };
        s.once('drain', onDrain);
        s.once('error', onErr);
      });
    }
    if (this.#error) throw this.#error;
  }

  async end(): Promise<void> {
    if (this.#closed) return;
    await this.#flush();
    this.#closed = true;
    if (this.#temp === null) return; // stdout stays open
    const ws = this.#stream as WriteStream;
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.end(() => resolve());
    });
    if (this.#error) { await this.abort(); throw this.#error; }
    await rename(this.#temp, this.path!);
    pendingTemps.delete(this.#temp);
  }

  async abort(): Promise<void> {
    this.#closed = true;
    if (this.#temp === null) return;
    const ws = this.#stream as WriteStream;
    await new Promise<void>((resolve) => { if (ws.closed) resolve(); else ws.destroy(); ws.once('close', () => resolve()); if (ws.closed) resolve(); });
    try { await unlink(this.#temp); } catch { /* gone */ }
    pendingTemps.delete(this.#temp);
  }
}

/** Open stdout (path undefined or '-') or FILE (via a temporary file renamed at end()). */
export async function openOutput(filePath: string | undefined): Promise<Output> {
  if (filePath === undefined || filePath === '-') return new StreamOutput(process.stdout, undefined, null);
  const dir = path.dirname(path.resolve(filePath));
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  installCleanupHooks();
  const ws = createWriteStream(temp, { flags: 'wx' });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { ws.off('error', reject); resolve(); });
    ws.once('error', reject);
  });
  pendingTemps.add(temp);
  return new StreamOutput(ws, filePath, temp);
}
