import { KeptReads } from './kept-reads.js';

describe('reads kept unless a change came while they were under way', () => {
  it('keeps what a read found when no change was heard meanwhile', async () => {
    const reads = new KeptReads();
    const kept: number[][] = [];
    expect(
      await reads.read(
        async () => [1, 2],
        (found) => kept.push(found),
      ),
    ).toEqual([1, 2]);
    reads.changed();
    expect(
      await reads.read(
        async () => [3],
        (found) => kept.push(found),
      ),
    ).toEqual([3]);
    expect(kept).toEqual([[1, 2], [3]]);
  });

  it('answers but does not keep a read that was under way when a change was heard', async () => {
    const reads = new KeptReads();
    const kept: number[][] = [];
    let answer!: (found: number[]) => void;
    const underWay = reads.read(
      () => new Promise<number[]>((resolve) => (answer = resolve)),
      (found) => kept.push(found),
    );
    reads.changed(); // a change commits while the rows are read: they may be the old ones
    answer([1]);
    expect(await underWay).toEqual([1]);
    expect(kept).toEqual([]);
  });
});
