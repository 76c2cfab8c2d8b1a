/**
 * Retries `check` until it stops throwing or `timeoutMs` passes, then rethrows its last error.
 *
 * The events log only hands out what lies below every in-flight transaction (the
 * out-of-order-commit rule), and other test files share the database, so an event committed
 * here becomes readable once their transactions end: a moment later, not at once.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
