import type { RedisService } from '../bus/redis.service.js';
import { ReplayLog, REPLAY_EVENTS } from './replay-log.js';

describe('event ids and the replay buffer (in process)', () => {
  const inProcess = { client: null, enabled: false } as unknown as RedisService;
  const event = (userId: number, data = '{}') => ({ userId, event: 'user_updated', data });

  it('numbers each user’s events 1, 2, 3… in the order given, independently of other users', async () => {
    const log = new ReplayLog(inProcess);
    expect(await log.append([event(1), event(2), event(1)])).toEqual([1, 1, 2]);
    expect(await log.append([event(1)])).toEqual([3]);
    expect(await log.append([event(2)])).toEqual([2]);
  });

  it('replays, in order, exactly the events after the last one the client saw', async () => {
    const log = new ReplayLog(inProcess);
    await log.append([event(7, '"a"'), event(7, '"b"'), event(7, '"c"')]);
    expect(await log.since(7, 1)).toEqual({
      events: [
        { id: 2, event: 'user_updated', data: '"b"' },
        { id: 3, event: 'user_updated', data: '"c"' },
      ],
    });
    expect(await log.since(7, 0)).toEqual({
      events: expect.arrayContaining([expect.objectContaining({ id: 1 })]),
    });
  });

  it('replays nothing to a client that saw the last event, or to a user who never had one', async () => {
    const log = new ReplayLog(inProcess);
    await log.append([event(7), event(7)]);
    expect(await log.since(7, 2)).toEqual({ events: [] });
    expect(await log.since(8, 0)).toEqual({ events: [] });
  });

  it('asks for a resync when the client names an id that was never given (the log was reset)', async () => {
    const log = new ReplayLog(inProcess);
    await log.append([event(7)]);
    expect(await log.since(7, 2)).toBe('resync');
    expect(await log.since(8, 1)).toBe('resync');
  });

  it(`keeps the last ${REPLAY_EVENTS} events of a user: an older last id means a resync`, async () => {
    const log = new ReplayLog(inProcess);
    const total = REPLAY_EVENTS + 44;
    for (let i = 0; i < total; i += 1) await log.append([event(7, String(i))]);
    const oldestKept = total - REPLAY_EVENTS + 1;

    const replay = await log.since(7, oldestKept - 1);
    expect(replay).not.toBe('resync');
    const events = (replay as { events: { id: number }[] }).events;
    expect(events).toHaveLength(REPLAY_EVENTS);
    expect(events[0].id).toBe(oldestKept);
    expect(events.at(-1)?.id).toBe(total);

    expect(await log.since(7, oldestKept - 2)).toBe('resync');
    expect(await log.since(7, 1)).toBe('resync');
  });
});
