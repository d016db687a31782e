import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class EventIdEpochs1763900041000 implements MigrationInterface {
  name = 'EventIdEpochs1763900041000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'event_id_epochs',
        columns: [
          {
            name: 'id',
            type: 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'started_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('event_id_epochs');
  }
}
