import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import { befriend, openStream } from './support/friends.js';
import type { SseClient } from './support/sse-client.js';

interface Presence {
  user_id: number;
  is_online: boolean;
  status: string | null;
  last_seen_at: string | null;
}

const GRACE_MS = 1000;

describe('presence', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);
  beforeAll(async () => {
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: String(GRACE_MS / 1000) });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  const presenceOf = (stream: SseClient, user: TestUser) =>
    stream
      .of('presence')
      .map((event) => event.data as Presence)
      .filter((data) => data.user_id === user.id);
  const nextPresence = (stream: SseClient, user: TestUser, where: (data: Presence) => boolean) =>
    stream.next<Presence>('presence', (data) => data.user_id === user.id && where(data), 5000);
  const setStatus = (user: TestUser, status: unknown) =>
    t.http().put('/api/v1/me/status').set(user.auth).send({ status });
  const publicRecord = async (user: TestUser, viewer: TestUser) =>
    (await t.http().get(`/api/v1/users/${user.id}`).set(viewer.auth).expect(200)).body.user;

  /** Ann with a friend Bob who is watching his own stream. */
  async function annWatchedByBob(): Promise<{ ann: TestUser; bob: TestUser; bobStream: SseClient }> {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await befriend(t, ann, bob);
    return { ann, bob, bobStream: track(await openStream(t, bob)) };
  }

  it('keeps a user online while any of their streams is open, and tells friends offline a grace period after the last closed', async () => {
    const { ann, bob, bobStream } = await annWatchedByBob();
    const tabs = [track(await openStream(t, ann)), track(await openStream(t, ann))];
    await nextPresence(bobStream, ann, (d) => d.is_online);

    tabs[0].close();
    await setStatus(ann, 'away').expect(200); // a marker: bob hears it, and nothing said offline before it
    await nextPresence(bobStream, ann, (d) => d.status === 'away');
    expect(presenceOf(bobStream, ann).filter((d) => !d.is_online)).toEqual([]);
    expect((await publicRecord(ann, bob)).is_online).toBe(true);

    const closedAt = Date.now();
    tabs[1].close();
    const offline = await nextPresence(bobStream, ann, (d) => !d.is_online);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(offline.data.status).toBe('away');
    // last_seen_at is when the last stream closed, not when the grace ended.
    const lastSeenAt = Date.parse(offline.data.last_seen_at as string);
    expect(lastSeenAt).toBeGreaterThanOrEqual(closedAt - 1000);
    expect(lastSeenAt).toBeLessThan(closedAt + GRACE_MS / 2);
    expect(await publicRecord(ann, bob)).toMatchObject({
      is_online: false,
      last_seen_at: offline.data.last_seen_at,
    });
    const lastSeen = (await t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(bob.auth).expect(200)).body;
    expect(lastSeen).toEqual({
      user_id: ann.id,
      is_online: false,
      last_seen_at: offline.data.last_seen_at,
      seconds_ago: expect.any(Number),
      last_seen_hint: null,
    });
    expect(lastSeen.seconds_ago).toBeGreaterThanOrEqual(0);
    expect(lastSeen.seconds_ago).toBeLessThan(10);
  });

  it('says neither offline nor online again when a page reloads within the grace period', async () => {
    const { ann, bob, bobStream } = await annWatchedByBob();
    const carl = await createUser(t);
    await befriend(t, carl, bob);
    const annStream = track(await openStream(t, ann));
    const carlStream = track(await openStream(t, carl));
    await nextPresence(bobStream, ann, (d) => d.is_online);
    await nextPresence(bobStream, carl, (d) => d.is_online);

    // Ann reloads; Carl leaves at the same moment: his offline shows when ann's grace would have ended.
    annStream.close();
    carlStream.close();
    track(await openStream(t, ann));
    await nextPresence(bobStream, carl, (d) => !d.is_online);
    await setStatus(ann, 'busy').expect(200);
    await nextPresence(bobStream, ann, (d) => d.status === 'busy');

    expect(presenceOf(bobStream, ann).map((d) => [d.is_online, d.status])).toEqual([
      [true, null],
      [true, 'busy'],
    ]);
    expect((await publicRecord(ann, bob)).is_online).toBe(true);
  });

  it('hides an invisible user: offline to friends with last seen frozen, the own record says invisible, and coming back is announced', async () => {
    const { ann, bob, bobStream } = await annWatchedByBob();
    const annStream = track(await openStream(t, ann));
    await nextPresence(bobStream, ann, (d) => d.is_online);

    const own = (await setStatus(ann, 'invisible').expect(200)).body.user;
    expect(own).toMatchObject({ id: ann.id, status: 'invisible', is_online: true });
    const vanished = await nextPresence(bobStream, ann, (d) => !d.is_online);
    expect(vanished.data).toMatchObject({ status: null, last_seen_at: expect.any(String) });
    const frozen = vanished.data.last_seen_at;
    expect(await publicRecord(ann, bob)).toMatchObject({
      is_online: false,
      status: null,
      last_seen_at: frozen,
    });
    expect((await t.http().get('/api/v1/me').set(ann.auth).expect(200)).body.user).toMatchObject({
      status: 'invisible',
      is_online: true,
    });
    expect(
      (await t.http().get(`/api/v1/users/${ann.id}/last-seen`).set(ann.auth).expect(200)).body,
    ).toMatchObject({
      is_online: true,
      seconds_ago: 0,
    });

    // Leaving and coming back while invisible says nothing and moves nothing.
    const before = presenceOf(bobStream, ann).length;
    annStream.close();
    const carl = await createUser(t);
    await befriend(t, carl, bob);
    const carlStream = track(await openStream(t, carl));
    carlStream.close();
    await nextPresence(bobStream, carl, (d) => !d.is_online); // after ann's grace would have ended
    expect(presenceOf(bobStream, ann).length).toBe(before);
    expect((await publicRecord(ann, bob)).last_seen_at).toBe(frozen);

    track(await openStream(t, ann));
    await setStatus(ann, null).expect(200);
    const back = await nextPresence(bobStream, ann, (d) => d.is_online);
    expect(back.data.status).toBeNull();
    expect(await publicRecord(ann, bob)).toMatchObject({ is_online: true, status: null });
  });

  it('sets every allowed status and refuses anything else, changing nothing', async () => {
    const user = await createUser(t);
    for (const status of ['away', 'busy', 'do_not_disturb', 'invisible', null]) {
      expect((await setStatus(user, status).expect(200)).body.user.status).toBe(status);
    }
    await setStatus(user, 'away').expect(200);
    for (const status of ['sleeping', 'AWAY', '', 7, true, ['away'], { status: 'away' }]) {
      const response = await setStatus(user, status).expect(400);
      expect(response.body.error.code).toBe('invalid_user_status');
    }
    const extra = await t
      .http()
      .put('/api/v1/me/status')
      .set(user.auth)
      .send({ status: 'busy', mood: 'x' })
      .expect(400);
    expect(extra.body.error.code).toBe('invalid_params');
    expect((await t.http().get('/api/v1/me').set(user.auth).expect(200)).body.user.status).toBe('away');
  });

  it('needs a token to set a status; an unconfirmed user may set theirs, part of their own record', async () => {
    await t.http().put('/api/v1/me/status').send({ status: 'away' }).expect(401);
    const unconfirmed = await createUser(t, { confirmed: false });
    expect((await setStatus(unconfirmed, 'away').expect(200)).body.user.status).toBe('away');
    expect((await t.http().get('/api/v1/me').set(unconfirmed.auth).expect(200)).body.user.status).toBe(
      'away',
    );
  });

  it('answers last seen for a user never seen with nulls, and refuses malformed ids', async () => {
    const [viewer, never] = await Promise.all([createUser(t), createUser(t)]);
    expect(
      (await t.http().get(`/api/v1/users/${never.id}/last-seen`).set(viewer.auth).expect(200)).body,
    ).toEqual({
      user_id: never.id,
      is_online: false,
      last_seen_at: null,
      seconds_ago: null,
      last_seen_hint: null,
    });
    const bad = await t.http().get('/api/v1/users/abc/last-seen').set(viewer.auth).expect(400);
    expect(bad.body.error.code).toBe('invalid_params');
    await t.http().get('/api/v1/users/0/last-seen').set(viewer.auth).expect(400);
  });
});
