import { mayChangeNickSearch, NickSearchMemo } from './nick-search-memo.js';

describe('the kept nick searches', () => {
  it('asks the database once for a prefix until a user changes', async () => {
    const memo = new NickSearchMemo();
    let reads = 0;
    const read = async () => {
      reads += 1;
      return [3, 1];
    };
    expect(await memo.ids('20:an', read)).toEqual([3, 1]);
    expect(await memo.ids('20:an', read)).toEqual([3, 1]);
    expect(reads).toBe(1);
    memo.clear();
    expect(await memo.ids('20:an', async () => [3, 1, 9])).toEqual([3, 1, 9]);
  });

  it('does not keep a search that was in flight when a user changed', async () => {
    const memo = new NickSearchMemo();
    let answer!: (ids: number[]) => void;
    const inFlight = memo.ids('20:an', () => new Promise((resolve) => (answer = resolve)));
    memo.clear(); // a change commits while the search is read: its ids may be the old ones
    answer([3]);
    expect(await inFlight).toEqual([3]);
    expect(await memo.ids('20:an', async () => [3, 4])).toEqual([3, 4]);
  });
});

describe('which changes drop the kept nick searches', () => {
  it.each([
    [{ nick: 'ann', nickKey: 'ann' }, true],
    [{ searchableNick: false }, true],
    [{ confirmedAt: new Date() }, true],
    [{ statusMessage: 'away', status: 'busy' }, false],
    [{ lastSeenAt: new Date() }, false],
    [{ avatarKey: 'k', avatarSmallKey: 'k2' }, false],
  ] as const)('%j: %s', (changes, drops) => {
    expect(mayChangeNickSearch(changes)).toBe(drops);
  });
});
