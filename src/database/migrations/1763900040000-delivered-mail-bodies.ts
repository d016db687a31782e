import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Mail bodies hold working links (confirmation, password reset). From now on a body is emptied
 * once its mail is delivered or given up; this empties those already kept.
 */
export class DeliveredMailBodies1763900040000 implements MigrationInterface {
  name = 'DeliveredMailBodies1763900040000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE mail_outbox SET text = '', html = '' WHERE sent_at IS NOT NULL OR failed_at IS NOT NULL`,
    );
  }

  async down(): Promise<void> {
    // The bodies are gone; nothing to restore.
  }
}
