import { PushService } from '../src/devices/push.service.js';
import { EventBus } from '../src/bus/event-bus.service.js';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import { befriend, openStream, resumeStream } from './support/friends.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import { dataUrl, makeImage } from './support/images.js';
import { phoneOf } from './support/phone.js';
import type { SseClient } from './support/sse-client.js';
import { waitFor } from './support/wait.js';

const PUBLIC_FIELDS = [
  'avatar',
  'id',
  'is_online',
  'last_seen_at',
  'last_seen_hint',
  'nick',
  'status',
  'status_message',
];
/** What a blocked user sees of the blocker (XEP-0191 "polite" blocking: as if offline). */
const hidden = (user: TestUser) => ({
  id: user.id,
  nick: user.nick,
  avatar: null,
  status: null,
  status_message: null,
  is_online: false,
  last_seen_at: null,
  last_seen_hint: null,
});

let nickSerial = 0;
const uniqueNick = () =>
  `Blk${Date.now().toString(36)}${(nickSerial += 1)}${Math.floor(Math.random() * 1e4)}`;

describe('blocking', () => {
  let t: TestApp;
  let apns: ApnsEmulator;
  const streams: SseClient[] = [];
  const track = (stream: SseClient) => (streams.push(stream), stream);
  beforeAll(async () => {
    apns = await startApnsEmulator();
    t = await startApp(undefined, { ...apns.vars, PRESENCE_GRACE_SECONDS: '0' });
  });
  afterAll(async () => {
    streams.forEach((stream) => stream.close());
    await t?.close();
    await apns?.close();
  });

  const block = (user: TestUser, other: { id: number } | number) =>
    t
      .http()
      .post('/api/v1/blocks')
      .set(user.auth)
      .send({ user_id: typeof other === 'number' ? other : other.id });
  const unblock = (user: TestUser, other: { id: number } | number) =>
    t
      .http()
      .delete(`/api/v1/blocks/${typeof other === 'number' ? other : other.id}`)
      .set(user.auth);
  const ids = (users: { id: number }[]) => users.map((user) => user.id);
  const blocked = async (user: TestUser) =>
    (await t.http().get('/api/v1/blocks').set(user.auth).expect(200)).body.users;
  const blockers = async (user: TestUser) =>
    (await t.http().get('/api/v1/blocks/blockers').set(user.auth).expect(200)).body.users;
  const seenBy = async (viewer: TestUser | null, owner: TestUser) => {
    const request = t.http().get(`/api/v1/users/${owner.id}`);
    return (await (viewer ? request.set(viewer.auth) : request).expect(200)).body.user;
  };

  /** A user others see in full: avatar, status, status message, online now, and a last seen time. */
  async function visibleUser(): Promise<TestUser> {
    const user = await createUser(t, { nick: uniqueNick() });
    const avatar = dataUrl(await makeImage(64, 64, 'png'));
    await t
      .http()
      .patch('/api/v1/me')
      .set(user.auth)
      .send({ status_message: 'Out fishing', avatar })
      .expect(200);
    await t.http().put('/api/v1/me/status').set(user.auth).send({ status: 'busy' }).expect(200);
    // Online once and gone again, so that last_seen_at is set; then online for good.
    const first = await openStream(t, user);
    await waitFor(async () => (await seenBy(user, user)).is_online, 'the user to be online');
    first.close();
    await waitFor(async () => (await seenBy(user, user)).last_seen_at, 'a last seen time');
    track(await openStream(t, user));
    await waitFor(async () => (await seenBy(user, user)).is_online, 'the user to be online again');
    return user;
  }
  const fullyVisible = (user: TestUser) => ({
    id: user.id,
    nick: user.nick,
    avatar: { full: expect.any(String), small: expect.any(String) },
    status: 'busy',
    status_message: 'Out fishing',
    is_online: true,
    last_seen_at: expect.any(String),
    last_seen_hint: null,
  });

  /** Sends a marker update from a new friend of the viewer and waits for it: whatever came before has arrived. */
  async function drain(stream: SseClient, viewer: TestUser): Promise<void> {
    const marker = await createUser(t);
    await befriend(t, marker, viewer);
    const text = `marker ${marker.id}`;
    await t.http().patch('/api/v1/me').set(marker.auth).send({ status_message: text }).expect(200);
    await stream.next(
      'user_updated',
      (d: { user: { status_message: string } }) => d.user.status_message === text,
    );
  }
  /** The events of this kind on the stream that are about `user`. */
  const about = (stream: SseClient, kind: string, user: TestUser) =>
    stream.of(kind).filter((e) => {
      const data = e.data as { user?: { id: number }; user_id?: number };
      return (data.user?.id ?? data.user_id) === user.id;
    });

  describe('routes', () => {
    it('blocks idempotently, and lists whom I blocked and who blocked me as public records', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await block(ann, bob).expect(200, {});
      await block(ann, bob).expect(200, {});
      await block(ann, carl).expect(200, {});
      const annBlocked = await blocked(ann);
      expect(ids(annBlocked)).toEqual([bob.id, carl.id]);
      expect(Object.keys(annBlocked[0]).sort()).toEqual(PUBLIC_FIELDS);
      expect(ids(await blockers(bob))).toEqual([ann.id]);
      expect(await blocked(bob)).toEqual([]);
      expect(await blockers(ann)).toEqual([]);
    });

    it('unblocks idempotently: lifting a block that does not exist answers {} too', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await block(ann, bob).expect(200);
      await block(ann, carl).expect(200);
      await unblock(ann, bob).expect(200, {});
      await unblock(ann, bob).expect(200, {});
      await unblock(bob, ann).expect(200, {}); // bob never blocked ann
      expect(ids(await blocked(ann))).toEqual([carl.id]);
      expect(await blockers(bob)).toEqual([]);
    });

    it('refuses yourself and malformed ids (invalid_params) and nobody (not_found), changing nothing', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await block(ann, bob).expect(200);
      const refusals: [ReturnType<typeof block>, number, string][] = [
        [block(ann, ann), 400, 'invalid_params'],
        [unblock(ann, ann), 400, 'invalid_params'],
        [block(ann, 999_999_999), 404, 'not_found'],
        [unblock(ann, 999_999_999), 404, 'not_found'],
        [t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: 'x' }), 400, 'invalid_params'],
        [t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: 0 }), 400, 'invalid_params'],
        [t.http().post('/api/v1/blocks').set(ann.auth).send({}), 400, 'invalid_params'],
        [
          t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id, reason: 'spam' }),
          400,
          'invalid_params',
        ],
        [t.http().delete('/api/v1/blocks/nope').set(ann.auth), 400, 'invalid_params'],
      ];
      for (const [request, status, code] of refusals) {
        expect((await request.expect(status)).body.error.code).toBe(code);
      }
      expect(ids(await blocked(ann))).toEqual([bob.id]);
      expect(await blockers(ann)).toEqual([]);
    });

    it('needs a token and a confirmed email', async () => {
      const [ann, unconfirmed] = await Promise.all([createUser(t), createUser(t, { confirmed: false })]);
      expect(
        (await t.http().post('/api/v1/blocks').send({ user_id: ann.id }).expect(401)).body.error.code,
      ).toBe('unauthorized');
      expect((await t.http().get('/api/v1/blocks').expect(401)).body.error.code).toBe('unauthorized');
      expect((await block(unconfirmed, ann).expect(403)).body.error.code).toBe('email_not_confirmed');
      expect(await blockers(ann)).toEqual([]);
    });
  });

  describe('what the blocked user sees of the blocker', () => {
    it('hides avatar, status, status message, online and last seen in GET /users/:id, for the blocked user only', async () => {
      const blocker = await visibleUser();
      const [victim, bystander] = await Promise.all([createUser(t), createUser(t)]);
      expect(await seenBy(victim, blocker)).toEqual(fullyVisible(blocker));
      await block(blocker, victim).expect(200);
      expect(await seenBy(victim, blocker)).toEqual(hidden(blocker));
      expect(await seenBy(bystander, blocker)).toEqual(fullyVisible(blocker));
      // Anonymous callers are told no presence, block or not.
      expect(await seenBy(null, blocker)).toEqual({
        ...fullyVisible(blocker),
        status: null,
        status_message: null,
        is_online: false,
        last_seen_at: null,
      });
      // One way only: the blocker still sees the blocked user's record as anybody does.
      const victimToOthers = await seenBy(bystander, victim);
      expect(await seenBy(blocker, victim)).toEqual(victimToOthers);
    });

    it('hides the last seen time in GET /users/:id/last-seen', async () => {
      const blocker = await visibleUser();
      const [victim, bystander] = await Promise.all([createUser(t), createUser(t)]);
      await block(blocker, victim).expect(200);
      const asVictim = await t
        .http()
        .get(`/api/v1/users/${blocker.id}/last-seen`)
        .set(victim.auth)
        .expect(200);
      expect(asVictim.body).toEqual({
        user_id: blocker.id,
        is_online: false,
        last_seen_at: null,
        seconds_ago: null,
        last_seen_hint: null,
      });
      const asBystander = await t
        .http()
        .get(`/api/v1/users/${blocker.id}/last-seen`)
        .set(bystander.auth)
        .expect(200);
      expect(asBystander.body).toMatchObject({
        user_id: blocker.id,
        is_online: true,
        last_seen_at: expect.any(String),
      });
    });

    it('hides the same fields in search results', async () => {
      const blocker = await visibleUser();
      const [victim, bystander] = await Promise.all([createUser(t), createUser(t)]);
      await block(blocker, victim).expect(200);
      const search = (viewer: TestUser) =>
        t.http().get('/api/v1/users').query({ nick: blocker.nick }).set(viewer.auth).expect(200);
      expect((await search(victim)).body.users).toEqual([hidden(blocker)]);
      expect((await search(bystander)).body.users).toEqual([fullyVisible(blocker)]);
    });

    it('hides the same fields in the contact list, and in the list of who blocked me', async () => {
      const blocker = await visibleUser();
      const victim = await createUser(t);
      await t.http().post('/api/v1/contacts').set(victim.auth).send({ user_id: blocker.id }).expect(200);
      await block(blocker, victim).expect(200);
      const contacts = (await t.http().get('/api/v1/contacts').set(victim.auth).expect(200)).body.users;
      expect(contacts).toEqual([{ ...hidden(blocker), is_friend: false }]);
      expect(await blockers(victim)).toEqual([hidden(blocker)]);
    });

    it('shows everything again as soon as the block is lifted', async () => {
      const blocker = await visibleUser();
      const victim = await createUser(t);
      await block(blocker, victim).expect(200);
      expect(await seenBy(victim, blocker)).toEqual(hidden(blocker));
      await unblock(blocker, victim).expect(200);
      expect(await seenBy(victim, blocker)).toEqual(fullyVisible(blocker));
      const lastSeen = await t
        .http()
        .get(`/api/v1/users/${blocker.id}/last-seen`)
        .set(victim.auth)
        .expect(200);
      expect(lastSeen.body.is_online).toBe(true);
    });
  });

  describe('contacts', () => {
    it('refuses the blocked user adding the blocker (403 blocked), adding nothing, until the block is lifted', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await block(ann, bob).expect(200);
      const refused = await t
        .http()
        .post('/api/v1/contacts')
        .set(bob.auth)
        .send({ user_id: ann.id })
        .expect(403);
      expect(refused.body.error.code).toBe('blocked');
      expect((await t.http().get('/api/v1/contacts').set(bob.auth).expect(200)).body.users).toEqual([]);
      // The blocker may still add the user they blocked.
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await unblock(ann, bob).expect(200);
      await t.http().post('/api/v1/contacts').set(bob.auth).send({ user_id: ann.id }).expect(200);
      expect((await t.http().get('/api/v1/contacts').set(bob.auth)).body.users).toEqual([
        expect.objectContaining({ id: ann.id, is_friend: true }),
      ]);
    });

    it('keeps an existing contact, but not as a friend, while a block lasts either way', async () => {
      const [ann, carl] = await Promise.all([createUser(t), createUser(t)]);
      await befriend(t, ann, carl);
      await block(carl, ann).expect(200);
      for (const [viewer, other] of [
        [ann, carl],
        [carl, ann],
      ]) {
        expect((await t.http().get('/api/v1/contacts').set(viewer.auth)).body.users).toEqual([
          expect.objectContaining({ id: other.id, is_friend: false }),
        ]);
      }
      await unblock(carl, ann).expect(200);
      expect((await t.http().get('/api/v1/contacts').set(ann.auth)).body.users).toEqual([
        expect.objectContaining({ id: carl.id, is_friend: true }),
      ]);
    });
  });

  describe('on the event stream', () => {
    it('tells both sides blocked and unblocked, each with the other’s id, and nothing for a repeated block', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const annStream = track(await openStream(t, ann));
      const bobStream = track(await openStream(t, bob));
      await block(ann, bob).expect(200);
      await annStream.next('blocked', (d: { user_id: number }) => d.user_id === bob.id);
      await bobStream.next('blocked', (d: { user_id: number }) => d.user_id === ann.id);
      await block(ann, bob).expect(200);
      await unblock(ann, bob).expect(200);
      await annStream.next('unblocked', (d: { user_id: number }) => d.user_id === bob.id);
      await bobStream.next('unblocked', (d: { user_id: number }) => d.user_id === ann.id);
      await unblock(ann, bob).expect(200);
      await drain(annStream, ann);
      await drain(bobStream, bob);
      expect([annStream.of('blocked').length, annStream.of('unblocked').length]).toEqual([1, 1]);
      expect([bobStream.of('blocked').length, bobStream.of('unblocked').length]).toEqual([1, 1]);
    });

    it('sends no user_updated about either side to the other, while friends still get it', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await befriend(t, ann, bob);
      await befriend(t, ann, carl);
      await befriend(t, bob, carl);
      await block(ann, bob).expect(200);
      const [annStream, bobStream, carlStream] = [
        track(await openStream(t, ann)),
        track(await openStream(t, bob)),
        track(await openStream(t, carl)),
      ];
      await t
        .http()
        .patch('/api/v1/me')
        .set(ann.auth)
        .send({ status_message: 'from the blocker' })
        .expect(200);
      await t
        .http()
        .patch('/api/v1/me')
        .set(bob.auth)
        .send({ status_message: 'from the blocked' })
        .expect(200);
      await carlStream.next('user_updated', (d: { user: { id: number } }) => d.user.id === ann.id);
      await carlStream.next('user_updated', (d: { user: { id: number } }) => d.user.id === bob.id);
      await drain(annStream, ann);
      await drain(bobStream, bob);
      expect(about(bobStream, 'user_updated', ann)).toEqual([]);
      expect(about(annStream, 'user_updated', bob)).toEqual([]);
    });

    it('sends no presence about either side to the other, while friends still get it', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await befriend(t, ann, bob);
      await befriend(t, ann, carl);
      await befriend(t, bob, carl);
      await block(bob, ann).expect(200);
      const carlStream = track(await openStream(t, carl));
      const bobStream = track(await openStream(t, bob));
      const annStream = track(await openStream(t, ann));
      await carlStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && d.is_online,
      );
      await t.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'away' }).expect(200);
      await t.http().put('/api/v1/me/status').set(bob.auth).send({ status: 'busy' }).expect(200);
      await carlStream.next(
        'presence',
        (d: { user_id: number; status: string }) => d.user_id === ann.id && d.status === 'away',
      );
      await carlStream.next(
        'presence',
        (d: { user_id: number; status: string }) => d.user_id === bob.id && d.status === 'busy',
      );
      annStream.close();
      await carlStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && !d.is_online,
      );
      await drain(bobStream, bob);
      expect(about(bobStream, 'presence', ann)).toEqual([]);

      const annAgain = track(await openStream(t, ann));
      await t.http().put('/api/v1/me/status').set(bob.auth).send({ status: 'away' }).expect(200);
      await carlStream.next(
        'presence',
        (d: { user_id: number; status: string }) => d.user_id === bob.id && d.status === 'away',
      );
      await drain(annAgain, ann);
      expect(about(annAgain, 'presence', bob)).toEqual([]);
    });

    it('sends no contact_added to the blocked user when the blocker adds them', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await block(ann, bob).expect(200);
      const bobStream = track(await openStream(t, bob));
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await drain(bobStream, bob);
      expect(about(bobStream, 'contact_added', ann)).toEqual([]);
    });

    it('sends events again to streams already open as soon as the block is lifted', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      await befriend(t, ann, bob);
      const bobStream = track(await openStream(t, bob));
      await block(ann, bob).expect(200);
      await bobStream.next('blocked');
      await unblock(ann, bob).expect(200);
      await bobStream.next('unblocked');
      await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'back again' }).expect(200);
      const update = await bobStream.next<{ user: { id: number; status_message: string } }>(
        'user_updated',
        (d) => d.user.id === ann.id,
      );
      expect(update.data.user.status_message).toBe('back again');
      track(await openStream(t, ann));
      await bobStream.next(
        'presence',
        (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && d.is_online,
      );
    });
  });

  describe('push', () => {
    /** Every event listener and every push under way, retries included, has finished. */
    const settled = async () => {
      await t.app.get(EventBus).drain();
      await t.app.get(PushService).idle();
    };

    it('pushes nothing to the blocked user when the blocker adds them, while others still reach them', async () => {
      const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      const annsPhone = (await phoneOf(t, ann, apns)).token;
      const bobsPhone = (await phoneOf(t, bob, apns)).token;
      await block(ann, bob).expect(200);
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: bob.id }).expect(200);
      await t.http().post('/api/v1/contacts').set(bob.auth).send({ user_id: ann.id }).expect(403);
      // Carl is not part of the block: his push proves pushes to Bob's phone go out.
      await t.http().post('/api/v1/contacts').set(carl.auth).send({ user_id: bob.id }).expect(200);
      await apns.waitForPushes(bobsPhone, 1);
      await settled();
      expect(apns.pushesTo(bobsPhone).map((push) => push.payload.unichat)).toEqual([
        { event: 'contact_added', user_id: carl.id },
      ]);
      expect(apns.pushesTo(annsPhone)).toEqual([]);
    });
  });
  it('replays nothing of the other side from before a block: the blocks in force apply to a replay', async () => {
    const [ann, bob] = await Promise.all([createUser(t, { nick: uniqueNick() }), createUser(t)]);
    await befriend(t, ann, bob);
    const first = track(await openStream(t, bob));
    await t.http().patch('/api/v1/me').set(bob.auth).send({ status_message: 'mark' }).expect(200);
    const mark = await first.next<{ user: { id: number } }>('user_updated', (d) => d.user.id === bob.id);
    // Ann's changes reach Bob's event log (a live stream sees them) before she blocks him.
    await t.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'before the block' }).expect(200);
    await t.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'busy' }).expect(200);
    await first.next<{ user: { id: number } }>('user_updated', (d) => d.user.id === ann.id);
    await first.next<{ user_id: number }>('presence', (d) => d.user_id === ann.id);
    first.close();
    await block(ann, bob).expect(200);

    const resumed = track(await resumeStream(t, bob, mark));
    await resumed.next<{ user_id: number }>('blocked', (d) => d.user_id === ann.id);
    const aboutAnn = resumed.events.filter((e) => {
      const data = e.data as { user_id?: number; user?: { id: number } };
      return e.event !== 'blocked' && (data.user_id === ann.id || data.user?.id === ann.id);
    });
    expect(aboutAnn).toEqual([]);
  });

  describe('how often a pair may change', () => {
    it('allows 10 block or unblock changes an hour between two users, from either side, then asks to wait', async () => {
      const [ann, bob, cid] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      for (let cycle = 0; cycle < 5; cycle += 1) {
        await block(ann, bob).expect(200);
        // Blocking again or lifting what is not there changes nothing and costs no turn.
        await block(ann, bob).expect(200);
        await unblock(bob, ann).expect(200);
        await unblock(ann, bob).expect(200);
      }
      const refused = await block(bob, ann).expect(429);
      expect(refused.body.error.code).toBe('please_wait');
      expect(refused.body.error.retry_after).toBeGreaterThan(3500);
      expect(refused.body.error.retry_after).toBeLessThanOrEqual(3600);
      expect(refused.body.error.text).toMatch(/try again in \d+ s/);
      expect(refused.headers['retry-after']).toBe(String(refused.body.error.retry_after));
      await block(ann, bob).expect(429);
      expect(await blocked(ann)).toEqual([]);
      // Other pairs keep their own turns.
      await block(ann, cid).expect(200);
      await block(cid, bob).expect(200);
    });

    it('lets a parallel burst make no more than 10 changes, so real events stay in the replay buffer', async () => {
      const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
      const watching = track(await openStream(t, bob));
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, n) => (n % 2 === 0 ? block(ann, bob) : unblock(ann, bob))),
      );
      expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true);
      expect(answers.some((answer) => answer.status === 429)).toBe(true);
      // Spend what the burst left, one change at a time, until the pair is refused.
      let sequential = 0;
      for (;;) {
        const isBlocked = (await blocked(ann)).length > 0;
        const answer = await (isBlocked ? unblock(ann, bob) : block(ann, bob));
        if (answer.status === 429) break;
        expect(answer.status).toBe(200);
        sequential += 1;
        expect(sequential).toBeLessThanOrEqual(10);
      }
      // Bob's own change comes after every change of the pair: then the count is final.
      await t
        .http()
        .patch('/api/v1/me')
        .set(bob.auth)
        .send({ status_message: 'after the burst' })
        .expect(200);
      await watching.next<{ user: { id: number } }>('user_updated', (d) => d.user.id === bob.id);
      const changes = watching.events.filter((e) => e.event === 'blocked' || e.event === 'unblocked');
      expect(changes).toHaveLength(10);
    });
  });
});
