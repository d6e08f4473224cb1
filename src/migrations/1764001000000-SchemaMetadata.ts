import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The entities (src/entities) describe exactly the schema the migrations create, and a test
 * (test/foundation/Schema.test.ts) holds them to it with TypeORM's schema diff. TypeORM keeps the
 * expression of a generated column in its own `typeorm_metadata` table, which hand-written
 * migrations never created, so it could not even read `stream_filters.search`: this creates the
 * table (TypeORM's own layout) and records that column's expression as PostgreSQL reports it.
 */
/** `stream_filters.search` as PostgreSQL 15-18 print it (pg_get_expr); the entity declares the same text. */
const STREAM_FILTER_SEARCH =
  "((setweight(to_tsvector('simple'::regconfig, (name)::text), 'A'::\"char\") || setweight(to_tsvector('simple'::regconfig, (category)::text), 'B'::\"char\")) || setweight(to_tsvector('simple'::regconfig, (description)::text), 'C'::\"char\"))";

export class SchemaMetadata1764001000000 implements MigrationInterface {
  name = 'SchemaMetadata1764001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS typeorm_metadata (
        "type" varchar NOT NULL,
        "database" varchar,
        "schema" varchar,
        "table" varchar,
        "name" varchar,
        "value" text
      )`);
    await q.query(
      `INSERT INTO typeorm_metadata ("type", "database", "schema", "table", "name", "value")
       VALUES ('GENERATED_COLUMN', current_database(), current_schema(), 'stream_filters', 'search', $1)`,
      [STREAM_FILTER_SEARCH],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM typeorm_metadata WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'stream_filters' AND "name" = 'search'`,
    );
  }
}
