import { Check, Column, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One 1-5 rating per user and filter; changing it adjusts the filter's sum in the same transaction. */
@Entity({ name: 'filter_ratings' })
@Check('filter_ratings_rating_check', '(rating >= 1) AND (rating <= 5)')
export class FilterRating {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'filter_ratings_user_id_fkey' })
  userId!: string;

  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  @ForeignKey('StreamFilter', { name: 'filter_ratings_filter_id_fkey' })
  filterId!: string;

  @Column({ type: 'smallint' })
  rating!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
