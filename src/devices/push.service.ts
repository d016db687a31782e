import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import apn, { type ResponseFailure } from '@parse/node-apn';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { type AppConfig, type ApnsConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Metrics } from '../metrics/metrics.service.js';
import { describeFailure, judgeFailure, MAX_RETRIES, retryDelayMs } from './apns-answers.js';
import { apnsEndpoint, apnsNotification, apnsProviderOptions } from './apns-provider.js';
import { tokenPrefix } from './device-token.js';
import { DevicesService } from './devices.service.js';
import { LogThrottle } from './log-throttle.js';
import { type PushMessage, pushMessages } from './push-messages.js';

// Test pushes are for trying a phone out, not for sending: APNs throttles a provider that floods it.
const TEST_PUSHES_PER_WINDOW = 5;
const TEST_PUSH_WINDOW_SECONDS = 60;

/**
 * Sends pushes through one long-lived HTTP/2 connection to APNs and honours the answers: dead
 * tokens are forgotten, 429 / 5xx / no answer are retried with back-off (in memory: a push is
 * only worth sending while it is news), a refused key is logged once a minute.
 */
@Injectable()
export class PushService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Push');
  private readonly apns: ApnsConfig | null;
  private readonly dedupeSeconds: number;
  private provider: apn.Provider | null = null;
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
  ) {
    this.apns = config.apns;
    this.dedupeSeconds = config.pushDedupeSeconds;
    this.keyRefusals = new LogThrottle(clock);
  }

  onModuleInit(): void {
    if (!this.apns) {
      this.logger.log(
        'push is off: set APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC to send to iOS devices',
      );
      return;
    }
    this.provider = new apn.Provider(apnsProviderOptions(this.apns));
    this.logger.log(
      `push through APNs at ${apnsEndpoint(this.apns)}, topic ${this.apns.topic}, key id ${this.apns.keyId}`,
    );
  }

  get enabled(): boolean {
    return this.provider !== null;
  }

  /**
   * Pushes to every device of the user in the background; the caller never waits for APNs. A
   * chat-type message (`dedupe`) already pushed to the user within the window is not pushed again,
   * on any instance.
   */
  notify(userId: number, message: PushMessage): void {
    if (!this.provider || this.stopped) return;
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
      const tokens = await this.devices.apnsTokensOf(userId);
      if (tokens.length > 0) await this.attempt(userId, sending, tokens, 0);
    });
  }

  /** POST /devices/test-push: waits for APNs' first answer; refused-for-now devices are retried later. */
  async test(userId: number): Promise<{ devices: number; accepted: number }> {
    if (!this.provider || this.stopped) {
      throw new AppError('unavailable', 'push is off on this server (APNS_* is not configured)');
    }
    await this.limiter.take(
      [{ key: `push-test:${userId}`, max: TEST_PUSHES_PER_WINDOW, windowSeconds: TEST_PUSH_WINDOW_SECONDS }],
      `at most ${TEST_PUSHES_PER_WINDOW} test pushes a minute`,
    );
    const tokens = await this.devices.apnsTokensOf(userId);
    if (tokens.length === 0) return { devices: 0, accepted: 0 };
    const accepted = await this.hold(
      this.attempt(userId, withCollapseId(pushMessages.test(userId)), tokens, 0),
    );
    return { devices: tokens.length, accepted };
  }

  /** One send to these tokens and what follows from each answer; resolves to how many APNs accepted. */
  private async attempt(
    userId: number,
    message: PushMessage,
    tokens: string[],
    retry: number,
  ): Promise<number> {
    const apns = this.apns as ApnsConfig;
    const provider = this.provider as apn.Provider;
    const sentAt = this.clock.now();
    const { sent, failed } = await provider.send(
      apnsNotification(message, apns.topic, sentAt.getTime(), message.collapseId as string),
      tokens,
    );
    const what = `push ${message.event} to user ${userId}${retry > 0 ? ` (retry ${retry} of ${MAX_RETRIES})` : ''}`;
    this.logger.log(`${what}: ${sent.length} of ${tokens.length} device(s) accepted`);
    if (sent.length > 0) this.metrics.pushes.labels('accepted').inc(sent.length);

    const again: ResponseFailure[] = [];
    for (const failure of failed) {
      const device = `device ${tokenPrefix(failure.device)}`;
      const verdict = judgeFailure(failure);
      this.metrics.pushes.labels(verdict === 'retry' && retry >= MAX_RETRIES ? 'given_up' : verdict).inc();
      switch (verdict) {
        case 'dead_token':
          if (await this.devices.removeDead(failure.device, sentAt)) {
            this.logger.log(`${what}: ${device} removed, APNs answered ${describeFailure(failure)}`);
          }
          break;
        case 'retry':
          again.push(failure);
          break;
        case 'bad_key':
          this.logKeyRefusal(failure);
          break;
        case 'refused':
          this.logger.warn(`${what}: ${device} refused by APNs: ${describeFailure(failure)}`);
          break;
      }
    }
    if (again.length > 0) this.retryLater(userId, message, again, retry, what);
    return sent.length;
  }

  private retryLater(
    userId: number,
    message: PushMessage,
    failures: ResponseFailure[],
    retry: number,
    what: string,
  ): void {
    const reasons = failures.map(
      (failure) => `device ${tokenPrefix(failure.device)}: ${describeFailure(failure)}`,
    );
    if (retry >= MAX_RETRIES) {
      this.logger.error(`${what}: given up, not delivered to ${reasons.join('; ')}`);
      return;
    }
    if (this.stopped) return;
    const delay = retryDelayMs((this.apns as ApnsConfig).retryBaseMs, retry + 1);
    this.logger.warn(`${what}: not delivered now to ${reasons.join('; ')}; retrying in ${delay} ms`);
    const tokens = failures.map((failure) => failure.device);
    this.background(async () => {
      if (!(await this.wait(delay))) return;
      const held = await this.devices.heldBy(userId, tokens);
      if (held.length > 0) await this.attempt(userId, message, held, retry + 1);
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

  private logKeyRefusal(failure: ResponseFailure): void {
    const heldBack = this.keyRefusals.take('bad_key');
    if (heldBack === null) return;
    this.logger.error(
      `APNs refused our provider token (${describeFailure(failure)}): check APNS_KEY_FILE, APNS_KEY_ID and ` +
        `APNS_TEAM_ID; pushes fail until it is fixed` +
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

  /** Drops retries not yet due and waits for sends under way, while the database is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.pendingRetries.size > 0) {
      this.logger.warn(`${this.pendingRetries.size} push retry(ies) dropped at shutdown`);
      for (const cancel of [...this.pendingRetries]) cancel();
    }
    await this.idle();
  }

  async onApplicationShutdown(): Promise<void> {
    const provider = this.provider;
    this.provider = null;
    if (provider) await new Promise<void>((done) => void provider.shutdown(() => done()));
  }
}

/** Every notification carries a collapse id, so that a retry APNs did deliver shows once. */
function withCollapseId(message: PushMessage): PushMessage {
  return {
    ...message,
    collapseId: message.collapseId ?? `${message.event}:${randomBytes(8).toString('hex')}`,
  };
}
