import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Multi-host invitations can be declined (by the invitee) and join requests denied (by a host). */
export class MultiHostAnswers1764001300000 implements MigrationInterface {
  name = 'MultiHostAnswers1764001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE multihost_invitations DROP CONSTRAINT multihost_invitations_status_check');
    await q.query(`
      ALTER TABLE multihost_invitations ADD CONSTRAINT multihost_invitations_status_check
        CHECK (status IN ('pending', 'accepted', 'declined', 'denied', 'expired', 'cancelled', 'interrupted'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE multihost_invitations DROP CONSTRAINT multihost_invitations_status_check');
    await q.query(`
      ALTER TABLE multihost_invitations ADD CONSTRAINT multihost_invitations_status_check
        CHECK (status IN ('pending', 'accepted', 'expired', 'cancelled', 'interrupted'))`);
  }
}
