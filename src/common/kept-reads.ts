/**
 * For a copy kept in memory and dropped when what it copies changes: a read that was under way when
 * a change was heard may hold the old rows, so what it found is used but not kept. Count the
 * changes with `changed()`, and read through `read`.
 */
export class KeptReads {
  /** The changes heard so far. */
  private changes = 0;

  changed(): void {
    this.changes += 1;
  }

  /** Answers what `read` found, and has `keep` keep it unless a change was heard meanwhile. */
  async read<T>(read: () => Promise<T>, keep: (found: T) => void): Promise<T> {
    const changes = this.changes;
    const found = await read();
    if (changes === this.changes) keep(found);
    return found;
  }
}
