import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * SSE codes belong to a session, not to a user: ending a session ends its code. The codes issued
 * per user before are dropped (a client asks for a new one after its stream is refused with 401).
 */
export class SseCodesPerSession1763900050000 implements MigrationInterface {
  name = 'SseCodesPerSession1763900050000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sse_codes');
    await queryRunner.createTable(
      new Table({
        name: 'sse_codes',
        columns: [
          { name: 'session_id', type: 'integer', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'nonce', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [{ name: 'sse_codes_user_id', columnNames: ['user_id'] }],
        foreignKeys: [
          {
            columnNames: ['session_id'],
            referencedTableName: 'sessions',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
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
}
