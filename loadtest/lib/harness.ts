/**
 * Load-test harness: scenarios (one file each in loadtest/scenarios/) get a server in
 * a separate process, bots on @colyseus/sdk, latency histograms, a progress line, and
 * the baseline counter room measured in the same run. See loadtest/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Room } from '@colyseus/sdk';
import { ErrorCounter, Histogram, type LatencySummary, round } from './metrics';
import type { ServerProcess } from './serverProcess';

export { ErrorCounter, Histogram, round, type LatencySummary };
export type { ServerProcess };

export type Options = Record<string, number | string | boolean>;

export interface ScenarioContext<O extends Options> {
  server: ServerProcess;
  opts: O;
  /** Prints `line()` every second on stderr until the returned stop() is called. */
  progress(line: () => string): () => void;
  /** Measures the baseline counter room with the same shape (clients, rooms, message rate, time). */
  baseline(shape: BaselineShape): Promise<BaselineResult>;
}

export interface Check {
  name: string;
  pass: boolean;
  detail?: string;
}

export interface ScenarioResult {
  /** Bots that took part. */
  clients: number;
  /** Messages (or requests) the bots sent. */
  messages: number;
  errors: ErrorCounter;
  latency: LatencySummary;
  /** Server CPU ms used during the measured phase (node process only). */
  serverCpuMs: number;
  /** Anything else the scenario measured. */
  extra?: Record<string, unknown>;
  baseline?: BaselineResult;
  checks: Check[];
}

export interface Scenario<O extends Options> {
  name: string;
  description: string;
  defaults: O;
  /** The scenario reads or seeds the database itself (ServerProcess.databaseUrl). */
  needsDatabase?: boolean;
  /** Extra environment for the server process (e.g. a faster patch rate). */
  serverEnv?: (opts: O) => Record<string, string>;
  run(ctx: ScenarioContext<O>): Promise<ScenarioResult>;
}

export function defineScenario<O extends Options>(s: Scenario<O>): Scenario<O> {
  return s;
}

// ---------------------------------------------------------------------------------
// Bots

export interface Bot {
  id: string;
  username: string;
  token: string;
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

export async function http<T = any>(
  server: ServerProcess,
  method: string,
  urlPath: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: { success: boolean; data: T; message?: string; code?: string } }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${urlPath}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = { success: false, message: text };
  }
  return { status: res.status, body };
}

/** Registers `n` users (prefix_xxxx) and returns their tokens. */
export async function registerBots(server: ServerProcess, n: number, prefix = 'bot', concurrency = 32): Promise<Bot[]> {
  const tag = randomBytes(3).toString('hex');
  return pool(n, concurrency, async (i) => {
    const username = `${prefix}_${tag}_${i}`.slice(0, 32);
    const res = await http(server, 'POST', '/api/auth/register', {
      body: { username, password: 'load-test-password' },
    });
    if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.data.user.id, username, token: res.body.data.token };
  });
}

/** Credits coins to each bot through the operator API (real ledger rows). */
export async function creditBots(server: ServerProcess, bots: Bot[], amount: number, concurrency = 32): Promise<void> {
  await pool(bots.length, concurrency, async (i) => {
    const res = await http(server, 'POST', `/api/admin/wallets/${bots[i]!.id}/credit`, {
      headers: { authorization: server.operatorAuth },
      body: { amount, idempotencyKey: randomUUID(), reason: 'load_test' },
    });
    if (res.status >= 300) throw new Error(`credit: ${res.status} ${JSON.stringify(res.body)}`);
  });
}

export function sdkFor(server: ServerProcess, bot: Bot): Client {
  const client = new Client(server.url);
  client.auth.token = bot.token;
  return client;
}

export async function leaveAll(rooms: Room[]): Promise<void> {
  await Promise.all(rooms.map((r) => r.leave(true).catch(() => undefined)));
}

/** Sends `total` items at `ratePerSec`, spread evenly, calling `send(i)`; resolves when all are sent. */
export async function paced(
  total: number,
  ratePerSec: number,
  send: (i: number) => void,
  isStopped = () => false,
): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < total && !isStopped()) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * ratePerSec) + 1);
    for (; i < due; i++) send(i);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------
