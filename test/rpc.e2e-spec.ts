import {
  anotherSession,
  createUser,
  PASSWORD,
  startApp,
  uniqueEmail,
  waitForMail,
  type TestApp,
  type TestUser,
} from './support/harness.js';
import { linkIn } from './support/mails.js';

describe('seed-compatible RPC endpoint', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const rpc = (method: string, args?: unknown, user?: TestUser) => {
    const call = t.http().post(`/api/v1/rpc/${method}`);
    return (user ? call.set(user.auth) : call).send(args as object);
  };
  const deviceToken = () =>
    Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

  it('answers an unknown method with 404 not_found naming it', async () => {
    const response = await rpc('launch_rockets', {}).expect(404);
    expect(response.body.error).toEqual({ code: 'not_found', text: 'no method named "launch_rockets"' });
  });

  it('register: 200 with the own record; invalid_email and registration_error as the route', async () => {
    const email = uniqueEmail('rpc');
    const response = await rpc('register', { email, password: PASSWORD }).expect(200);
    expect(response.body.user).toMatchObject({ email, confirmed_at: null });
    expect((await rpc('register', { email: 'nope', password: PASSWORD }).expect(400)).body.error.code).toBe(
      'invalid_email',
    );
    expect(
      (await rpc('register', { email: uniqueEmail(), password: 'short' }).expect(400)).body.error.code,
    ).toBe('registration_error');
    expect((await rpc('register', { email, password: PASSWORD }).expect(409)).body.error.code).toBe(
      'invalid_email',
    );
  });

  it('resend_confirmation: {} then please_wait', async () => {
    const email = uniqueEmail('rpc');
    await rpc('register', { email, password: PASSWORD }).expect(200);
    expect((await rpc('resend_confirmation', { email }).expect(429)).body.error.code).toBe('please_wait');
    await rpc('resend_confirmation', { email: uniqueEmail('none') }).expect(200, {});
  });

  it('request_password_reset and reset_password', async () => {
    const user = await createUser(t);
    await rpc('request_password_reset', { email: user.email }).expect(200, {});
    expect((await rpc('request_password_reset', { email: user.email }).expect(429)).body.error.code).toBe(
      'rate_exceeded',
    );
    const token = new URL(
      linkIn(await waitForMail(t, user.email, /Reset/), 'password_reset_token='),
    ).searchParams.get('password_reset_token');
    expect((await rpc('reset_password', { token, password: 'weak' }).expect(400)).body.error.code).toBe(
      'weak_password',
    );
    await rpc('reset_password', { token, password: 'Fresh-password-8' }).expect(200, {});
    expect(
      (await rpc('reset_password', { token, password: 'Fresh-password-9' }).expect(400)).body.error.code,
    ).toBe('invalid_token');
  });

  it('login by password and by auth_token; auth_failed', async () => {
    const user = await createUser(t);
    const byPassword = await rpc('login', { email: user.email, password: PASSWORD }).expect(200);
    expect(byPassword.body).toMatchObject({ token_type: 'Bearer', user: { id: user.id } });
    expect(byPassword.body.access_token).toEqual(expect.any(String));
    const byToken = await rpc('login', { auth_token: byPassword.body.user.auth_token }).expect(200);
    expect(byToken.body.user.auth_token).toBe(byPassword.body.user.auth_token);
    expect(
      (await rpc('login', { email: user.email, password: 'Wrong-pass-12' }).expect(401)).body.error.code,
    ).toBe('auth_failed');
  });

  it('logout ends the session; without a token it is unauthorized', async () => {
    const user = await createUser(t);
    await rpc('logout', {}, user).expect(200, {});
    expect((await rpc('me', {}, user).expect(401)).body.error.code).toBe('unauthorized');
    expect((await rpc('logout', {}).expect(401)).body.error.code).toBe('unauthorized');
  });

  it('refuses the token of a session ended elsewhere on its very first call, and changes nothing', async () => {
    const user = await createUser(t);
    const other = await anotherSession(t, user);
    await t.http().delete('/api/v1/tokens/sessions').set(other.auth).expect(200);
    // `user`'s token was never shown to the server before its session ended.
    const refused = await rpc('update_me', { nick: 'Hijacked Nick' }, user).expect(401);
    expect(refused.body.error.code).toBe('unauthorized');
    const me = await t.http().get('/api/v1/me').set(other.auth).expect(200);
    expect(me.body.user.nick).toBe(user.nick);
  });

  it('me and update_me; invalid_nick and invalid_params as the route', async () => {
    const user = await createUser(t);
    expect((await rpc('me', undefined, user).expect(200)).body.user).toMatchObject({
      id: user.id,
      email: user.email,
    });
    const nick = `Rpc${Date.now().toString(36)}`;
    expect((await rpc('update_me', { nick }, user).expect(200)).body.user.nick).toBe(nick);
    expect((await rpc('update_me', { nick: '1bad1' }, user).expect(400)).body.error.code).toBe(
      'invalid_nick',
    );
    expect((await rpc('update_me', { colour: 'red' }, user).expect(400)).body.error.code).toBe(
      'invalid_params',
    );
    expect((await rpc('me', { extra: 1 }, user).expect(400)).body.error.code).toBe('invalid_params');
  });

  it('get_user answers the public record; not_found and invalid_params', async () => {
    const user = await createUser(t);
    const response = await rpc('get_user', { user_id: user.id }).expect(200);
    expect(Object.keys(response.body.user).sort()).toEqual(
      [
        'avatar',
        'id',
        'is_online',
        'last_seen_at',
        'last_seen_hint',
        'nick',
        'status',
        'status_message',
      ].sort(),
    );
    expect((await rpc('get_user', { user_id: 999999999 }).expect(404)).body.error.code).toBe('not_found');
    expect((await rpc('get_user', { user_id: 'x' }).expect(400)).body.error.code).toBe('invalid_params');
  });

  it('get_users answers what GET /users?ids= answers; needs a caller; at most 100 ids', async () => {
    const [ann, bob, viewer] = [await createUser(t), await createUser(t), await createUser(t)];
    const response = await rpc('get_users', { ids: [bob.id, ann.id, bob.id, 999999999] }, viewer).expect(200);
    const rest = await t.http().get(`/api/v1/users?ids=${bob.id},${ann.id}`).set(viewer.auth).expect(200);
    expect(response.body).toEqual(rest.body);
    expect(response.body.users.map((user: { id: number }) => user.id)).toEqual([bob.id, ann.id]);
    expect((await rpc('get_users', { ids: [ann.id] }).expect(401)).body.error.code).toBe('unauthorized');
    const tooMany = Array.from({ length: 101 }, (_, index) => index + 1);
    for (const ids of [tooMany, [], ['1'], [0], [1.5], '1,2', null]) {
      expect((await rpc('get_users', { ids }, viewer).expect(400)).body.error.code).toBe('invalid_params');
    }
  });

  it('set_status; invalid_user_status', async () => {
    const user = await createUser(t);
    expect((await rpc('set_status', { status: 'away' }, user).expect(200)).body.user.status).toBe('away');
    expect((await rpc('set_status', { status: 'gone' }, user).expect(400)).body.error.code).toBe(
      'invalid_user_status',
    );
  });

  it('api_create_sse_auth_code and api_delete_sse_auth_code; email_not_confirmed before confirmation', async () => {
    const user = await createUser(t);
    const code = (await rpc('api_create_sse_auth_code', {}, user).expect(200)).body.code;
    expect((await rpc('api_create_sse_auth_code', {}, user).expect(200)).body.code).toBe(code);
    await rpc('api_delete_sse_auth_code', {}, user).expect(200, {});
    expect((await rpc('api_create_sse_auth_code', {}, user).expect(200)).body.code).not.toBe(code);
    const unconfirmed = await createUser(t, { confirmed: false });
    expect((await rpc('api_create_sse_auth_code', {}, unconfirmed).expect(403)).body.error.code).toBe(
      'email_not_confirmed',
    );
  });

  it('devise_token answers {user_devise}; remove_devise_token answers {result: true}', async () => {
    const user = await createUser(t);
    const token = deviceToken();
    const registered = await rpc('devise_token', { token, notification_service: 'ios_app' }, user).expect(
      200,
    );
    expect(registered.body.user_devise).toMatchObject({ token, notification_service: 'ios_app' });
    expect(
      (await rpc('devise_token', { token, notification_service: 'gcm' }, user).expect(400)).body.error.code,
    ).toBe('invalid_notification_service');
    await rpc('remove_devise_token', { token, notification_service: 'ios_app' }, user).expect(200, {
      result: true,
    });
    expect(
      (await rpc('remove_devise_token', { token, notification_service: 'ios_app' }, user).expect(404)).body
        .error.code,
    ).toBe('not_found');
  });

  it('block_user, get_blocked_users, get_users_who_blocked_me, unblock_user', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await rpc('block_user', { user_id: bob.id }, ann).expect(200, {});
    expect(
      (await rpc('get_blocked_users', {}, ann).expect(200)).body.users.map((u: { id: number }) => u.id),
    ).toEqual([bob.id]);
    expect(
      (await rpc('get_users_who_blocked_me', {}, bob).expect(200)).body.users.map(
        (u: { id: number }) => u.id,
      ),
    ).toEqual([ann.id]);
    expect((await rpc('block_user', { user_id: ann.id }, ann).expect(400)).body.error.code).toBe(
      'invalid_params',
    );
    await rpc('unblock_user', { user_id: bob.id }, ann).expect(200, {});
    expect((await rpc('get_blocked_users', {}, ann).expect(200)).body.users).toEqual([]);
  });

  it('get_last_seen answers the seed shape, hidden when the user blocked the caller', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const seen = await rpc('get_last_seen', { user_id: ann.id }, bob).expect(200);
    expect(seen.body).toEqual({
      user_id: ann.id,
      is_online: false,
      last_seen_at: null,
      seconds_ago: null,
      last_seen_hint: null,
    });
    await rpc('block_user', { user_id: bob.id }, ann).expect(200);
    expect((await rpc('get_last_seen', { user_id: ann.id }, bob).expect(200)).body.is_online).toBe(false);
    expect((await rpc('get_last_seen', { user_id: 999999999 }, bob).expect(404)).body.error.code).toBe(
      'not_found',
    );
  });

  it('refuses arguments that are not an object', async () => {
    const call = t.http().post('/api/v1/rpc/login').set('Content-Type', 'application/json');
    const response = await call.send('[1,2]').expect(400);
    expect(response.body.error.code).toBe('invalid_params');
  });
});
