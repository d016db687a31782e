import { befriend, openStream } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import type { SseClient } from './support/sse-client.js';

describe('blocking', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const block = (user: TestUser, other: { id: number } | number) =>
    t.http().post('/api/v1/blocks').set(user.auth).send({ user_id: typeof other === 'number' ? other : other.id });
  const ids = (users: { id: number }[]) => users.map((user) => user.id);
  const blocked = async (user: TestUser) => (await t.http().get('/api/v1/blocks').set(user.auth).expect(200)).body.users;
  const blockers = async (user: TestUser) =>
    (await t.http().get('/api/v1/blocks/blockers').set(user.auth).expect(200)).body.users;

  /** A user with an avatar-free but otherwise full public record. */
  async function visibleUser(): Promise<TestUser> {
    const nick = `Vis${Date.now().toString(36)}${Math.floor(Math.random() * 1e5)}`;
    const user = await createUser(t, { nick });
    await t.http().patch('/api/v1/me').set(user.auth).send({ status_message: 'Out fishing' }).expect(200);
    return user;
  }

  it('blocks (idempotently) and lists both sides', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await block(ann, bob).expect(200, {});
    await block(ann, bob).expect(200, {});
    expect(ids(await blocked(ann))).toEqual([bob.id]);
    expect(ids(await blockers(bob))).toEqual([ann.id]);
    expect(await blocked(bob)).toEqual([]);
    expect(await blockers(ann)).toEqual([]);
  });

  it('unblocks (idempotently)', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await block(ann, bob).expect(200);
    await t.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200, {});
    await t.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200, {});
    expect(await blocked(ann)).toEqual([]);
    expect(await blockers(bob)).toEqual([]);
  });

  it('refuses yourself, nobody and malformed ids, changing nothing', async () => {
    const ann = await createUser(t);
    expect((await block(ann, ann).expect(400)).body.error.code).toBe('invalid_params');
    expect((await block(ann, 999999999).expect(404)).body.error.code).toBe('not_found');
    expect((await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: 'x' }).expect(400)).body.error.code).toBe(
      'invalid_params',
    );
    expect((await t.http().delete('/api/v1/blocks/999999999').set(ann.auth).expect(404)).body.error.code).toBe('not_found');
    expect((await t.http().delete('/api/v1/blocks/nope').set(ann.auth).expect(400)).body.error.code).toBe('invalid_params');
    expect(await blocked(ann)).toEqual([]);
  });

  it("hides the blocker's avatar, status message and presence from the blocked user in GET /users/:id", async () => {
    const blocker = await visibleUser();
    const victim = await createUser(t);
    const bystander = await createUser(t);
    await block(blocker, victim).expect(200);
    const seenByVictim = (await t.http().get(`/api/v1/users/${blocker.id}`).set(victim.auth).expect(200)).body.user;
    expect(seenByVictim).toEqual({
      id: blocker.id,
      nick: blocker.nick,
      avatar: null,
      status: null,
      status_message: null,
      is_online: false,
      last_seen_at: null,
    });
    const lastSeen = await t.http().get(`/api/v1/users/${blocker.id}/last-seen`).set(victim.auth).expect(200);
    expect(lastSeen.body).toEqual({ user_id: blocker.id, is_online: false, last_seen_at: null, seconds_ago: null });
    const seenByOthers = (await t.http().get(`/api/v1/users/${blocker.id}`).set(bystander.auth).expect(200)).body.user;
    expect(seenByOthers.status_message).toBe('Out fishing');
    // The blocker still sees the blocked user as before.
    await t.http().get(`/api/v1/users/${victim.id}`).set(blocker.auth).expect(200);
  });

  it('hides the same fields in search results and contact lists', async () => {
    const blocker = await visibleUser();
    const victim = await createUser(t);
    await t.http().post('/api/v1/contacts').set(victim.auth).send({ user_id: blocker.id }).expect(200);
    await block(blocker, victim).expect(200);
    const found = await t.http().get('/api/v1/users').query({ nick: blocker.nick }).set(victim.auth).expect(200);
    expect(found.body.users).toEqual([expect.objectContaining({ id: blocker.id, status_message: null })]);
    const contacts = await t.http().get('/api/v1/contacts').set(victim.auth).expect(200);
    expect(contacts.body.users).toEqual([expect.objectContaining({ id: blocker.id, status_message: null })]);
  });

  it('stops the blocked user from adding the blocker (403 blocked), and ends a friendship while it lasts', async () => {
    const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
    await block(ann, bob).expect(200);
    const refused = await t.http().post('/api/v1/contacts').set(bob.auth).send({ user_id: ann.id }).expect(403);
    expect(refused.body.error.code).toBe('blocked');
    expect((await t.http().get('/api/v1/contacts').set(bob.auth)).body.users).toEqual([]);

    // An existing friendship: stays a contact, but not a friend while the block lasts.
    await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: carl.id }).expect(200);
    await t.http().post('/api/v1/contacts').set(carl.auth).send({ user_id: ann.id }).expect(200);
    await block(carl, ann).expect(200);
    const annContacts = (await t.http().get('/api/v1/contacts').set(ann.auth)).body.users;
    expect(annContacts).toEqual([expect.objectContaining({ id: carl.id, is_friend: false })]);
    await t.http().delete(`/api/v1/blocks/${ann.id}`).set(carl.auth).expect(200);
    expect((await t.http().get('/api/v1/contacts').set(ann.auth)).body.users).toEqual([
      expect.objectContaining({ id: carl.id, is_friend: true }),
    ]);
  });
});

