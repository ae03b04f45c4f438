/**
 * `fn` over `items` with at most `limit` calls under way at once; the results in the items' order.
 * For work that waits on the file system per item (opening and sniffing a thousand capture files):
 * one at a time, each waits for libuv's thread pool in turn. Every item is tried; when any failed,
 * the error of the first in order is thrown (as a loop over them would have), after all settled.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const failed = new Map<number, unknown>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed.set(i, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed.size > 0) throw failed.get(Math.min(...failed.keys()));
  return out;
}
