import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { databaseUrl } from '../config/app-config.js';
import { openDataSource } from './data-source-options.js';
import { afterCommit, beforeCommit, inTransaction } from './transaction.js';

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

  it('refuses work before the commit outside a transaction opened with inTransaction', async () => {
    expect(() => beforeCommit(dataSource.manager, async () => undefined)).toThrow(/inTransaction/);
    await expect(
      dataSource.transaction(async (manager) => beforeCommit(manager, async () => undefined)),
    ).rejects.toThrow(/inTransaction/);
  });
});
