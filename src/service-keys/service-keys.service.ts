import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { Clock } from '../common/clock.service.js';
import { AppError } from '../common/errors.js';
import { auditOperatorAction, type Operator } from './operator.js';
import { ServiceKey } from './service-key.entity.js';
import {
  isServiceScope,
  SERVICE_KEY_PREFIX,
  SERVICE_SCOPES,
  type ServiceKeyRecord,
  type ServicePrincipal,
  type ServiceScopeName,
} from './service-scopes.js';

/** How stale `last_used_at` may be: a busy backend does not write once per request. */
const LAST_USE_PRECISION_MS = 60_000;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._:@-]{0,99}$/u;

/**
 * Service keys: made (the key shown once), listed with their last use, revoked, and checked at
 * each call of a service or admin route.
 */
@Injectable()
export class ServiceKeysService {
  constructor(
    @InjectRepository(ServiceKey) private readonly keys: Repository<ServiceKey>,
    private readonly clock: Clock,
  ) {}

  /** Makes a key; `key` is the only copy of the secret there will ever be. An audit line names the operator. */
  async create(
    name: string,
    scopes: readonly string[],
    operator: Operator,
  ): Promise<{ key: string; record: ServiceKeyRecord }> {
    const trimmed = name.trim();
    if (!NAME.test(trimmed)) {
      throw new AppError(
        'invalid_params',
        'name must be 1 to 100 letters, digits, spaces or ._:@- and start with a letter or digit',
      );
    }
    const granted = [...new Set(scopes.map((scope) => scope.trim()).filter(Boolean))];
    const unknown = granted.filter((scope) => !isServiceScope(scope));
    if (granted.length === 0 || unknown.length > 0) {
      throw new AppError(
        'invalid_params',
        `scopes must be a list of ${SERVICE_SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
      );
    }
    const key = `${SERVICE_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = this.keys.create({
      name: trimmed,
      scopes: granted.join(','),
      keyHash: hashKey(key),
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    });
    const { identifiers } = await this.keys.insert(row);
    row.id = Number(identifiers[0].id);
    const record = toRecord(row);
    auditOperatorAction('service_keys.create', operator, {
      service_key_id: record.id,
      service_key_name: record.name,
      scopes: record.scopes,
    });
    return { key, record };
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ServiceKeyRecord[]> {
    return (await this.keys.find({ order: { id: 'ASC' } })).map(toRecord);
  }

  /** Revokes a key at once (idempotent); `not_found` for an unknown id. An audit line names the operator. */
  async revoke(id: number, operator: Operator): Promise<ServiceKeyRecord> {
    await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    const row = await this.keys.findOneBy({ id });
    if (!row) throw new AppError('not_found', 'no such service key');
    auditOperatorAction('service_keys.revoke', operator, { service_key_id: id, service_key_name: row.name });
    return toRecord(row);
  }

  /** The caller of a service key, or null when the key is unknown or revoked. */
  async authenticate(key: string): Promise<ServicePrincipal | null> {
    if (!key.startsWith(SERVICE_KEY_PREFIX) || key.length > 200) return null;
    const row = await this.keys.findOneBy({ keyHash: hashKey(key), revokedAt: IsNull() });
    if (!row) return null;
    const now = this.clock.now();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USE_PRECISION_MS) {
      await this.keys.update({ id: row.id }, { lastUsedAt: now });
    }
    return { keyId: row.id, name: row.name, scopes: scopesOf(row) };
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function scopesOf(row: ServiceKey): ServiceScopeName[] {
  return row.scopes.split(',').filter(isServiceScope);
}

function toRecord(row: ServiceKey): ServiceKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: scopesOf(row),
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}
