import { AnswerMemo } from './answer-memo.js';
import { PublicRecordTexts } from './public-record-texts.js';
import { UserCache } from './user-cache.js';
import { type PublicRecordContext, publicView, toPublicRecord } from './user-records.js';
import { User } from './user.entity.js';

const PUBLIC_URL = 'https://chat.example.com';
const DAY_MS = 24 * 3600 * 1000;
const NOW_MS = Date.parse('2026-12-06T10:00:00Z');

function user(fields: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 7,
    nick: 'Ann "the" \u00e9\u{1F600}',
    avatarKey: 'a1',
    avatarSmallKey: 'a1s',
    status: 'busy',
    statusMessage: 'back at 5',
    lastSeenAt: new Date(NOW_MS - 4 * DAY_MS),
    lastSeenVisibility: 'everyone',
    ...fields,
  });
}

/** Every context a record view can be built in. */
function contexts(): PublicRecordContext[] {
  const all: PublicRecordContext[] = [];
  for (const isOnline of [false, true])
    for (const anonymousViewer of [false, true])
      for (const viewerBlockedByOwner of [false, true])
        for (const lastSeenWithheld of [false, true])
          all.push({
            publicUrl: PUBLIC_URL,
            isOnline,
            anonymousViewer,
            viewerBlockedByOwner,
            lastSeenWithheld,
            nowMs: NOW_MS,
          });
  return all;
}

describe('PublicRecordTexts', () => {
  it('writes exactly JSON.stringify of the record, in every view', () => {
    const texts = new PublicRecordTexts(PUBLIC_URL);
    const owners = [
      user(),
      user({ status: 'invisible' }),
      user({ avatarKey: null, avatarSmallKey: null, lastSeenAt: null, nick: null, statusMessage: null }),
      user({ lastSeenAt: new Date(NOW_MS - 40 * DAY_MS) }),
    ];
    for (const owner of owners) {
      for (const context of contexts()) {
        expect(texts.text(owner, publicView(owner, context))).toBe(
          JSON.stringify(toPublicRecord(owner, context)),
        );
      }
    }
  });

  it('keeps a text per user object and view: a changed user, read again into the cache, is written anew', async () => {
    const texts = new PublicRecordTexts(PUBLIC_URL);
    const cache = new UserCache();
    let row = user();
    const readMany = async () => [row];
    const [first] = (await cache.many([7], readMany)).values();
    const before = texts.text(first, 'online');
    expect(texts.text(first, 'online')).toBe(before);
    expect(texts.text(first, 'blocked')).not.toBe(before);

    // What UsersService does on every change, here and on every instance (users.changed).
    row = user({ nick: 'Ann Renamed' });
    cache.invalidate([7]);
    const [second] = (await cache.many([7], readMany)).values();
    expect(second).not.toBe(first);
    expect(JSON.parse(texts.text(second, 'online')).nick).toBe('Ann Renamed');
  });
});

describe('AnswerMemo', () => {
  it('sends the kept answer while the texts are the same, and writes a new one when any changes', () => {
    const memo = new AnswerMemo();
    const first = memo.answer(1, ['{"id":1}', '{"id":2}']);
    expect(first.bytes.toString()).toBe('{"users":[{"id":1},{"id":2}]}');
    expect(memo.answer(1, ['{"id":1}', '{"id":2}'])).toBe(first);

    const changed = memo.answer(1, ['{"id":1}', '{"id":2,"nick":"x"}']);
    expect(changed.bytes.toString()).toBe('{"users":[{"id":1},{"id":2,"nick":"x"}]}');
    expect(changed.etag).not.toBe(first.etag);
    // A user left out (deleted) or another order is another answer too.
    expect(memo.answer(1, ['{"id":1}']).bytes.toString()).toBe('{"users":[{"id":1}]}');
    expect(memo.answer(1, ['{"id":2,"nick":"x"}', '{"id":1}']).bytes.toString()).toBe(
      '{"users":[{"id":2,"nick":"x"},{"id":1}]}',
    );
    // Kept per viewer.
    expect(memo.answer(2, ['{"id":1}']).bytes.toString()).toBe('{"users":[{"id":1}]}');
  });
});
