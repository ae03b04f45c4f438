/**
 * Read buffers that start on a memory page (or a chosen number of bytes after one), for reading
 * capture files.
 *
 * Why: the kernel copies a file's cached pages into the reader's buffer, and how fast it does so
 * depends on where that buffer lies. On the bench machine (AMD EPYC, KVM), reading the 1.65 GB
 * bench capture in 4 MiB reads took 1.0–1.1 s of system time into a buffer 8 or 16 bytes past a
 * 32-byte boundary, and 0.18–0.25 s into one on a page, or one as far past a 64-byte boundary as the
 * file position is (bench/RESULTS.md, "Where reads land"). Node puts a large Buffer where malloc
 * does, 16 bytes past a page: the slow case. A WebAssembly.Memory's buffer starts on a page (V8
 * maps it), so the buffers here are views into one.
 *
 * Small buffers (tests cut captures into chunks of a few bytes) and a runtime that cannot map
 * another memory get ordinary Buffers: only the speed of the copy differs.
 */

/** Buffers below this size are ordinary ones: a memory per reader is not worth it. */
const MIN_SIZE = 64 * 1024;
const PAGE = 4096;
const WASM_PAGE = 65536;

/** The part of the global WebAssembly API used here (its types are in TypeScript's DOM library, which this project does not load). */
interface MemoryApi {
  Memory: new (desc: { initial: number }) => { readonly buffer: ArrayBuffer };
}
const wasmApi = (globalThis as unknown as { WebAssembly: MemoryApi }).WebAssembly;

/** The ArrayBuffers handed out here (for tests: a buffer from pageBuffers either is one or was too small). */
const mapped = new WeakSet<ArrayBufferLike>();

/**
 * `count` buffers of `size` bytes each. Each starts `shift` bytes (0–63) after a page boundary,
 * so that a read at a file position p with p % 64 === shift lands as the kernel copies fastest;
 * reads at multiples of 4096 want shift 0.
 */
export function pageBuffers(size: number, count: number, shift = 0): Buffer[] {
  if (size < MIN_SIZE || !Number.isInteger(shift) || shift < 0 || shift >= 64) return ordinary(size, count);
  const stride = Math.ceil((shift + size) / PAGE) * PAGE;
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new wasmApi.Memory({ initial: Math.ceil((stride * count) / WASM_PAGE) });
  } catch {
    return ordinary(size, count); // address space or memory limits: fall back
  }
  mapped.add(memory.buffer);
  return Array.from({ length: count }, (_, i) => Buffer.from(memory.buffer, i * stride + shift, size));
}

/** Whether b is a view into a memory made by pageBuffers (its byteOffset is then its place relative to a page). */
export function isPageBuffer(b: Buffer): boolean {
  return mapped.has(b.buffer);
}

function ordinary(size: number, count: number): Buffer[] {
  return Array.from({ length: count }, () => Buffer.allocUnsafe(size));
}
