import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class SseCodes1763900002000 implements MigrationInterface {
  name = 'SseCodes1763900002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sse_codes',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'nonce', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sse_codes');
  }
}
