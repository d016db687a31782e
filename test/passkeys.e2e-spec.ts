import { DataSource } from 'typeorm';
import { startApnsEmulator, type ApnsEmulator } from './support/apns-emulator.js';
import { phoneOf } from './support/phone.js';
import { SoftwareAuthenticator } from './support/authenticator.js';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import {
  createTestEnvironment,
  createUser,
  meWith,
  startApp,
  waitForMail,
  type TestApp,
  type TestEnvironment,
  type TestUser,
} from './support/harness.js';
import { turnOnTotp } from './support/totp.js';
import { waitFor } from './support/wait.js';

const FIREFOX_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:130.0) Gecko/20100101 Firefox/130.0';

type Credential = ReturnType<SoftwareAuthenticator['create']>;

/** Adds a passkey the way a browser page does: options, the authenticator, the answer. */
async function addPasskey(
  t: TestApp,
  user: TestUser,
  authenticator: SoftwareAuthenticator,
  name = 'Laptop',
): Promise<{ id: number; credential: Credential }> {
  const options = await t.http().post('/api/v1/me/passkeys/options').set(user.auth).expect(200);
  const credential = authenticator.create(options.body);
  const added = await t
    .http()
    .post('/api/v1/me/passkeys')
    .set(user.auth)
    .send({ response: credential, name })
    .expect(201);
  return { id: added.body.passkey.id, credential };
}

async function signInOptions(
  t: TestApp,
): Promise<{ challenge_id: string; options: { challenge: string; rpId: string } }> {
  return (await t.http().post('/api/v1/auth/passkey/options').expect(200)).body;
}

function signIn(t: TestApp, challengeId: string, response: unknown) {
  return t.http().post('/api/v1/auth/passkey').send({ challenge_id: challengeId, response });
}

