import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** A solo live stream: one host, viewers. Its id is the `live_stream` room's id. */
@Entity({ name: 'live_streams' })
// (host_id, started_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('live_streams_host', ['hostId', 'startedAt'])
// (status, started_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('live_streams_status', ['status', 'startedAt'])
export class LiveStream {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'host_id', type: 'uuid' })
  @ForeignKey('User', { name: 'live_streams_host_id_fkey' })
  hostId!: string;

  @Column({ type: 'varchar', length: 120 })
  title!: string;

  /** live | ended | interrupted */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'peak_viewers', type: 'integer', default: 0 })
  peakViewers!: number;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
