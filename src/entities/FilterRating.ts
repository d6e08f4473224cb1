import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One 1-5 rating per user and filter; changing it adjusts the filter's sum in the same transaction. */
@Entity({ name: 'filter_ratings' })
export class FilterRating {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  filterId!: string;

  @Column({ type: 'smallint' })
  rating!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
