import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Blocking1763900003000 implements MigrationInterface {
  name = 'Blocking1763900003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'blocks',
        columns: [
          // The primary key (blocker_id, blocked_id) is the unique index of "whom did A block".
          { name: 'blocker_id', type: 'integer', isPrimary: true },
          { name: 'blocked_id', type: 'integer', isPrimary: true },
          { name: 'created_at', type: 'bigint' },
        ],
        // "Who blocked B": covering, so the recipient-list query never reads the table itself.
        indices: [{ name: 'blocks_blocked_blocker', columnNames: ['blocked_id', 'blocker_id'] }],
        foreignKeys: [
          {
            columnNames: ['blocker_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['blocked_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('blocks');
  }
}
