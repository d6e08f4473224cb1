import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './columns';

/** One PK battle: two hosts, its lifecycle, final scores and winner. */
@Entity({ name: 'pk_battles' })
@Check('pk_battles_check', 'host_a <> host_b')
@Check('pk_battles_duration_minutes_check', '(duration_minutes >= 1) AND (duration_minutes <= 10)')
// (host_a, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('pk_battles_host_a', ['hostA', 'createdAt'])
// (host_b, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('pk_battles_host_b', ['hostB', 'createdAt'])
// (status, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('pk_battles_status', ['status', 'createdAt'])
export class PkBattle {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'room_id', type: 'varchar', length: 64, nullable: true })
  roomId!: string | null;

  /** The creator (side A). */
  @Column({ name: 'host_a', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_battles_host_a_fkey' })
  hostA!: string;

  /** The invited opponent (side B). */
  @Column({ name: 'host_b', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_battles_host_b_fkey' })
  hostB!: string;

  @Column({ name: 'duration_minutes', type: 'integer' })
  durationMinutes!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'score_a', type: 'bigint', default: 0, transformer: bigintNumber })
  scoreA!: number;

  @Column({ name: 'score_b', type: 'bigint', default: 0, transformer: bigintNumber })
  scoreB!: number;

  @Column({ name: 'winner_id', type: 'uuid', nullable: true })
  winnerId!: string | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 16, nullable: true })
  endReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ends_at', type: 'timestamptz', nullable: true })
  endsAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
