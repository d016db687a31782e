import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** A QR approval names the session that made it: once that session has ended, it opens no session. */
export class QrApprovingSession1763900052000 implements MigrationInterface {
  name = 'QrApprovingSession1763900052000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'qr_logins',
      new TableColumn({ name: 'approved_session_id', type: 'integer', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('qr_logins', 'approved_session_id');
  }
}