describe('blocking on the event stream', () => {
  let t: TestApp;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);
  beforeAll(async () => {
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t.close();
  });

  /** Sends a marker update from a third friend and waits for it: everything before it has arrived. */
  async function drain(stream: SseClient, viewer: TestUser): Promise<void> {
    const marker = await createUser(t);
    await befriend(t, marker, viewer);
    const text = `marker ${marker.id}`;
    await t.http().patch('/api/v1/me').set(marker.auth).send({ status_message: text }).expect(200);
    await stream.next('user_updated', (d: { user: { status_message: string } }) => d.user.status_message === text);
  }
  const about = (stream: SseClient, kind: string, userId: number) =>
    stream.of(kind).filter((e) => {
      const data = e.data as { user?: { id: number }; user_id?: number };
      return (data.user?.id ?? data.user_id) === userId;
    });

  it('tells both sides blocked and unblocked, each with the other’s id', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const annStream = track(await openStream(t, ann));
    const bobStream = track(await openStream(t, bob));
    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await annStream.next('blocked', (d: { user_id: number }) => d.user_id === bob.id);
    await bobStream.next('blocked', (d: { user_id: number }) => d.user_id === ann.id);
    await t.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200);
    await annStream.next('unblocked', (d: { user_id: number }) => d.user_id === bob.id);
    await bobStream.next('unblocked', (d: { user_id: number }) => d.user_id === ann.id);
  });

  it('sends no user_updated or presence about either side of a block to the other', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await befriend(t, ann, bob);
    const bobStream = track(await openStream(t, bob));
    const annStream = track(await openStream(t, ann));
    await bobStream.next('presence', (d: { user_id: number }) => d.user_id === ann.id);
    await t.http().post('/api/v1/blocks').set(bob.auth).send({ user_id: ann.id }).expect(200);
    await bobStream.next('blocked');
    const before = { updates: about(bobStream, 'user_updated', ann.id).length, presence: about(bobStream, 'presence', ann.id).length };

    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'hidden' }).expect(200);
    await t.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'busy' }).expect(200);
    annStream.close();
    await drain(bobStream, bob);
    expect(about(bobStream, 'user_updated', ann.id)).toHaveLength(before.updates);
    expect(about(bobStream, 'presence', ann.id)).toHaveLength(before.presence);
  });

  it('sends no contact_added from a user the recipient blocked', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    const annStream = track(await openStream(t, ann));
    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    // Bob blocked by ann may not add her (403); ann adding bob (she blocked him) tells him nothing either.
    await t.http().post('/api/v1/contacts').set(bob.auth).send({ user_id: ann.id }).expect(403);
    const bobStream = track(await openStream(t, bob));
    await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await drain(bobStream, bob);
    expect(about(bobStream, 'contact_added', ann.id)).toEqual([]);
    expect(about(annStream, 'contact_added', bob.id)).toEqual([]);
  });
});
