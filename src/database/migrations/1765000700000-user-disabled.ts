import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Accounts an operator disabled (`disabled_at`), and when each user last opened a session
 * (`last_login_at`), for the admin API. Plain SQL, the same on both databases (TypeORM's addColumn
 * rebuilds the table on SQLite). On PostgreSQL the admin search by email prefix gets a pattern-ops
 * index, as the nick search has; SQLite uses a range on the unique email_key index.
 */
export class UserDisabled1765000700000 implements MigrationInterface {
  name = 'UserDisabled1765000700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users ADD COLUMN disabled_at bigint');
    await queryRunner.query('ALTER TABLE users ADD COLUMN last_login_at bigint');
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('CREATE INDEX users_email_key_prefix ON users (email_key varchar_pattern_ops)');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres')
      await queryRunner.query('DROP INDEX users_email_key_prefix');
    await queryRunner.query('ALTER TABLE users DROP COLUMN last_login_at');
    await queryRunner.query('ALTER TABLE users DROP COLUMN disabled_at');
  }
}
