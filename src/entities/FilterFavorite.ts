import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'filter_favorites' })
export class FilterFavorite {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  filterId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
