import { DataSource, type Logger } from 'typeorm';
import { bindIntegersOnSqlite } from './sqlite-statements.js';

/** SQLite in memory with a table of people, and the SQL of every statement TypeORM sends. */
async function openPeople(bindIntegers: boolean): Promise<{ dataSource: DataSource; sent: string[] }> {
  const sent: string[] = [];
  const logger: Logger = {
    logQuery: (query) => void sent.push(query),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  const dataSource = await new DataSource({
    type: 'better-sqlite3',
    database: ':memory:',
    logger,
  }).initialize();
  if (bindIntegers) bindIntegersOnSqlite(dataSource);
  await dataSource.query('CREATE TABLE people (id integer PRIMARY KEY, nick varchar NOT NULL, score bigint)');
  await dataSource.query(`INSERT INTO people VALUES (1, 'ann', 10), (2, 'bob', NULL), (3, 'cy', 30)`);
  sent.length = 0;
  return { dataSource, sent };
}

const nickOf = (dataSource: DataSource, id: number) =>
  dataSource
    .createQueryBuilder()
    .select('nick')
    .from('people', 'p')
    .where('p.id = :id', { id })
    .getRawOne<{ nick: string }>()
    .then((row) => row?.nick);

describe('integers bound on SQLite', () => {
  it('sends one statement text for every id, so it is prepared once, and answers as before', async () => {
    const { dataSource, sent } = await openPeople(true);
    expect([await nickOf(dataSource, 1), await nickOf(dataSource, 3), await nickOf(dataSource, 4)]).toEqual([
      'ann',
      'cy',
      undefined,
    ]);
    expect(new Set(sent).size).toBe(1);
    expect(sent[0]).not.toMatch(/\b[134]\b/);
    await dataSource.destroy();
  });

  it('writes the id into the statement without it (each id another statement to prepare)', async () => {
    const { dataSource, sent } = await openPeople(false);
    await nickOf(dataSource, 1);
    await nickOf(dataSource, 3);
    expect(new Set(sent).size).toBe(2);
    await dataSource.destroy();
  });

  it('compares, limits and updates with bound integers as with written ones', async () => {
    const { dataSource } = await openPeople(true);
    const above = await dataSource
      .createQueryBuilder()
      .select('id')
      .from('people', 'p')
      .where('(p.score IS NULL OR p.score < :score)', { score: 30 })
      .orderBy('id')
      .limit(5)
      .getRawMany<{ id: number }>();
    expect(above.map((row) => row.id)).toEqual([1, 2]);
    const updated = await dataSource
      .createQueryBuilder()
      .update('people')
      .set({ score: () => ':score' })
      .setParameters({ score: 2 ** 40 })
      .where('id = :id', { id: 2 })
      .execute();
    expect(updated.affected).toBe(1);
    expect(await dataSource.query('SELECT score, typeof(score) AS kind FROM people WHERE id = 2')).toEqual([
      { score: 2 ** 40, kind: 'integer' },
    ]);
    await dataSource.destroy();
  });
});
