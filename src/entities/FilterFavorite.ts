import { CreateDateColumn, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

@Entity({ name: 'filter_favorites' })
export class FilterFavorite {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('User', { name: 'filter_favorites_user_id_fkey' })
  userId!: string;

  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  @ForeignKey('StreamFilter', { name: 'filter_favorites_filter_id_fkey' })
  filterId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
