import { CLI_TEST_MS, createWebhookEndpoint } from './support/admin-cli.js';
import { SEVERAL_INSTANCES, startDeployment } from './support/deployment.js';
import { createUser } from './support/harness.js';
import { verify, WebhookReceiver } from './support/webhook-receiver.js';
import { waitFor } from './support/wait.js';

// Several instances of one deployment share PostgreSQL and Redis; on SQLite there is one process,
// and "A" and "B" are one instance: the same check runs single-instance.
describe(
  SEVERAL_INSTANCES
    ? 'webhooks from several instances'
    : 'webhooks from one instance (set DATABASE_URL and REDIS_URL for several)',
  () => {
    let receiver: WebhookReceiver;
    let secret: string;

    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
    });
    const { a, b } = startDeployment({
      vars: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '200' },
      beforeStart: async (environment) => {
        secret = await createWebhookEndpoint(environment, receiver.url, 'user.updated');
      },
      timeout: CLI_TEST_MS,
    });
    afterAll(async () => {
      await receiver?.close();
    });

    it('sends each event once, whichever instance made the change', async () => {
      const [ann, bob] = await Promise.all([createUser(a), createUser(b)]);
      const rounds = 60;
      const nicks: string[] = [];
      await Promise.all(
        [ann, bob].map(async (user, index) => {
          const instance = index === 0 ? a : b;
          for (let round = 0; round < rounds; round += 1) {
            const nick = `u${user.id}r${round}x${Date.now().toString(36)}`;
            nicks.push(nick);
            await instance.http().patch('/api/v1/me').set(user.auth).send({ nick }).expect(200);
          }
        }),
      );
      const ofRounds = () =>
        receiver.of('user.updated', (data) => nicks.includes((data.user as { nick: string }).nick));
      await waitFor(() => ofRounds().length >= nicks.length, `${nicks.length} deliveries`, 60_000);
      // Both instances polled the same table meanwhile: no event went out twice.
      const ids = ofRounds().map((hook) => hook.id);
      expect(new Set(ids).size).toBe(nicks.length);
      expect(ids).toHaveLength(nicks.length);
      expect(receiver.received.length).toBe(new Set(receiver.received.map((hook) => hook.id)).size);
      for (const hook of ofRounds()) verify(secret, hook);
    }, 120_000);
  },
);