interface ActivityEvent {
  type: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

async function activityTypes(t: TestApp, user: TestUser): Promise<string[]> {
  const page = await t.http().get('/api/v1/me/activity').set(user.auth).expect(200);
  return (page.body.events as ActivityEvent[]).map((event) => event.type);
}

/** The user's latest security event of `type`, once recorded (that follows the answer). */
function activityEvent(t: TestApp, user: TestUser, type: string): Promise<ActivityEvent> {
  return waitFor(async () => {
    const page = await t.http().get('/api/v1/me/activity').set(user.auth).expect(200);
    return (page.body.events as ActivityEvent[]).find((event) => event.type === type);
  }, `${type} in the activity`);
}

describe('passkeys', () => {
  let environment: TestEnvironment;
  let t: TestApp;
  let origin: string;
  beforeAll(async () => {
    environment = await createTestEnvironment();
    t = await startApp(environment);
    origin = new URL(t.config.publicUrl).origin;
  });
  afterAll(async () => {
    await t.close();
    await environment.dispose();
  });

  it('adds a passkey from the options of its user, lists it and renames it', async () => {
    const ann = await createUser(t);
    const options = await t.http().post('/api/v1/me/passkeys/options').set(ann.auth).expect(200);
    expect(options.body).toMatchObject({
      rp: { id: t.config.webauthn.rpId, name: 'Unichat' },
      user: { name: ann.email },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const authenticator = new SoftwareAuthenticator(origin);
    const credential = authenticator.create(options.body);
    const added = await t
      .http()
      .post('/api/v1/me/passkeys')
      .set(ann.auth)
      .set('User-Agent', FIREFOX_ON_MAC)
      .send({ response: credential, name: '  Work laptop ' })
      .expect(201);
    expect(added.body.passkey).toEqual({
      id: expect.any(Number),
      name: 'Work laptop',
      created_at: expect.any(String),
      last_used_at: null,
    });
    // The same answer again: its options are used up.
    await t
      .http()
      .post('/api/v1/me/passkeys')
      .set(ann.auth)
      .send({ response: credential, name: 'Again' })
      .expect(400)
      .expect(({ body }) => expect(body.error.code).toBe('invalid_token'));
    const renamed = await t
      .http()
      .patch(`/api/v1/me/passkeys/${added.body.passkey.id}`)
      .set(ann.auth)
      .send({ name: 'Old laptop' })
      .expect(200);
    expect(renamed.body.passkey.name).toBe('Old laptop');
    const list = await t.http().get('/api/v1/me/passkeys').set(ann.auth).expect(200);
    expect(list.body.passkeys.map((passkey: { name: string }) => passkey.name)).toEqual(['Old laptop']);
    // Nobody else's: another user can neither rename nor remove it.
    const bob = await createUser(t);
    await t
      .http()
      .patch(`/api/v1/me/passkeys/${added.body.passkey.id}`)
      .set(bob.auth)
      .send({ name: 'Mine now' })
      .expect(404);
    await t.http().delete(`/api/v1/me/passkeys/${added.body.passkey.id}`).set(bob.auth).expect(404);
    // A new way into the account is security activity: recorded with where it came from, and mailed.
    expect(await activityEvent(t, ann, 'passkey_added')).toMatchObject({
      ip: expect.any(String),
      user_agent: FIREFOX_ON_MAC,
      details: { passkey_id: added.body.passkey.id, name: 'Work laptop' },
    });
    const mail = await waitForMail(t, ann.email, /A passkey was added/);
    expect(mail.text).toContain('"Work laptop"');
    expect(mail.text).toContain('If this was not you, remove it');
    expect(await activityTypes(t, bob)).not.toContain('passkey_removed');
  });

  it('refuses an answer made for another origin or without the options of this user', async () => {
    const ann = await createUser(t);
    const bob = await createUser(t);
    const options = await t.http().post('/api/v1/me/passkeys/options').set(ann.auth).expect(200);
    const elsewhere = new SoftwareAuthenticator('https://evil.example');
    await t
      .http()
      .post('/api/v1/me/passkeys')
      .set(ann.auth)
      .send({ response: elsewhere.create(options.body), name: 'Phish' })
      .expect(400);
    const fresh = await t.http().post('/api/v1/me/passkeys/options').set(ann.auth).expect(200);
    const answer = new SoftwareAuthenticator(origin).create(fresh.body);
    await t
      .http()
      .post('/api/v1/me/passkeys')
      .set(bob.auth)
      .send({ response: answer, name: 'Not mine' })
      .expect(400)
      .expect(({ body }) => expect(body.error.code).toBe('invalid_token'));
    await t.http().get('/api/v1/me/passkeys').set(bob.auth).expect(200, { passkeys: [] });
  });

  it('signs in with a passkey and no email, as two factors even with TOTP on', async () => {
    const ann = await createUser(t);
    const authenticator = new SoftwareAuthenticator(origin);
    const { credential } = await addPasskey(t, ann, authenticator);
    await turnOnTotp(t, ann);

    const { challenge_id, options } = await signInOptions(t);
    expect(options.rpId).toBe(t.config.webauthn.rpId);
    expect(options).not.toHaveProperty('allowCredentials');
    const login = await signIn(t, challenge_id, authenticator.get(options, credential.id)).expect(200);
    expect(login.body.user).toMatchObject({ id: ann.id, email: ann.email });
    await meWith(t, login.body.access_token).expect(200);
    const list = await t.http().get('/api/v1/me/passkeys').set(ann.auth).expect(200);
    expect(list.body.passkeys[0].last_used_at).not.toBeNull();
    await waitFor(async () => {
      const page = await t.http().get('/api/v1/me/activity').set(ann.auth).expect(200);
      return page.body.events.find(
        (event: { type: string; details: { method?: string } }) =>
          event.type === 'login' && event.details.method === 'passkey',
      );
    }, 'a login by passkey in the activity');
  });

  it('uses each sign-in challenge once and refuses a signature counter that did not grow', async () => {
    const ann = await createUser(t);
    const authenticator = new SoftwareAuthenticator(origin);
    const { credential } = await addPasskey(t, ann, authenticator);
    const first = await signInOptions(t);
    const answer = authenticator.get(first.options, credential.id, 5);
    const both = await Promise.all([
      signIn(t, first.challenge_id, answer),
      signIn(t, first.challenge_id, answer),
    ]);
    expect(both.map((reply) => reply.status).sort()).toEqual([200, 400]);
    expect(both.find((reply) => reply.status === 400)?.body.error.code).toBe('invalid_token');
    // A cloned authenticator: its counter is not above the one last seen.
    const second = await signInOptions(t);
    await signIn(t, second.challenge_id, authenticator.get(second.options, credential.id, 5))
      .expect(401)
      .expect(({ body }) => expect(body.error.code).toBe('auth_failed'));
    const third = await signInOptions(t);
    await signIn(t, third.challenge_id, authenticator.get(third.options, credential.id, 4)).expect(401);
    const fourth = await signInOptions(t);
    await signIn(t, fourth.challenge_id, authenticator.get(fourth.options, credential.id, 6)).expect(200);
  });

  it('refuses an unknown passkey, a signature for another challenge, and a page of another origin', async () => {
    const ann = await createUser(t);
    const authenticator = new SoftwareAuthenticator(origin);
    const { credential } = await addPasskey(t, ann, authenticator);
    const stranger = new SoftwareAuthenticator(origin);
    const strangerCredential = stranger.create({
      challenge: 'x',
      rp: { id: t.config.webauthn.rpId },
      user: { id: 'MQ' },
    });
    const one = await signInOptions(t);
    await signIn(t, one.challenge_id, stranger.get(one.options, strangerCredential.id)).expect(401);
    const two = await signInOptions(t);
    const other = await signInOptions(t);
    await signIn(t, two.challenge_id, authenticator.get(other.options, credential.id)).expect(401);
    const three = await signInOptions(t);
    const phishing = new SoftwareAuthenticator('https://evil.example');
    // The same key, used through a page of another origin.
    (phishing as unknown as { credentials: unknown }).credentials = (
      authenticator as unknown as { credentials: unknown }
    ).credentials;
    await signIn(t, three.challenge_id, phishing.get(three.options, credential.id)).expect(401);
    await signIn(t, 'no-such-challenge', authenticator.get(three.options, credential.id))
      .expect(400)
      .expect(({ body }) => expect(body.error.code).toBe('invalid_token'));
  });

  it('removes a passkey: it signs in no more; the export lists passkeys, deletion removes them', async () => {
    const ann = await createUser(t);
    const authenticator = new SoftwareAuthenticator(origin);
    const kept = await addPasskey(t, ann, authenticator, 'Phone');
    const removed = await addPasskey(t, ann, authenticator, 'Old key');
    await t.http().delete(`/api/v1/me/passkeys/${removed.id}`).set(ann.auth).expect(200, {});
    await t.http().delete(`/api/v1/me/passkeys/${removed.id}`).set(ann.auth).expect(404);
    expect((await activityEvent(t, ann, 'passkey_removed')).details).toEqual({
      passkey_id: removed.id,
      name: 'Old key',
    });
    const mail = await waitForMail(t, ann.email, /A passkey was removed/);
    expect(mail.text).toContain('"Old key"');
    expect(mail.text).toContain('If this was not you');
    // Told once: the second DELETE removed nothing.
    expect((await activityTypes(t, ann)).filter((type) => type === 'passkey_removed')).toHaveLength(1);
    const options = await signInOptions(t);
    await signIn(t, options.challenge_id, authenticator.get(options.options, removed.credential.id)).expect(
      401,
    );
    const exported = await t.http().get('/api/v1/me/export').set(ann.auth).expect(200);
    expect(exported.body.passkeys.map((passkey: { name: string }) => passkey.name)).toEqual(['Phone']);
    expect(JSON.stringify(exported.body)).not.toContain(kept.credential.id);
    await t.http().delete('/api/v1/me').set(ann.auth).send({ current_password: ann.password }).expect(200);
    const rows = (await t.app.get(DataSource).query('SELECT user_id FROM passkeys')) as { user_id: number }[];
    expect(rows.filter((row) => Number(row.user_id) === ann.id)).toEqual([]);
    const after = await signInOptions(t);
    await signIn(t, after.challenge_id, authenticator.get(after.options, kept.credential.id)).expect(401);
  });
});

describe("passkeys told to the owner's phone", () => {
  let apns: ApnsEmulator;
  let t: TestApp;
  beforeAll(async () => {
    apns = await startApnsEmulator();
    t = await startApp(undefined, apns.vars);
  });
  afterAll(async () => {
    await t.close();
    await apns.close();
  });

  it('pushes when a passkey is added and when one is removed', async () => {
    const ann = await createUser(t);
    const { token: phone, events } = await phoneOf(t, ann, apns);
    const authenticator = new SoftwareAuthenticator(new URL(t.config.publicUrl).origin);
    const { id } = await addPasskey(t, ann, authenticator, 'Call me Unichat support');
    expect(await events(1)).toEqual(['passkey_added']);
    const [added] = apns.pushesTo(phone);
    expect(added.payload.aps?.alert?.body).toMatch(/If this wasn't you/);
    // The name is chosen by whoever added the passkey: none of its words reach the owner's phone.
    expect(JSON.stringify(added.payload)).not.toContain('support');
    await t.http().delete(`/api/v1/me/passkeys/${id}`).set(ann.auth).expect(200);
    expect(await events(2)).toEqual(['passkey_added', 'passkey_removed']);
  });
});

// Two instances of one deployment need the shared database and Redis; without them the same
// story runs on one instance.
describe(
  SEVERAL_INSTANCES
    ? 'passkeys across two instances'
    : 'passkeys on one instance (two need DATABASE_URL and REDIS_URL)',
  () => {
    const { a: one, b: other } = startDeployment();

    it('removed on one instance, signs in on no other, at once', async () => {
      const ann = await createUser(one);
      const authenticator = new SoftwareAuthenticator(new URL(one.config.publicUrl).origin);
      const { id, credential } = await addPasskey(one, ann, authenticator);
      const before = await signInOptions(other);
      await signIn(other, before.challenge_id, authenticator.get(before.options, credential.id)).expect(200);
      const pending = await signInOptions(other);
      await one.http().delete(`/api/v1/me/passkeys/${id}`).set(ann.auth).expect(200);
      await signIn(other, pending.challenge_id, authenticator.get(pending.options, credential.id)).expect(
        401,
      );
    });

    it('takes options from one instance and the answer on the other, once', async () => {
      const ann = await createUser(one);
      const authenticator = new SoftwareAuthenticator(new URL(one.config.publicUrl).origin);
      const { credential } = await addPasskey(one, ann, authenticator);
      const options = await signInOptions(one);
      const answer = authenticator.get(options.options, credential.id);
      await signIn(other, options.challenge_id, answer).expect(200);
      await signIn(one, options.challenge_id, answer).expect(400);
    });
  },
);
