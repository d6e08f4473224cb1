/**
 * Persistence has one source of truth: the entities (src/entities) describe exactly the schema the
 * migrations (src/migrations) create. On a fresh schema the migrations run, then TypeORM's schema
 * diff (what `synchronize` would do) must have nothing left to do: no column, type, default,
 * nullability, check, foreign key, unique or index that differs. Runs on the embedded PostgreSQL
 * and on DATABASE_URL (PostgreSQL 15 in CI).
 */
import assert from 'node:assert/strict';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { createDataSource, dropSchema, prepareSchema } from '../../src/db/dataSource';
import { STREAM_FILTER_SEARCH } from '../../src/entities/StreamFilter';
import { server, TEST_SCHEMA } from '../helpers';

/** TypeORM's own bookkeeping tables, not part of the model. */
const TYPEORM_TABLES = ['migrations', 'typeorm_metadata'];

@Entity({ name: 'users' })
class UserMissingAColumn {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  username!: string;
}

describe('Schema: entities = migrations', () => {
  const schema = `${TEST_SCHEMA}_fresh`;
  let url: string;
  let ds: DataSource;

  before(async function () {
    this.timeout(60_000);
    url = (server().context.ds.options as { url: string }).url;
    await prepareSchema(url, schema);
    ds = createDataSource({ url, schema, poolSize: 2 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
  });

  after(async () => {
    await ds?.destroy();
    if (url) await dropSchema(url, schema);
  });

  it('migrations on a fresh schema leave TypeORM nothing to change (schema builder log is empty)', async () => {
    const { upQueries } = await ds.driver.createSchemaBuilder().log();
    const pending = upQueries.map((q) => q.query.replaceAll(`"${schema}".`, ''));
    assert.deepEqual(pending, [], `the entities and the migrations disagree:\n  ${pending.join('\n  ')}`);
  });

  it('every table the migrations create has an entity, and every entity a table', async () => {
    const rows: Array<{ table_name: string }> = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [schema],
    );
    const tables = rows.map((r) => r.table_name).filter((t) => !TYPEORM_TABLES.includes(t));
    const entities = ds.entityMetadatas.map((m) => m.tableName);
    assert.deepEqual(
      tables.filter((t) => !entities.includes(t)),
      [],
      'tables without an entity',
    );
    assert.deepEqual(
      entities.filter((t) => !tables.includes(t)),
      [],
      'entities without a table',
    );
  });

  it('indexes only the migration can define (expressions, INCLUDE) exist under the names the entities give', async () => {
    const rows: Array<{ indexname: string }> = await ds.query(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1',
      [schema],
    );
    const existing = new Set(rows.map((r) => r.indexname));
    const declared = ds.entityMetadatas.flatMap((m) => m.indices.filter((i) => i.synchronize === false));
    assert.ok(declared.length >= 3, 'users_username_lower_key, vouchers_code, shop_orders_performance, ...');
    assert.deepEqual(
      declared.map((i) => i.name).filter((n) => !existing.has(n)),
      [],
    );
  });

  it('the generated search column is what PostgreSQL computes (TypeORM compares only its own copy)', async () => {
    const [row] = await ds.query(
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS expr FROM pg_attrdef d
         JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = 'stream_filters'::regclass AND a.attname = 'search'`,
    );
    assert.equal(row.expr, STREAM_FILTER_SEARCH);
  });

  it('the check can fail: an entity missing a column is reported', async () => {
    const wrong = new DataSource({
      type: 'postgres',
      url,
      schema,
      entities: [UserMissingAColumn],
      extra: { max: 1, options: `-c search_path=${schema}` },
    });
    await wrong.initialize();
    try {
      const { upQueries } = await wrong.driver.createSchemaBuilder().log();
      assert.ok(
        upQueries.some((q) => /ALTER TABLE "users" DROP COLUMN "password_hash"/.test(q.query)),
        upQueries.map((q) => q.query).join('\n'),
      );
    } finally {
      await wrong.destroy();
    }
  });
});
