import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import type { UnlockResult } from '../domain/filters/unlock';

/** The first answer to an unlock with a given idempotency key: a retry with that key gets it back. */
@Entity({ name: 'filter_unlock_requests' })
export class FilterUnlockRequest {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'filter_unlock_requests_user_id_fkey' })
  userId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'filter_id', type: 'uuid' })
  @ForeignKey('StreamFilter', { name: 'filter_unlock_requests_filter_id_fkey' })
  filterId!: string;

  @Column({ type: 'jsonb' })
  result!: UnlockResult;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
