import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Android and web push devices: a token up to 1000 characters (a web push subscription's JSON is
 * about 400), and a web push device's endpoint, unique. Plain SQL: TypeORM's column changes on
 * SQLite rebuild the table; SQLite does not enforce a varchar's length, so only PostgreSQL widens.
 */
export class PushServices1765000400000 implements MigrationInterface {
  name = 'PushServices1765000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('ALTER TABLE devices ALTER COLUMN token TYPE varchar(1000)');
    }
    await queryRunner.query('ALTER TABLE devices ADD COLUMN endpoint varchar(1000)');
    await queryRunner.query('CREATE UNIQUE INDEX devices_endpoint ON devices (endpoint)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX devices_endpoint');
    await queryRunner.query('ALTER TABLE devices DROP COLUMN endpoint');
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('DELETE FROM devices WHERE length(token) > 200');
      await queryRunner.query('ALTER TABLE devices ALTER COLUMN token TYPE varchar(200)');
    }
  }
}
