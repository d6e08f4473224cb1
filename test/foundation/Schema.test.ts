/**
 * Persistence has one source of truth: the entities (src/entities) describe exactly the schema the
 * migrations (src/migrations) create. On a fresh schema the migrations run, then TypeORM's schema
 * diff (what `synchronize` would do) must have nothing left to do: no column, type, default,
 * nullability, check, foreign key, unique or index that differs. Runs on the embedded PostgreSQL
 * and on DATABASE_URL (PostgreSQL 15 in CI).
 */
import assert from 'node:assert/strict';
import { Column, DataSource, type DataSourceOptions, Entity, PrimaryGeneratedColumn } from 'typeorm';
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

  it('checks and index predicates say what the migrations say (PostgreSQL normalises both sides)', async function () {
    this.timeout(60_000);
    // TypeORM compares a check only by name and an index without its WHERE: build the entities' own schema
    // (what synchronize creates) next to the migrated one and compare PostgreSQL's definitions of both.
    const fromEntities = `${schema}_entities`;
    await prepareSchema(url, fromEntities);
    // gen_random_uuid() for generated uuids, as the migrations use (TypeORM's default is uuid-ossp's function).
    const sync = new DataSource({
      ...createDataSource({ url, schema: fromEntities, poolSize: 1 }).options,
      uuidExtension: 'pgcrypto',
      migrations: [],
    } as DataSourceOptions);
    try {
      await sync.initialize();
      await sync.synchronize();
      const checks = (s: string) =>
        ds.query(
          `SELECT c.conrelid::regclass::text AS t, c.conname AS name, pg_get_constraintdef(c.oid) AS def
             FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = $1 AND c.contype = 'c' ORDER BY 2`,
          [s],
        ) as Promise<Array<{ name: string; def: string }>>;
      const predicates = (s: string) =>
        ds.query(
          `SELECT x.indexrelid::regclass::text AS name, am.amname AS method, x.indisunique AS "unique",
                  pg_get_expr(x.indpred, x.indrelid) AS predicate
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
             JOIN pg_namespace n ON n.oid = i.relnamespace
            WHERE n.nspname = $1 ORDER BY 1`,
          [s],
        ) as Promise<Array<{ name: string; method: string; unique: boolean; predicate: string | null }>>;
      const unqualified = <T extends { name: string }>(rows: T[], s: string) =>
        rows.map((r) => ({ ...r, name: r.name.replace(`${s}.`, '') }));
      const [migratedChecks, entityChecks] = [await checks(schema), await checks(fromEntities)];
      assert.deepEqual(
        entityChecks.map(({ name, def }) => ({ name, def })),
        migratedChecks.map(({ name, def }) => ({ name, def })),
        'check constraints',
      );
      const entityIndexes = new Map(unqualified(await predicates(fromEntities), fromEntities).map((r) => [r.name, r]));
      const differing = unqualified(await predicates(schema), schema)
        .filter((r) => entityIndexes.has(r.name))
        .filter((r) => JSON.stringify(r) !== JSON.stringify(entityIndexes.get(r.name)))
        .map((r) => `${r.name}: migration ${JSON.stringify(r)} vs entity ${JSON.stringify(entityIndexes.get(r.name))}`);
      assert.deepEqual(differing, [], 'index method, uniqueness or WHERE');
    } finally {
      if (sync.isInitialized) await sync.destroy();
      await dropSchema(url, fromEntities);
    }
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
