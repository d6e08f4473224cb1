/**
 * Load-test harness: scenarios (one file each in loadtest/scenarios/) get a server in
 * a separate process, bots on @colyseus/sdk, latency histograms, a progress line, and
 * the baseline counter room measured in the same run. See loadtest/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Client, type Room } from '@colyseus/sdk';
import { CountWatch } from './countWatch';
import { ErrorCounter, Histogram, type LatencySummary, round } from './metrics';
import type { ServerProcess } from './serverProcess';

export { ErrorCounter, Histogram, round, type LatencySummary };
export type { ServerProcess };

export type Options = Record<string, number | string | boolean>;

export interface ScenarioContext<O extends Options> {
  /** The (first) server process. */
  server: ServerProcess;
  /** Every server process of the run (two for a cluster scenario). */
  servers: ServerProcess[];
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
  /** With --profile: the server's CPU profile summarised per measured phase. */
  profiles?: unknown[];
}

export interface Scenario<O extends Options> {
  name: string;
  description: string;
  defaults: O;
  /** The scenario reads or seeds the database itself (ServerProcess.databaseUrl). */
  needsDatabase?: boolean;
  /** Server processes to run on one database and Redis (default 1). */
  processes?: (opts: O) => number;
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
// Baseline: what a bare Colyseus room does for the same job (no rules, no database)

export interface BaselineShape {
  rooms: number;
  clientsPerRoom: number;
  /** Messages per second across all rooms. */
  ratePerSec: number;
  durationSec: number;
  /** The counter room's patch interval: the cadence at which the measured room delivers the same number. */
  patchRateMs: number;
  /** Worker threads hosting a share of the clients (as the scenario's own bots). */
  workers?: number;
  /** Reuse the scenario's users (at least rooms × clientsPerRoom) instead of registering new ones. */
  bots?: Bot[];
}

export interface BaselineResult extends Omit<BaselineShape, 'bots'> {
  messages: number;
  /** Increments that reached every client. */
  delivered: number;
  /** Send of increment k → the last client's patch showing count >= k. */
  latency: LatencySummary;
  serverCpuMs: number;
  /** Server CPU µs per message sent. */
  cpuPerMessageUs: number;
}

/** Joins `bots` to room `roomId` from `workers` threads plus this one; resolves with this thread's rooms. */
async function spreadJoin(
  server: ServerProcess,
  bots: Bot[],
  roomIds: string[],
  workers: number,
  maxCount: number,
): Promise<{ mine: Room[][]; threads: Worker[] }> {
  const shares = workers + 1;
  const jobs: Array<Array<{ token: string; roomId: string }>> = Array.from({ length: workers }, () => []);
  const perRoom = bots.length / roomIds.length;
  const mine: Room[][] = roomIds.map(() => []);
  const mineToJoin: Array<{ bot: Bot; r: number }> = [];
  bots.forEach((bot, i) => {
    const r = Math.floor(i / perRoom);
    const k = i % perRoom;
    // Each room's first client (the sender) stays in this thread.
    if (k % shares === 0) mineToJoin.push({ bot, r });
    else jobs[(k % shares) - 1]!.push({ token: bot.token, roomId: roomIds[r]! });
  });
  const threads = jobs.map(
    (viewers) =>
      new Worker(path.join(__dirname, 'counterViewerWorker.ts'), {
        workerData: { url: server.url, viewers, maxCount, roomIds },
        execArgv: ['--import', 'tsx'],
      }),
  );
  const joined = threads.map((w) => nextMessage(w, 'joined'));
  await pool(mineToJoin.length, 32, async (j) => {
    const { bot, r } = mineToJoin[j]!;
    const room = await sdkFor(server, bot).joinById(roomIds[r]!);
    room.onMessage('*', () => undefined);
    mine[r]!.push(room);
  });
  await Promise.all(joined);
  return { mine, threads };
}

/** The next message of `type` from a worker thread (rejects on its `error`). */
export function nextMessage<T = any>(w: Worker, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const on = (m: { type: string; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      else if (m.type === type) {
        w.off('message', on);
        resolve(m as T);
      }
    };
    w.on('message', on);
    w.once('error', reject);
  });
}

/**
 * The honest baseline: a bare Colyseus room with one number in schema state, incremented per
 * message and synced by patch at `patchRateMs`, same clients, rooms, rate and duration as the
 * scenario, clients spread over the same threads. Latency: send of increment k → every client of
 * the room saw count >= k.
 */
