import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A host of a session: role and how long they were on stage (written when the session ends). */
@Entity({ name: 'multihost_hosts' })
export class MultiHostParticipant {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
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
