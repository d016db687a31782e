import { type MigrationInterface, type QueryRunner } from 'typeorm';

// The folding of this migration, written out here: a migration must do what it did when it
// landed, whatever users/email.ts says later.
const fold = (email: string) =>
  email.trim().normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
const lowerCase = (email: string) => email.trim().toLowerCase();

const PAGE = 1000;

/**
 * Email keys were the lower-cased address; they become the NFKC case-folded one, so that an
 * address is found however it is composed or spelled. Rows whose key changes are few (addresses
 * with non-ASCII letters). Where two accounts now fold to one key, the one whose key does not
 * change keeps it (its address is one the rules still accept), else the older account; the
 * other gets a key no address folds to (`#<id>:…`: an address outside quotes has no colon), so it is
 * no longer found by address (its sessions and auth token still work) until an operator changes its
 * address.
 */
export class EmailFoldKeys1763900030000 implements MigrationInterface {
  name = 'EmailFoldKeys1763900030000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rekey(queryRunner, fold);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rekey(queryRunner, lowerCase);
  }
}

async function rekey(queryRunner: QueryRunner, keyOf: (email: string) => string): Promise<void> {
  const mark = (n: number) => (queryRunner.connection.options.type === 'postgres' ? `$${n}` : '?');
  const changed: { id: number; oldKey: string; newKey: string }[] = [];
  for (let after = 0; ;) {
    const rows = (await queryRunner.query(
      `SELECT id, email, email_key FROM users WHERE id > ${mark(1)} ORDER BY id LIMIT ${PAGE}`,
      [after],
    )) as { id: number | string; email: string; email_key: string }[];
    for (const row of rows) {
      const newKey = keyOf(row.email);
      if (newKey !== row.email_key) changed.push({ id: Number(row.id), oldKey: row.email_key, newKey });
    }
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1].id);
  }
  const setKey = (id: number, key: string) =>
    queryRunner.query(`UPDATE users SET email_key = ${mark(1)} WHERE id = ${mark(2)}`, [key, id]);
  const parked = (id: number, key: string) => `#${id}:${key}`.slice(0, 254);
  // Out of the way first: a row's new key may be another changed row's old one.
  for (const row of changed) await setKey(row.id, parked(row.id, ''));
  for (const row of changed) {
    const holders = (await queryRunner.query(`SELECT id FROM users WHERE email_key = ${mark(1)}`, [
      row.newKey,
    ])) as unknown[];
    await setKey(row.id, holders.length === 0 ? row.newKey : parked(row.id, row.oldKey));
  }
}
