import { startDeployment } from './support/deployment.js';
import { befriend, openStream } from './support/friends.js';
import { createUser } from './support/harness.js';

// Several instances share PostgreSQL and Redis; this file runs only in the PostgreSQL + Redis run
// (jest.config.js): without Redis each in-process instance has its own bus.
describe('blocking across instances', () => {
  const { a, b, track } = startDeployment({ vars: { PRESENCE_GRACE_SECONDS: '0' }, instances: 2 });

  it('a block raised on one instance stops events on a stream held by the other; an unblock there restarts them', async () => {
    const [ann, bob, carl] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
    await befriend(a, ann, bob);
    await befriend(a, carl, bob);
    const bobOnB = track(await openStream(b, bob));
    const annOnA = track(await openStream(a, ann));
    await bobOnB.next(
      'presence',
      (d: { user_id: number; is_online: boolean }) => d.user_id === ann.id && d.is_online,
    );

    await a.http().post('/api/v1/blocks').set(ann.auth).send({ user_id: bob.id }).expect(200);
    await bobOnB.next('blocked', (d: { user_id: number }) => d.user_id === ann.id);
    expect(
      (await b.http().get(`/api/v1/users/${ann.id}`).set(bob.auth).expect(200)).body.user.is_online,
    ).toBe(false);
    await a.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'not for bob' }).expect(200);
    // A marker from carl, raised after ann's update, proves bob's stream is live and ann's update never came.
    await a.http().patch('/api/v1/me').set(carl.auth).send({ status_message: 'marker' }).expect(200);
    await bobOnB.next('user_updated', (d: { user: { id: number } }) => d.user.id === carl.id);
    expect(
      bobOnB.of('user_updated').filter((e) => (e.data as { user: { id: number } }).user.id === ann.id),
    ).toEqual([]);

    await b.http().delete(`/api/v1/blocks/${bob.id}`).set(ann.auth).expect(200);
    await annOnA.next('unblocked', (d: { user_id: number }) => d.user_id === bob.id);
    expect(
      (await a.http().get(`/api/v1/users/${ann.id}`).set(bob.auth).expect(200)).body.user.is_online,
    ).toBe(true);
    await a.http().patch('/api/v1/me').set(ann.auth).send({ status_message: 'for bob again' }).expect(200);
    const update = await bobOnB.next<{ user: { id: number; status_message: string } }>(
      'user_updated',
      (d) => d.user.id === ann.id,
    );
    expect(update.data.user.status_message).toBe('for bob again');
  });
});
