/**
 * Helpers for the fault suite: each case runs real server processes (src/index.ts, as
 * `npm start` does) that the test kills or starves, then checks the sums in the database.
 * Each case gets its own PostgreSQL schema on the test run's database, so a recovery run by
 * a spawned server never touches the test run's own rows (or another case's).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startServerProcess, type ServerProcess } from '../../loadtest/lib/serverProcess';
import { dropSchema } from '../../src/db/dataSource';
import { api, registerUser, server, type TestUser, testEnv } from '../helpers';

export { startServerProcess, type ServerProcess };

export function testDatabaseUrl(): string {
  return (server().context.ds.options as { url?: string }).url!;
}

/** Env for a server process on the test database in `schema`; secrets fixed so restarts share them. */
export function faultEnv(schema: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: testEnv().JWT_SECRET!,
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_SCHEMA: schema,
    REDIS_URL: '',
    LOG_LEVEL: 'info',
    OPERATOR_PASSWORD: 'fault-operator-password',
    SERVICE_API_KEY: 'fault-service-key-0123456789',
    PK_COUNTDOWN_MS: '0',
    ...extra,
  };
}

export const newSchema = () => `f_${randomBytes(5).toString('hex')}`;

export async function dropFaultSchema(schema: string): Promise<void> {
  await dropSchema(testDatabaseUrl(), schema);
}

/** A plain pg client working in `schema` (the checks read the rows directly). */
export async function sql(schema: string, url = testDatabaseUrl()) {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  return {
    q: async <T = any>(text: string, args: unknown[] = []): Promise<T[]> => (await client.query(text, args)).rows,
    end: () => client.end(),
  };
}

export async function creditOn(p: ServerProcess, user: TestUser, amount: number): Promise<void> {
  const res = await api('POST', `/api/admin/wallets/${user.id}/credit`, {
    baseUrl: p.url,
    headers: operator(),
    body: { amount, idempotencyKey: randomUUID() },
  });
  assert.ok(res.status < 300, JSON.stringify(res.body));
}

export async function usersOn(p: ServerProcess, n: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => registerUser(prefix, p.url)));
}

/** kill -9 the server's node process and wait until it is gone. */
export async function kill9(p: ServerProcess): Promise<void> {
  process.kill(p.pid, 'SIGKILL');
  await p.exited;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export const operator = () => ({
  authorization: `Basic ${Buffer.from('admin:fault-operator-password').toString('base64')}`,
});
export const service = () => ({ 'x-service-key': 'fault-service-key-0123456789' });
