import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class SigningKeys1765000000001 implements MigrationInterface {
  name = 'SigningKeys1765000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'seq', type: 'integer', isUnique: true },
          { name: 'algorithm', type: 'varchar', length: '10' },
          { name: 'public_jwk', type: 'text' },
          { name: 'sealed_private_key', type: 'text' },
          { name: 'created_at', type: 'bigint' },
          { name: 'activates_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('signing_keys');
  }
}
