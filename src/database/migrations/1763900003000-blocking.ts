import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Blocking1763900003000 implements MigrationInterface {
  name = 'Blocking1763900003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'blocks',
        columns: [
          { name: 'blocker_id', type: 'integer', isPrimary: true },
          { name: 'blocked_id', type: 'integer', isPrimary: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [{ name: 'blocks_blocked', columnNames: ['blocked_id'] }],
        foreignKeys: [
          { columnNames: ['blocker_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { columnNames: ['blocked_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('blocks');
  }
}
