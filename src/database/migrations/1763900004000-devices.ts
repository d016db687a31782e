import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Devices1763900004000 implements MigrationInterface {
  name = 'Devices1763900004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'devices',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          // Plaintext on purpose: APNs needs it in every request (see device.entity.ts).
          { name: 'token', type: 'varchar', length: '200' },
          { name: 'user_id', type: 'integer' },
          { name: 'notification_service', type: 'varchar', length: '20' },
          { name: 'created_at', type: 'bigint' },
          { name: 'registered_at', type: 'bigint' },
        ],
        indices: [
          { name: 'devices_token', columnNames: ['token'], isUnique: true },
          { name: 'devices_user', columnNames: ['user_id'] },
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
    await queryRunner.dropTable('devices');
  }
}
