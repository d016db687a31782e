/** Retries after the first attempt; then the push is given up and logged. */
export const MAX_RETRIES = 3;

/**
 * Delay before retry number `retry` (1-based): base, 2 × base, 4 × base…, each spread over ±20 %
 * so that many pushes refused at once (429) do not all come back at the same instant.
 */
export function retryDelayMs(baseMs: number, retry: number, random: () => number = Math.random): number {
  return Math.round(baseMs * 2 ** (retry - 1) * (0.8 + 0.4 * random()));
}
