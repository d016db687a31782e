import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.service.js';
import { ApnsProvider } from './apns.provider.js';
import { type NotificationService, tokenPrefix } from './device-token.js';
import { DevicesService } from './devices.service.js';
import { FcmProvider } from './fcm.provider.js';
import { LogThrottle } from './log-throttle.js';
import { type PushMessage, pushMessages } from './push-messages.js';
import type { PushAnswer, PushProvider } from './push-provider.js';
import { MAX_RETRIES, retryDelayMs } from './push-retries.js';
import { WebPushProvider } from './web-push.provider.js';

// Test pushes are for trying a device out, not for sending: push services throttle a sender that floods them.
const TEST_PUSHES_PER_WINDOW = 5;
const TEST_PUSH_WINDOW_SECONDS = 60;

/**
 * Sends each push to every device of a user through the provider of the device's
 * `notification_service` (APNs, FCM, Web Push), and honours the answers alike: dead tokens are
 * forgotten, 429 / 5xx / no answer are retried with back-off (in memory: a push is only worth
 * sending while it is news), refused credentials are logged once a minute per service.
 */
@Injectable()
export class PushService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Push');
  private readonly dedupeSeconds: number;
  private readonly providers: Map<NotificationService, PushProvider>;
  private readonly keyRefusals: LogThrottle;
  /** Cancels the waits of retries not yet due (shutdown). */
  private readonly pendingRetries = new Set<() => void>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly devices: DevicesService,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    apns: ApnsProvider,
    fcm: FcmProvider,
    webPush: WebPushProvider,
  ) {
    this.dedupeSeconds = config.pushDedupeSeconds;
    this.keyRefusals = new LogThrottle(clock);
    this.providers = new Map<NotificationService, PushProvider>(
      [apns, fcm, webPush].map((provider) => [provider.service, provider]),
    );
  }

  /** True while some push service is on. */
  get enabled(): boolean {
    return !this.stopped && [...this.providers.values()].some((provider) => provider.enabled);
  }

  /** The services whose devices get pushes on this instance. */
  private servicesOn(): NotificationService[] {
    return [...this.providers.values()]
      .filter((provider) => provider.enabled)
      .map((provider) => provider.service);
  }

  /** Whether a push to the user would reach a device (a chat-type push waits for streams only then). */
  async reaches(userId: number): Promise<boolean> {
    return this.enabled && (await this.devices.pushTargetsOf(userId, this.servicesOn())).length > 0;
  }

  /**
   * Pushes to every device of the user in the background; the caller never waits for a push
   * service. A chat-type message (`dedupe`) already pushed to the user within the window is not
   * pushed again, on any instance. With `happenedAt`, only the devices the user held by then are
   * told: a phone that logs in and then registers itself gets no push about its own login, however
   * late the push is sent.
   */
  notify(userId: number, message: PushMessage, happenedAt?: Date): void {
    if (!this.enabled) return;
    const sending = withCollapseId(message);
    this.background(async () => {
      if (sending.dedupe && this.dedupeSeconds > 0) {
        // The first push in a window takes its one place; any other within it finds none left.
        const first = await this.limiter.attempt([
          { key: `push-dedupe:${userId}:${sending.collapseId}`, max: 1, windowSeconds: this.dedupeSeconds },
        ]);
        if ('retryAfter' in first) {
          this.logger.log(
            `push ${sending.event} to user ${userId}: already sent within ${this.dedupeSeconds} s`,
          );
          return;
        }
      }
      await this.sendToAll(userId, sending, happenedAt);
    });
  }

  /** POST /devices/test-push: waits for each service's first answer; refused-for-now devices are retried later. */
  async test(userId: number): Promise<{ devices: number; accepted: number }> {
    if (!this.enabled) throw new AppError('unavailable', 'push is off on this server');
    await this.limiter.take(
      [{ key: `push-test:${userId}`, max: TEST_PUSHES_PER_WINDOW, windowSeconds: TEST_PUSH_WINDOW_SECONDS }],
      `at most ${TEST_PUSHES_PER_WINDOW} test pushes a minute`,
    );
    return this.hold(this.sendToAll(userId, withCollapseId(pushMessages.test(userId))));
  }

  /** One send to every device of the user, each through its own service. */
  private async sendToAll(
    userId: number,
    message: PushMessage,
    heldBy?: Date,
  ): Promise<{ devices: number; accepted: number }> {
    const targets = await this.devices.pushTargetsOf(userId, this.servicesOn(), heldBy);
    const accepted = await Promise.all(
      [...this.providers.values()].map((provider) => {
        const tokens = targets
          .filter((target) => target.service === provider.service)
          .map((target) => target.token);
        return tokens.length > 0 ? this.attempt(provider, userId, message, tokens, 0) : 0;
      }),
    );
    return { devices: targets.length, accepted: accepted.reduce((sum, count) => sum + count, 0) };
  }

  /** One send to these tokens and what follows from each answer; resolves to how many were accepted. */
  private async attempt(
    provider: PushProvider,
    userId: number,
    message: PushMessage,
    tokens: string[],
    retry: number,
  ): Promise<number> {
    const sentAt = this.clock.now();
    const answers = await provider.send(message, tokens, sentAt);
    const what = `push ${message.event} to user ${userId} through ${provider.name}${retry > 0 ? ` (retry ${retry} of ${MAX_RETRIES})` : ''}`;
    const accepted = answers.filter((answer) => answer.verdict === 'accepted').length;
    this.logger.log(`${what}: ${accepted} of ${tokens.length} device(s) accepted`);

    const again: PushAnswer[] = [];
    for (const answer of answers) {
      const device = `device ${tokenPrefix(answer.token)}`;
      const outcome = answer.verdict === 'retry' && retry >= MAX_RETRIES ? 'given_up' : answer.verdict;
      this.metrics.pushes.labels(provider.service, outcome).inc();
      switch (answer.verdict) {
        case 'accepted':
          break;
        case 'dead_token':
          if (await this.devices.removeDead(answer.token, sentAt)) {
            this.logger.log(`${what}: ${device} removed, ${provider.name} answered ${answer.detail}`);
          }
          break;
        case 'retry':
          again.push(answer);
          break;
        case 'bad_key':
          this.logKeyRefusal(provider, answer);
          break;
        case 'refused':
          this.logger.warn(`${what}: ${device} refused by ${provider.name}: ${answer.detail}`);
          break;
      }
    }
    if (again.length > 0) this.retryLater(provider, userId, message, again, retry, what);
    return accepted;
  }

  private retryLater(
    provider: PushProvider,
    userId: number,
    message: PushMessage,
    answers: PushAnswer[],
    retry: number,
    what: string,
  ): void {
    const reasons = answers.map((answer) => `device ${tokenPrefix(answer.token)}: ${answer.detail}`);
    if (retry >= MAX_RETRIES) {
      this.logger.error(`${what}: given up, not delivered to ${reasons.join('; ')}`);
      return;
    }
    if (this.stopped) return;
    const delay = retryDelayMs(provider.retryBaseMs, retry + 1);
    this.logger.warn(`${what}: not delivered now to ${reasons.join('; ')}; retrying in ${delay} ms`);
    const tokens = answers.map((answer) => answer.token);
    this.background(async () => {
      if (!(await this.wait(delay))) return;
      const held = await this.devices.heldBy(userId, tokens);
      if (held.length > 0) await this.attempt(provider, userId, message, held, retry + 1);
    });
  }

  /** Resolves true after `ms`, or false at once when shutdown cancels it. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = () => {
        clearTimeout(timer);
        this.pendingRetries.delete(cancel);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.pendingRetries.delete(cancel);
        resolve(true);
      }, ms);
      this.pendingRetries.add(cancel);
    });
  }

  private logKeyRefusal(provider: PushProvider, answer: PushAnswer): void {
    const heldBack = this.keyRefusals.take(`bad_key:${provider.service}`);
    if (heldBack === null) return;
    const ours = provider.service === 'ios_app' ? 'our provider token' : 'our credentials';
    this.logger.error(
      `${provider.name} refused ${ours} (${answer.detail}): ${provider.keyAdvice}; pushes fail until it is fixed` +
        (heldBack > 0 ? ` (${heldBack} more refusal(s) in the last minute not logged)` : ''),
    );
  }

  /** Runs a send in the background: a failure is logged, and shutdown waits for it. */
  private background(work: () => Promise<void>): void {
    void this.hold(
      work().catch((error: unknown) =>
        this.logger.error({ err: error }, `push failed: ${(error as Error).message}`),
      ),
    );
  }

  /** Counts a send as under way until it settles, so shutdown can wait for it. */
  private hold<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    work.then(
      () => this.running.delete(work),
      () => this.running.delete(work),
    );
    return work;
  }

  /** Resolves when every send under way, retries included, has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Drops retries not yet due and waits for sends under way, while the database and the
   * providers' connections are still open (providers close theirs at application shutdown).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.pendingRetries.size > 0) {
      this.logger.warn(`${this.pendingRetries.size} push retry(ies) dropped at shutdown`);
      for (const cancel of [...this.pendingRetries]) cancel();
    }
    await this.idle();
  }
}

/** Every notification carries a collapse id, so that a retry the service did deliver shows once. */
function withCollapseId(message: PushMessage): PushMessage {
  return {
    ...message,
    collapseId: message.collapseId ?? `${message.event}:${randomBytes(8).toString('hex')}`,
  };
}
