import { EventBus } from '../src/bus/event-bus.service.js';
import { PushService } from '../src/devices/push.service.js';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { type ApnsEmulator, startApnsEmulator } from './support/apns-emulator.js';
import { openStream } from './support/friends.js';
import { anotherSession, createUser, type TestUser } from './support/harness.js';
import { phoneOf as iPhoneOf } from './support/phone.js';
import { waitFor } from './support/wait.js';

// Streams on instance B, requests on A (two instances with PostgreSQL and Redis).
describe(`chat pushes respect open streams${SEVERAL_INSTANCES ? ' across two instances' : ''}`, () => {
  let apns: ApnsEmulator;

  beforeAll(async () => {
    apns = await startApnsEmulator();
  });
  const { a, b, track } = startDeployment({
    vars: () => ({ ...apns.vars, PUSH_STREAM_GRACE_SECONDS: '2' }),
  });
  afterAll(async () => {
    await apns?.close();
  });

  const phoneOf = async (user: TestUser): Promise<string> => {
    // The new_login push of the user's first session is handled first: it must not find this phone.
    await settled();
    return (await iPhoneOf(a, user, apns)).token;
  };
  const add = (adder: TestUser, added: TestUser) =>
    a.http().post('/api/v1/contacts').set(adder.auth).send({ user_id: added.id }).expect(200);
  /** Every listener, the wait for a stream's receipt, and every push under way have finished. */
  const settled = async () => {
    for (const app of new Set([a, b])) await app.app.get(EventBus).drain();
    for (const app of new Set([a, b])) await app.app.get(PushService).idle();
  };

  it('pushes no contact_added to a user whose open stream took the event', async () => {
    const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
    const phone = await phoneOf(bob);
    const stream = track(await openStream(b, bob));
    await add(ann, bob);
    await stream.next('contact_added', (d: { user: { id: number } }) => d.user.id === ann.id);
    await settled();
    expect(apns.pushesTo(phone)).toEqual([]);
  });

  it('pushes it once to a user with no open stream, with a collapse id, and not again within the window', async () => {
    const [ann, bob] = await Promise.all([createUser(a), createUser(a)]);
    const phone = await phoneOf(bob);
    await add(ann, bob);
    const [push] = await apns.waitForPushes(phone);
    expect(push.payload.unichat).toEqual({ event: 'contact_added', user_id: ann.id });
    expect(push.collapseId).toBe(`contact_added:${ann.id}`);
    // Removed and added again: the same news, not pushed a second time.
    await a.http().delete(`/api/v1/contacts/${bob.id}`).set(ann.auth).expect(200);
    await add(ann, bob);
    await settled();
    expect(apns.pushesTo(phone)).toHaveLength(1);
  });

  it('pushes again once the stream has closed', async () => {
    const [ann, carl, bob] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
    const phone = await phoneOf(bob);
    const stream = track(await openStream(b, bob));
    await add(ann, bob);
    await stream.next('contact_added', (d: { user: { id: number } }) => d.user.id === ann.id);
    stream.close();
    await waitFor(
      async () => (await a.http().get(`/api/v1/users/${bob.id}`).set(ann.auth)).body.user.is_online === false,
      'the service to see the stream closed',
    );
    await add(carl, bob);
    const [push] = await apns.waitForPushes(phone);
    expect(push.payload.unichat).toEqual({ event: 'contact_added', user_id: carl.id });
    await settled();
    expect(apns.pushesTo(phone)).toHaveLength(1);
  });

  it('always pushes a new login and a password change, open stream or not, each with its own collapse id', async () => {
    const bob = await createUser(a);
    const phone = await phoneOf(bob);
    track(await openStream(b, bob));
    await anotherSession(a, bob);
    await anotherSession(a, bob);
    const pushes = await apns.waitForPushes(phone, 2);
    expect(pushes.map((push) => push.payload.unichat?.event)).toEqual(['new_login', 'new_login']);
    expect(pushes[0].collapseId).toMatch(/^new_login:/);
    expect(pushes[0].collapseId).not.toBe(pushes[1].collapseId);
  });
});
