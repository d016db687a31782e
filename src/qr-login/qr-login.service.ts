import { randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import QRCode from 'qrcode';
import { IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import { LoginService, type LoginResult } from '../auth/login.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { RateLimiter } from '../common/rate-limiter.service.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { describeUserAgent } from '../devices/push-messages.js';
import { hashToken, newSecretToken, sameHash } from '../sessions/secret-token.js';
import { QrLogin } from './qr-login.entity.js';

/** Published after an approval is committed: the instance holding the browser's stream delivers the session. */
export interface NewQrLogin {
  id: string;
  key: string;
  uri: string;
  png: string;
  expires_at: string;
  /** Two digits for the page to show; the phone's approval must carry them. */
  check: string;
}

/** A device as the other side of a QR login sees it. */
export interface QrDevice {
  user_agent: string | null;
  /** "Chrome on macOS": only names from a fixed list, never the header's own words. */
  device: string;
  ip: string | null;
}

/** What the phone sees before it approves (GET /auth/qr/:id?key=). */
export interface QrLoginDetails extends QrDevice {
  id: string;
  created_at: string;
  expires_at: string;
  check: string;
}

/** The browser's session, and which device approved it. */
export type QrLoginResult = LoginResult & { approved_by: QrDevice };

/** What a browser's stream gets now: its session, nothing yet (wait until `expiresAt`), or the end. */
export type QrOutcome =
  | { kind: 'login'; login: QrLoginResult }
  | { kind: 'waiting'; expiresAt: Date }
  | { kind: 'expired'; reason: 'expired' | 'wrong_check' | 'account_disabled' };

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
    private readonly logins: LoginService,
    private readonly limiter: RateLimiter,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {}

  async create(client: ClientInfo): Promise<NewQrLogin> {
    await this.limiter.take(
      [
        {
          key: `qr:ip:${client.ip ?? 'unknown'}`,
          max: this.config.qrCodesPerAddress,
          windowSeconds: CODES_WINDOW_SECONDS,
        },
      ],
      'too many QR codes from this address',
    );
    const now = this.clock.nowMs();
    await this.codes.delete({ expiresAt: LessThan(new Date(now - KEEP_EXPIRED_MS)) });
    const id = randomBytes(16).toString('base64url');
    const key = newSecretToken();
    const expiresAt = new Date(now + this.config.qrTtlSeconds * 1000);
    const check = String(randomInt(0, 100)).padStart(2, '0');
    await this.codes.insert({
      id,
      keyHash: hashToken(key),
      createdAt: new Date(now),
      userAgent: client.userAgent?.slice(0, 300) ?? null,
      ip: client.ip,
      checkCode: check,
      voidedAt: null,
      expiresAt,
      approvedBy: null,
      approvedSessionId: null,
      approvedAt: null,
      approverUserAgent: null,
      approverIp: null,
      deliveredAt: null,
    });
    const uri = `unichat://qr-login?${new URLSearchParams({ id, key })}`;
    // 4 pixels a module (about 180 px): sharp enough for a camera; pages scale it up without smoothing.
    const png = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, scale: 4 });
    return { id, key, uri, png, expires_at: expiresAt.toISOString(), check };
  }

  /** What a phone is about to approve: the browser, when it asked, and the check number. */
  async details(id: string, key: string): Promise<QrLoginDetails> {
    if (!ID_PATTERN.test(id)) throw new AppError('invalid_token', 'unknown QR code');
    const row = await this.codes.findOneBy({
      id,
      keyHash: hashToken(key),
      approvedBy: IsNull(),
      voidedAt: IsNull(),
      expiresAt: MoreThan(this.clock.now()),
    });
    if (!row) throw new AppError('invalid_token', 'QR code is unknown, used or expired');
    return {
      id,
      ...device(row.userAgent, row.ip),
      // To the second: the phone shows "a minute ago", not the browser's clock.
      created_at: new Date(Math.floor(row.createdAt.getTime() / 1000) * 1000).toISOString(),
      expires_at: row.expiresAt.toISOString(),
      check: row.checkCode,
    };
  }

  /** Whether `key` opens the stream of code `id`; unknown ids and wrong keys look the same. */
  async keyMatches(id: string, key: string): Promise<boolean> {
    if (!ID_PATTERN.test(id)) return false;
    const row = await this.codes.findOne({ where: { id }, select: { id: true, keyHash: true } });
    return row !== null && sameHash(row.keyHash, hashToken(key));
  }

  /**
   * A logged-in user approves a code, repeating the check number the browser page shows. Unknown,
   * used, expired or a wrong key is `invalid_token`; a wrong check number voids the code (its
   * stream hears `qr_expired`), so a phone that was shown a phished code cannot try again.
   */
  async approve(
    approver: AuthUser,
    id: string,
    key: string,
    check: string,
    approverClient: ClientInfo,
  ): Promise<void> {
    if (!ID_PATTERN.test(id)) throw new AppError('invalid_token', 'unknown QR code');
    const now = this.clock.now();
    const open = {
      id,
      keyHash: hashToken(key),
      approvedBy: IsNull(),
      voidedAt: IsNull(),
      expiresAt: MoreThan(now),
    };
    // One conditional update: of two approvals racing for one code, exactly one wins.
    const result = await this.codes.update(
      { ...open, checkCode: check },
      {
        approvedBy: approver.userId,
        approvedSessionId: approver.sessionId,
        approvedAt: now,
        approverUserAgent: approverClient.userAgent?.slice(0, 300) ?? null,
        approverIp: approverClient.ip,
      },
    );
    if (!result.affected) {
      const voided = await this.codes.update(open, { voidedAt: now });
      if (voided.affected) {
        await this.announce(id);
        throw new AppError(
          'invalid_token',
          'wrong check number: this QR code is void, the browser needs a new one',
        );
      }
      throw new AppError('invalid_token', 'QR code is unknown, used or expired');
    }
    await this.announce(id);
  }

  /**
   * Tells the instances holding the code's streams to look again. The change is committed: if the
   * signal is lost, the stream still finds it at its expiry check or when it reconnects, so a bus
   * failure does not fail the request.
   */
  private async announce(id: string): Promise<void> {
    await this.bus
      .publish('qr_login.approved', { id })
      .catch((error: Error) => this.logger.warn(`could not announce QR approval: ${error.message}`));
  }

  /**
   * Settles code `id` for a browser's stream: once approved, the first stream to ask gets a new
   * session of the approving user (opened with the browser's address and user agent).
   */
  async outcome(id: string, browser: ClientInfo): Promise<QrOutcome> {
    const now = this.clock.nowMs();
    // Read, then claim: an approval committed after the read is announced, and this stream looks
    // again then (a claim made before the read would miss one committed in between).
    const row = await this.codes.findOneBy({ id });
    if (row?.approvedBy && row.deliveredAt === null && row.expiresAt.getTime() > now - DELIVERY_GRACE_MS) {
      // Of two streams waiting on the code, the one whose claim lands gets the session.
      const claimed = await this.codes.update(
        {
          id,
          approvedBy: Not(IsNull()),
          deliveredAt: IsNull(),
          expiresAt: MoreThan(new Date(now - DELIVERY_GRACE_MS)),
        },
        { deliveredAt: new Date(now) },
      );
      if (!claimed.affected) return { kind: 'expired', reason: 'expired' };
      // An approval made by a session that has ended since (logout, a reset, ended from another
      // session) opens nothing: the end of a session voids what it approved.
      const login = await this.logins
        .openSessionApprovedBy(row.approvedBy, row.approvedSessionId, browser)
        .catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'account_disabled')
            return 'account_disabled' as const;
          throw error;
        });
      if (login === 'account_disabled') return { kind: 'expired', reason: login };
      if (!login) return { kind: 'expired', reason: 'expired' };
      return {
        kind: 'login',
        login: { ...login, approved_by: device(row.approverUserAgent, row.approverIp) },
      };
    }
    if (row?.voidedAt) return { kind: 'expired', reason: 'wrong_check' };
    if (row && row.approvedBy === null && row.expiresAt.getTime() > now) {
      return { kind: 'waiting', expiresAt: row.expiresAt };
    }
    return { kind: 'expired', reason: 'expired' };
  }
}

function device(userAgent: string | null, ip: string | null): QrDevice {
  return { user_agent: userAgent, device: describeUserAgent(userAgent), ip };
}
