import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Auth tokens derived from a per-session nonce (an HMAC under a key from JWT_SECRET), so the own
 * record can show the calling session's token again. Sessions opened before keep their token,
 * which still logs in by its hash; their own record shows `auth_token: null`.
 */
export class DerivedAuthTokens1763900051000 implements MigrationInterface {
  name = 'DerivedAuthTokens1763900051000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'sessions',
      new TableColumn({ name: 'auth_nonce', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sessions', 'auth_nonce');
  }
}
