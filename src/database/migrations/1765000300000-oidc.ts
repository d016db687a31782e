import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Oidc1765000300000 implements MigrationInterface {
  name = 'Oidc1765000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'identities',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'user_id', type: 'integer' },
          { name: 'provider', type: 'varchar', length: '32' },
          { name: 'subject', type: 'varchar', length: '255' },
          { name: 'email', type: 'varchar', length: '254', isNullable: true },
          { name: 'email_verified', type: 'boolean' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          { name: 'identities_provider_subject', columnNames: ['provider', 'subject'], isUnique: true },
          { name: 'identities_user_id', columnNames: ['user_id'] },
        ],
        foreignKeys: [
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oidc_pending',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'key_hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'kind', type: 'varchar', length: '12' },
          { name: 'provider', type: 'varchar', length: '32' },
          { name: 'sealed', type: 'varchar', length: '4000' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'oidc_pending_expires_at', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('oidc_pending');
    await queryRunner.dropTable('identities');
  }
}
