import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { ParamSpec } from '../domain/filters/params';
import { bigintNumber } from './columns';

/**
 * The generated `search` column's expression, as PostgreSQL reports it (pg_get_expr). TypeORM compares it
 * with the copy migration 1764001000000-SchemaMetadata stored in typeorm_metadata.
 */
export const STREAM_FILTER_SEARCH =
  "((setweight(to_tsvector('simple'::regconfig, (name)::text), 'A'::\"char\") || setweight(to_tsvector('simple'::regconfig, (category)::text), 'B'::\"char\")) || setweight(to_tsvector('simple'::regconfig, (description)::text), 'C'::\"char\"))";

/** A beauty, makeup, AR, colour, background, sticker, text, voice or face-shape filter. */
@Entity({ name: 'stream_filters' })
@Check('stream_filters_price_check', '(price = 0) OR ((price >= 10) AND (price <= 500))')
@Unique('stream_filters_slug_key', ['slug'])
// (category, usage_count DESC) in the migration: TypeORM does not declare a column's sort order
@Index('stream_filters_category', ['category', 'usageCount'], { where: 'published' })
@Index('stream_filters_creator', ['creatorId'])
// (usage_count DESC) in the migration: TypeORM does not declare a column's sort order
@Index('stream_filters_featured', ['usageCount'], { where: 'published AND featured' })
// (usage_count DESC, id) in the migration: TypeORM does not declare a column's sort order
@Index('stream_filters_popular', ['usageCount', 'id'], { where: 'published' })
@Index('stream_filters_search', ['search'], { type: 'gin' })
export class StreamFilter {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Stable key of platform filters (null for custom ones). */
  @Column({ type: 'varchar', length: 60, nullable: true })
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
  @ForeignKey('User', { name: 'stream_filters_creator_id_fkey' })
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

  /** Full-text search vector (name A, category B, description C), computed by PostgreSQL; never selected. */
  @Column({
    type: 'tsvector',
    nullable: true,
    generatedType: 'STORED',
    asExpression: STREAM_FILTER_SEARCH,
    select: false,
    insert: false,
    update: false,
  })
  search!: string | null;
}
