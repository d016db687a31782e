import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { befriend, openStream } from './support/friends.js';
import { createUser, type TestUser } from './support/harness.js';
import type { SseClient } from './support/sse-client.js';

const GRACE_SECONDS = 2;

interface Presence {
  user_id: number;
  is_online: boolean;
}

describe(`presence over flaky networks${SEVERAL_INSTANCES ? ' across two instances' : ''}`, () => {
  const { a, b, track } = startDeployment({ vars: { PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS) } });

  const presenceOf = (stream: SseClient, users: TestUser[]) =>
    stream
      .of('presence')
      .map((event) => event.data as Presence)
      .filter((data) => users.some((user) => user.id === data.user_id));

  it('tells friends nothing when a storm of streams drops and comes back within the grace period, in either order', async () => {
    const olga = await createUser(a);
    const users = await Promise.all(Array.from({ length: 6 }, () => createUser(a)));
    const control = await createUser(a);
    for (const user of [...users, control]) await befriend(a, olga, user);
    const watcher = track(await openStream(b, olga));
    const first = new Map<number, SseClient>();
    for (const user of [...users, control]) first.set(user.id, await openStream(a, user));
    for (const user of [...users, control])
      await watcher.next<Presence>('presence', (d) => d.user_id === user.id && d.is_online);
    const before = presenceOf(watcher, users).length;

    // Half drop first and reconnect (on the other instance); half reconnect before the service
    // notices the old stream is gone, as a phone changing networks does.
    const again = await Promise.all(
      users.map(async (user, index) => {
        const old = first.get(user.id) as SseClient;
        if (index % 2 === 0) {
          old.close();
          return track(await openStream(b, user));
        }
        const fresh = track(await openStream(b, user));
        old.close();
        return fresh;
      }),
    );
    // Twice: a second drop within the grace of the first.
    await Promise.all(
      users.map(async (user, index) => {
        again[index].close();
        track(await openStream(index % 2 === 0 ? a : b, user));
      }),
    );

    // The control user drops for good after the storm: their offline event comes a grace period
    // later, after every storm user's grace has ended on every instance.
    (first.get(control.id) as SseClient).close();
    await watcher.next<Presence>(
      'presence',
      (d) => d.user_id === control.id && !d.is_online,
      GRACE_SECONDS * 1000 + 8000,
    );
    // A marker after it: whatever the storm would have caused has arrived by now.
    await a.http().patch('/api/v1/me').set(control.auth).send({ status_message: 'marker' }).expect(200);
    await watcher.next(
      'user_updated',
      (d: { user: { id: number; status_message: string } }) => d.user.status_message === 'marker',
    );
    expect(presenceOf(watcher, users).slice(before)).toEqual([]);
    for (const user of users) {
      expect((await b.http().get(`/api/v1/users/${user.id}`).set(olga.auth)).body.user.is_online).toBe(true);
    }
  });
});
