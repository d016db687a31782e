import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { createUser, PASSWORD, type TestUser } from './support/harness.js';
import { befriend, openStream } from './support/friends.js';
import { waitFor } from './support/wait.js';

// Writes go to instance A, reads to B (two instances with PostgreSQL and Redis).
describe(`GET /users?ids= and conditional records${SEVERAL_INSTANCES ? ' across two instances' : ''}`, () => {
  const { a, b, track } = startDeployment({ vars: { PRESENCE_GRACE_SECONDS: '0' } });
  let viewer: TestUser;

  beforeAll(async () => {
    viewer = await createUser(a);
  });

  const lookup = (ids: string, caller: TestUser = viewer) =>
    b.http().get('/api/v1/users').query({ ids }).set(caller.auth);

  it('answers the records in the order asked, each once, as GET /users/:id answers them', async () => {
    const ann = await createUser(a, { nick: 'Ann Batch' });
    const bob = await createUser(a, { nick: 'Bob Batch' });
    await a.http().put('/api/v1/me/status').set(bob.auth).send({ status: 'busy' }).expect(200);
    const answer = await lookup(`${bob.id},${ann.id},${bob.id},2147483647`).expect(200);
    // An id sent twice answers once; an id of no user is left out.
    expect(answer.body.users.map((user: { id: number }) => user.id)).toEqual([bob.id, ann.id]);
    for (const user of answer.body.users) {
      const single = await b.http().get(`/api/v1/users/${user.id}`).set(viewer.auth).expect(200);
      expect(user).toEqual(single.body.user);
    }
    expect(answer.body.users[0]).toMatchObject({ nick: 'Bob Batch', status: 'busy' });
  });

  it('applies blocks as a single record does: a blocker is there, without presence or avatar', async () => {
    const blocker = await createUser(a, { nick: 'Blocker Batch' });
    await a.http().put('/api/v1/me/status').set(blocker.auth).send({ status: 'away' }).expect(200);
    await a.http().post('/api/v1/blocks').set(blocker.auth).send({ user_id: viewer.id }).expect(200);
    const [seen] = (await lookup(String(blocker.id)).expect(200)).body.users;
    const single = (await b.http().get(`/api/v1/users/${blocker.id}`).set(viewer.auth).expect(200)).body.user;
    expect(seen).toEqual(single);
    expect(seen.status).toBeNull();
    // A third user still sees the status.
    const other = await createUser(a);
    expect((await lookup(String(blocker.id), other).expect(200)).body.users[0].status).toBe('away');
  });

  it('refuses more than 100 ids, ids that are not plain positive integers, and ids with nick', async () => {
    const hundred = Array.from({ length: 100 }, (_, index) => index + 1).join(',');
    expect((await lookup(hundred).expect(200)).body.users.length).toBeGreaterThan(0);
    // 101 ids of which two repeat are 99 distinct ids: fine.
    await lookup(`${hundred},1`).expect(200);
    const tooMany = Array.from({ length: 101 }, (_, index) => index + 1).join(',');
    for (const ids of [tooMany, '', '1,,2', '1,x', '0', '-1', '1.5', '01', '2147483648', ' 1', '1,2,']) {
      const answer = await lookup(ids).expect(400);
      expect(answer.body.error.code).toBe('invalid_params');
    }
    const both = await b.http().get('/api/v1/users').query({ ids: '1', nick: 'Ann' }).set(viewer.auth);
    expect(both.status).toBe(400);
    expect(both.body.error.text).toMatch(/either ids .* or nick/);
    const neither = await b.http().get('/api/v1/users').set(viewer.auth).expect(400);
    expect(neither.body.error.code).toBe('invalid_params');
    await b.http().get('/api/v1/users').query({ ids: '1' }).expect(401);
  });

  it('follows every change after the answer was kept: profile, presence, privacy, contacts, blocks, deletion', async () => {
    // The answer is kept per viewer (the record texts per cached user): each step reads it again.
    const ann = await createUser(a, { nick: 'Ann Kept' });
    const cy = await createUser(a, { nick: 'Cy Kept' });
    const ids = `${ann.id},${cy.id}`;
    const annNow = async () => (await lookup(ids).expect(200)).body.users[0];
    const annSeen = (check: (record: Record<string, unknown>) => boolean, what: string) =>
      waitFor(async () => check(await annNow()), what);
    const first = await lookup(ids).expect(200);
    await lookup(ids).set('If-None-Match', first.headers.etag).expect(304);

    await a.http().patch('/api/v1/me').set(ann.auth).send({ nick: 'Ann Renamed' }).expect(200);
    await annSeen((record) => record.nick === 'Ann Renamed', 'the new nick');
    await a.http().put('/api/v1/me/status').set(ann.auth).send({ status: 'busy' }).expect(200);
    await annSeen((record) => record.status === 'busy', 'the new status');
    const stream = await openStream(a, ann);
    track(stream);
    await annSeen((record) => record.is_online === true, 'online');
    stream.close();
    await annSeen((record) => record.is_online === false && record.last_seen_at !== null, 'offline');

    // Contacts only: the viewer, no friend yet, gets a hint instead of the exact last seen.
    await a.http().patch('/api/v1/me').set(ann.auth).send({ last_seen_visibility: 'contacts' }).expect(200);
    await annSeen((record) => record.last_seen_at === null && record.last_seen_hint !== null, 'a hint');
    // Contacts and blocks are read on every request: they hold at once, on every instance.
    await befriend(a, viewer, ann);
    expect(await annNow()).toMatchObject({ last_seen_hint: null, last_seen_at: expect.any(String) });
    await a.http().delete(`/api/v1/contacts/${viewer.id}`).set(ann.auth).expect(200);
    expect(await annNow()).toMatchObject({ last_seen_at: null, last_seen_hint: expect.any(String) });
    await a.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: viewer.id }).expect(200);
    expect(await annNow()).toMatchObject({
      status: null,
      status_message: null,
      avatar: null,
      last_seen_hint: null,
    });
    await a.http().delete(`/api/v1/blocks/${viewer.id}`).set(ann.auth).expect(200);
    expect(await annNow()).toMatchObject({ status: 'busy' });

    await a.http().delete('/api/v1/me').set(cy.auth).send({ current_password: PASSWORD }).expect(200);
    await waitFor(
      async () => (await lookup(ids).expect(200)).body.users.length === 1,
      'a deleted user left out',
    );
    // The first answer's tag no longer matches.
    await lookup(ids).set('If-None-Match', first.headers.etag).expect(200);
  });

  describe('ETag and If-None-Match', () => {
    const etagOf = (answer: { headers: Record<string, string> }) => answer.headers.etag;

    it('GET /users/:id answers 304 with no body for its current tag, 200 once the user changes', async () => {
      const ann = await createUser(a, { nick: 'Ann Tagged' });
      const first = await b.http().get(`/api/v1/users/${ann.id}`).set(viewer.auth).expect(200);
      const tag = etagOf(first);
      expect(tag).toMatch(/^W\/"[\w-]+"$/);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      const again = await b
        .http()
        .get(`/api/v1/users/${ann.id}`)
        .set(viewer.auth)
        .set('If-None-Match', tag)
        .expect(304);
      expect(again.text ?? '').toBe('');
      expect(etagOf(again)).toBe(tag);
      // Also in a list of tags, and weakly compared.
      await b
        .http()
        .get(`/api/v1/users/${ann.id}`)
        .set(viewer.auth)
        .set('If-None-Match', `"other", ${tag.replace(/^W\//, '')}`)
        .expect(304);

      await a.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'new here' }).expect(200);
      await waitFor(async () => {
        const answer = await b
          .http()
          .get(`/api/v1/users/${ann.id}`)
          .set(viewer.auth)
          .set('If-None-Match', tag);
        return (
          answer.status === 200 && answer.body.user.status_message === 'new here' && etagOf(answer) !== tag
        );
      }, 'a new tag after PATCH /me');
    });

    it('changes when the user comes online and goes offline, and after a block', async () => {
      const bob = await createUser(a, { nick: 'Bob Tagged' });
      const tagNow = async () =>
        etagOf(await b.http().get(`/api/v1/users/${bob.id}`).set(viewer.auth).expect(200));
      const offline = await tagNow();
      const stream = await openStream(b, bob);
      track(stream);
      await waitFor(async () => (await tagNow()) !== offline, 'a new tag once online');
      const online = await tagNow();
      stream.close();
      await waitFor(async () => ![offline, online].includes(await tagNow()), 'a new tag once offline again');
      const beforeBlock = await tagNow();
      await a.http().put('/api/v1/me/status').set(bob.auth).send({ status: 'busy' }).expect(200);
      await waitFor(async () => (await tagNow()) !== beforeBlock, 'a new tag after a status');
      const busy = await tagNow();
      await a.http().post('/api/v1/blocks').set(bob.auth).send({ user_id: viewer.id }).expect(200);
      await waitFor(async () => (await tagNow()) !== busy, 'a new tag after a block');
    });

    it('differs between viewers who see different things, and GET /me has its own', async () => {
      const carol = await createUser(a);
      const other = await createUser(a);
      await a.http().put('/api/v1/me/status').set(carol.auth).send({ status: 'away' }).expect(200);
      await a.http().post('/api/v1/blocks').set(carol.auth).send({ user_id: viewer.id }).expect(200);
      const blockedView = await b.http().get(`/api/v1/users/${carol.id}`).set(viewer.auth).expect(200);
      const plainView = await b.http().get(`/api/v1/users/${carol.id}`).set(other.auth).expect(200);
      expect(etagOf(blockedView)).not.toBe(etagOf(plainView));
      // The blocked viewer's tag does not answer 304 to another viewer.
      await b
        .http()
        .get(`/api/v1/users/${carol.id}`)
        .set(other.auth)
        .set('If-None-Match', etagOf(blockedView))
        .expect(200);

      const me = await b.http().get('/api/v1/me').set(carol.auth).expect(200);
      await b.http().get('/api/v1/me').set(carol.auth).set('If-None-Match', etagOf(me)).expect(304);
      await a.http().patch('/api/v1/me').set(carol.auth).send({ mobile_number: '+15550100' }).expect(200);
      await waitFor(
        async () =>
          (await b.http().get('/api/v1/me').set(carol.auth).set('If-None-Match', etagOf(me))).status === 200,
        'GET /me answers 200 after a change',
      );
    });

    it('GET /users?ids= answers 304 while none of the records changed', async () => {
      const dan = await createUser(a, { nick: 'Dan Tagged' });
      const eve = await createUser(a, { nick: 'Eve Tagged' });
      const ids = `${dan.id},${eve.id}`;
      const first = await lookup(ids).expect(200);
      await lookup(ids).set('If-None-Match', etagOf(first)).expect(304);
      // Another order is another answer.
      expect(etagOf(await lookup(`${eve.id},${dan.id}`).expect(200))).not.toBe(etagOf(first));
      await a.http().patch('/api/v1/me').set(eve.auth).send({ nick: 'Eve Retagged' }).expect(200);
      await waitFor(
        async () => (await lookup(ids).set('If-None-Match', etagOf(first))).status === 200,
        'a changed record answers 200',
      );
    });
  });
});
