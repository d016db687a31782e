import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

const userForeignKey = {
  columnNames: ['user_id'],
  referencedTableName: 'users',
  referencedColumnNames: ['id'],
  onDelete: 'CASCADE',
};

export class SecondFactors1765000200000 implements MigrationInterface {
  name = 'SecondFactors1765000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'mfa_totp',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'secret_sealed', type: 'varchar', length: '200' },
          { name: 'created_at', type: 'bigint' },
          { name: 'confirmed_at', type: 'bigint', isNullable: true },
          { name: 'last_step', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [userForeignKey],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_recovery_codes',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'user_id', type: 'integer' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'mfa_recovery_codes_user_id', columnNames: ['user_id'] }],
        foreignKeys: [userForeignKey],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'user_id', type: 'integer' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'mfa_challenges_token_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'mfa_challenges_expires_at', columnNames: ['expires_at'] },
        ],
        foreignKeys: [userForeignKey],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mfa_challenges');
    await queryRunner.dropTable('mfa_recovery_codes');
    await queryRunner.dropTable('mfa_totp');
  }
}
