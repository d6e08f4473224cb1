import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Filter unlocks honour the caller's idempotency key: the first answer to (user, key) is kept, and a
 * retry with that key gets it back (charged once), while a concurrent twin waits on the primary key.
 */
export class FilterUnlockRequests1764001100000 implements MigrationInterface {
  name = 'FilterUnlockRequests1764001100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE filter_unlock_requests (
        user_id uuid NOT NULL REFERENCES users(id),
        idempotency_key varchar(128) NOT NULL,
        filter_id uuid NOT NULL REFERENCES stream_filters(id),
        result jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, idempotency_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE filter_unlock_requests');
  }
}
