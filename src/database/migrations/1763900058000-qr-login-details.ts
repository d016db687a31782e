import { type MigrationInterface, type QueryRunner } from 'typeorm';

const COLUMNS = [
  ['user_agent', 'varchar(300) NULL'],
  ['ip', 'varchar(64) NULL'],
  ['check_code', "varchar(2) NOT NULL DEFAULT '00'"],
  ['voided_at', 'bigint NULL'],
  ['approver_user_agent', 'varchar(300) NULL'],
  ['approver_ip', 'varchar(64) NULL'],
] as const;

/**
 * A QR login that shows what it approves: the browser's user agent and address, the check number
 * both screens show, when a wrong check number voided it, and the approving device. Plain SQL,
 * one column a statement, the same on both databases.
 */
export class QrLoginDetails1763900058000 implements MigrationInterface {
  name = 'QrLoginDetails1763900058000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, type] of COLUMNS)
      await queryRunner.query(`ALTER TABLE qr_logins ADD COLUMN ${name} ${type}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...COLUMNS].reverse())
      await queryRunner.query(`ALTER TABLE qr_logins DROP COLUMN ${name}`);
  }
}
