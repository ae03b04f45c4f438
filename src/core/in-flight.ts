/**
 * InFlight: the batches a thread has handed over and not had back yet, with the back-pressure
 * the reading takes from it (gatherEvidence's `between`): at `max` out, a promise that settles
 * once half of them are back, and rejects if the other side fails. Shared by the audit thread and
 * the format thread, which hand batches of flows to a worker.
 */
interface Waiter { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }

function waiter(): Waiter {
  let resolve!: () => void, reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

export class InFlight {
  readonly max: number;
  #count = 0;
  #peak = 0;
  #error: unknown = null;
  #waiting: Waiter | null = null;
  #drained: Waiter | null = null;

  constructor(max: number) {
    this.max = max;
  }

  /** Batches out now; the most there were at once. */
  get count(): number { return this.#count; }
  get peak(): number { return this.#peak; }
  /** The failure, once there is one. */
  get error(): unknown { return this.#error; }

  /** One more batch handed over. */
  add(): void {
    if (++this.#count > this.#peak) this.#peak = this.#count;
  }

  /** One batch back. */
  done(): void {
    this.#count--;
    if (this.#waiting !== null && this.#count <= this.max / 2) { this.#waiting.resolve(); this.#waiting = null; }
    if (this.#drained !== null && this.#count === 0) { this.#drained.resolve(); this.#drained = null; }
  }

  /** The other side failed: every wait rejects with `e` from now on (the first failure wins). */
  fail(e: unknown): void {
    if (this.#error === null) this.#error = e;
    this.#waiting?.reject(this.#error); this.#waiting = null;
    this.#drained?.reject(this.#error); this.#drained = null;
  }

  /** For gatherEvidence's between: a promise to wait on while `max` batches are out (rejected on a failure), else undefined. */
  readonly between = (): Promise<void> | undefined => {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#count < this.max) return undefined;
    this.#waiting ??= waiter();
    return this.#waiting.promise;
  };

  /** Settles when every batch is back (rejects on a failure). */
  async drained(): Promise<void> {
    if (this.#error !== null) throw this.#error;
    if (this.#count === 0) return;
    this.#drained ??= waiter();
    await this.#drained.promise;
  }
}
