import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class QrLogin1763900005000 implements MigrationInterface {
  name = 'QrLogin1763900005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'qr_logins',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'key_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'approved_by', type: 'integer', isNullable: true },
          { name: 'approved_at', type: 'bigint', isNullable: true },
          { name: 'delivered_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'qr_logins_expires_at', columnNames: ['expires_at'] }],
        foreignKeys: [
          {
            columnNames: ['approved_by'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('qr_logins');
  }
}
