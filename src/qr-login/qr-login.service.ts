import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import QRCode from 'qrcode';
import { IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import { AuthService, type ClientInfo, type LoginResult } from '../auth/auth.service.js';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { hashToken, newSecretToken, sameHash } from '../sessions/secret-token.js';
import { QrLogin } from './qr-login.entity.js';

/** Published after an approval is committed: the instance holding the browser's stream delivers the session. */
export const QR_APPROVED = 'qr_login.approved';

export interface NewQrLogin {
  id: string;
  key: string;
  uri: string;
  png: string;
  expires_at: string;
}

/** What a browser's stream gets now: its session, nothing yet (wait until `expiresAt`), or the end. */
export type QrOutcome =
  { kind: 'login'; login: LoginResult } | { kind: 'waiting'; expiresAt: Date } | { kind: 'expired' };

const CODES_WINDOW_SECONDS = 10 * 60;
/** An approved code still gives its session to a stream that reconnects this long after expiry. */
const DELIVERY_GRACE_MS = 60_000;
/** Rows are deleted this long after expiry (a stream asking later is told 401, as for an unknown code). */
const KEEP_EXPIRED_MS = 60 * 60_000;
const ID_PATTERN = /^[\w-]{22}$/;

/** QR login: codes for browsers, approval by a logged-in user, a session for the browser. */
@Injectable()
export class QrLoginService {
  private readonly logger = new Logger('QrLogin');

  constructor(
    @InjectRepository(QrLogin) private readonly codes: Repository<QrLogin>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly limiter: RateLimiter,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {}

  async create(client: ClientInfo): Promise<NewQrLogin> {
    const window = await this.limiter.hit(`qr:ip:${client.ip ?? 'unknown'}`, CODES_WINDOW_SECONDS);
    if (window.count > this.config.qrCodesPerAddress) {
      throw new AppError(
        'please_wait',
        `too many QR codes from this address; try again in ${window.retryAfter} s`,
        {
          retryAfter: Math.max(window.retryAfter, 1),
        },
      );
    }
    const now = this.clock.nowMs();
    await this.codes.delete({ expiresAt: LessThan(new Date(now - KEEP_EXPIRED_MS)) });
    const id = randomBytes(16).toString('base64url');
    const key = newSecretToken();
    const expiresAt = new Date(now + this.config.qrTtlSeconds * 1000);
    await this.codes.insert({
      id,
      keyHash: hashToken(key),
      createdAt: new Date(now),
      expiresAt,
      approvedBy: null,
      approvedAt: null,
      deliveredAt: null,
    });
    const uri = `unichat://qr-login?${new URLSearchParams({ id, key })}`;
    // 4 pixels a module (about 180 px): sharp enough for a camera; pages scale it up without smoothing.
    const png = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, scale: 4 });
    return { id, key, uri, png, expires_at: expiresAt.toISOString() };
  }

  /** Whether `key` opens the stream of code `id`; unknown ids and wrong keys look the same. */
  async keyMatches(id: string, key: string): Promise<boolean> {
    if (!ID_PATTERN.test(id)) return false;
    const row = await this.codes.findOne({ where: { id }, select: { id: true, keyHash: true } });
    return row !== null && sameHash(row.keyHash, hashToken(key));
  }

  /** A logged-in user approves a code: unknown, used, expired or a wrong key is `invalid_token`. */
  async approve(userId: number, id: string, key: string): Promise<void> {
    if (!ID_PATTERN.test(id)) throw new AppError('invalid_token', 'unknown QR code');
    const now = this.clock.now();
    // One conditional update: of two approvals racing for one code, exactly one wins.
    const result = await this.codes.update(
      { id, keyHash: hashToken(key), approvedBy: IsNull(), expiresAt: MoreThan(now) },
      { approvedBy: userId, approvedAt: now },
    );
    if (!result.affected) throw new AppError('invalid_token', 'QR code is unknown, used or expired');
    // The approval is committed: if the signal is lost, the stream still collects it at its expiry
    // check or when it reconnects, so a bus failure does not fail the request.
    await this.bus
      .publish(QR_APPROVED, { id })
      .catch((error: Error) => this.logger.warn(`could not announce QR approval: ${error.message}`));
  }

  /**
   * Settles code `id` for a browser's stream: once approved, the first stream to ask gets a new
   * session of the approving user (opened with the browser's address and user agent).
   */
  async outcome(id: string, browser: ClientInfo): Promise<QrOutcome> {
    const now = this.clock.nowMs();
    const claimed = await this.codes.update(
      {
        id,
        approvedBy: Not(IsNull()),
        deliveredAt: IsNull(),
        expiresAt: MoreThan(new Date(now - DELIVERY_GRACE_MS)),
      },
      { deliveredAt: new Date(now) },
    );
    const row = await this.codes.findOneBy({ id });
    if (claimed.affected && row?.approvedBy) {
      return { kind: 'login', login: await this.auth.openSession(row.approvedBy, browser) };
    }
    if (row && row.approvedBy === null && row.expiresAt.getTime() > now) {
      return { kind: 'waiting', expiresAt: row.expiresAt };
    }
    return { kind: 'expired' };
  }
}
