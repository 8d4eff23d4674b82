/**
 * Wait for a condition with a deadline (never sleep and hope).
 *
 * @module
 */

/**
 * Poll `cond` (sync or async) until it returns something truthy and return
 * that; reject with `what` in the message after `timeoutMs`.
 */
export async function until<T>(
  what: string,
  cond: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await cond();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(5);
  }
}
