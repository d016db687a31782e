import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Clock } from '../common/clock.service.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import type { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { AccessTokenKeys } from './access-token-keys.service.js';

const TTL = 900;
const UPGRADE_MS = Date.UTC(2026, 11, 1, 12, 0, 0);

class FakeClock extends Clock {
  constructor(public ms: number) {
    super();
  }
  override now(): Date {
    return new Date(this.ms);
  }
}

function setup() {
  const config = {
    ...loadConfig({ ACCESS_TOKEN_TTL: String(TTL) }),
    jwtSecret: 'a-secret-that-is-long-enough-for-hs256-keys',
  } as AppConfig;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingKeys = {
    firstKeyAtMs: UPGRADE_MS,
    signer: () => ({ kid: 'k1', privateKey }),
    publicKey: async (kid: string) => (kid === 'k1' ? publicKey : null),
  } as unknown as SigningKeysService;
  const clock = new FakeClock(UPGRADE_MS);
  const jwt = new JwtService({});
  const keys = new AccessTokenKeys(signingKeys, jwt, clock, config);
  const hs256 = (iatMs: number) =>
    jwt.sign(
      { sub: 7, sid: 3, ec: true, iat: Math.floor(iatMs / 1000), exp: Math.floor(iatMs / 1000) + TTL },
      { algorithm: 'HS256', secret: config.jwtSecret },
    );
  return { keys, clock, hs256 };
}

describe('which access tokens are accepted', () => {
  it('verifies its own ES256 tokens, with the user id as a string subject', async () => {
    const { keys, clock } = setup();
    clock.ms += 5000;
    const token = keys.sign({ userId: 7, sessionId: 3, emailConfirmed: true });
    await expect(keys.verify(token)).resolves.toMatchObject({ userId: 7, sessionId: 3 });
    clock.ms += TTL * 1000;
    await expect(keys.verify(token)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('accepts an HS256 token issued before the upgrade, for one token lifetime after it', async () => {
    const { keys, clock, hs256 } = setup();
    const before = hs256(UPGRADE_MS - 60_000);
    clock.ms = UPGRADE_MS + 30_000;
    await expect(keys.verify(before)).resolves.toMatchObject({ userId: 7, sessionId: 3 });
    // Whatever its claims say, no HS256 token is accepted once a token lifetime has passed.
    clock.ms = UPGRADE_MS + TTL * 1000;
    await expect(keys.keyFor(before)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses an HS256 token issued at or after the upgrade, though signed with the secret', async () => {
    const { keys, clock, hs256 } = setup();
    clock.ms = UPGRADE_MS + 1000;
    await expect(keys.verify(hs256(UPGRADE_MS))).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(keys.verify(hs256(UPGRADE_MS + 1000))).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a token with an unknown kid, or without an algorithm it issues', async () => {
    const { keys, clock } = setup();
    const token = keys.sign({ userId: 7, sessionId: 3, emailConfirmed: true });
    const [, payload, signature] = token.split('.');
    const header = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    clock.ms += 1000;
    for (const forged of [
      `${header({ alg: 'ES256', kid: 'k9' })}.${payload}.${signature}`,
      `${header({ alg: 'none' })}.${payload}.`,
      `${header({ alg: 'HS512' })}.${payload}.${signature}`,
    ]) {
      await expect(keys.verify(forged)).rejects.toMatchObject({ code: 'unauthorized' });
    }
  });
});
