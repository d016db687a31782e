import { DataSource } from 'typeorm';
import { ClusterBus } from '../src/bus/cluster-bus.service.js';
import { SseCode } from '../src/sse/sse-code.entity.js';
import { createUser, resetPasswordByMail, startApp, type TestApp } from './support/harness.js';
import { befriend, openStream, resumeStream, sseCode, streamOfCode } from './support/friends.js';
import type { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

describe('event stream', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);
  beforeAll(async () => {
    t = await startApp(undefined, { SSE_HEARTBEAT_SECONDS: '1', PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  describe('SSE codes', () => {
    it('creates a code once and returns the same one after', async () => {
      const user = await createUser(t);
      const first = await sseCode(t, user);
      expect(first).toMatch(/^\d+\.[\w-]{43}$/);
      expect(await sseCode(t, user)).toBe(first);
    });

    it('deleting the code closes its open streams and refuses it afterwards', async () => {
      const user = await createUser(t);
      const code = await sseCode(t, user);
      const stream = track(await streamOfCode(t, code));
      expect(stream.status).toBe(200);
      await t.http().delete('/api/v1/tokens/sse-code').set(user.auth).expect(200, {});
      await waitFor(() => stream.ended, 'the stream to close');
      const refused = await t.http().get(`/api/v1/events?code=${code}`).expect(401);
      expect(refused.body.error.code).toBe('unauthorized');
      const next = await sseCode(t, user);
      expect(next).not.toBe(code);
    });

    it('a revocation that reaches an instance late leaves streams of the next code open', async () => {
      const user = await createUser(t);
      const first = track(await openStream(t, user));
      const { nonce } = await t.app
        .get(DataSource)
        .getRepository(SseCode)
        .findOneByOrFail({ userId: user.id });
      await t.http().delete('/api/v1/tokens/sse-code').set(user.auth).expect(200);
      await waitFor(() => first.ended, 'the stream of the revoked code to close');
      const second = track(await openStream(t, user));
      // What another instance does when the revocation reaches it after the new stream opened.
      await t.app.get(ClusterBus).publish('sse_code.revoked', { userId: user.id, nonce });
      await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'still here' }).expect(200);
      await second.next(
        'user_updated',
        (data: { user: { status_message: string } }) => data.user.status_message === 'still here',
      );
      expect(second.ended).toBe(false);
    });

    it('refuses a stream whose code was revoked while it was being checked', async () => {
      const user = await createUser(t);
      const code = await sseCode(t, user);
      const { nonce } = await t.app
        .get(DataSource)
        .getRepository(SseCode)
        .findOneByOrFail({ userId: user.id });
      // The revocation reaches this instance after the stream's code was read, still valid, from
      // the database: here the row is still there when the message arrives.
      await t.app.get(ClusterBus).publish('sse_code.revoked', { userId: user.id, nonce });
      const refused = await waitFor(async () => {
        const stream = track(await streamOfCode(t, code));
        stream.close();
        return stream.status === 401 && stream;
      }, 'the stream to be refused');
      await waitFor(() => refused.body.includes('"unauthorized"'), 'the error envelope');
    });

    it('a password reset revokes the code and closes its streams', async () => {
      const user = await createUser(t);
      const stream = track(await openStream(t, user));
      await resetPasswordByMail(t, user, 'Another-pass-77');
      await waitFor(() => stream.ended, 'the stream to close');
    });

    it('says the code is missing, and how to get one, when it is not sent', async () => {
      for (const path of ['/api/v1/events', '/api/v1/events?code=']) {
        const response = await t.http().get(path).expect(400);
        expect(response.body.error).toEqual({
          code: 'invalid_params',
          text: 'code is required: ask POST /api/v1/tokens/sse-code for one',
        });
      }
    });

    it('answers 401 unauthorized in JSON for a wrong code', async () => {
      for (const path of [
        '/api/v1/events?code=1.nope',
        `/api/v1/events?code=1.${'a'.repeat(43)}`,
        // A user id beyond the id space: PostgreSQL would refuse the lookup itself.
        `/api/v1/events?code=99999999999.${'a'.repeat(43)}`,
        `/api/v1/events?code=2147483648.${'a'.repeat(43)}`,
      ]) {
        const response = await t.http().get(path).expect(401);
        expect(response.headers['content-type']).toMatch(/application\/json/);
        expect(response.body.error.code).toBe('unauthorized');
      }
    });
  });

  it('answers HEAD with the headers only, and the user does not count as online', async () => {
    const user = await createUser(t);
    const code = await sseCode(t, user);
    const head = await t.http().head(`/api/v1/events?code=${code}`).expect(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    const seen = await t.http().get(`/api/v1/users/${user.id}/last-seen`).set(user.auth).expect(200);
    expect(seen.body.is_online).toBe(false);
  });

  it('streams with the right headers, a retry hint and heartbeat comments', async () => {
    const user = await createUser(t);
    const stream = track(await openStream(t, user));
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toMatch(/no-cache/);
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers.connection).toBe('keep-alive');
    await waitFor(() => stream.retry === 3000, 'retry: 3000');
    await waitFor(() => stream.comments.includes('keep-alive'), 'a heartbeat comment', 4000);
  });

  it('sends user_updated: the own record to the user, the public record to friends', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await befriend(t, ann, bob);
    const annStream = track(await openStream(t, ann));
    const bobStream = track(await openStream(t, bob));
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'Live!' }).expect(200);
    const own = await annStream.next<{ user: Record<string, unknown> }>(
      'user_updated',
      (d) => d.user.status_message === 'Live!',
    );
    expect(own.data.user.email).toBe(ann.email);
    expect(own.id).toMatch(/^\d+$/);
    const seen = await bobStream.next<{ user: Record<string, unknown> }>(
      'user_updated',
      (d) => d.user.id === ann.id,
    );
    expect(seen.data.user.status_message).toBe('Live!');
    expect(seen.data.user.email).toBeUndefined();
  });

  it('sends contact_added to the user who was added', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const bobStream = track(await openStream(t, bob));
    await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
    const added = await bobStream.next<{ user: { id: number } }>('contact_added');
    expect(added.data.user.id).toBe(ann.id);
  });

  it('delivers every event to each of a user’s streams', async () => {
    const user = await createUser(t);
    const tabs = [
      track(await openStream(t, user)),
      track(await openStream(t, user)),
      track(await openStream(t, user)),
    ];
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'tabs' }).expect(200);
    for (const tab of tabs) await tab.next('user_updated');
  });

  it('replays missed events after Last-Event-ID, also given as last_event_id, and asks an unknown id to resync', async () => {
    const user = await createUser(t);
    const first = track(await openStream(t, user));
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'one' }).expect(200);
    const seen = await first.next('user_updated');
    first.close();
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'two' }).expect(200);
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'three' }).expect(200);

    const resumed = track(await resumeStream(t, user, seen));
    await waitFor(() => resumed.of('user_updated').length >= 2, 'two replayed events');
    const replayed = resumed
      .of('user_updated')
      .map((e) => (e.data as { user: { status_message: string } }).user.status_message);
    expect(replayed).toEqual(['two', 'three']);
    expect(Number(resumed.events[1].id)).toBe(Number(resumed.events[0].id) + 1);

    const byQuery = track(await resumeStream(t, user, seen, 'query'));
    await waitFor(() => byQuery.of('user_updated').length >= 2, 'two replayed events by query');

    const lost = track(await resumeStream(t, user, '999999'));
    await lost.next('resync');
  });

  it('lets a stream that dropped before its first event resume, and a resync start from the latest id', async () => {
    const user = await createUser(t);
    const patch = (message: string) =>
      t.http().patch('/api/v1/me').set(user.auth).send({ status_message: message }).expect(200);
    await patch('before');
    await patch('still before');
    const quiet = track(await openStream(t, user));
    const start = Number(await waitFor(() => quiet.lastEventId ?? undefined, 'the starting id'));
    expect(start).toBeGreaterThanOrEqual(2);
    quiet.close();
    await patch('missed');

    const resumed = track(await resumeStream(t, user, quiet));
    const replayed = await resumed.next<{ user: { status_message: string } }>('user_updated');
    expect(replayed.data.user.status_message).toBe('missed');
    expect(replayed.id).toBe(String(start + 1));
    expect(resumed.of('user_updated')).toHaveLength(1);

    const lost = track(await resumeStream(t, user, '999999'));
    expect((await lost.next('resync')).id).toBe(String(start + 1));
    const afterResync = track(await resumeStream(t, user, lost));
    await patch('fresh');
    await afterResync.next(
      'user_updated',
      (d: { user: { status_message: string } }) => d.user.status_message === 'fresh',
    );
    expect(afterResync.of('resync')).toEqual([]);
  });

  it('asks to resync when the missed events fell out of the buffer (256 kept)', async () => {
    const user = await createUser(t);
    const first = track(await openStream(t, user));
    await t.http().put('/api/v1/me/status').set(user.auth).send({ status: 'away' }).expect(200);
    const seen = await first.next('user_updated');
    first.close();
    for (let i = 0; i < 260; i += 1) {
      await t
        .http()
        .patch('/api/v1/me')
        .set(user.auth)
        .send({ status_message: `m${i}` })
        .expect(200);
    }
    const resumed = track(await resumeStream(t, user, seen));
    await resumed.next('resync');
  });

  describe('presence', () => {
    it('tells friends when a user comes online, changes status and goes offline', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await befriend(t, ann, bob);
      const bobStream = track(await openStream(t, bob));
      const annStream = track(await openStream(t, ann));
      await bobStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && d.is_online,
      );
      expect(
        (await t.http().get(`/api/v1/users/${ann.id}`).set(bob.auth).expect(200)).body.user.is_online,
      ).toBe(true);

      await t.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'busy' }).expect(200);
      await bobStream.next(
        'presence',
        (d: { user_id: number; status: string }) => d.user_id === ann.id && d.status === 'busy',
      );

      annStream.close();
      const offline = await bobStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean; last_seen_at: string }) =>
          d.user_id === ann.id && !d.is_online,
      );
      expect(offline.data).toMatchObject({ status: 'busy', last_seen_at: expect.any(String) });
      const lastSeen = await t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(bob.auth).expect(200);
      expect(lastSeen.body).toMatchObject({
        user_id: ann.id,
        is_online: false,
        seconds_ago: expect.any(Number),
        last_seen_hint: null,
      });
      expect(lastSeen.body.last_seen_at).toBe(offline.data.last_seen_at);
    });

    it('refuses a status outside the list with invalid_user_status, and changes nothing', async () => {
      const user = await createUser(t);
      await t.http().put('/api/v1/me/status').set(user.auth).send({ status: 'away' }).expect(200);
      const response = await t
        .http()
        .put('/api/v1/me/status')
        .set(user.auth)
        .send({ status: 'sleeping' })
        .expect(400);
      expect(response.body.error.code).toBe('invalid_user_status');
      expect((await t.http().get('/api/v1/me').set(user.auth)).body.user.status).toBe('away');
      const cleared = await t
        .http()
        .put('/api/v1/me/status')
        .set(user.auth)
        .send({ status: null })
        .expect(200);
      expect(cleared.body.user.status).toBeNull();
      expect(
        (await t.http().put('/api/v1/me/status').set(user.auth).send({}).expect(400)).body.error.code,
      ).toBe('invalid_params');
    });

    it('shows an invisible user offline to others, with last seen hidden, and sends no presence about them', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await befriend(t, ann, bob);
      const bobStream = track(await openStream(t, bob));
      const annStream = track(await openStream(t, ann));
      await bobStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && d.is_online,
      );

      const own = await t
        .http()
        .put('/api/v1/me/status')
        .set(ann.auth)
        .send({ status: 'invisible' })
        .expect(200);
      expect(own.body.user).toMatchObject({ status: 'invisible', is_online: true });
      await bobStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && !d.is_online,
      );
      const publicView = (await t.http().get(`/api/v1/users/${ann.id}`).set(bob.auth).expect(200)).body.user;
      expect(publicView).toMatchObject({ is_online: false, status: null });
      expect(
        (await t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(bob.auth).expect(200)).body,
      ).toEqual({
        user_id: ann.id,
        is_online: false,
        last_seen_at: null,
        seconds_ago: null,
        last_seen_hint: null,
      });

      const before = bobStream.of('presence').length;
      annStream.close();
      track(await openStream(t, ann)).close();
      // A marker event proves the stream is live and nothing about ann came before it.
      await t.http().patch('/api/v1/me').set(bob.auth).send({ status_message: 'marker' }).expect(200);
      await bobStream.next(
        'user_updated',
        (d: { user: { status_message: string } }) => d.user.status_message === 'marker',
      );
      expect(bobStream.of('presence').slice(before)).toEqual([]);
    });

    it('answers last seen: online now, not_found for nobody', async () => {
      const user = await createUser(t);
      track(await openStream(t, user));
      await waitFor(
        async () =>
          (await t.http().get(`/api/v1/users/${user.id}/last-seen`).set(user.auth)).body.is_online === true,
        'the user to be online',
      );
      const seen = (await t.http().get(`/api/v1/users/${user.id}/last-seen`).set(user.auth).expect(200)).body;
      expect(seen.seconds_ago).toBe(0);
      expect((await t.http().get('/api/v1/users/999999999/last-seen').expect(404)).body.error.code).toBe(
        'not_found',
      );
    });
  });
});
