import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { keepJwtSecret } from '../src/config/kept-jwt-secret.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import {
  createTestEnvironment,
  createUser,
  mails,
  PASSWORD,
  startApp,
  waitForMail,
  type TestApp,
} from './support/harness.js';

const KELVIN = '\u212A';

/**
 * Addresses are compared after NFKC case folding, and an address that folding would turn into
 * another one is refused where an address is given to the account (registration, email change).
 */
describe('email addresses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const unique = () => randomBytes(4).toString('hex');
  const register = (email: string, password = PASSWORD) =>
    t.http().post('/api/v1/auth/register').send({ email, password });
  const login = (email: string, password = PASSWORD) =>
    t.http().post('/api/v1/auth/login').send({ email, password });

  it('refuses an address with a look-alike of another letter, so it cannot take over the real one', async () => {
    const tag = unique();
    const real = `mike.${tag}@example.com`;
    const lookalike = `mi${KELVIN}e.${tag}@example.com`;

    const refused = await register(lookalike).expect(400);
    expect(refused.body.error.code).toBe('invalid_email');
    expect(refused.body.error.text).toContain(real);
    expect((await mails(t)).filter((mail) => mail.raw.includes(tag))).toEqual([]);

    // The owner of the real address registers, and their reset mail and login are theirs.
    const owner = await register(real, 'Owners-password-1').expect(201);
    await t.http().post('/api/v1/auth/password-reset/request').send({ email: real }).expect(200);
    await waitForMail(t, real, /Reset/);
    expect((await mails(t)).filter((mail) => mail.raw.includes(tag)).map((mail) => mail.to)).toEqual([
      real,
      real,
    ]);
    const session = await login(real, 'Owners-password-1').expect(200);
    expect(session.body.user.id).toBe(owner.body.user.id);
    // The look-alike, typed at login, is the same address compared folded.
    expect((await login(lookalike, 'Owners-password-1').expect(200)).body.user.id).toBe(owner.body.user.id);
  });

  it.each([
    ['a Kelvin sign', `mi${KELVIN}e`, 'mike'],
    ['full-width letters', 'ｍｉｋｅ', 'mike'],
    ['a long s', 'mi\u017Fe', 'mise'],
    ['a sharp s', 'stra\u00DFe', 'strasse'],
    ['a dotless i', 'm\u0131ke', 'mike'],
    ['a ligature', '\uFB01sh', 'fish'],
    ['a superscript digit', 'ann\u00B2', 'ann2'],
  ])(
    'refuses an address with %s (invalid_email), at registration and as a new address',
    async (_case, local, folded) => {
      const tag = unique();
      const email = `${local}.${tag}@example.com`;
      const response = await register(email).expect(400);
      expect(response.body.error).toEqual({
        code: 'invalid_email',
        text: `email address has characters that stand for others: it reads as ${folded}.${tag}@example.com`,
      });

      const user = await createUser(t);
      const change = await t
        .http()
        .patch('/api/v1/me')
        .set(user.auth)
        .send({ email, current_password: PASSWORD })
        .expect(400);
      expect(change.body.error.code).toBe('invalid_email');
      const me = await t.http().get('/api/v1/me').set(user.auth).expect(200);
      expect(me.body.user).toMatchObject({ email: user.email, pending_email: null });
      expect((await mails(t)).filter((mail) => mail.raw.includes(tag))).toEqual([]);
    },
  );

  it('takes letters of any script, in either case, and accented letters however they are composed', async () => {
    const tag = unique();
    const composed = `Jos\u00E9.${tag}@Example.com`;
    const decomposed = `jose\u0301.${tag}@example.COM`;
    const created = await register(composed).expect(201);
    expect(created.body.user.email).toBe(composed);
    // The same address, written decomposed and in other case: taken, and the same account at login.
    expect((await register(decomposed).expect(409)).body.error.code).toBe('invalid_email');
    expect((await login(decomposed).expect(200)).body.user.id).toBe(created.body.user.id);
    expect((await login(composed.toUpperCase()).expect(200)).body.user.id).toBe(created.body.user.id);

    // Written decomposed, an address is stored composed.
    const greek = await register(`\u03B1\u0301\u03BB\u03C6\u03B1.${tag}@example.com`).expect(201);
    expect(greek.body.user.email).toBe(`\u03AC\u03BB\u03C6\u03B1.${tag}@example.com`);
    expect((await login(`\u0386\u039B\u03A6\u0391.${tag}@example.com`).expect(200)).body.user.id).toBe(
      greek.body.user.id,
    );
  });

  it('gives one account to concurrent registrations of one address in different spellings', async () => {
    const tag = unique();
    const spellings = [
      `Jos\u00E9.${tag}@example.com`,
      `jose\u0301.${tag}@example.com`,
      `JOS\u00C9.${tag}@EXAMPLE.COM`,
    ];
    const answers = await Promise.all([...spellings, ...spellings].map((email) => register(email)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(answer.body.error.code).toBe('invalid_email');
    }
  });

  it('finds the account by its folded address for a resend and a reset, and mails the address on file', async () => {
    const tag = unique();
    const email = `jos\u00E9.${tag}@example.com`;
    await register(email).expect(201);
    const other = `JOSE\u0301.${tag}@EXAMPLE.COM`;
    // The confirmation mail went a moment ago: a resend is refused as too soon, so it was found.
    expect((await t.http().post('/api/v1/auth/resend-confirmation').send({ email: other })).status).toBe(429);
    await t.http().post('/api/v1/auth/password-reset/request').send({ email: other }).expect(200, {});
    const reset = await waitForMail(t, email, /Reset/);
    expect(reset.to).toBe(email);
  });

  it('refuses a new address that is the folded form of another account, and changes nothing', async () => {
    const tag = unique();
    const taken = await createUser(t, { email: `Jos\u00E9.${tag}@example.com` });
    const user = await createUser(t);
    const change = await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ email: `JOSE\u0301.${tag}@example.com`, current_password: PASSWORD })
      .expect(409);
    expect(change.body.error.code).toBe('invalid_email');
    const me = await t.http().get('/api/v1/me').set(user.auth).expect(200);
    expect(me.body.user.pending_email).toBeNull();
    expect(taken.email).not.toBe(user.email);
  });
});

