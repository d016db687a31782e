import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { SecretBox } from '../common/secret-box.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { uniqueViolation } from '../database/errors.js';
import { auditOperatorAction, type Operator } from '../service-keys/operator.js';
import { keySchedule, type KeyTimes, retiredAtMs } from './key-schedule.js';
import { SigningKey } from './signing-key.entity.js';

export const SIGNING_ALGORITHM = 'ES256';

/** Tokens signed by a retired key live at most one token lifetime; this margin covers late instances. */
const RETAIN_MARGIN_MS = 5 * 60_000;
/** Unknown `kid`s make this instance read the keys again at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1000;

interface LoadedKey extends KeyTimes {
  publicJwk: JsonWebKey;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
}

/** A signing key as the operator sees it (admin API, CLI). */
export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  state: 'next' | 'signing' | 'retired' | 'expired';
  created_at: string;
  activates_at: string;
  retired_at: string | null;
}

/** A public key of the JWKS (RFC 7517). */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/**
 * The keys that sign access tokens. The database is the truth: each instance reads the keys at
 * start, when the bus says they changed, and every quarter of the publish delay (at most a minute),
 * so every instance publishes a new key well before any instance signs with it. The signing key is
 * chosen by the schedule (key-schedule.ts) on each instance's own clock.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SigningKeys');
  private readonly retainMs: number;
  private readonly refreshMs: number;
  private keys: LoadedKey[] = [];
  private lastLoadMs = 0;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectRepository(SigningKey) private readonly rows: Repository<SigningKey>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {
    this.retainMs = config.accessTokenTtl * 1000 + RETAIN_MARGIN_MS;
    this.refreshMs = refreshInterval(config.keyPublishDelaySeconds);
  }

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('signing_keys.changed', () => void this.reload().catch(() => undefined));
    this.bus.onReconnect(() => this.reload());
    await this.ensureFirstKey();
    this.timer = setInterval(() => {
      this.reload().catch((error: Error) =>
        this.logger.warn(`could not read the signing keys: ${error.message}`),
      );
    }, this.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The key to sign with now; never one published for less than the publish delay. */
  signer(): { kid: string; privateKey: KeyObject } {
    const signing = keySchedule(this.keys, this.clock.nowMs(), this.retainMs).signing;
    if (!signing?.privateKey) throw new AppError('internal_error', 'no signing key can be used');
    return { kid: signing.kid, privateKey: signing.privateKey };
  }

  /**
   * The public key of `kid` while it is published. An unknown kid makes this instance read the
   * keys again (at most once a second): another instance may have made one a moment ago.
   */
  async publicKey(kid: string): Promise<KeyObject | null> {
    const found = this.published().find((key) => key.kid === kid);
    if (found) return found.publicKey;
    if (this.clock.nowMs() - this.lastLoadMs < UNKNOWN_KID_RELOAD_MS) return null;
    await this.reload();
    return this.published().find((key) => key.kid === kid)?.publicKey ?? null;
  }

  /** When this service first signed with a key of its own: earlier access tokens were HMACs (HS256). */
  get firstKeyAtMs(): number {
    return Math.min(...this.keys.map((key) => key.createdAtMs));
  }

  /** The JWKS: the signing key, the next ones and the recently retired ones. */
  jwks(): { keys: PublicJwk[] } {
    return {
      keys: this.published().map((key) => ({
        ...key.publicJwk,
        kid: key.kid,
        alg: SIGNING_ALGORITHM,
        use: 'sig',
      })),
    };
  }

  /** Every key with its state, newest first. */
  async list(): Promise<SigningKeyRecord[]> {
    await this.reload();
    const now = this.clock.nowMs();
    const schedule = keySchedule(this.keys, now, this.retainMs);
    return [...this.keys].reverse().map((key) => {
      const retiredAt = retiredAtMs(this.keys, key, now);
      const state =
        key === schedule.signing
          ? 'signing'
          : schedule.next.includes(key)
            ? 'next'
            : schedule.retired.includes(key)
              ? 'retired'
              : 'expired';
      return {
        kid: key.kid,
        algorithm: SIGNING_ALGORITHM,
        state,
        created_at: new Date(key.createdAtMs).toISOString(),
        activates_at: new Date(key.activatesAtMs).toISOString(),
        retired_at: retiredAt === null || state === 'next' ? null : new Date(retiredAt).toISOString(),
      };
    });
  }

  /**
   * Makes the next key: published at once, signing after the publish delay (on every instance, as
   * each one's schedule says), the current key retiring then. An audit line names the operator.
   */
  async rotate(operator: Operator): Promise<SigningKeyRecord> {
    for (let attempt = 1; ; attempt++) {
      await this.reload();
      const seq = Math.max(0, ...this.keys.map((key) => key.seq)) + 1;
      const now = this.clock.nowMs();
      const kid = await this.insertKey(seq, now, now + this.config.keyPublishDelaySeconds * 1000);
      if (kid) {
        await this.reload();
        await this.announce();
        this.logger.log(
          `signing key ${kid} published; it signs from ${new Date(now + this.config.keyPublishDelaySeconds * 1000).toISOString()}`,
        );
        auditOperatorAction('signing_keys.rotate', operator, { kid });
        return (await this.list()).find((record) => record.kid === kid)!;
      }
      // Another instance rotated at the same moment: count again.
      if (attempt === 3) throw new AppError('internal_error', 'could not make a signing key');
    }
  }

  /** Makes the first key at the first start, once, however many instances start together. */
  private async ensureFirstKey(): Promise<void> {
    await this.reload();
    if (this.keys.length === 0) {
      const now = this.clock.nowMs();
      // Signs at once: no verifier can hold an older key set of a service that had no key.
      const kid = await this.insertKey(1, now, now);
      if (kid) this.logger.log(`made the first signing key ${kid}`);
      await this.reload();
    }
    const signing = keySchedule(this.keys, this.clock.nowMs(), this.retainMs).signing;
    if (!signing?.privateKey) {
      throw new Error(
        'the access-token signing key in the database cannot be opened with this JWT_SECRET: set the JWT_SECRET it was made with',
      );
    }
  }

  /** The kid of the new key, or null when another instance took this `seq` first. */
  private async insertKey(seq: number, createdAtMs: number, activatesAtMs: number): Promise<string | null> {
    const kid = randomBytes(12).toString('base64url');
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    try {
      await this.rows.insert({
        kid,
        seq,
        algorithm: SIGNING_ALGORITHM,
        publicJwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
        sealedPrivateKey: this.box(kid).seal(privateKey.export({ format: 'der', type: 'pkcs8' })),
        createdAt: new Date(createdAtMs),
        activatesAt: new Date(activatesAtMs),
      });
      return kid;
    } catch (error) {
      if (uniqueViolation(error)) return null;
      throw error;
    }
  }

  private async announce(): Promise<void> {
    // A hint only: instances that miss it read the keys again within the refresh interval.
    await this.bus.publish('signing_keys.changed', {}).catch((error: Error) => {
      this.logger.warn(`could not announce the new signing key: ${error.message}`);
    });
  }

  /** Each key's private part is sealed for its own kid: moved to another row, it does not open. */
  private box(kid: string): SecretBox {
    return new SecretBox(this.config.jwtSecret, `access token signing key ${kid}`);
  }

  private published(): LoadedKey[] {
    return keySchedule(this.keys, this.clock.nowMs(), this.retainMs).published;
  }

  /** Reads the keys from the database (one read at a time; callers during a read share it). */
  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(): Promise<void> {
    const startedMs = this.clock.nowMs();
    const rows = await this.rows.find({
      select: {
        kid: true,
        seq: true,
        algorithm: true,
        publicJwk: true,
        sealedPrivateKey: true,
        createdAt: true,
        activatesAt: true,
      },
      order: { seq: 'ASC' },
    });
    const known = new Map(this.keys.map((key) => [key.kid, key]));
    this.keys = rows.map((row) => known.get(row.kid) ?? this.loadKey(row));
    this.lastLoadMs = startedMs;
  }

  private loadKey(row: SigningKey): LoadedKey {
    const publicJwk = JSON.parse(row.publicJwk) as JsonWebKey;
    let privateKey: KeyObject | null = null;
    try {
      privateKey = createPrivateKey({
        key: this.box(row.kid).open(row.sealedPrivateKey),
        format: 'der',
        type: 'pkcs8',
      });
    } catch {
      this.logger.error(`signing key ${row.kid} cannot be opened with this JWT_SECRET`);
    }
    return {
      kid: row.kid,
      seq: row.seq,
      createdAtMs: row.createdAt.getTime(),
      activatesAtMs: row.activatesAt.getTime(),
      publicJwk,
      publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
      privateKey,
    };
  }
}

/** How often each instance reads the keys: a quarter of the publish delay, from 250 ms to a minute. */
export function refreshInterval(publishDelaySeconds: number): number {
  return Math.min(60_000, Math.max(250, (publishDelaySeconds * 1000) / 4));
}
