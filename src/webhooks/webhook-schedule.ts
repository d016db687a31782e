/**
 * When a failed delivery is tried again, in units of the first delay (5 s in production):
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (as Svix and Standard Webhooks suggest). After the
 * last, the delivery is given up: eight tries over about 28 hours.
 */
const RETRY_UNITS = [1, 60, 360, 1440, 3600, 7200, 7200];
/** An endpoint whose every try failed for this long (five days, in the same units) is disabled. */
const FAILING_UNITS = 86_400;
/** Each delay is spread by up to this share either way, so retries of one outage do not arrive together. */
const JITTER = 0.1;

export class RetrySchedule {
  /** `unitMs`: the first delay (WEBHOOK_RETRY_BASE_MS); `random` in [0, 1). */
  constructor(
    private readonly unitMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next try after `attempts` failed tries, or null: give up. */
  delayAfter(attempts: number): number | null {
    const units = RETRY_UNITS[attempts - 1];
    if (units === undefined) return null;
    return Math.round(units * this.unitMs * (1 - JITTER + 2 * JITTER * this.random()));
  }

  /** Whether an endpoint failing every try since `failingSince` is to be disabled now. */
  failedTooLong(failingSince: Date, nowMs: number): boolean {
    return nowMs - failingSince.getTime() >= FAILING_UNITS * this.unitMs;
  }
}
