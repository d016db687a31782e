import { DataSource } from 'typeorm';
import { type DomainEvents } from '../src/bus/domain-events.js';
import { EventBus } from '../src/bus/event-bus.service.js';
import { UsersService } from '../src/users/users.service.js';
import {
  anotherSession,
  createUser,
  mails,
  PASSWORD,
  startApp,
  uniqueEmail,
  waitForMail,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { dataUrl, makeImage } from './support/images.js';
import { linkIn } from './support/mails.js';
import { waitFor } from './support/wait.js';

describe('profile', () => {
  let t: TestApp;
  const updated: DomainEvents['user.updated'][] = [];
  const passwordChanges: DomainEvents['auth.password_changed'][] = [];
  beforeAll(async () => {
    t = await startApp();
    t.app.get(EventBus).on('user.updated', (event) => void updated.push(event));
    t.app.get(EventBus).on('auth.password_changed', (event) => void passwordChanges.push(event));
  });
  afterAll(() => t.close());

  const me = async (user: TestUser) =>
    (await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user;
  const patch = (user: TestUser, body: Record<string, unknown>) =>
    t.http().patch('/api/v1/me').set(user.auth).send(body);
  const uniqueNick = (base = 'Nick') => `${base}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

  it('GET /me answers the own record', async () => {
    const user = await createUser(t, { nick: uniqueNick() });
    const record = await me(user);
    expect(Object.keys(record).sort()).toEqual(
      [
        'auth_token',
        'avatar',
        'confirmed_at',
        'created_at',
        'email',
        'id',
        'is_online',
        'last_seen_at',
        'last_seen_visibility',
        'mobile_number',
        'nick',
        'pending_email',
        'searchable_nick',
        'status',
        'status_message',
      ].sort(),
    );
    expect(record).toMatchObject({ id: user.id, email: user.email, nick: user.nick });
    expect(record.confirmed_at).not.toBeNull();
  });

  it('updates nick, status message, mobile number and searchable_nick together; null and missing change nothing', async () => {
    const user = await createUser(t, { nick: uniqueNick() });
    const nick = uniqueNick('Ünïcode ');
    const response = await patch(user, {
      nick: `  ${nick}  `,
      status_message: 'At the beach',
      mobile_number: '+48 600 100 200',
      searchable_nick: false,
    }).expect(200);
    expect(response.body.user).toMatchObject({
      nick,
      status_message: 'At the beach',
      mobile_number: '+48 600 100 200',
      searchable_nick: false,
    });
    await patch(user, {
      nick: null,
      status_message: null,
      mobile_number: null,
      searchable_nick: null,
    }).expect(200);
    expect(await me(user)).toMatchObject({
      nick,
      status_message: 'At the beach',
      mobile_number: '+48 600 100 200',
    });
    await patch(user, { status_message: '', mobile_number: '' }).expect(200);
    expect(await me(user)).toMatchObject({ status_message: null, mobile_number: null });
  });

  it.each([
    ['too short', '  Abcd  ', 'nick must be at least 5 characters'],
    ['starting with a digit', '1abcdef', 'nick must start with a letter'],
    ['with two spaces in a row', 'Abc  def', 'nick must not have two spaces in a row'],
    ['too long', `A${'b'.repeat(64)}`, 'nick must be at most 64 characters'],
  ])(
    'refuses a nick %s with invalid_nick naming the rule, and changes nothing',
    async (_case, nick, text) => {
      const user = await createUser(t, { nick: uniqueNick() });
      const before = await me(user);
      const response = await patch(user, { nick, status_message: 'changed?' }).expect(400);
      expect(response.body.error).toEqual({ code: 'invalid_nick', text });
      expect(await me(user)).toEqual(before);
    },
  );

  it('accepts a nick that starts with a letter of another script', async () => {
    const user = await createUser(t);
    const nick = uniqueNick('Żółw');
    expect((await patch(user, { nick }).expect(200)).body.user.nick).toBe(nick);
    const greek = uniqueNick('Ωmega');
    expect((await patch(user, { nick: greek }).expect(200)).body.user.nick).toBe(greek);
  });

  it("refuses another user's nick without regard to case with 409 invalid_nick, and changes nothing", async () => {
    const nick = uniqueNick();
    await createUser(t, { nick });
    const user = await createUser(t);
    const before = await me(user);
    const response = await patch(user, { nick: nick.toLowerCase(), status_message: 'x' }).expect(409);
    expect(response.body.error.code).toBe('invalid_nick');
    expect(await me(user)).toEqual(before);
  });

  it('lets exactly one of two concurrent requests take a nick', async () => {
    const [a, b] = await Promise.all([createUser(t), createUser(t)]);
    const nick = uniqueNick('Race');
    const answers = await Promise.all([patch(a, { nick }), patch(b, { nick: nick.toUpperCase() })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const holders = [await me(a), await me(b)].filter(
      (record) => record.nick?.toLowerCase() === nick.toLowerCase(),
    );
    expect(holders).toHaveLength(1);
  });

  it('answers every one of many concurrent updates of one user (no deadlock), the record being one of them', async () => {
    const user = await createUser(t);
    const avatars = await Promise.all(
      [0, 1, 2, 3].map(async (n) => dataUrl(await makeImage(60 + n, 40 + n, 'png'))),
    );
    const bodies = Array.from({ length: 12 }, (_, n) => ({
      nick: uniqueNick(`Race${n}x`),
      status_message: `race ${n}`,
      ...(n % 3 === 0 ? {} : { avatar: avatars[n % avatars.length] }),
    }));
    const answers = await Promise.all(
      bodies.map((body, n) =>
        n % 2 === 0 ? t.http().post('/api/v1/rpc/update_me').set(user.auth).send(body) : patch(user, body),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 200));
    const record = await me(user);
    const winner = bodies.find((body) => body.nick === record.nick);
    expect(winner).toBeDefined();
    expect(record.status_message).toBe(winner?.status_message);
  });

  it('refuses an unknown field or a wrong type with invalid_params, and changes nothing', async () => {
    const user = await createUser(t);
    const before = await me(user);
    for (const body of [
      { nick: uniqueNick(), role: 'admin' },
      { searchable_nick: 'yes' },
      { mobile_number: 'call me' },
    ]) {
      const response = await patch(user, body).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
    }
    expect(await me(user)).toEqual(before);
  });

  it.each([
    // Each would not fit its column on PostgreSQL (it was a 500 there).
    ['a NUL character', { status_message: 'a\u0000b' }, 'invalid_params'],
    [
      'a status message of 400 characters counted as 200',
      { status_message: 'a\ufe0f'.repeat(200) },
      'invalid_params',
    ],
    ['a nick that folds into more than 256 characters', { nick: '\ufdfa'.repeat(15) }, 'invalid_nick'],
  ])('refuses %s, and changes nothing', async (_case, body, code) => {
    const user = await createUser(t);
    const before = await me(user);
    expect((await patch(user, body).expect(400)).body.error.code).toBe(code);
    expect(await me(user)).toEqual(before);
  });

  it('refuses an email address that grows past 254 characters in lower case', async () => {
    const user = await createUser(t);
    const before = await me(user);
    const email = `${'\u0130'.repeat(32)}@${'\u0130'.repeat(60)}.${'\u0130'.repeat(60)}.com`;
    const response = await patch(user, { email, current_password: PASSWORD }).expect(400);
    expect(response.body.error.code).toBe('invalid_email');
    const registered = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email, password: PASSWORD })
      .expect(400);
    expect(registered.body.error.code).toBe('invalid_email');
    expect(await me(user)).toEqual(before);
  });

  describe('password change', () => {
    it('needs the right current_password, refuses weak ones, and changes nothing on failure', async () => {
      const user = await createUser(t);
      const nick = uniqueNick();
      for (const [body, code] of [
        [{ password: 'New-password-42', nick }, 'invalid_password'],
        [{ password: 'New-password-42', current_password: 'Wrong-pass-99', nick }, 'invalid_password'],
        [{ password: 'weak', current_password: PASSWORD, nick }, 'weak_password'],
      ] as const) {
        const response = await patch(user, body).expect(400);
        expect(response.body.error.code).toBe(code);
      }
      expect((await me(user)).nick).toBeNull();
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    });

    it('sets the new password and ends every other session, keeping this one', async () => {
      const user = await createUser(t);
      const other = await anotherSession(t, user);
      await patch(user, { password: 'New-password-42', current_password: PASSWORD }).expect(200);
      await t.http().get('/api/v1/me').set(user.auth).expect(200);
      await t.http().get('/api/v1/me').set(other.auth).expect(401);
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'New-password-42' })
        .expect(200);
    });
  });

  describe('email change', () => {
    it('keeps the old address until the new one is confirmed, and tells the old address', async () => {
      const user = await createUser(t);
      const newEmail = uniqueEmail('moved');
      const response = await patch(user, { email: newEmail, current_password: PASSWORD }).expect(200);
      expect(response.body.user).toMatchObject({ email: user.email, pending_email: newEmail });
      await waitForMail(t, user.email, /address is changing/);
      // The old address still logs in; the new one not yet.
      await t.http().post('/api/v1/auth/login').send({ email: newEmail, password: PASSWORD }).expect(401);

      const link = new URL(linkIn(await waitForMail(t, newEmail, /Confirm/), '/auth/confirm'));
      await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      expect(await me(user)).toMatchObject({ email: newEmail, pending_email: null });
      await t.http().post('/api/v1/auth/login').send({ email: newEmail, password: PASSWORD }).expect(200);
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    });

    it('needs current_password, refuses a malformed or taken address, and changes nothing', async () => {
      const user = await createUser(t);
      const taken = await createUser(t);
      const cases = [
        [{ email: uniqueEmail('x') }, 400, 'invalid_password'],
        [{ email: 'nope', current_password: PASSWORD }, 400, 'invalid_email'],
        [{ email: taken.email.toUpperCase(), current_password: PASSWORD }, 409, 'invalid_email'],
      ] as const;
      for (const [body, status, code] of cases) {
        const response = await patch(user, body).expect(status);
        expect(response.body.error.code).toBe(code);
      }
      expect((await me(user)).pending_email).toBeNull();
      expect(
        (await mails(t)).filter((mail) => mail.to === user.email && /changing/.test(mail.subject)),
      ).toHaveLength(0);
    });
  });

  describe('public records', () => {
    it('GET /users/:id answers the public record without authentication, presence left out', async () => {
      const user = await createUser(t, { nick: uniqueNick() });
      await patch(user, { status_message: 'Hello' }).expect(200);
      const response = await t.http().get(`/api/v1/users/${user.id}`).expect(200);
      expect(response.body.user).toEqual({
        id: user.id,
        nick: user.nick,
        avatar: null,
        status: null,
        status_message: null,
        is_online: false,
        last_seen_at: null,
        last_seen_hint: null,
      });
    });

    it('answers 404 not_found for nobody and 400 invalid_params for a malformed id', async () => {
      expect((await t.http().get('/api/v1/users/999999999').expect(404)).body.error.code).toBe('not_found');
      expect((await t.http().get('/api/v1/users/2147483647').expect(404)).body.error.code).toBe('not_found');
      // Beyond the 32-bit id space PostgreSQL would refuse the query itself (it was a 500).
      for (const id of ['abc', '0', '-3', '1.5', '2147483648', '999999999999999', '9007199254740993']) {
        for (const path of [`/api/v1/users/${id}`, `/api/v1/users/${id}/last-seen`]) {
          expect((await t.http().get(path).expect(400)).body.error.code).toBe('invalid_params');
        }
      }
    });
  });

  describe('search', () => {
    it('finds searchable confirmed users by nick prefix without regard to case, at most 20', async () => {
      const stem = `Srch${Date.now().toString(36)}`;
      const [viewer, found, hidden] = await Promise.all([
        createUser(t),
        createUser(t, { nick: `${stem}Alpha` }),
        createUser(t, { nick: `${stem}Beta` }),
      ]);
      await patch(hidden, { searchable_nick: false }).expect(200);
      await createUser(t, { nick: `${stem}Gamma`, confirmed: false });
      const response = await t
        .http()
        .get('/api/v1/users')
        .query({ nick: stem.toLowerCase() })
        .set(viewer.auth)
        .expect(200);
      expect(response.body.users.map((user: { id: number }) => user.id)).toEqual([found.id]);
      expect(response.body.users[0]).toMatchObject({ nick: `${stem}Alpha`, is_online: false });
    });

    it('finds the people of a prefix as they are now, though the same prefix was asked before', async () => {
      const stem = `Now${Date.now().toString(36)}`;
      const [viewer, ann, bob] = await Promise.all([
        createUser(t),
        createUser(t, { nick: `${stem}Ann` }),
        createUser(t, { nick: `${stem}Bob` }),
      ]);
      const found = async () =>
        (
          await t.http().get('/api/v1/users').query({ nick: stem }).set(viewer.auth).expect(200)
        ).body.users.map((user: { nick: string }) => user.nick);
      expect(await found()).toEqual([`${stem}Ann`, `${stem}Bob`]);
      await patch(ann, { nick: `Was${stem}Ann` }).expect(200);
      expect(await found()).toEqual([`${stem}Bob`]);
      await patch(bob, { searchable_nick: false }).expect(200);
      expect(await found()).toEqual([]);
      await patch(bob, { searchable_nick: true, nick: `${stem}Bobby` }).expect(200);
      expect(await found()).toEqual([`${stem}Bobby`]);
      await createUser(t, { nick: `${stem}Cy` });
      expect(await found()).toEqual([`${stem}Bobby`, `${stem}Cy`]);
    });

    it('limits the answer to 20 users, the searcher left out', async () => {
      const stem = `Many${Date.now().toString(36)}`;
      const viewer = await createUser(t, { nick: `${stem}0` });
      await Promise.all(
        Array.from({ length: 22 }, (_, i) => createUser(t, { nick: `${stem}${String(i).padStart(2, '0')}` })),
      );
      const response = await t.http().get('/api/v1/users').query({ nick: stem }).set(viewer.auth).expect(200);
      expect(response.body.users).toHaveLength(20);
      expect(response.body.users[0].nick).toBe(`${stem}00`);
    });

    it('needs a nick of at least 2 characters (saying so when it is missing) and a token', async () => {
      const viewer = await createUser(t);
      expect((await t.http().get('/api/v1/users?nick=a').set(viewer.auth).expect(400)).body.error.code).toBe(
        'invalid_params',
      );
      expect((await t.http().get('/api/v1/users').set(viewer.auth).expect(400)).body.error).toEqual({
        code: 'invalid_params',
        text: 'nick is required (a search), or ids (users by id)',
      });
      await t.http().get('/api/v1/users?nick=ab').expect(401);
    });
  });

  describe('all or nothing', () => {
    it('stores no avatar when the nick sent with it turns out to be taken', async () => {
      const nick = uniqueNick();
      await createUser(t, { nick });
      const user = await createUser(t);
      const before = await me(user);
      const avatar = dataUrl(await makeImage(300, 200, 'png'));
      const response = await patch(user, { avatar, nick: nick.toUpperCase(), status_message: 'x' }).expect(
        409,
      );
      expect(response.body.error.code).toBe('invalid_nick');
      expect(await me(user)).toEqual(before);
    });

    it('keeps the old password and the other sessions when another field is refused', async () => {
      const user = await createUser(t);
      const other = await anotherSession(t, user);
      const body = { password: 'New-password-42', current_password: PASSWORD, nick: '1bad nick' };
      expect((await patch(user, body).expect(400)).body.error.code).toBe('invalid_nick');
      await t.http().get('/api/v1/me').set(other.auth).expect(200);
      await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: 'New-password-42' })
        .expect(401);
    });

    it('sends no mail and keeps no pending address when another field is refused', async () => {
      const user = await createUser(t);
      const newEmail = uniqueEmail('never');
      const body = { email: newEmail, current_password: PASSWORD, mobile_number: 'not a number' };
      expect((await patch(user, body).expect(400)).body.error.code).toBe('invalid_params');
      expect((await me(user)).pending_email).toBeNull();
      // A later mail to the old address arrives; none went to the new one.
      await patch(user, { email: uniqueEmail('later'), current_password: PASSWORD }).expect(200);
      await waitForMail(t, user.email, /address is changing/);
      expect((await mails(t)).filter((mail) => mail.to === newEmail)).toHaveLength(0);
    });
  });

  it('calls a pending email change off when the current address is sent again; its link then fails', async () => {
    const user = await createUser(t);
    const newEmail = uniqueEmail('undo');
    await patch(user, { email: newEmail, current_password: PASSWORD }).expect(200);
    const link = new URL(linkIn(await waitForMail(t, newEmail, /Confirm/), '/auth/confirm'));
    const undone = await patch(user, { email: user.email.toUpperCase() }).expect(200);
    expect(undone.body.user).toMatchObject({ email: user.email, pending_email: null });
    const confirm = await t
      .http()
      .get(link.pathname + link.search)
      .expect(302);
    expect(confirm.headers.location).toContain('error=invalid_token');
    expect(await me(user)).toMatchObject({ email: user.email, pending_email: null });
  });

  it('lets a user whose email is not confirmed read and update their own record and avatar, but not search', async () => {
    const user = await createUser(t, { confirmed: false });
    expect((await me(user)).confirmed_at).toBeNull();
    await patch(user, { status_message: 'New here' }).expect(200);
    const image = await makeImage(50, 50, 'png');
    await t.http().put('/api/v1/me/avatar').set(user.auth).attach('file', image, 'me.png').expect(200);
    await t.http().delete('/api/v1/me/avatar').set(user.auth).expect(200);
    const search = await t.http().get('/api/v1/users?nick=ab').set(user.auth).expect(403);
    expect(search.body.error.code).toBe('email_not_confirmed');
    expect(await me(user)).toMatchObject({ status_message: 'New here', avatar: null });
  });

  describe('events', () => {
    const updatesOf = (user: TestUser) => updated.filter((event) => event.userId === user.id).length;
    /** Waits until the user has `count` user.updated events; events arrive in order, so none came between. */
    const expectUpdates = async (user: TestUser, count: number) => {
      await waitFor(() => updatesOf(user) >= count, `${count} user.updated events`);
      expect(updatesOf(user)).toBe(count);
    };

    it('publishes user.updated after each successful change and never after a refused one', async () => {
      const user = await createUser(t);
      const start = updatesOf(user);
      await patch(user, { nick: '1bad nick' }).expect(400);
      await patch(user, {}).expect(200);
      await patch(user, { status_message: 'Hello' }).expect(200);
      await expectUpdates(user, start + 1);
      const image = await makeImage(40, 40, 'png');
      await t.http().put('/api/v1/me/avatar').set(user.auth).attach('file', image, 'me.png').expect(200);
      await expectUpdates(user, start + 2);
      await t.http().delete('/api/v1/me/avatar').set(user.auth).expect(200);
      await expectUpdates(user, start + 3);
      await t.http().delete('/api/v1/me/avatar').set(user.auth).expect(200);
      await patch(user, { email: uniqueEmail('ev'), current_password: PASSWORD }).expect(200);
      await expectUpdates(user, start + 4);
    });

    it('publishes user.updated when a new address is confirmed', async () => {
      const user = await createUser(t);
      const newEmail = uniqueEmail('evmove');
      await patch(user, { email: newEmail, current_password: PASSWORD }).expect(200);
      const start = updatesOf(user);
      const link = new URL(linkIn(await waitForMail(t, newEmail, /Confirm/), '/auth/confirm'));
      await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      await expectUpdates(user, start + 1);
    });

    it('publishes auth.password_changed (via update) for a password change only', async () => {
      const user = await createUser(t);
      await patch(user, { password: 'Wrong-current-1', current_password: 'Nope-nope-42' }).expect(400);
      await patch(user, { password: 'New-password-42', current_password: PASSWORD }).expect(200);
      await waitFor(() => passwordChanges.some((event) => event.userId === user.id), 'auth.password_changed');
      expect(passwordChanges.filter((event) => event.userId === user.id)).toEqual([
        { userId: user.id, via: 'update' },
      ]);
    });
  });

  it('searches by nick prefix through an index, not a table scan', async () => {
    const dataSource = t.app.get(DataSource);
    const [sql, parameters] = t.app.get(UsersService).nickPrefixQuery('ab', 20);
    if (dataSource.options.type === 'postgres') {
      // A test table is tiny, so the planner would rather scan it: forbid that to see the index is usable.
      const plan: { 'QUERY PLAN': string }[] = await dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        return manager.query(`EXPLAIN ${sql}`, parameters);
      });
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toContain('users_nick_key_prefix');
      expect(text).toMatch(/Index Cond: .*nick_key/);
    } else {
      const plan: { detail: string }[] = await dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, parameters);
      expect(plan.map((row) => row.detail).join('\n')).toMatch(
        /SEARCH users USING INDEX users_nick_key \(nick_key>\? AND nick_key<\?\)/,
      );
    }
  });
});
