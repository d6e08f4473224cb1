import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Multi-host invitations and join requests: persisted with an expiry, so a restart cannot drop them silently. */
export class MultiHostInvitations1764000600000 implements MigrationInterface {
  name = 'MultiHostInvitations1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE multihost_invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES multihost_sessions(id),
        user_id uuid NOT NULL REFERENCES users(id),
        kind varchar(8) NOT NULL CHECK (kind IN ('invite', 'request')),
        by_user uuid NOT NULL REFERENCES users(id),
        username varchar(64) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'accepted', 'expired', 'cancelled', 'interrupted')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX multihost_invitations_pending ON multihost_invitations (session_id, user_id, kind) WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX multihost_invitations_open ON multihost_invitations (status, session_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE multihost_invitations');
  }
}
