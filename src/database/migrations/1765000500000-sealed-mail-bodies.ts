import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { mailBodyBox } from '../../mail/mail-body.js';

/**
 * Mail bodies waiting in the outbox are sealed from now on (their links carry working tokens);
 * this seals those written before. It needs the master secret, so it is made with it (see
 * `migrationsWith`). On SQLite, `secure_delete` overwrites the plain pages it frees.
 */
export function sealedMailBodies(masterSecret: string): new () => MigrationInterface {
  return class SealedMailBodies1765000500000 implements MigrationInterface {
    name = 'SealedMailBodies1765000500000';

    async up(queryRunner: QueryRunner): Promise<void> {
      const postgres = queryRunner.connection.options.type === 'postgres';
      if (!postgres) await queryRunner.query('PRAGMA secure_delete = ON');
      const box = mailBodyBox(masterSecret);
      const waiting: { id: number; text: string; html: string }[] = await queryRunner.query(
        `SELECT id, text, html FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
      );
      const update = postgres
        ? 'UPDATE mail_outbox SET text = $1, html = $2 WHERE id = $3'
        : 'UPDATE mail_outbox SET text = ?, html = ? WHERE id = ?';
      for (const row of waiting) {
        await queryRunner.query(update, [box.seal(row.text), box.seal(row.html), row.id]);
      }
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      // Opening them again would put working links back in the database: waiting mails are dropped.
      await queryRunner.query(`DELETE FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL`);
    }
  };
}
