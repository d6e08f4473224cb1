import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LiveStreams1764000200000 implements MigrationInterface {
  name = 'LiveStreams1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE live_streams (
        id varchar(64) PRIMARY KEY,
        host_id uuid NOT NULL REFERENCES users(id),
        title varchar(120) NOT NULL,
        status varchar(16) NOT NULL,
        peak_viewers integer NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz
      )`);
    await q.query('CREATE INDEX live_streams_status ON live_streams (status, started_at DESC)');
    await q.query('CREATE INDEX live_streams_host ON live_streams (host_id, started_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE live_streams');
  }
}
