import { DataSource } from 'typeorm';
import { Session } from '../src/sessions/session.entity.js';
import { anotherSession, createUser, startApp, type TestApp } from './support/harness.js';
import { waitFor } from './support/wait.js';

// Tests and local clusters start several applications in one process. Passport keeps one 'jwt'
// strategy per process, the last one built: each application must still ask its own sessions.
describe('two applications in one process', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await startApp();
    second = await startApp();
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('refuses a session ended on the first, though the second was started last', async () => {
    const user = await createUser(first);
    const other = await anotherSession(first, user);
    await first.http().delete('/api/v1/tokens/sessions').set(other.auth).expect(200);

    const response = await first.http().get('/api/v1/me').set(user.auth).expect(401);
    expect(response.body.error.code).toBe('unauthorized');
    await first.http().get('/api/v1/me').set(other.auth).expect(200);
  });

  it('records the use of a session in its own database', async () => {
    const user = await createUser(first);
    const sessions = first.app.get(DataSource).getRepository(Session);
    // The first request with this token; its use is written without delaying the answer.
    const listed = await first.http().get('/api/v1/tokens/sessions').set(user.auth).expect(200);
    const [{ id, created_at: createdAt }] = listed.body.sessions as { id: number; created_at: string }[];
    await waitFor(
      async () => (await sessions.findOneByOrFail({ id })).lastUsedAt.toISOString() > createdAt,
      'last_used_at to move past created_at',
    );
  });
});
