import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** A host of a session: role and how long they were on stage (written when the session ends). */
@Entity({ name: 'multihost_hosts' })
// (user_id, joined_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('multihost_hosts_user', ['userId', 'joinedAt'])
export class MultiHostParticipant {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  @ForeignKey('MultiHostSession', { name: 'multihost_hosts_session_id_fkey' })
  sessionId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'multihost_hosts_user_id_fkey' })
  userId!: string;

  /** primary | co-host | guest */
  @Column({ type: 'varchar', length: 16 })
  role!: string;

  @Column({ name: 'joined_at', type: 'timestamptz' })
  joinedAt!: Date;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @Column({ name: 'seconds_on_stage', type: 'integer', default: 0 })
  secondsOnStage!: number;
}
