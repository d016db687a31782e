import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from 'jose';
import { CLI_TEST_MS, createServiceKey as serviceKey, runAdmin } from './support/admin-cli.js';
import { startDeployment } from './support/deployment.js';
import {
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';

interface SigningKeyRecord {
  kid: string;
  state: string;
  created_at: string;
  activates_at: string;
}

async function signingKeys(t: TestApp, key: string): Promise<SigningKeyRecord[]> {
  const answer = await t
    .http()
    .get('/api/v1/admin/signing-keys')
    .set('Authorization', `Bearer ${key}`)
    .expect(200);
  return answer.body.signing_keys as SigningKeyRecord[];
}

/** A fresh access token of the user's session from `t` (POST /tokens with the auth token). */
async function freshToken(t: TestApp, user: TestUser): Promise<string> {
  const answer = await t.http().post('/api/v1/tokens').send({ auth_token: user.authToken }).expect(200);
  return answer.body.access_token as string;
}

async function jwksOf(t: TestApp): Promise<JSONWebKeySet> {
  const answer = await t.http().get('/.well-known/jwks.json').expect(200);
  return answer.body as JSONWebKeySet;
}

describe('access tokens other services verify', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  let adminKey: string;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    t = await startApp(environment);
    adminKey = await serviceKey(environment, 'admin');
  }, CLI_TEST_MS);
  afterAll(async () => {
    await t.close();
    await environment.dispose();
  });

  it("verifies a real login's token with jose's createRemoteJWKSet over HTTP, issuer and audience included", async () => {
    const user = await createUser(t);
    const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(user.accessToken, jwks, {
      issuer: t.config.publicUrl,
      audience: 'unichat',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: String(user.id), sid: expect.any(Number) });
    expect(payload.exp! - payload.iat!).toBe(t.config.accessTokenTtl);
  });

  it('serves the key set publicly, cacheable for five minutes, with public keys only', async () => {
    const answer = await t.http().get('/.well-known/jwks.json').expect(200);
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
    expect(answer.body.keys).toHaveLength(1);
    expect(answer.body.keys[0]).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
      kid: expect.any(String),
      alg: 'ES256',
      use: 'sig',
    });
  });

  it('refuses an altered token, here and at a verifier', async () => {
    const user = await createUser(t);
    const [header, payload, signature] = user.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const other = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
    const altered = `${header}.${other}.${signature}`;
    await expect(jwtVerify(altered, createLocalJWKSet(await jwksOf(t)))).rejects.toThrow();
    const answer = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${altered}`);
    expect([answer.status, answer.body.error?.code]).toEqual([401, 'unauthorized']);
  });

  it('refuses an HS256 token made now with the old secret, while one issued before the upgrade works until it expires', async () => {
    const user = await createUser(t);
    const { sid } = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()) as {
      sid: number;
    };
    const [first] = (await signingKeys(t, adminKey)).slice(-1);
    const upgrade = Math.floor(Date.parse(first.created_at) / 1000);
    const secret = new TextEncoder().encode(t.config.jwtSecret);
    const legacy = (iat: number) =>
      // Before the signing keys, `sub` was the user id as a number.
      new SignJWT({ sub: user.id as unknown as string, sid, ec: true })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(iat)
        .setExpirationTime(iat + t.config.accessTokenTtl)
        .sign(secret);

    const forgedNow = await legacy(Math.floor(Date.now() / 1000));
    const refused = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${forgedNow}`);
    expect([refused.status, refused.body.error?.code]).toEqual([401, 'unauthorized']);

    // What the service issued before its first signing key, for a session still open.
    const before = await legacy(upgrade - 60);
    const me = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${before}`).expect(200);
    expect(me.body.user.id).toBe(user.id);
  });

  it('refuses a token of another audience, though signed with our key', async () => {
    const user = await createUser(t);
    // The same deployment (database, keys) configured for another audience.
    const other = await startApp(environment, { JWT_AUDIENCE: 'elsewhere' });
    try {
      const stranger = await createUser(other);
      expect(decodeProtectedHeader(stranger.accessToken).kid).toBe(
        decodeProtectedHeader(user.accessToken).kid,
      );
      const answer = await t.http().get('/api/v1/me').set('Authorization', `Bearer ${stranger.accessToken}`);
      expect([answer.status, answer.body.error?.code]).toEqual([401, 'unauthorized']);
      await t.http().get('/api/v1/me').set(user.auth).expect(200);
    } finally {
      await other.close();
    }
  });
});

describe('rotating the signing key across two instances', () => {
  const { a, b, environment } = startDeployment({ vars: { KEY_PUBLISH_DELAY: '1' }, instances: 2 });
  let adminKey: string;
  beforeAll(async () => {
    adminKey = await serviceKey(environment, 'admin');
  }, CLI_TEST_MS);

  it('never leaves a verifier that refreshes the key set with an unknown kid, and both instances move to the new key', async () => {
    const user = await createUser(a);
    const oldKid = decodeProtectedHeader(user.accessToken).kid;
    const rotated = await a
      .http()
      .post('/api/v1/admin/signing-keys/rotate')
      .set('Authorization', `Bearer ${adminKey}`)
      .expect(201);
    const next = rotated.body.signing_key as SigningKeyRecord;
    expect(next).toMatchObject({ state: 'next' });
    expect(Date.parse(next.activates_at) - Date.parse(next.created_at)).toBe(1000);

    const signedWithNew = new Set<TestApp>();
    const deadline = Date.now() + 30_000;
    let tokens = 0;
    while (signedWithNew.size < 2 || tokens < 20) {
      if (Date.now() > deadline) throw new Error('both instances did not move to the new key within 30 s');
      for (const [signer, verifierSource] of [
        [a, b],
        [b, a],
      ] as const) {
        const token = await freshToken(signer, user);
        const receivedAt = Date.now();
        tokens += 1;
        const { kid } = decodeProtectedHeader(token);
        // A verifier that fetches the key set afresh from any instance finds the kid and the signature.
        const jwks = await jwksOf(verifierSource);
        expect(jwks.keys.map((key) => key.kid)).toContain(kid);
        await jwtVerify(token, createLocalJWKSet(jwks), {
          issuer: signer.config.publicUrl,
          audience: 'unichat',
        });
        if (kid === next.kid) {
          expect(receivedAt).toBeGreaterThanOrEqual(Date.parse(next.activates_at));
          signedWithNew.add(signer);
        } else {
          expect(kid).toBe(oldKid);
        }
      }
    }

    // The old key stays published for the tokens it signed, and they still work on both.
    for (const t of [a, b]) {
      expect((await jwksOf(t)).keys.map((key) => key.kid)).toEqual(
        expect.arrayContaining([oldKid, next.kid]),
      );
      await t.http().get('/api/v1/me').set(user.auth).expect(200);
    }
    const states = Object.fromEntries((await signingKeys(b, adminKey)).map((key) => [key.kid, key.state]));
    expect(states).toEqual({ [oldKid!]: 'retired', [next.kid]: 'signing' });
  });
});

describe('the first signing key', () => {
  const { a, b } = startDeployment({
    instances: 2,
    together: true,
    // The tables exist (as after an upgrade's migrations) but no signing key does yet.
    beforeStart: async (environment) =>
      expect((await runAdmin(environment, ['service-keys', 'list'])).code).toBe(0),
    timeout: CLI_TEST_MS,
  });

  it('is made once when two instances start together on a new database', async () => {
    const [setA, setB] = await Promise.all([jwksOf(a), jwksOf(b)]);
    expect(setA.keys).toHaveLength(1);
    expect(setB.keys).toEqual(setA.keys);
    const [ann, bob] = await Promise.all([createUser(a), createUser(b)]);
    expect(decodeProtectedHeader(ann.accessToken).kid).toBe(setA.keys[0].kid);
    expect(decodeProtectedHeader(bob.accessToken).kid).toBe(setA.keys[0].kid);
  });
});
