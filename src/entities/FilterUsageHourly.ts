import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Uses per filter per hour: trending sums at most 24 of these per filter, whatever the raw volume. */
@Entity({ name: 'filter_usage_hourly' })
export class FilterUsageHourly {
  @PrimaryColumn({ name: 'filter_id', type: 'uuid' })
  filterId!: string;

  @PrimaryColumn({ type: 'timestamptz' })
  hour!: Date;

  @Column({ type: 'integer' })
  uses!: number;
}
