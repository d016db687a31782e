import { Clock } from '../common/clock.service.js';
import { type AppConfig } from '../config/app-config.js';
import { UserRecordsService } from './user-records.service.js';
import { type UsersService } from './users.service.js';

describe('UserRecordsService sources', () => {
  const build = () =>
    new UserRecordsService(
      { publicUrl: 'https://chat.example' } as AppConfig,
      {} as UsersService,
      new Clock(),
    );

  it('refuses to start while presence, blocking or contacts has not registered', () => {
    const records = build();
    expect(() => records.onApplicationBootstrap()).toThrow(/presence, blocking, contacts/);
    records.usePresence({ onlineAmong: async () => new Set() });
    records.useBlocks({ ownersBlockingViewer: async () => new Set() });
    expect(() => records.onApplicationBootstrap()).toThrow(/no source registered for contacts$/);
    records.useFriends({ friendsAmong: async () => new Set() });
    expect(() => records.onApplicationBootstrap()).not.toThrow();
  });

  it('never answers "nobody online" for want of a source', async () => {
    const user = { id: 1 } as Parameters<UserRecordsService['own']>[0];
    await expect(build().own(user)).rejects.toThrow(/no source registered for presence/);
  });
});
