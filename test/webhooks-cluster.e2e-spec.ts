import { runAdmin } from './support/admin-cli.js';
import {
  createTestEnvironment,
  createUser,
  startApp,
  type TestApp,
  type TestEnvironment,
} from './support/harness.js';
import { verify, WebhookReceiver } from './support/webhook-receiver.js';
import { waitFor } from './support/wait.js';

// Several instances of one deployment share PostgreSQL and Redis; on SQLite there is one process,
// and "A" and "B" are one instance: the same check runs single-instance.
const SEVERAL = Boolean(process.env.REDIS_URL && process.env.DATABASE_URL);

describe(
  SEVERAL
    ? 'webhooks from several instances'
    : 'webhooks from one instance (set DATABASE_URL and REDIS_URL for several)',
  () => {
    let environment: TestEnvironment;
    let a: TestApp;
    let b: TestApp;
    let receiver: WebhookReceiver;
    let secret: string;

    beforeAll(async () => {
      environment = await createTestEnvironment({
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_BASE_MS: '200',
      });
      receiver = await WebhookReceiver.start();
      const created = await runAdmin(environment, [
        'webhooks',
        'create',
        '--url',
        receiver.url,
        '--events',
        'user.updated',
      ]);
      secret = created.stdout.split('\n').find((line) => line.startsWith('whsec_')) as string;
      a = await startApp(environment);
      b = SEVERAL ? await startApp(environment) : a;
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await receiver?.close();
      await environment?.dispose();
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
