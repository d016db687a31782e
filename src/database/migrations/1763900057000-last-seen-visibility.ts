import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Last-seen privacy: who may see a user's exact last seen and online state. Plain SQL, the same on
 * both databases: TypeORM's addColumn on SQLite rebuilds the table, and dropping `users` there
 * would cascade into every table that references it.
 */
export class LastSeenVisibility1763900057000 implements MigrationInterface {
  name = 'LastSeenVisibility1763900057000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN last_seen_visibility varchar(10) NOT NULL DEFAULT 'everyone'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN last_seen_visibility`);
  }
}
