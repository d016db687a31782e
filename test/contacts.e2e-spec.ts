import { createUser, startApp, type TestApp, type TestUser } from './support/harness.js';

describe('contacts and friends', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const add = (user: TestUser, other: { id: number } | number) =>
    t.http().post('/api/v1/contacts').set(user.auth).send({ user_id: typeof other === 'number' ? other : other.id });
  const list = async (user: TestUser) => (await t.http().get('/api/v1/contacts').set(user.auth).expect(200)).body.users;

  it('adds a contact, who becomes a friend once they add back', async () => {
    const [ann, bob] = await Promise.all([createUser(t, { nick: `Ann${Date.now()}` }), createUser(t)]);
    const added = await add(ann, bob).expect(200);
    expect(added.body.user).toMatchObject({ id: bob.id, is_friend: false });
    expect(await list(ann)).toEqual([expect.objectContaining({ id: bob.id, is_friend: false, is_online: false })]);
    expect(await list(bob)).toEqual([]);

    await add(bob, ann).expect(200);
    expect(await list(ann)).toEqual([expect.objectContaining({ id: bob.id, is_friend: true })]);
    expect(await list(bob)).toEqual([expect.objectContaining({ id: ann.id, nick: ann.nick, is_friend: true })]);
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
    for (const body of [{ user_id: 'x' }, { user_id: 0 }, { user_id: 1.5 }, {}, { user_id: 1, note: 'hi' }]) {
      const response = await t.http().post('/api/v1/contacts').set(ann.auth).send(body).expect(400);
      expect(response.body.error.code).toBe('invalid_params');
    }
    expect((await t.http().delete('/api/v1/contacts/abc').set(ann.auth).expect(400)).body.error.code).toBe('invalid_params');
    expect(await list(ann)).toEqual([]);
  });

  it('needs a confirmed email', async () => {
    const ann = await createUser(t, { confirmed: false });
    const bob = await createUser(t);
    expect((await add(ann, bob).expect(403)).body.error.code).toBe('email_not_confirmed');
  });
});
