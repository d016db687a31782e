import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, LessThanOrEqual, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type SecretBox } from '../common/secret-box.js';
import { Metrics } from '../metrics/metrics.service.js';
import { mailBodyBox } from './mail-body.js';
import { createMailTransport, type MailMessage, type MailTransport } from './mail.transport.js';
import { OutboxMail } from './outbox-mail.entity.js';

/** How long an instance may hold a mail it is sending before another instance may retry it. */
const LEASE_MS = 60_000;
const MAX_DELAY_MS = 3_600_000;
/** With the one-hour cap this keeps trying for about two days before giving up. */
const MAX_ATTEMPTS = 60;
const BATCH = 20;
/**
 * What a mail keeps once it is delivered or given up: its links carry working tokens, so a dump of
 * the database must not hold them. Address, subject, times, attempts and the last error stay.
 */
const NO_BODY = { text: '', html: '' } as const;

/**
 * The mail outbox: `enqueue` writes a mail in the caller's transaction (so a rolled-back change
 * sends nothing), its body sealed; a scheduled job delivers due mails and retries failures with
 * back-off, and empties a body once its mail is delivered or given up.
 */
@Injectable()
export class MailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private transport: MailTransport;
  private delivering: Promise<void> | null = null;
  private stopped = false;
  private readonly bodies: SecretBox;

  constructor(
    @InjectRepository(OutboxMail) private readonly outbox: Repository<OutboxMail>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.bodies = mailBodyBox(config.jwtSecret);
  }

  onModuleInit(): void {
    this.metrics.setSource('mailOutboxDepth', () =>
      this.outbox.countBy({ sentAt: IsNull(), failedAt: IsNull() }),
    );
    this.transport = createMailTransport(this.config);
    this.logger.log(`mail goes to ${this.transport.description}`);
  }

  async enqueue(manager: EntityManager, message: MailMessage): Promise<void> {
    const now = this.clock.now();
    await manager.insert(OutboxMail, {
      toAddress: message.to,
      subject: message.subject,
      text: this.bodies.seal(message.text),
      html: this.bodies.seal(message.html),
      attempts: 0,
      nextAttemptAt: now,
      sentAt: null,
      failedAt: null,
      lastError: null,
      createdAt: now,
    });
  }

  /** Drops every mail, sent or not, to these addresses (account deletion), in the caller's transaction. */
  async forgetMailTo(manager: EntityManager, addresses: string[]): Promise<void> {
    for (const address of addresses) await manager.delete(OutboxMail, { toAddress: address });
  }

  @Interval('mail-delivery', 500)
  tick(): void {
    void this.deliverDue();
  }

  /** Delivers every due mail; overlapping calls share one run. */
  deliverDue(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.delivering ??= this.deliverBatches()
      .catch((error: unknown) => this.logger.warn(`outbox run failed: ${(error as Error).message}`))
      .finally(() => (this.delivering = null));
    return this.delivering;
  }

  private async deliverBatches(): Promise<void> {
    for (;;) {
      const due = await this.outbox.find({
        where: { sentAt: IsNull(), failedAt: IsNull(), nextAttemptAt: LessThanOrEqual(this.clock.now()) },
        order: { nextAttemptAt: 'ASC' },
        take: BATCH,
      });
      if (due.length === 0 || this.stopped) return;
      await Promise.all(due.map((mail) => this.deliver(mail)));
      if (due.length < BATCH) return;
    }
  }

  private async deliver(mail: OutboxMail): Promise<void> {
    const now = this.clock.now();
    // Claim the mail by moving its due time: only one instance's update matches the old value.
    const claim = await this.outbox.update(
      { id: mail.id, nextAttemptAt: mail.nextAttemptAt, sentAt: IsNull() },
      { nextAttemptAt: new Date(now.getTime() + LEASE_MS), attempts: mail.attempts + 1 },
    );
    if (claim.affected === 0) return;
    const attempts = mail.attempts + 1;
    let text: string;
    let html: string;
    try {
      text = this.bodies.openText(mail.text);
      html = this.bodies.openText(mail.html);
    } catch {
      // Sealed under another master secret (JWT_SECRET changed): no try will ever open it.
      const message = 'the body was sealed under another JWT_SECRET';
      this.metrics.mailFailures.labels('true').inc();
      await this.outbox.update(
        { id: mail.id },
        { failedAt: this.clock.now(), lastError: message, ...NO_BODY },
      );
      this.logger.error({ mailId: mail.id, attempts }, `mail ${mail.id} given up: ${message}`);
      return;
    }
    try {
      await this.transport.send({ to: mail.toAddress, subject: mail.subject, text, html }, now);
      await this.outbox.update({ id: mail.id }, { sentAt: this.clock.now(), lastError: null, ...NO_BODY });
      this.metrics.mailsDelivered.inc();
      this.logger.log({ mailId: mail.id, attempts }, `mail ${mail.id} "${mail.subject}" delivered`);
    } catch (error) {
      const message = (error as Error).message.slice(0, 500);
      this.metrics.mailFailures.labels(String(attempts >= MAX_ATTEMPTS)).inc();
      if (attempts >= MAX_ATTEMPTS) {
        await this.outbox.update(
          { id: mail.id },
          { failedAt: this.clock.now(), lastError: message, ...NO_BODY },
        );
        this.logger.error({ mailId: mail.id, attempts }, `mail ${mail.id} given up: ${message}`);
        return;
      }
      const delay = Math.min(this.config.mailRetryBaseMs * 2 ** (attempts - 1), MAX_DELAY_MS);
      await this.outbox.update(
        { id: mail.id },
        { nextAttemptAt: new Date(this.clock.nowMs() + delay), lastError: message },
      );
      this.logger.warn(
        { mailId: mail.id, attempts },
        `mail ${mail.id} not delivered (${message}); retry in ${delay} ms`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.delivering;
    this.transport?.close();
  }
}
