/**
 * SharedBlocks: output blocks in SharedArrayBuffers, for a format thread that hands its blocks to
 * the thread that writes them. Posted, a SharedArrayBuffer is shared rather than transferred: a
 * transfer detaches the buffer, and the first detach in a thread deoptimises its hot code (see
 * src/flow/packed-rows.ts). The writing thread gives each block's buffer back once the output holds
 * it no more (writeBlock's `released`), and new blocks reuse those: a buffer referenced from two
 * threads is freed only when both have collected it, so without reuse the blocks would pile up
 * until the format thread's next garbage collection (about 95 MiB more at the peak of `flows`).
 */
import type { BlockAlloc } from './writer.js';

export class SharedBlocks {
  readonly #free: SharedArrayBuffer[] = [];
  readonly #max: number;

  /** `max`: buffers kept for reuse at most. */
  constructor(max: number) {
    this.#max = max;
  }

  /** For FlowBlockFormatter: a block in a buffer given back, or in a new one. */
  readonly alloc: BlockAlloc = (bytes) => {
    const s = this.#free.pop();
    return Buffer.from(s !== undefined && s.byteLength === bytes ? s : new SharedArrayBuffer(bytes));
  };

  /** Buffers of written blocks, back to be filled again. */
  giveBack(bufs: readonly SharedArrayBuffer[]): void {
    for (const b of bufs) if (this.#free.length < this.#max) this.#free.push(b);
  }
}

/** The buffer to give back once `block` is written, when it is one of SharedBlocks' (else null). */
export function sharedBufferOf(block: Uint8Array): SharedArrayBuffer | null {
  return block.buffer instanceof SharedArrayBuffer ? block.buffer : null;
}
