import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A multi-host invitation (host → user) or join request (user → host), persisted with its expiry. */
@Entity({ name: 'multihost_invitations' })
@Check('multihost_invitations_kind_check', "kind IN ('invite', 'request')")
@Check(
  'multihost_invitations_status_check',
  "status IN ('pending', 'accepted', 'declined', 'denied', 'expired', 'cancelled', 'interrupted')",
)
@Index('multihost_invitations_open', ['status', 'sessionId'])
@Index('multihost_invitations_pending', ['sessionId', 'userId', 'kind'], {
  unique: true,
  where: "(status)::text = 'pending'::text",
})
export class MultiHostInvitation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  @ForeignKey('MultiHostSession', { name: 'multihost_invitations_session_id_fkey' })
  sessionId!: string;

  /** The user invited, or the user asking to join. */
  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'multihost_invitations_user_id_fkey' })
  userId!: string;

  /** invite | request */
  @Column({ type: 'varchar', length: 8 })
  kind!: string;

  @Column({ name: 'by_user', type: 'uuid' })
  @ForeignKey('User', { name: 'multihost_invitations_by_user_fkey' })
  byUser!: string;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  /** pending | accepted | declined | denied | expired | cancelled | interrupted */
  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}
