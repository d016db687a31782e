import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { createUser, type TestUser } from './support/harness.js';
import { befriend, openStream, resumeStream } from './support/friends.js';
import { waitFor } from './support/wait.js';

// Writes go to instance A, reads and streams to B: with PostgreSQL and Redis two instances of one

interface Presence {
  user_id: number;
  is_online: boolean;
  status: string | null;
  last_seen_at: string | null;
  last_seen_hint: string | null;
}

describe(`last-seen privacy${SEVERAL_INSTANCES ? ' across two instances' : ''}`, () => {
  const { a, b, track } = startDeployment({ vars: { PRESENCE_GRACE_SECONDS: '0' } });

  const setVisibility = (user: TestUser, value: unknown) =>
    a.http().patch('/api/v1/me').set(user.auth).send({ last_seen_visibility: value });
  const seenBy = async (owner: TestUser, viewer: TestUser) =>
    (await b.http().get(`/api/v1/users/${owner.id}`).set(viewer.auth).expect(200)).body.user;
  const lastSeenBy = async (owner: TestUser, viewer: TestUser) =>
    (await b.http().get(`/api/v1/users/${owner.id}/last-seen`).set(viewer.auth).expect(200)).body;

  /** A user seen online once, so they have a last seen a moment ago. */
  async function seenMomentsAgo(nick: string): Promise<TestUser> {
    const user = await createUser(a, { nick });
    const stream = await openStream(b, user);
    stream.close();
    await waitFor(
      async () => (await a.http().get('/api/v1/me').set(user.auth)).body.user.last_seen_at !== null,
      'a last seen after the stream closed',
    );
    return user;
  }

  it('is everyone by default, set in PATCH /me, and anything else is invalid_params changing nothing', async () => {
    const ann = await createUser(a);
    expect((await a.http().get('/api/v1/me').set(ann.auth).expect(200)).body.user.last_seen_visibility).toBe(
      'everyone',
    );
    for (const value of ['contacts', 'nobody', 'everyone', 'contacts']) {
      expect((await setVisibility(ann, value).expect(200)).body.user.last_seen_visibility).toBe(value);
    }
    for (const value of ['friends', 'NOBODY', '', 1, true, ['nobody']]) {
      const response = await setVisibility(ann, value).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
    }
    // null leaves it as it is, as for every PATCH /me field.
    await setVisibility(ann, null).expect(200);
    expect((await b.http().get('/api/v1/me').set(ann.auth).expect(200)).body.user.last_seen_visibility).toBe(
      'contacts',
    );
  });

  it('nobody: others get a hint instead of the exact last seen and online state in every view; the owner sees theirs', async () => {
    const ann = await seenMomentsAgo(`Hidden${Date.now().toString(36)}`);
    const bob = await createUser(a);
    await befriend(a, ann, bob);
    await setVisibility(ann, 'nobody').expect(200);

    const hidden = { is_online: false, last_seen_at: null, last_seen_hint: 'recently' };
    expect(await seenBy(ann, bob)).toMatchObject(hidden);
    expect(await lastSeenBy(ann, bob)).toEqual({
      user_id: ann.id,
      is_online: false,
      last_seen_at: null,
      seconds_ago: null,
      last_seen_hint: 'recently',
    });
    const contacts = (await b.http().get('/api/v1/contacts').set(bob.auth).expect(200)).body.users;
    expect(contacts.find((user: { id: number }) => user.id === ann.id)).toMatchObject({
      ...hidden,
      is_friend: true,
    });
    const search = await b
      .http()
      .get(`/api/v1/users?nick=${encodeURIComponent(ann.nick as string)}`)
      .set(bob.auth)
      .expect(200);
    expect(search.body.users).toEqual([expect.objectContaining({ id: ann.id, ...hidden })]);
    const rpcUser = await b
      .http()
      .post('/api/v1/rpc/get_user')
      .set(bob.auth)
      .send({ user_id: ann.id })
      .expect(200);
    expect(rpcUser.body.user).toMatchObject(hidden);
    const rpcSeen = await b
      .http()
      .post('/api/v1/rpc/get_last_seen')
      .set(bob.auth)
      .send({ user_id: ann.id })
      .expect(200);
    expect(rpcSeen.body).toMatchObject({ last_seen_at: null, last_seen_hint: 'recently' });

    // Ann still sees her own.
    expect((await lastSeenBy(ann, ann)).last_seen_at).toEqual(expect.any(String));
    expect((await b.http().get('/api/v1/me').set(ann.auth)).body.user.last_seen_at).toEqual(
      expect.any(String),
    );
  });

  it('contacts: friends see the exact last seen, anyone else the hint', async () => {
    const ann = await seenMomentsAgo(`Friendly${Date.now().toString(36)}`);
    const [friend, stranger, oneWay] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
    await befriend(a, ann, friend);
    // Added by oneWay only: a contact of theirs, not a friend (friends are mutual contacts).
    await a.http().post('/api/v1/contacts').set(oneWay.auth).send({ user_id: ann.id }).expect(200);
    await setVisibility(ann, 'contacts').expect(200);

    const exact = await seenBy(ann, friend);
    expect(exact.last_seen_at).toEqual(expect.any(String));
    expect(exact.last_seen_hint).toBeNull();
    for (const viewer of [stranger, oneWay]) {
      expect(await seenBy(ann, viewer)).toMatchObject({ last_seen_at: null, last_seen_hint: 'recently' });
      expect((await lastSeenBy(ann, viewer)).last_seen_hint).toBe('recently');
    }
    // Without a token no presence at all: not even the hint.
    expect((await b.http().get(`/api/v1/users/${ann.id}`).expect(200)).body.user).toMatchObject({
      is_online: false,
      last_seen_at: null,
      last_seen_hint: null,
    });
  });

  it('is reciprocal: who hides their own last seen from someone sees no exact last seen of them', async () => {
    const ann = await seenMomentsAgo(`Open${Date.now().toString(36)}`);
    const [bob, carl] = await Promise.all([createUser(a), createUser(a)]);
    await befriend(a, ann, bob);
    await setVisibility(bob, 'nobody').expect(200);
    await setVisibility(carl, 'contacts').expect(200);

    expect(await seenBy(ann, bob)).toMatchObject({ last_seen_at: null, last_seen_hint: 'recently' });
    expect((await lastSeenBy(ann, bob)).last_seen_at).toBeNull();
    // Carl shows his to contacts only, and ann is not one: he sees no exact last seen of hers.
    expect((await seenBy(ann, carl)).last_seen_hint).toBe('recently');
    await setVisibility(bob, 'everyone').expect(200);
    expect((await seenBy(ann, bob)).last_seen_at).toEqual(expect.any(String));
  });

  it('presence events: a friend kept from the exact state hears status changes with the hint, and no connect or disconnect', async () => {
    const [ann, bob, carl] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
    await befriend(a, ann, bob);
    await befriend(a, ann, carl);
    await setVisibility(carl, 'nobody').expect(200);
    const bobStream = track(await openStream(b, bob));
    const carlStream = track(await openStream(b, carl));

    const annStream = await openStream(a, ann);
    await bobStream.next<Presence>('presence', (d) => d.user_id === ann.id && d.is_online);
    await a.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'busy' }).expect(200);
    const status = await carlStream.next<Presence>('presence', (d) => d.user_id === ann.id);
    expect(status.data).toEqual({
      user_id: ann.id,
      is_online: false,
      status: 'busy',
      last_seen_at: null,
      last_seen_hint: 'recently',
    });
    const bobStatus = await bobStream.next<Presence>(
      'presence',
      (d) => d.user_id === ann.id && d.status === 'busy',
    );
    expect(bobStatus.data).toMatchObject({ is_online: true, last_seen_hint: null });

    annStream.close();
    await bobStream.next<Presence>('presence', (d) => d.user_id === ann.id && !d.is_online);
    // The offline event went out to bob in the same delivery that would have carried carl's; a
    // marker after it proves carl's stream is live and heard only the status change.
    await a.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'away' }).expect(200);
    await carlStream.next<Presence>('presence', (d) => d.user_id === ann.id && d.status === 'away');
    expect(
      carlStream
        .of('presence')
        .map((event) => event.data as Presence)
        .filter((d) => d.user_id === ann.id)
        .map((d) => [d.status, d.is_online, d.last_seen_at]),
    ).toEqual([
      ['busy', false, null],
      ['away', false, null],
    ]);
    // user_updated to carl carries the hint too.
    await a.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'hello' }).expect(200);
    const updated = await carlStream.next<{ user: Presence & { id: number } }>(
      'user_updated',
      (d) => d.user.id === ann.id,
    );
    expect(updated.data.user).toMatchObject({ last_seen_at: null, last_seen_hint: 'recently' });
  });

  it('a replay sent after the owner hid their last seen carries the hint, not the times sent before', async () => {
    const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
    await befriend(a, ann, bob);
    const first = track(await openStream(b, bob));
    const annStream = await openStream(a, ann);
    const online = await first.next<Presence>('presence', (d) => d.user_id === ann.id && d.is_online);
    annStream.close();
    await first.next<Presence>(
      'presence',
      (d) => d.user_id === ann.id && !d.is_online && d.last_seen_at !== null,
    );
    first.close();
    await setVisibility(ann, 'nobody').expect(200);

    const again = track(await resumeStream(b, bob, Number(online.id) - 1));
    await again.next('user_updated', (d: { user: { id: number } }) => d.user.id === ann.id);
    const replayed = again
      .of('presence')
      .map((event) => event.data as Presence)
      .filter((d) => d.user_id === ann.id);
    expect(replayed.length).toBeGreaterThan(0);
    for (const data of replayed)
      expect(data).toMatchObject({ is_online: false, last_seen_at: null, last_seen_hint: 'recently' });
  });

  it('a replayed contact_added or user_updated carries the record as it is now, not the adder’s exact state from before they hid it', async () => {
    const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
    const first = track(await openStream(b, bob));
    await a.http().patch('/api/v1/me').set(bob.auth).send({ status_message: 'mark' }).expect(200);
    const mark = await first.next<{ user: { id: number } }>('user_updated', (d) => d.user.id === bob.id);
    first.close();
    // Ann is online when she adds Bob, and the event Bob missed is logged with her exact state.
    const annStream = track(await openStream(a, ann));
    await a.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await a.http().post('/api/v1/contacts').set(bob.auth).send({ user_id: ann.id }).expect(200);
    await a.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'hi Bob' }).expect(200);
    await annStream.next<{ user: { id: number } }>('user_updated', (d) => d.user.id === ann.id);
    await setVisibility(ann, 'nobody').expect(200);

    const again = track(await resumeStream(b, bob, mark));
    const added = await again.next<{ user: Presence & { id: number } }>(
      'contact_added',
      (d) => d.user.id === ann.id,
    );
    expect(added.data.user).toMatchObject({
      is_online: false,
      last_seen_at: null,
      last_seen_hint: 'recently',
    });
    await waitFor(
      () => again.of('user_updated').some((e) => (e.data as { user: { id: number } }).user.id === ann.id),
      'Ann’s replayed user_updated',
    );
    for (const event of again.of('user_updated')) {
      const user = (event.data as { user: Presence & { id: number } }).user;
      if (user.id !== ann.id) continue;
      expect(user).toMatchObject({ is_online: false, last_seen_at: null, last_seen_hint: 'recently' });
    }
  });
});
