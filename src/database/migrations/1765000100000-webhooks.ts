import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Webhooks1765000100000 implements MigrationInterface {
  name = 'Webhooks1765000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    await queryRunner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          id,
          { name: 'url', type: 'varchar', length: '2000' },
          { name: 'description', type: 'varchar', length: '200' },
          { name: 'event_types', type: 'varchar', length: '1000' },
          { name: 'secret', type: 'varchar', length: '300' },
          { name: 'previous_secret', type: 'varchar', length: '300', isNullable: true },
          { name: 'previous_secret_until', type: 'bigint', isNullable: true },
          { name: 'disabled_at', type: 'bigint', isNullable: true },
          { name: 'disabled_reason', type: 'varchar', length: '20', isNullable: true },
          { name: 'failing_since', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          id,
          { name: 'endpoint_id', type: 'integer' },
          { name: 'message_id', type: 'varchar', length: '40' },
          { name: 'event_type', type: 'varchar', length: '40' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'attempts', type: 'integer' },
          { name: 'next_attempt_at', type: 'bigint' },
          { name: 'last_attempt_at', type: 'bigint', isNullable: true },
          { name: 'last_status_code', type: 'integer', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '300', isNullable: true },
          { name: 'delivered_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [
          {
            columnNames: ['endpoint_id'],
            referencedTableName: 'webhook_endpoints',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        indices: [
          { name: 'webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] },
          { name: 'webhook_deliveries_endpoint', columnNames: ['endpoint_id', 'id'] },
          { name: 'webhook_deliveries_created_at', columnNames: ['created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropTable('webhook_endpoints');
  }
}
