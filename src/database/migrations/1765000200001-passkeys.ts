import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Passkeys1765000200001 implements MigrationInterface {
  name = 'Passkeys1765000200001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const userForeignKey = {
      columnNames: ['user_id'],
      referencedTableName: 'users',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    };
    await queryRunner.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'user_id', type: 'integer' },
          { name: 'credential_id', type: 'varchar', length: '1400' },
          { name: 'public_key', type: 'varchar', length: '2000' },
          { name: 'counter', type: 'bigint' },
          { name: 'transports', type: 'varchar', length: '200', isNullable: true },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'passkeys_credential_id', columnNames: ['credential_id'], isUnique: true },
          { name: 'passkeys_user_id', columnNames: ['user_id'] },
        ],
        foreignKeys: [userForeignKey],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'passkey_challenges',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'purpose', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'challenge', type: 'varchar', length: '128' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'passkey_challenges_expires_at', columnNames: ['expires_at'] }],
        foreignKeys: [userForeignKey],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('passkey_challenges');
    await queryRunner.dropTable('passkeys');
  }
}
