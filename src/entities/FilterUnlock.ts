import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** A premium filter a user owns (one row per user and filter, ever). */
@Entity({ name: 'filter_unlocks' })
export class FilterUnlock {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'filter_unlocks_user_id_fkey' })
  userId!: string;

  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  @ForeignKey('StreamFilter', { name: 'filter_unlocks_filter_id_fkey' })
  filterId!: string;

  @Column({ name: 'price_paid', type: 'integer' })
  pricePaid!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
