import type { Clock } from '../common/clock.service.js';

/**
 * Lets a repeated log line through once per interval per key, counting the ones held back, so a
 * condition that fails every push (a revoked APNs key) fills one line a minute, not one per push.
 */
export class LogThrottle {
  private readonly lines = new Map<string, { loggedAt: number; heldBack: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'nowMs'>,
    private readonly intervalMs = 60_000,
  ) {}

  /** How many lines were held back since the last one, when this one may be logged; else null. */
  take(key: string): number | null {
    const now = this.clock.nowMs();
    const line = this.lines.get(key);
    if (line && now - line.loggedAt < this.intervalMs) {
      line.heldBack += 1;
      return null;
    }
    this.lines.set(key, { loggedAt: now, heldBack: 0 });
    return line?.heldBack ?? 0;
  }
}
