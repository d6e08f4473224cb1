import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A co-hosting session: up to 9 hosts streaming together. */
@Entity({ name: 'multihost_sessions' })
@Check('multihost_sessions_max_hosts_check', '(max_hosts >= 2) AND (max_hosts <= 9)')
// (status, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('multihost_sessions_status', ['status', 'createdAt'])
export class MultiHostSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'room_id', type: 'varchar', length: 64, nullable: true })
  roomId!: string | null;

  @Column({ type: 'varchar', length: 120 })
  title!: string;

  /** collaboration | interview | panel | gaming | podcast | workshop */
  @Column({ type: 'varchar', length: 16 })
  type!: string;

  /** grid | spotlight | sidebar | pip */
  @Column({ type: 'varchar', length: 16 })
  layout!: string;

  /** scheduled | live | ended | interrupted */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'primary_host', type: 'uuid' })
  @ForeignKey('User', { name: 'multihost_sessions_primary_host_fkey' })
  primaryHost!: string;

  @Column({ name: 'max_hosts', type: 'integer' })
  maxHosts!: number;

  @Column({ name: 'peak_viewers', type: 'integer', default: 0 })
  peakViewers!: number;

  @Column({ name: 'layouts_used', type: 'jsonb', default: () => "'[]'" })
  layoutsUsed!: string[];

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