describe('email keys of an existing database', () => {
  it('are folded at start: accounts written before are found by any spelling, and of two that fold alike the one whose address is still accepted keeps it', async () => {
    const environment = await createTestEnvironment();
    const { config } = keepJwtSecret(loadConfig(environment.vars));
    const foldMigration = MIGRATIONS.findIndex(
      (migration) => new migration().name === 'EmailFoldKeys1763900030000',
    );
    expect(foldMigration).toBeGreaterThan(0);
    // The database as the service left it before: migrations up to this one, keys lower-cased.
    const before = new DataSource({
      ...dataSourceOptions(config),
      migrations: MIGRATIONS.slice(0, foldMigration),
    });
    await before.initialize();
    const tag = unique();
    const hash = await argon2.hash(PASSWORD);
    const otherHash = await argon2.hash('Another-password-2');
    const rows: [string, string][] = [
      [`jose\u0301.${tag}@example.com`, hash], // decomposed, as some keyboards send it
      [`stra\u00DFe.${tag}@example.com`, otherHash], // folds into the next one's address
      [`Strasse.${tag}@example.com`, hash],
      [`mi${KELVIN}e.${tag}@example.com`, hash], // folded by lower case already
    ];
    const isPostgres = before.options.type === 'postgres';
    for (const [email, passwordHash] of rows) {
      const values = [
        email,
        email.trim().toLowerCase(),
        passwordHash,
        isPostgres ? true : 1,
        Date.now(),
        Date.now(),
      ];
      const marks = values.map((_value, index) => (isPostgres ? `$${index + 1}` : '?')).join(', ');
      await before.query(
        `INSERT INTO users (email, email_key, password_hash, searchable_nick, created_at, updated_at) VALUES (${marks})`,
        values,
      );
    }
    await before.destroy();

    const t = await startApp(environment);
    try {
      const login = (email: string, password = PASSWORD) =>
        t.http().post('/api/v1/auth/login').send({ email, password });
      const id = async (email: string, password = PASSWORD) =>
        (await login(email, password).expect(200)).body.user.id;

      const jose = await id(`jose\u0301.${tag}@example.com`);
      expect(await id(`Jos\u00E9.${tag}@example.com`)).toBe(jose);

      // "Strasse" is an address the rules still take: it keeps its key. The older "straße" account,
      // which now reads as the same address, is no longer found by address.
      const strasse = await id(`strasse.${tag}@example.com`);
      expect(await id(`stra\u00DFe.${tag}@example.com`)).toBe(strasse);
      await login(`stra\u00DFe.${tag}@example.com`, 'Another-password-2').expect(401);

      expect(await id(`mike.${tag}@example.com`)).toBe(await id(`mi${KELVIN}e.${tag}@example.com`));
      // And the folded keys hold: the decomposed address is taken in its composed form too.
      await t
        .http()
        .post('/api/v1/auth/register')
        .send({ email: `jos\u00E9.${tag}@example.com`, password: PASSWORD })
        .expect(409);
    } finally {
      await t.close();
      await environment.dispose();
    }
  });

  const unique = () => randomBytes(4).toString('hex');
});
