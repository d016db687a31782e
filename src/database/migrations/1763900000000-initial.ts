import { type MigrationInterface, type QueryRunner, Table, type TableColumnOptions } from 'typeorm';

// Written with TypeORM's Table API so the one migration builds the same schema on SQLite and
// PostgreSQL. Instants are bigint epoch milliseconds (see database/columns.ts).
const id: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const time = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable: nullable,
});
const text = (name: string, length: number | null, nullable = false): TableColumnOptions =>
  length === null
    ? { name, type: 'text', isNullable: nullable }
    : { name, type: 'varchar', length: String(length), isNullable: nullable };

export class Initial1763900000000 implements MigrationInterface {
  name = 'Initial1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          id,
          text('email', 254),
          text('email_key', 254),
          text('pending_email', 254, true),
          text('password_hash', 200),
          text('nick', 64, true),
          text('nick_key', 256, true),
          { name: 'searchable_nick', type: 'boolean' },
          time('confirmed_at', true),
          text('status', 20, true),
          text('status_message', 256, true),
          text('mobile_number', 32, true),
          text('avatar_key', 80, true),
          text('avatar_small_key', 80, true),
          time('last_seen_at', true),
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          { name: 'users_email_key', columnNames: ['email_key'], isUnique: true },
          { name: 'users_nick_key', columnNames: ['nick_key'], isUnique: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          id,
          { name: 'user_id', type: 'integer' },
          text('auth_token_hash', 64),
          text('user_agent', 300, true),
          text('ip', 64, true),
          time('created_at'),
          time('last_used_at'),
          time('revoked_at', true),
        ],
        indices: [
          { name: 'sessions_auth_token_hash', columnNames: ['auth_token_hash'], isUnique: true },
          { name: 'sessions_user_revoked', columnNames: ['user_id', 'revoked_at'] },
          { name: 'sessions_revoked', columnNames: ['revoked_at'] },
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
    await queryRunner.createTable(
      new Table({
        name: 'email_tokens',
        columns: [
          id,
          { name: 'user_id', type: 'integer' },
          text('purpose', 20),
          text('token_hash', 64),
          text('email', 254),
          time('created_at'),
          time('expires_at'),
          time('used_at', true),
        ],
        indices: [
          { name: 'email_tokens_token_hash', columnNames: ['token_hash'], isUnique: true },
          { name: 'email_tokens_user_purpose_created', columnNames: ['user_id', 'purpose', 'created_at'] },
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
    await queryRunner.createTable(
      new Table({
        name: 'mail_outbox',
        columns: [
          id,
          text('to_address', 254),
          text('subject', 200),
          text('text', null),
          text('html', null),
          { name: 'attempts', type: 'integer' },
          time('next_attempt_at'),
          time('sent_at', true),
          time('failed_at', true),
          text('last_error', 500, true),
          time('created_at'),
        ],
        indices: [{ name: 'mail_outbox_due', columnNames: ['sent_at', 'next_attempt_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['mail_outbox', 'email_tokens', 'sessions', 'users'])
      await queryRunner.dropTable(table);
  }
}
