import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StreamFilters1764000400000 implements MigrationInterface {
  name = 'StreamFilters1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_filters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(60) UNIQUE,
        name varchar(80) NOT NULL,
        category varchar(16) NOT NULL,
        description varchar(500) NOT NULL,
        params jsonb NOT NULL,
        price integer NOT NULL CHECK (price = 0 OR price BETWEEN 10 AND 500),
        creator_id uuid REFERENCES users(id),
        published boolean NOT NULL,
        featured boolean NOT NULL DEFAULT false,
        usage_count bigint NOT NULL DEFAULT 0,
        rating_sum integer NOT NULL DEFAULT 0,
        rating_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', category), 'B') ||
          setweight(to_tsvector('simple', description), 'C')
        ) STORED
      )`);
    await q.query('CREATE INDEX stream_filters_search ON stream_filters USING gin (search)');
    await q.query(
      'CREATE INDEX stream_filters_category ON stream_filters (category, usage_count DESC) WHERE published',
    );
    await q.query(
      'CREATE INDEX stream_filters_featured ON stream_filters (usage_count DESC) WHERE published AND featured',
    );
    await q.query('CREATE INDEX stream_filters_popular ON stream_filters (usage_count DESC, id) WHERE published');
    await q.query('CREATE INDEX stream_filters_creator ON stream_filters (creator_id)');
    await q.query(`
      CREATE TABLE filter_unlocks (
        user_id uuid NOT NULL REFERENCES users(id),
        filter_id uuid NOT NULL REFERENCES stream_filters(id),
        price_paid integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, filter_id)
      )`);
    await q.query(`
      CREATE TABLE filter_favorites (
        user_id uuid NOT NULL REFERENCES users(id),
        filter_id uuid NOT NULL REFERENCES stream_filters(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, filter_id)
      )`);
    await q.query(`
      CREATE TABLE filter_ratings (
        user_id uuid NOT NULL REFERENCES users(id),
        filter_id uuid NOT NULL REFERENCES stream_filters(id),
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, filter_id)
      )`);
    await q.query(`
      CREATE TABLE filter_usage (
        id bigserial PRIMARY KEY,
        filter_id uuid NOT NULL,
        user_id uuid NOT NULL,
        stream_id varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX filter_usage_filter_time ON filter_usage (filter_id, created_at)');
    await q.query(`
      CREATE TABLE filter_usage_hourly (
        filter_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        uses integer NOT NULL,
        PRIMARY KEY (filter_id, hour)
      )`);
    await q.query('CREATE INDEX filter_usage_hourly_hour ON filter_usage_hourly (hour) INCLUDE (filter_id, uses)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'filter_usage_hourly',
      'filter_usage',
      'filter_ratings',
      'filter_favorites',
      'filter_unlocks',
      'stream_filters',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