export async function runBaseline(
  server: ServerProcess,
  shape: BaselineShape,
  log: (s: string) => void,
): Promise<BaselineResult> {
  const total = shape.rooms * shape.clientsPerRoom;
  const bots = shape.bots?.slice(0, total) ?? (await registerBots(server, total, 'base'));
  if (bots.length < total) throw new Error(`baseline needs ${total} users, got ${bots.length}`);
  const messages = Math.round(shape.ratePerSec * shape.durationSec);
  const perRoom = Math.ceil(messages / shape.rooms);
  const roomIds: string[] = [];
  const creators: Room[] = [];
  for (let r = 0; r < shape.rooms; r++) {
    // The creator is a watcher too (one of clientsPerRoom); it joins here, the rest spread below.
    const first = await sdkFor(server, bots[r * shape.clientsPerRoom]!).create('counter', {
      patchRateMs: shape.patchRateMs,
    });
    first.onMessage('*', () => undefined);
    creators.push(first);
    roomIds.push(first.roomId);
  }
  const rest = bots.filter((_, i) => i % shape.clientsPerRoom !== 0);
  const restShape = rest.length / shape.rooms;
  const { mine, threads } = await spreadJoin(server, rest, roomIds, shape.workers ?? 0, perRoom);
  const watches = roomIds.map(() => new CountWatch(perRoom));
  for (const [r, rooms] of mine.entries()) for (const room of [creators[r]!, ...rooms]) watches[r]!.attach(room);
  await sleep(500);
  const sentAt = roomIds.map(() => new Float64Array(perRoom + 1));
  const sentPerRoom = roomIds.map(() => 0);
  const cpu0 = server.cpuMs();
  server.mark('baseline:start');
  let sent = 0;
  const stop = startProgress(() => `baseline: sent ${sent}/${messages}`, log);
  await paced(messages, shape.ratePerSec, (i) => {
    const r = i % roomIds.length;
    const senders = [creators[r]!, ...mine[r]!];
    const k = ++sentPerRoom[r]!;
    sentAt[r]![k] = performance.timeOrigin + performance.now();
    senders[Math.floor(i / roomIds.length) % senders.length]!.send('inc', { by: 1 });
    sent++;
  });
  await sleep(1000);
  const serverCpuMs = server.cpuMs() - cpu0;
  server.mark('baseline:end');
  stop();
  const reports = await Promise.all(
    threads.map((w) => {
      const got = nextMessage<{ worst: Float64Array; seen: Int32Array; index?: number }>(w, 'report');
      w.postMessage({ type: 'report' });
      return got;
    }),
  );
  // Which room each worker's clients were in: every worker holds clients of every room, in order.
  const latency = new Histogram();
  let delivered = 0;
  for (let r = 0; r < roomIds.length; r++) {
    const inThisThread = 1 + mine[r]!.length;
    const expectedElsewhere = restShape - mine[r]!.length;
    for (let k = 1; k <= sentPerRoom[r]!; k++) {
      let worst = watches[r]!.worst[k]!;
      let seen = watches[r]!.seen[k]!;
      for (const rep of reports) {
        worst = Math.max(worst, rep.worst[r * (perRoom + 1) + k] ?? 0);
        seen += rep.seen[r * (perRoom + 1) + k] ?? 0;
      }
      if (seen === inThisThread + expectedElsewhere) {
        delivered++;
        latency.record(worst - sentAt[r]![k]!);
      }
    }
  }
  await leaveAll([...creators, ...mine.flat()]);
  await Promise.all(
    threads.map(async (w) => {
      const left = nextMessage(w, 'left');
      w.postMessage({ type: 'leave' });
      await left;
      await w.terminate();
    }),
  );
  const { bots: _bots, ...plain } = shape;
  return {
    ...plain,
    messages,
    delivered,
    latency: latency.summary(),
    serverCpuMs: round(serverCpuMs),
    cpuPerMessageUs: round((serverCpuMs * 1000) / Math.max(1, messages)),
  };
}

/** The two ratios every scenario reports against the baseline of the same run. */
export function baselineRatios(
  result: { serverCpuMs: number; messages: number; latency: LatencySummary },
  b: BaselineResult,
): { cpuPerMessage: number; p99: number } {
  const cpu = (result.serverCpuMs * 1000) / Math.max(1, result.messages);
  return {
    cpuPerMessage: round(cpu / Math.max(0.001, b.cpuPerMessageUs)),
    p99: round(result.latency.p99 / Math.max(0.001, b.latency.p99)),
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
    const r = baselineRatios(result, b);
    lines.push(
      `baseline (bare counter room, ${b.rooms}×${b.clientsPerRoom} clients, ${b.ratePerSec}/s for ${b.durationSec}s, patches every ${b.patchRateMs} ms), same run: ${b.cpuPerMessageUs} µs/message, p50 ${b.latency.p50} / p99 ${b.latency.p99} ms, ${b.delivered}/${b.messages} on every client`,
      `vs baseline: CPU per message ${r.cpuPerMessage}×, p99 ${r.p99}×`,
    );
  }
  for (const [k, v] of Object.entries(result.extra ?? {}))
    lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  for (const c of result.checks)
    lines.push(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
  return lines.join('\n');
}
