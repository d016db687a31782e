/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`.
 * The default is what a 2-core CI machine running two test files and their browsers needs for
 * work the service does after its answer (an outbox's next run, a bus message); a passing wait
 * returns as soon as the value is there, so only a failure pays it.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
