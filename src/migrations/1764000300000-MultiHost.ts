import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MultiHost1764000300000 implements MigrationInterface {
  name = 'MultiHost1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE multihost_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id varchar(64),
        title varchar(120) NOT NULL,
        type varchar(16) NOT NULL,
        layout varchar(16) NOT NULL,
        status varchar(16) NOT NULL,
        primary_host uuid NOT NULL REFERENCES users(id),
        max_hosts integer NOT NULL CHECK (max_hosts BETWEEN 2 AND 9),
        peak_viewers integer NOT NULL DEFAULT 0,
        layouts_used jsonb NOT NULL DEFAULT '[]',
        end_reason varchar(32),
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ended_at timestamptz
      )`);
    await q.query('CREATE INDEX multihost_sessions_status ON multihost_sessions (status, created_at DESC)');
    await q.query(`
      CREATE TABLE multihost_hosts (
        session_id uuid NOT NULL REFERENCES multihost_sessions(id),
        user_id uuid NOT NULL REFERENCES users(id),
        role varchar(16) NOT NULL,
        joined_at timestamptz NOT NULL,
        left_at timestamptz,
        seconds_on_stage integer NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, user_id)
      )`);
    await q.query('CREATE INDEX multihost_hosts_user ON multihost_hosts (user_id, joined_at DESC)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE multihost_hosts');
    await q.query('DROP TABLE multihost_sessions');
  }
}
