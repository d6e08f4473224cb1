/** Test harness: the shared server, HTTP calls, users with tokens, SDK clients. */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ColyseusTestServer } from '@colyseus/testing';
import { Client as SDKClient, type Room as SDKRoom } from '@colyseus/sdk';
import { type Config, loadConfig } from '../src/config';
import { dropSchema } from '../src/db/dataSource';
import { type RunningServer, startServer } from '../src/server';

let running: RunningServer | undefined;
let colyseus: ColyseusTestServer | undefined;
export const TEST_SCHEMA = `t_${randomBytes(5).toString('hex')}`;

/** Settings every test server uses; `extra` overrides them (process tests). */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EMBEDDED_PG_DIR: path.join(os.tmpdir(), `live-arena-test-${process.pid}-${randomBytes(3).toString('hex')}`, 'pg'),
    EMBEDDED_PG_EPHEMERAL: 'true',
    DATABASE_SCHEMA: TEST_SCHEMA,
    PASSWORD_HASH_COST: '10',
    RATE_LIMIT_AUTH_MAX: '100000',
    RATE_LIMIT_WRITE_MAX: '100000',
    RATE_LIMIT_READ_MAX: '100000',
    OPERATOR_PASSWORD: 'operator-test-password',
    SERVICE_API_KEY: 'service-test-key-0123456789',
    JWT_SECRET: 'test-secret-0123456789abcdef',
    PK_INVITE_TIMEOUT_MS: '1500',
    PK_MINUTE_MS: '1500',
    PK_COUNTDOWN_MS: '200',
    PK_RESULT_PHASE_MS: '300',
    PK_RECONNECT_GRACE_MS: '1000',
    MULTIHOST_RECONNECT_GRACE_MS: '1000',
    MULTIHOST_INVITE_TIMEOUT_MS: '3000',
    STREAM_RECONNECT_GRACE_MS: '1000',
    SHOP_RESERVATION_TTL_MS: '1500',
    FILTER_TRENDING_TTL_MS: '0',
    // Tests never reach out to the public STUN server that is the default.
    STUN_SERVER_URL: 'none',
    LOADTEST_ROOMS: 'true',
  };
  // The real services CI points us at.
  for (const k of ['DATABASE_URL', 'REDIS_URL'] as const) if (process.env[k]) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

export async function bootTestServer(): Promise<void> {
  running = await startServer(loadConfig(testEnv()), { port: 0 });
  // A shared Redis may still list rooms of a run that was killed: start from an empty registry.
  if (process.env.REDIS_URL)
    await (running.gameServer as unknown as { driver?: { clear(): Promise<void> } }).driver?.clear();
  colyseus = new ColyseusTestServer(running.gameServer);
}

export async function stopTestServer(): Promise<void> {
  if (!running) return;
  const { config } = running.context;
  const url = config.DATABASE_URL;
  await running.stop();
  if (url) await dropSchema(url, config.DATABASE_SCHEMA);
  running = undefined;
}

export function server(): RunningServer {
  if (!running) throw new Error('test server not booted');
  return running;
}
export function testServer(): ColyseusTestServer {
  if (!colyseus) throw new Error('test server not booted');
  return colyseus;
}
export const config = (): Config => server().context.config;

export interface ApiResponse<T = any> {
  status: number;
  body: { success: boolean; data: T; message?: string; code?: string };
  headers: Headers;
}

/** A JSON call to the test server: `api('POST', '/api/pk-battles', { token, body })`. */
export async function api<T = any>(
  method: string,
  urlPath: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; baseUrl?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${opts.baseUrl ?? server().url}${urlPath}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  coins: number;
}

export async function registerUser(prefix = 'u', baseUrl?: string): Promise<TestUser> {
  const username = `${prefix}_${randomBytes(5).toString('hex')}`.slice(0, 32);
  const res = await api('POST', '/api/auth/register', { body: { username, password: 'password-123' }, baseUrl });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body.data.user, token: res.body.data.token };
}

export async function registerUsers(n: number, prefix = 'u'): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => registerUser(prefix)));
}

export function operatorHeaders(): Record<string, string> {
  const c = config();
  return { authorization: `Basic ${Buffer.from(`${c.OPERATOR_USERNAME}:${c.operatorPassword}`).toString('base64')}` };
}

/** Sets a user's balance up through the operator API (a real ledger credit). */
export async function credit(userId: string, amount: number, baseUrl?: string): Promise<void> {
  const res = await api('POST', `/api/admin/wallets/${userId}/credit`, {
    headers: operatorHeaders(),
    body: { amount, idempotencyKey: randomUUID() },
    baseUrl,
  });
  if (res.status >= 300) throw new Error(`credit failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** An SDK client signed in as `user`, talking to the test server over a real WebSocket. */
export function sdk(user?: TestUser, baseUrl?: string): SDKClient {
  const client = new SDKClient(baseUrl ?? server().url);
  if (user) client.auth.token = user.token;
  return client;
}

/** Resolves with the next message of `type` on an SDK room (rejects after `ms`). */
export function nextMessage<T = any>(room: SDKRoom, type: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for "${type}"`));
    }, ms);
    const off = room.onMessage(type, (payload: T) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Collects every message of `type` from now on. */
export function collect<T = any>(room: SDKRoom, type: string): T[] {
  const items: T[] = [];
  room.onMessage(type, (m: T) => items.push(m));
  return items;
}

/** Polls until `check` returns truthy (rejects after `ms`). */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Joins the caller's inbox and waits for its backlog, so nothing sent after this is missed. */
export async function joinInbox(user: TestUser, baseUrl?: string) {
  const room = await sdk(user, baseUrl).joinOrCreate('inbox');
  const backlog = nextMessage(room, 'inbox:backlog');
  room.send('inbox:sync', {});
  const answer = await backlog;
  return {
    room,
    backlog: answer.notifications as Array<{ event: string; payload: any }>,
    balance: answer.balance as number,
  };
}
