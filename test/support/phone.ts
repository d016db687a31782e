import { randomBytes } from 'node:crypto';
import type { ApnsEmulator } from './apns-emulator.js';
import type { TestApp, TestUser } from './harness.js';

/**
 * An iPhone of the user, registered through the API with an app whose APNs is the emulator:
 * `events(count)` waits until `count` pushes reached it and answers what each one announced.
 */
export async function phoneOf(
  t: TestApp,
  user: TestUser,
  apns: ApnsEmulator,
): Promise<{ token: string; events(count: number): Promise<unknown[]> }> {
  const token = randomBytes(32).toString('hex');
  await t
    .http()
    .post('/api/v1/devices')
    .set(user.auth)
    .send({ token, notification_service: 'ios_app' })
    .expect(201);
  return {
    token,
    events: async (count) =>
      (await apns.waitForPushes(token, count)).map((push) => push.payload.unichat?.event),
  };
}
