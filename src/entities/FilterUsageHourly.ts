import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Uses per filter per hour: trending sums at most 24 of these per filter, whatever the raw volume. */
@Entity({ name: 'filter_usage_hourly' })
// INDEX filter_usage_hourly_hour ON filter_usage_hourly USING btree (hour) INCLUDE (filter_id, uses) (in the migration: TypeORM cannot declare an INCLUDE index)
@Index('filter_usage_hourly_hour', { synchronize: false })
export class FilterUsageHourly {
  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  filterId!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour!: Date;

  @Column({ type: 'integer' })
  uses!: number;
}
