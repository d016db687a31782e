import { type DomainEvents } from '../src/bus/domain-events.js';
import { EventBus } from '../src/bus/event-bus.service.js';
import { ContactsService } from '../src/contacts/contacts.service.js';
import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';
import { waitFor } from './support/wait.js';

describe('contacts and friends', () => {
  let t: TestApp;
  const events: { name: string; payload: DomainEvents['contact.added'] }[] = [];
  beforeAll(async () => {
    t = await startApp();
    const bus = t.app.get(EventBus);
    bus.on('contact.added', (payload) => void events.push({ name: 'contact.added', payload }));
  });
  afterAll(() => t.close());

  const add = (user: TestUser, other: { id: number } | number) =>
    t
      .http()
      .post('/api/v1/contacts')
      .set(user.auth)
      .send({ user_id: typeof other === 'number' ? other : other.id });
  const list = async (user: TestUser) =>
    (await t.http().get('/api/v1/contacts').set(user.auth).expect(200)).body.users;

  it('adds a contact, who becomes a friend once they add back', async () => {
    const [ann, bob] = await Promise.all([createUser(t, { nick: `Ann${Date.now()}` }), createUser(t)]);
    const added = await add(ann, bob).expect(200);
    expect(added.body.user).toMatchObject({ id: bob.id, is_friend: false });
    expect(await list(ann)).toEqual([
      expect.objectContaining({ id: bob.id, is_friend: false, is_online: false }),
    ]);
    expect(await list(bob)).toEqual([]);

    await add(bob, ann).expect(200);
    expect(await list(ann)).toEqual([expect.objectContaining({ id: bob.id, is_friend: true })]);
    expect(await list(bob)).toEqual([
      expect.objectContaining({ id: ann.id, nick: ann.nick, is_friend: true }),
    ]);
  });

  it('lists who added me until I add them back, and nobody across a block', async () => {
    const [ann, bob, cat] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
    const addedMe = async (user: TestUser) =>
      (await t.http().get('/api/v1/contacts/added-me').set(user.auth).expect(200)).body.users;
    await add(bob, ann).expect(200);
    await add(cat, ann).expect(200);
    expect((await addedMe(ann)).map((user: { id: number }) => user.id)).toEqual([bob.id, cat.id]);
    await add(ann, bob).expect(200);
    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: cat.id }).expect(200);
    expect(await addedMe(ann)).toEqual([]);
  });

  it('adding twice changes nothing', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await add(ann, bob).expect(200);
    await add(ann, bob).expect(200);
    expect(await list(ann)).toHaveLength(1);
  });

  it('removes a contact, which ends the friendship', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await add(ann, bob).expect(200);
    await add(bob, ann).expect(200);
    await t.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(200, {});
    expect(await list(ann)).toEqual([]);
    expect(await list(bob)).toEqual([expect.objectContaining({ id: ann.id, is_friend: false })]);
    const again = await t.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(404);
    expect(again.body.error.code).toBe('not_found');
  });

  it('refuses yourself (invalid_params), nobody (not_found) and malformed ids, changing nothing', async () => {
    const ann = await createUser(t);
    expect((await add(ann, ann).expect(400)).body.error.code).toBe('invalid_params');
    expect((await add(ann, 999999999).expect(404)).body.error.code).toBe('not_found');
    for (const body of [
      { user_id: 'x' },
      { user_id: 0 },
      { user_id: 1.5 },
      { user_id: 2_147_483_648 },
      {},
      { user_id: 1, note: 'hi' },
    ]) {
      const response = await t.http().post('/api/v1/contacts').set(ann.auth).send(body).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
    }
    for (const id of ['abc', '2147483648']) {
      const response = await t.http().delete(`/api/v1/contacts/${id}`).set(ann.auth).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
    }
    expect(await list(ann)).toEqual([]);
  });

  it('needs a confirmed email', async () => {
    const ann = await createUser(t, { confirmed: false });
    const bob = await createUser(t);
    expect((await add(ann, bob).expect(403)).body.error.code).toBe('email_not_confirmed');
  });

  it('needs a token', async () => {
    expect((await t.http().get('/api/v1/contacts').expect(401)).body.error.code).toBe('unauthorized');
    await t.http().post('/api/v1/contacts').send({ user_id: 1 }).expect(401);
  });

  it('publishes contact.added for a new contact only (again after a removal)', async () => {
    const [ann, bob, carl] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
    const mine = () => events.filter((event) => event.payload.userId === ann.id);
    await add(ann, bob).expect(200);
    await add(ann, bob).expect(200);
    await add(ann, ann).expect(400);
    await t.http().delete(`/api/v1/contacts/${carl.id}`).set(ann.auth).expect(404);
    await t.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(200);
    expect(await list(ann)).toEqual([]);
    await add(ann, carl).expect(200);
    await waitFor(() => mine().length >= 2, 'two contact events');
    expect(mine()).toEqual([
      { name: 'contact.added', payload: { userId: ann.id, contactId: bob.id, notify: true } },
      { name: 'contact.added', payload: { userId: ann.id, contactId: carl.id, notify: true } },
    ]);
  });

  it('lists contacts in the order they were added, with public records', async () => {
    const [ann, bob, carl] = await Promise.all([
      createUser(t),
      createUser(t, { nick: `Bob${Date.now()}` }),
      createUser(t),
    ]);
    await t
      .http()
      .patch('/api/v1/me')
      .set(bob.auth)
      .send({ status_message: 'Busy day', mobile_number: '+1 555 0100' })
      .expect(200);
    await add(ann, carl).expect(200);
    await add(ann, bob).expect(200);
    const users = await list(ann);
    expect(users.map((user: { id: number }) => user.id)).toEqual([carl.id, bob.id]);
    expect(users[1]).toEqual({
      id: bob.id,
      nick: bob.nick,
      avatar: null,
      status: null,
      status_message: 'Busy day',
      is_online: false,
      last_seen_at: null,
      last_seen_hint: null,
      is_friend: false,
    });
  });

  it('tells other modules who the friends are: mutual contacts without a block either way', async () => {
    const contacts = t.app.get(ContactsService);
    const [ann, bob, carl, dora] = await Promise.all([
      createUser(t),
      createUser(t),
      createUser(t),
      createUser(t),
    ]);
    await add(ann, bob).expect(200);
    await add(bob, ann).expect(200);
    await add(ann, carl).expect(200);
    await add(ann, dora).expect(200);
    await add(dora, ann).expect(200);
    await t.http().post('/api/v1/blocks').set(dora.auth).send({ user_id: ann.id }).expect(200);

    expect((await contacts.contactIdsOf(ann.id)).sort()).toEqual([bob.id, carl.id, dora.id].sort());
    expect(await contacts.friendIdsOf(ann.id)).toEqual([bob.id]);
    expect(await contacts.friendIdsOf(dora.id)).toEqual([]);
    expect(await contacts.friendsAmong(ann.id, [bob.id, carl.id, dora.id])).toEqual(new Set([bob.id]));
    expect(await contacts.friendsAmong(bob.id, [ann.id])).toEqual(new Set([ann.id]));
    // As the list shows it.
    const flags = Object.fromEntries(
      (await list(ann)).map((user: { id: number; is_friend: boolean }) => [user.id, user.is_friend]),
    );
    expect(flags).toEqual({ [bob.id]: true, [carl.id]: false, [dora.id]: false });

    // A block by either side ends the friendship while it lasts; both stay contacts.
    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    expect(await contacts.friendIdsOf(bob.id)).toEqual([]);
    expect(await list(bob)).toEqual([expect.objectContaining({ id: ann.id, is_friend: false })]);
    await t.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200);
    expect(await contacts.friendIdsOf(bob.id)).toEqual([ann.id]);
  });

  it('lets the blocker still add the user they blocked', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t)]);
    await t.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await add(ann, bob).expect(200);
    expect(await list(ann)).toEqual([expect.objectContaining({ id: bob.id, is_friend: false })]);
  });
});
