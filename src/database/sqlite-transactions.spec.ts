import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import { openDataSource } from './data-source-options.js';
import { insideSqliteTransaction, readNowOnSqlite } from './sqlite-transactions.js';

@Entity()
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', unique: true })
  text!: string;
}

/** A promise the test settles when it chooses. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const failure = new Error('the request failed half-way');

describe('transactions on SQLite, where every request shares one connection', () => {
  let dir: string;
  let dataSource: DataSource;
  let notes: Repository<Note>;
  const texts = async () => (await notes.find({ order: { text: 'ASC' } })).map((note) => note.text);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'unichat-sqlite-'));
    dataSource = await openDataSource({
      type: 'better-sqlite3',
      database: join(dir, 'test.sqlite'),
      entities: [Note],
    });
    await dataSource.query(
      'CREATE TABLE note (id integer PRIMARY KEY AUTOINCREMENT, text varchar NOT NULL UNIQUE)',
    );
    notes = dataSource.getRepository(Note);
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rolls back only the failed transaction's writes, not those of requests running meanwhile", async () => {
    const halfway = gate();
    const failing = dataSource.transaction(async (manager) => {
      await manager.insert(Note, { text: 'failed' });
      await halfway.opened;
      throw failure;
    });
    const plain = notes.insert({ text: 'plain' });
    const other = dataSource.transaction((manager) => manager.insert(Note, { text: 'committed' }));
    halfway.open();

    await expect(failing).rejects.toBe(failure);
    await Promise.all([plain, other]);
    expect(await texts()).toEqual(['committed', 'plain']);
  });

  it('lets many concurrent transactions each commit or roll back on their own', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        dataSource.transaction(async (manager) => {
          await manager.insert(Note, { text: `note ${String(n).padStart(2, '0')}` });
          await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5));
          if (n % 2 === 1) throw failure;
        }),
      ),
    );
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(10);
    expect(await texts()).toEqual(
      Array.from({ length: 10 }, (_, n) => `note ${String(n * 2).padStart(2, '0')}`),
    );
  });

  it('keeps uncommitted rows from readers outside the transaction', async () => {
    const halfway = gate();
    const writing = dataSource.transaction(async (manager) => {
      await manager.insert(Note, { text: 'pending' });
      await halfway.opened;
    });
    let seen: string[] | null = null;
    const reading = texts().then((found) => (seen = found));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The reader waits for the open transaction instead of reading its rows before they commit.
    expect(seen).toBeNull();
    halfway.open();
    await Promise.all([writing, reading]);
    expect(seen).toEqual(['pending']);
  });

  it('runs a transaction begun inside another as a savepoint of it, without waiting for itself', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.insert(Note, { text: 'outer' });
      await dataSource.transaction((inner) => inner.insert(Note, { text: 'inner' }));
      await expect(
        dataSource.transaction(async (inner) => {
          await inner.insert(Note, { text: 'inner, failed' });
          throw failure;
        }),
      ).rejects.toBe(failure);
      // Statements through the shared repositories inside the callback are part of it too.
      await notes.insert({ text: 'outer, by repository' });
    });
    expect(await texts()).toEqual(['inner', 'outer', 'outer, by repository']);
  });

  it('refuses a save outside a transaction, which would start one the turns cannot see', async () => {
    await expect(notes.save({ text: 'loose' })).rejects.toThrow(/dataSource\.transaction\(\)/);
    await dataSource.transaction((manager) => manager.save(Note, { text: 'inside' }));
    expect(await texts()).toEqual(['inside']);
  });

  it('tells code whether it runs inside a transaction, so it never waits for work from outside', async () => {
    expect(insideSqliteTransaction()).toBe(false);
    let later: Promise<boolean> = Promise.resolve(true);
    await dataSource.transaction(async () => {
      expect(insideSqliteTransaction()).toBe(true);
      // Started inside, run after the end: outside by then.
      later = new Promise((resolve) => setImmediate(() => resolve(insideSqliteTransaction())));
    });
    expect(insideSqliteTransaction()).toBe(false);
    expect(await later).toBe(false);
  });

  it('turns unique-index conflicts into rejected transactions and goes on', async () => {
    const results = await Promise.allSettled(
      ['same', 'same', 'other'].map((text) =>
        dataSource.transaction((manager) => manager.insert(Note, { text })),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await texts()).toEqual(['other', 'same']);
  });

  it('reads at once only while no other transaction holds or waits for the connection', async () => {
    const read = () =>
      readNowOnSqlite<{ text: string }>(dataSource, 'SELECT text FROM note ORDER BY text', [])?.map(
        (row) => row.text,
      ) ?? null;
    await notes.insert({ text: 'committed' });
    expect(read()).toEqual(['committed']);

    const halfway = gate();
    let ownRead: string[] | null = null;
    const writing = dataSource.transaction(async (manager) => {
      await manager.insert(Note, { text: 'pending' });
      ownRead = read(); // its own transaction's rows, at once
      await halfway.opened;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ownRead).toEqual(['committed', 'pending']);
    // Another request's read would see the open transaction's rows: it is told to wait its turn.
    expect(read()).toBeNull();
    halfway.open();
    await writing;
    expect(read()).toEqual(['committed', 'pending']);
  });
});
