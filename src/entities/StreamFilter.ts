import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ParamSpec } from '../domain/filters/params';
import { bigintNumber } from './columns';

/** A beauty, makeup, AR, colour, background, sticker, text, voice or face-shape filter. */
@Entity({ name: 'stream_filters' })
export class StreamFilter {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stable key of platform filters (null for custom ones). */
  @Column({ type: 'varchar', length: 60, nullable: true, unique: true })
  slug!: string | null;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  category!: string;

  @Column({ type: 'varchar', length: 500 })
  description!: string;

  @Column({ type: 'jsonb' })
  params!: ParamSpec[];

  /** Coins to unlock: 0 = free, premium 10-500. */
  @Column({ type: 'integer' })
  price!: number;

  /** null = platform. */
  @Column({ name: 'creator_id', type: 'uuid', nullable: true })
  creatorId!: string | null;

  @Column({ type: 'boolean' })
  published!: boolean;

  @Column({ type: 'boolean', default: false })
  featured!: boolean;

  @Column({ name: 'usage_count', type: 'bigint', default: 0, transformer: bigintNumber })
  usageCount!: number;

  @Column({ name: 'rating_sum', type: 'integer', default: 0 })
  ratingSum!: number;

  @Column({ name: 'rating_count', type: 'integer', default: 0 })
  ratingCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
