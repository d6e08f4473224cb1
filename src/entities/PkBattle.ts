import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from './columns';

/** One PK battle: two hosts, its lifecycle, final scores and winner. */
@Entity({ name: 'pk_battles' })
export class PkBattle {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'room_id', type: 'varchar', length: 64, nullable: true })
  roomId!: string | null;

  /** The creator (side A). */
  @Column({ name: 'host_a', type: 'uuid' })
  hostA!: string;

  /** The invited opponent (side B). */
  @Column({ name: 'host_b', type: 'uuid' })
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
