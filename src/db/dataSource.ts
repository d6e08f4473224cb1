/**
 * The TypeORM data source. Entities and migrations are loaded from their folders,
 * so a feature adds files, not registrations. Migrations run at start.
 */
import path from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';

export function createDataSource(opts: { url: string; schema: string; poolSize: number }): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: [path.join(__dirname, '..', 'entities', '*.{ts,js}')],
    migrations: [path.join(__dirname, '..', 'migrations', '*.{ts,js}')],
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: {
      max: opts.poolSize,
      // Every session works in the configured schema, raw queries included.
      options: `-c search_path=${opts.schema}`,
    },
  });
}

export async function prepareSchema(url: string, schema: string): Promise<void> {
  if (schema === 'public') return;
  const ds = new DataSource({ type: 'postgres', url });
  await ds.initialize();
  await ds.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await ds.destroy();
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (schema === 'public') return;
  const ds = new DataSource({ type: 'postgres', url });
  await ds.initialize();
  await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
}

/**
 * True when `err` says the database cannot be reached right now (refused or dropped connection, server
 * shutting down or starting, too many connections, pool wait timed out): the request did nothing and may be
 * retried, so it is answered 503 UNAVAILABLE rather than 500. A failed query (bad SQL, a constraint) is not this.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } };
  if (!e || typeof e !== 'object') return false;
  const code = String(e.driverError?.code ?? e.code ?? '');
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now), 53300.
  if (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  const message = String(e.driverError?.message ?? e.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  );
}

/** What inTransaction retries (PkStore.recordGifts too): serialization failure, deadlock, unique violation. */
export const RETRYABLE = new Set(['40001', '40P01', '23505']);

/**
 * Runs `fn` in a READ COMMITTED transaction and retries it (a few times) on
 * serialization failures, deadlocks and unique violations: the retry re-reads the
 * row a concurrent twin committed, which is how idempotent replays settle races.
 */
export async function inTransaction<T>(
  ds: DataSource,
  fn: (em: EntityManager) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await ds.transaction(fn);
    } catch (err) {
      const code =
        (err as { code?: string; driverError?: { code?: string } }).driverError?.code ??
        (err as { code?: string }).code;
      if (i >= attempts || !code || !RETRYABLE.has(code)) throw err;
    }
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e.driverError?.code ?? e.code) === '23505';
}
