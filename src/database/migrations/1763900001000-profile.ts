import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class Profile1763900001000 implements MigrationInterface {
  name = 'Profile1763900001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'avatars',
        columns: [
          { name: 'key', type: 'varchar', length: '80', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'content_type', type: 'varchar', length: '40' },
          { name: 'etag', type: 'varchar', length: '64' },
          { name: 'width', type: 'integer' },
          { name: 'height', type: 'integer' },
          { name: 'data', type: 'text' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [{ name: 'avatars_user', columnNames: ['user_id'] }],
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
    await queryRunner.createTable(
      new Table({
        name: 'contacts',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'contact_id', type: 'integer', isPrimary: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [{ name: 'contacts_contact', columnNames: ['contact_id'] }],
        foreignKeys: [
          {
            columnNames: ['user_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
          {
            columnNames: ['contact_id'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    // Nick search: PostgreSQL's LIKE 'prefix%' uses an index only with pattern ops (SQLite uses
    // a range on the unique nick_key index instead).
    if (queryRunner.connection.options.type === 'postgres') {
      await queryRunner.query('CREATE INDEX users_nick_key_prefix ON users (nick_key varchar_pattern_ops)');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'postgres')
      await queryRunner.query('DROP INDEX users_nick_key_prefix');
    await queryRunner.dropTable('contacts');
    await queryRunner.dropTable('avatars');
  }
}
