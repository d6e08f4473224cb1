import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every application of a filter to a stream (analytics); trending reads the hourly rollup instead. */
@Entity({ name: 'filter_usage' })
@Index('filter_usage_filter_time', ['filterId', 'createdAt'])
export class FilterUsage {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'filter_id', type: 'uuid' })
  filterId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'stream_id', type: 'varchar', length: 64 })
  streamId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
