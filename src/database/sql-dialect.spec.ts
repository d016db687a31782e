import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseUrl } from '../config/app-config.js';
import { SqlDialect } from './sql-dialect.js';

const url = databaseUrl();

/** SQLite in memory, or, with DATABASE_URL, PostgreSQL with a table in a fresh schema. */
async function openTable(): Promise<{ dataSource: DataSource; table: string; dispose(): Promise<void> }> {
  const dataSource = await new DataSource(
    url ? { type: 'postgres', url } : { type: 'better-sqlite3', database: ':memory:' },
  ).initialize();
  const schema = url ? `dialect_${randomBytes(5).toString('hex')}` : null;
  if (schema) await dataSource.query(`CREATE SCHEMA ${schema}`);
  const table = schema ? `${schema}.people` : 'people';
  await dataSource.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, nick_key varchar NOT NULL)`);
  const rows: [number, string][] = [
    [1, 'ann'],
    [2, 'anna'],
    [3, 'an_x'],
    [4, 'an%y'],
    [5, 'bob'],
    [6, 'añ'],
  ];
  for (const [id, nick] of rows) {
    const [p1, p2] = new SqlDialect(dataSource).placeholders(2);
    await dataSource.query(`INSERT INTO ${table} (id, nick_key) VALUES (${p1}, ${p2})`, [id, nick]);
  }
  return {
    dataSource,
    table,
    async dispose() {
      if (schema) await dataSource.query(`DROP SCHEMA ${schema} CASCADE`);
      await dataSource.destroy();
    },
  };
}

describe(`SqlDialect on ${url ? 'PostgreSQL' : 'SQLite'}`, () => {
  let db: Awaited<ReturnType<typeof openTable>>;
  let sql: SqlDialect;
  beforeAll(async () => {
    db = await openTable();
    sql = new SqlDialect(db.dataSource);
  });
  afterAll(() => db.dispose());

  const idsWhere = async (condition: string, params: unknown[]) =>
    (await db.dataSource.query(`SELECT id FROM ${db.table} WHERE ${condition} ORDER BY id`, params)).map(
      (row: { id: number }) => Number(row.id),
    );

  it('binds a list of ids of any length as one parameter, each id once', async () => {
    const [p1] = sql.placeholders(1);
    expect(await idsWhere(`id ${sql.inIds(p1)}`, [sql.ids([5, 1, 1, 99])])).toEqual([1, 5]);
    expect(await idsWhere(`id ${sql.inIds(p1)}`, [sql.ids([])])).toEqual([]);
    const many = Array.from({ length: 5000 }, (_, index) => index + 1);
    expect(await idsWhere(`id ${sql.inIds(p1)}`, [sql.ids(many)])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('numbers placeholders in the order they appear', async () => {
    const [p1, p2] = sql.placeholders(2);
    expect(await idsWhere(`id > ${p1} AND id < ${p2}`, [1, 4])).toEqual([2, 3]);
  });

  it('matches a prefix literally: the wildcards of LIKE are plain characters', async () => {
    const match = async (prefix: string) => {
      const { sql: condition, params } = sql.startsWith('nick_key', prefix);
      const names = Object.keys(params);
      // The condition is written with :named parameters, as a query builder takes them.
      const positional = condition.replace(
        /:(\w+)/g,
        (_, name: string) => sql.placeholders(names.length)[names.indexOf(name)],
      );
      return idsWhere(
        positional,
        names.map((name) => params[name]),
      );
    };
    expect(await match('an')).toEqual([1, 2, 3, 4]);
    expect(await match('ann')).toEqual([1, 2]);
    expect(await match('an_')).toEqual([3]);
    expect(await match('an%')).toEqual([4]);
    expect(await match('añ')).toEqual([6]);
    expect(await match('zz')).toEqual([]);
  });
});
