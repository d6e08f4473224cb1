/**
 * Starts the server as a separate process (so bots and server don't share a core's
 * event loop), on loopback, with an ephemeral embedded PostgreSQL unless
 * LOADTEST_DATABASE_URL is given. Measures the server's CPU time from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedPostgres } from '../../src/db/embeddedPostgres';

export interface ServerProcess {
  url: string;
  /** Set when the scenario asked for database access (the harness then owns the database). */
  databaseUrl?: string;
  databaseSchema?: string;
  pid: number;
  env: Record<string, string>;
  operatorAuth: string;
  serviceKey: string;
  /** The last lines the server printed (stdout and stderr). */
  output(): string;
  /** The exit code if the process has exited (a signal gives its name), else null. */
  exitCodeNow(): number | string | null;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** CPU ms used so far by the server's node process. */
  cpuMs(): number;
  /** CPU ms used so far by the server's child processes (the embedded PostgreSQL). */
  childCpuMs(): number;
  /** Marks a moment (CLOCK_MONOTONIC µs, the clock of V8's CPU profiles) so a profile can be cut to a phase. */
  mark(name: string): void;
  marks: Array<{ name: string; us: number }>;
  /** With --profile: where the server writes its .cpuprofile on exit. */
  profileDir?: string;
  stop(): Promise<number | null>;
}

/** What the processes of one run share (a cluster of two on one database and one Redis). */
export interface SharedSetup {
  databaseUrl?: string;
  redisUrl?: string;
  jwtSecret: string;
  operatorPassword: string;
  serviceKey: string;
}

export function newSharedSetup(): SharedSetup {
  return {
    jwtSecret: randomBytes(24).toString('hex'),
    operatorPassword: `op-${randomBytes(8).toString('hex')}`,
    serviceKey: `svc-${randomBytes(12).toString('hex')}`,
  };
}

/** An embedded PostgreSQL this (load-generator) process owns, for scenarios that seed or share it. */
export async function startLoadDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  return startEmbeddedPostgres({
    dir: path.join(os.tmpdir(), `live-arena-loaddb-${randomBytes(4).toString('hex')}`, 'pg'),
    ephemeral: true,
  });
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!parents.has(ppid)) parents.set(ppid, []);
      parents.get(ppid)!.push(Number(d));
    } catch {
      /* process ended */
    }
  }
  const out: number[] = [];
  const stack = [...(parents.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(parents.get(p) ?? []));
  }
  return out;
}

export async function startServerProcess(
  extraEnv: Record<string, string> = {},
  opts: { ownDatabase?: boolean; nodeArgs?: string[]; shared?: SharedSetup; profileDir?: string } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  // A scenario that seeds or checks rows itself gets a database this process owns, shared with the server.
  const db =
    opts.ownDatabase && !process.env.LOADTEST_DATABASE_URL && !opts.shared?.databaseUrl
      ? await startLoadDatabase()
      : undefined;
  const shared = opts.shared ?? newSharedSetup();
  const { operatorPassword, serviceKey } = shared;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    // Each process of a Redis cluster must be reachable at its own address.
    PUBLIC_ADDRESS: `127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    EMBEDDED_PG_DIR: path.join(os.tmpdir(), `live-arena-load-${randomBytes(4).toString('hex')}`, 'pg'),
    EMBEDDED_PG_EPHEMERAL: 'true',
    PASSWORD_HASH_COST: '10',
    RATE_LIMIT_AUTH_MAX: '1000000',
    RATE_LIMIT_WRITE_MAX: '1000000',
    OPERATOR_PASSWORD: operatorPassword,
    // Explicit, so the server does not generate development secrets into the checkout's .data folder.
    JWT_SECRET: shared.jwtSecret,
    SERVICE_API_KEY: serviceKey,
    DATABASE_POOL_SIZE: '40',
    // Registers the baseline `counter` room (absent from a normal server).
    LOADTEST_ROOMS: 'true',
    ...(process.env.LOADTEST_DATABASE_URL
      ? { DATABASE_URL: process.env.LOADTEST_DATABASE_URL, DATABASE_SCHEMA: `load_${randomBytes(4).toString('hex')}` }
      : {}),
    ...(process.env.LOADTEST_REDIS_URL ? { REDIS_URL: process.env.LOADTEST_REDIS_URL } : {}),
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(shared.databaseUrl ? { DATABASE_URL: shared.databaseUrl } : {}),
    ...(shared.redisUrl ? { REDIS_URL: shared.redisUrl } : {}),
    ...extraEnv,
  };
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []),
      '--import',
      'tsx',
      ...(opts.nodeArgs ?? []),
      path.join(__dirname, '..', '..', 'src', 'index.ts'),
    ],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output = (output + d).slice(-20000);
  });
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-20000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Never outlive the process that started us (a test that times out must not leave a server on Redis).
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start:\n${output}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pid = child.pid!;
  const marks: Array<{ name: string; us: number }> = [];
  return {
    marks,
    mark: (name) => marks.push({ name, us: Number(process.hrtime.bigint() / 1000n) }),
    profileDir: opts.profileDir,
    url,
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA ?? 'public',
    pid,
    env,
    output: () => output,
    exitCodeNow: () => child.exitCode ?? child.signalCode ?? null,
    exited,
    operatorAuth: `Basic ${Buffer.from(`admin:${operatorPassword}`).toString('base64')}`,
    serviceKey,
    cpuMs: () => procCpuMs(pid),
    childCpuMs: () => descendants(pid).reduce((sum, p) => sum + procCpuMs(p), 0),
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      await db?.stop();
      return code;
    },
  };
}
