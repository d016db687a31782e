import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Column, DataSource, Entity, type EntityManager, PrimaryGeneratedColumn } from 'typeorm';
import { databaseUrl } from '../config/app-config.js';
import { openDataSource } from './data-source-options.js';
import { SqlDialect } from './sql-dialect.js';
import {
  afterCommit,
  backoffMs,
  beforeCommit,
  inTransaction,
  retryable,
  TRANSACTION_TRIES,
  writeWithCommit,
} from './transaction.js';

@Entity()
class Entry {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar' })
  text!: string;
}

const failure = new Error('the request failed half-way');

/** SQLite in a fresh file, or, with DATABASE_URL, PostgreSQL in a fresh schema. */
async function openTestDatabase(): Promise<{ dataSource: DataSource; dispose(): Promise<void> }> {
  const url = databaseUrl();
  if (url) {
    const schema = `tx_${randomBytes(5).toString('hex')}`;
    const admin = await openDataSource({ type: 'postgres', url });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const dataSource = await openDataSource({ type: 'postgres', url, schema, entities: [Entry] });
    await dataSource.query(`CREATE TABLE ${schema}.entry (id serial PRIMARY KEY, text varchar NOT NULL)`);
    return {
      dataSource,
      async dispose() {
        await dataSource.destroy();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.destroy();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'unichat-tx-'));
  const dataSource = await openDataSource({
    type: 'better-sqlite3',
    database: join(dir, 'test.sqlite'),
    entities: [Entry],
  });
  await dataSource.query('CREATE TABLE entry (id integer PRIMARY KEY AUTOINCREMENT, text varchar NOT NULL)');
  return {
    dataSource,
    async dispose() {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('inTransaction: work after the commit', () => {
  let dataSource: DataSource;
  let dispose: () => Promise<void>;
  /** What after-commit work saw: the committed rows, counted from outside the transaction. */
  const seen: string[] = [];
  const count = async () => dataSource.getRepository(Entry).count();

  beforeEach(async () => {
    ({ dataSource, dispose } = await openTestDatabase());
    seen.length = 0;
  });
  afterEach(() => dispose());

  it('runs queued work after the commit, in the order queued, before returning', async () => {
    const result = await inTransaction(dataSource, async (tx) => {
      await tx.manager.insert(Entry, { text: 'a' });
      tx.afterCommit(async () => seen.push(`first saw ${await count()}`));
      afterCommit(tx.manager, () => seen.push('second'));
      tx.afterCommit(() => seen.push('third'));
      expect(seen).toEqual([]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(seen).toEqual(['first saw 1', 'second', 'third']);
  });

  it('runs nothing after a rollback, and the error reaches the caller', async () => {
    const failing = inTransaction(dataSource, async (tx) => {
      await tx.manager.insert(Entry, { text: 'a' });
      tx.afterCommit(() => seen.push('announced'));
      throw failure;
    });
    await expect(failing).rejects.toBe(failure);
    expect(seen).toEqual([]);
    expect(await count()).toBe(0);
  });

  it('logs a failing after-commit step and still runs the next ones', async () => {
    const logged: unknown[] = [];
    Logger.overrideLogger({ error: (message: unknown) => logged.push(message), log() {}, warn() {} });
    await expect(
      inTransaction(dataSource, async (tx) => {
        tx.afterCommit(() => {
          throw failure;
        });
        tx.afterCommit(() => seen.push('next'));
      }),
    ).resolves.toBeUndefined();
    expect(seen).toEqual(['next']);
    expect(logged).toEqual([expect.objectContaining({ err: failure })]);
    Logger.overrideLogger(['error', 'warn']);
  });

  it("holds a nested transaction's work until the outer commit, and drops it if the savepoint fails", async () => {
    await inTransaction(dataSource, async (tx) => {
      await inTransaction(tx.manager, async (inner) => inner.afterCommit(() => seen.push('inner kept')));
      await inTransaction(tx.manager, async (inner) => {
        inner.afterCommit(() => seen.push('inner rolled back'));
        throw failure;
      }).catch(() => undefined);
      tx.afterCommit(() => seen.push('outer'));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['inner kept', 'outer']);
  });

  it('starts the work at once outside a transaction, and refuses a transaction it cannot see end', async () => {
    afterCommit(dataSource.manager, () => seen.push('at once'));
    expect(seen).toEqual(['at once']);
    await expect(
      dataSource.transaction(async (manager) => afterCommit(manager, () => seen.push('never'))),
    ).rejects.toThrow(/inTransaction/);
    expect(seen).toEqual(['at once']);
  });

  it('writes work queued before the commit in the transaction, after the caller work, with the change', async () => {
    await inTransaction(dataSource, async (tx) => {
      tx.beforeCommit(async (manager) => {
        seen.push(`before saw ${await manager.count(Entry)}`);
        await manager.insert(Entry, { text: 'delivery' });
        // Work queued by work before the commit runs too, still before it.
        beforeCommit(manager, async () => void seen.push('queued by the first'));
      });
      tx.afterCommit(async () => seen.push(`after saw ${await count()}`));
      await tx.manager.insert(Entry, { text: 'change' });
    });
    expect(seen).toEqual(['before saw 1', 'queued by the first', 'after saw 2']);
  });

  it('rolls the change back when work before the commit fails, and runs nothing after it', async () => {
    const failing = inTransaction(dataSource, async (tx) => {
      await tx.manager.insert(Entry, { text: 'change' });
      tx.beforeCommit(() => Promise.reject(failure));
      tx.afterCommit(() => seen.push('announced'));
    });
    await expect(failing).rejects.toBe(failure);
    expect(seen).toEqual([]);
    expect(await count()).toBe(0);
  });

  /** An entry written by `writeWithCommit`: on PostgreSQL it goes with the COMMIT. */
  const writeEntry = (manager: EntityManager, text: string) => {
    const [value] = new SqlDialect(manager).placeholders(1);
    const table = dataSource.getRepository(Entry).metadata.tablePath;
    return writeWithCommit(manager, `INSERT INTO ${table} (text) VALUES (${value})`, [text]);
  };

  it("writes with the commit what is given, a text as it is, and a failed savepoint's writes not at all", async () => {
    const text = `it's a \\ "quote" $1 ; COMMIT; --`;
    await inTransaction(dataSource, async (tx) => {
      await tx.manager.insert(Entry, { text: 'change' });
      await writeEntry(tx.manager, text);
      await inTransaction(tx.manager, (inner) => writeEntry(inner.manager, 'kept savepoint'));
      const dropped = inTransaction(tx.manager, async (inner) => {
        await writeEntry(inner.manager, 'rolled back');
        throw failure;
      });
      await expect(dropped).rejects.toBe(failure);
      tx.afterCommit(async () => seen.push(`after saw ${await count()}`));
    });
    expect(seen).toEqual(['after saw 3']);
    const texts = (await dataSource.getRepository(Entry).find()).map((entry) => entry.text);
    expect(texts.sort()).toEqual(['change', 'kept savepoint', text].sort());
  });

  it('rolls the whole change back when a write with the commit fails, and runs nothing after it', async () => {
    const table = dataSource.getRepository(Entry).metadata.tablePath;
    const failing = inTransaction(dataSource, async (tx) => {
      await tx.manager.insert(Entry, { text: 'change' });
      await writeWithCommit(tx.manager, `INSERT INTO ${table} (text) VALUES (NULL)`, []);
      tx.afterCommit(() => seen.push('announced'));
    });
    await expect(failing).rejects.toThrow(/null/i);
    expect(seen).toEqual([]);
    expect(await count()).toBe(0);
    // The connection is usable afterwards (the failed commit was rolled back).
    await inTransaction(dataSource, (tx) => writeEntry(tx.manager, 'next'));
    expect(await count()).toBe(1);
  });

  it('refuses work before the commit outside a transaction opened with inTransaction', async () => {
    expect(() => beforeCommit(dataSource.manager, async () => undefined)).toThrow(/inTransaction/);
    await expect(
      dataSource.transaction(async (manager) => beforeCommit(manager, async () => undefined)),
    ).rejects.toThrow(/inTransaction/);
  });
});

/** What PostgreSQL's driver raises for a deadlock victim, as TypeORM wraps it. */
const deadlock = () => Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });

describe('inTransaction: a deadlock victim is run again', () => {
  let dataSource: DataSource;
  let dispose: () => Promise<void>;
  const seen: string[] = [];
  const texts = async () =>
    (await dataSource.getRepository(Entry).find({ order: { id: 'ASC' } })).map((entry) => entry.text);

  beforeAll(() => Logger.overrideLogger(['error']));
  afterAll(() => Logger.overrideLogger(['error', 'warn']));
  beforeEach(async () => {
    ({ dataSource, dispose } = await openTestDatabase());
    seen.length = 0;
  });
  afterEach(() => dispose());

  it('knows the codes worth a second try, and waits a short random time, longer each try', () => {
    expect(retryable(deadlock())).toBe(true);
    expect(retryable({ code: '40001' })).toBe(true);
    expect(retryable({ driverError: { code: '23505' } })).toBe(false);
    expect(retryable(new Error('deadlock detected'))).toBe(false);
    expect(retryable(null)).toBe(false);
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, () => 0.999))).toEqual([19, 39, 79]);
    expect(backoffMs(1, () => 0)).toBe(0);
  });

  it('runs the whole work again after a deadlock: the first try leaves no row and announces nothing', async () => {
    let tries = 0;
    const result = await inTransaction(dataSource, async (tx) => {
      tries += 1;
      await tx.manager.insert(Entry, { text: `try ${tries}` });
      tx.afterCommit(() => seen.push(`announced try ${tries}`));
      if (tries === 1) throw deadlock();
      return 'done';
    });
    expect(result).toBe('done');
    expect(tries).toBe(2);
    expect(await texts()).toEqual(['try 2']);
    expect(seen).toEqual(['announced try 2']);
  });

  it(`gives up after ${TRANSACTION_TRIES} tries, and never tries other errors or a savepoint again`, async () => {
    let tries = 0;
    const always = deadlock();
    await expect(
      inTransaction(dataSource, async () => {
        tries += 1;
        throw always;
      }),
    ).rejects.toBe(always);
    expect(tries).toBe(TRANSACTION_TRIES);

    tries = 0;
    await expect(
      inTransaction(dataSource, async () => {
        tries += 1;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(tries).toBe(1);

    tries = 0;
    await expect(
      inTransaction(dataSource, (tx) =>
        inTransaction(tx.manager, async () => {
          tries += 1;
          throw deadlock();
        }),
      ),
    ).rejects.toThrow('deadlock detected');
    // The savepoint's error rolls the outer transaction back, which is then tried as a whole.
    expect(tries).toBe(TRANSACTION_TRIES);
  });

  it('lets two transactions that lock two rows in opposite orders both commit', async () => {
    const [first, second] = await inTransaction(dataSource, async (tx) =>
      (await tx.manager.save(Entry, [{ text: 'a' }, { text: 'b' }])).map((entry) => entry.id),
    );
    // Each holds its first row until the other holds its own (or a moment passes, where writers
    // take turns, as on SQLite), then asks for the other's row: PostgreSQL picks a victim.
    const holding = new Set<string>();
    const bothHold = async () => {
      const until = Date.now() + 300;
      while (holding.size < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    let tries = 0;
    const swap = (name: string, mine: number, theirs: number) =>
      inTransaction(dataSource, async (tx) => {
        tries += 1;
        await tx.manager.update(Entry, { id: mine }, { text: `${name} first` });
        holding.add(name);
        await bothHold();
        await tx.manager.update(Entry, { id: theirs }, { text: `${name} second` });
        return name;
      });
    await expect(Promise.all([swap('one', first, second), swap('two', second, first)])).resolves.toEqual([
      'one',
      'two',
    ]);
    // PostgreSQL chose one as the victim and ran it again; SQLite's writers took turns.
    expect(tries).toBe(dataSource.options.type === 'postgres' ? 3 : 2);
    // One ran after the other: both rows hold the writes of the one that committed last.
    const [a, b] = await texts();
    expect([`${a} / ${b}`]).toContainEqual(
      expect.stringMatching(/^(two second \/ two first|one first \/ one second)$/),
    );
  });
});
