import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class SecurityEvents1763900060000 implements MigrationInterface {
  name = 'SecurityEvents1763900060000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'security_events',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          // No foreign key: a deleted account's events outlive it for the retention period.
          { name: 'user_id', type: 'integer' },
          { name: 'type', type: 'varchar', length: '40' },
          { name: 'details', type: 'varchar', length: '1000', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '300', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          { name: 'security_events_user_id', columnNames: ['user_id', 'id'] },
          { name: 'security_events_created_at', columnNames: ['created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('security_events');
  }
}
