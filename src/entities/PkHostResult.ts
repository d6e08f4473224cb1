import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './columns';

/** A host's outcome of one ended battle: the rows leaderboards and stats are computed from. */
@Entity({ name: 'pk_host_results' })
@Index('pk_host_results_period', ['endedAt', 'userId'])
// (user_id, ended_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('pk_host_results_user', ['userId', 'endedAt'])
export class PkHostResult {
  @PrimaryColumn({ name: 'battle_id', type: 'uuid' })
  @ForeignKey('PkBattle', { name: 'pk_host_results_battle_id_fkey' })
  battleId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'pk_host_results_user_id_fkey' })
  userId!: string;

  @Column({ name: 'opponent_id', type: 'uuid' })
  opponentId!: string;

  /** win | loss | draw */
  @Column({ type: 'varchar', length: 8 })
  result!: string;

  /** Battle points: the coins of the gifts this host received. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  points!: number;

  @Column({ name: 'opponent_points', type: 'bigint', transformer: bigintNumber })
  opponentPoints!: number;

  @Column({ name: 'reward_coins', type: 'integer' })
  rewardCoins!: number;

  @Column({ name: 'reward_xp', type: 'integer' })
  rewardXp!: number;

  @Column({ name: 'ended_at', type: 'timestamptz' })
  endedAt!: Date;
}