// Baseline: the counter room, same fan-out, no rules, no database

export interface BaselineShape {
  rooms: number;
  clientsPerRoom: number;
  /** Messages per second across all rooms. */
  ratePerSec: number;
  durationSec: number;
}

export interface BaselineResult extends BaselineShape {
  messages: number;
  deliveries: number;
  latency: LatencySummary;
  serverCpuMs: number;
  /** Server CPU µs per message sent. */
  cpuPerMessageUs: number;
}

export async function runBaseline(
  server: ServerProcess,
  shape: BaselineShape,
  log: (s: string) => void,
): Promise<BaselineResult> {
  const total = shape.rooms * shape.clientsPerRoom;
  const bots = await registerBots(server, total, 'base');
  const latency = new Histogram();
  let deliveries = 0;
  const rooms: Room[][] = [];
  for (let r = 0; r < shape.rooms; r++) {
    const first = await sdkFor(server, bots[r * shape.clientsPerRoom]!).create('counter');
    const members = [first];
    members.push(
      ...(await pool(shape.clientsPerRoom - 1, 32, (i) =>
        sdkFor(server, bots[r * shape.clientsPerRoom + i + 1]!).joinById(first.roomId),
      )),
    );
    rooms.push(members);
  }
  for (const members of rooms)
    for (const room of members)
      room.onMessage('counted', (m: { sentAt?: number }) => {
        deliveries++;
        if (m.sentAt) latency.record(performance.now() + performance.timeOrigin - m.sentAt);
      });
  await sleep(500);
  const messages = Math.round(shape.ratePerSec * shape.durationSec);
  const cpu0 = server.cpuMs();
  const stop = startProgress(() => `baseline: sent ${sent}/${messages}, deliveries ${deliveries}`, log);
  let sent = 0;
  await paced(messages, shape.ratePerSec, (i) => {
    const members = rooms[i % rooms.length]!;
    const sender = members[Math.floor(i / rooms.length) % members.length]!;
    sender.send('inc', { by: 1, sentAt: performance.now() + performance.timeOrigin });
    sent++;
  });
  await sleep(1000);
  const serverCpuMs = server.cpuMs() - cpu0;
  stop();
  await leaveAll(rooms.flat());
  return {
    ...shape,
    messages,
    deliveries,
    latency: latency.summary(),
    serverCpuMs: round(serverCpuMs),
    cpuPerMessageUs: round((serverCpuMs * 1000) / Math.max(1, messages)),
  };
}

// ---------------------------------------------------------------------------------
// Progress and reports

export function startProgress(
  line: () => string,
  log: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): () => void {
  const t0 = Date.now();
  const timer = setInterval(() => log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${line()}`), 1000);
  return () => clearInterval(timer);
}

export function writeReport(name: string, opts: Options, result: ScenarioResult): string {
  const dir = path.join(__dirname, '..', 'reports');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    scenario: name,
    at: new Date().toISOString(),
    opts,
    ...result,
    errors: { total: result.errors.total, byKind: result.errors.byKind },
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

export function summarize(name: string, result: ScenarioResult): string {
  const l = result.latency;
  const lines = [
    `== ${name} ==`,
    `clients ${result.clients}  messages ${result.messages}  errors ${result.errors.total} ${JSON.stringify(result.errors.byKind)}`,
    `latency ms  p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}  (n=${l.count})`,
    `server CPU ${round(result.serverCpuMs)} ms  = ${round((result.serverCpuMs * 1000) / Math.max(1, result.messages))} µs/message`,
  ];
  if (result.baseline) {
    const b = result.baseline;
    const ratio = (result.serverCpuMs * 1000) / Math.max(1, result.messages) / Math.max(0.001, b.cpuPerMessageUs);
    lines.push(
      `baseline (counter room, ${b.rooms}×${b.clientsPerRoom} clients, ${b.ratePerSec}/s for ${b.durationSec}s): ${b.cpuPerMessageUs} µs/message, p99 ${b.latency.p99} ms`,
      `cost ratio vs baseline: ${round(ratio)}×`,
    );
  }
  for (const [k, v] of Object.entries(result.extra ?? {}))
    lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  for (const c of result.checks)
    lines.push(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
  return lines.join('\n');
}
