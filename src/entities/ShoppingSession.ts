import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A live shopping stream; analytics are snapshotted into it when the room closes. */
@Entity({ name: 'shopping_sessions' })
// (status, created_at DESC) in the migration: TypeORM does not declare a column's sort order
@Index('shopping_sessions_status', ['status', 'createdAt'])
export class ShoppingSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'room_id', type: 'varchar', length: 64, nullable: true })
  roomId!: string | null;

  @Column({ name: 'seller_id', type: 'uuid' })
  @ForeignKey('User', { name: 'shopping_sessions_seller_id_fkey' })
  sellerId!: string;

  @Column({ type: 'varchar', length: 120 })
  title!: string;

  @Column({ type: 'varchar', length: 2000, default: '' })
  description!: string;

  /** scheduled | live | ended | interrupted */
  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ type: 'jsonb', nullable: true })
  analytics!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
