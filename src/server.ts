/**
 * Assembles one server process: database (embedded or DATABASE_URL) → migrations →
 * presence/driver (local or Redis) → express + Colyseus on one HTTP server → features →
 * crash recovery (every feature's `ready` hook, once at a time across processes) → healthy.
 * `stop()` drains: matchmaking stops, rooms dispose (and persist), then the database closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalDriver, LocalPresence, type MatchMakerDriver, matchMaker, type Presence, Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import type { DataSource } from 'typeorm';
import { TokenService } from './auth/tokens';
import type { Config } from './config';
import { type AppContext, setContext } from './context';
import { createDataSource, prepareSchema } from './db/dataSource';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './db/embeddedPostgres';
import type { Feature } from './feature';
import { features as allFeatures, roomDefinitions } from './features';
import { buildApp, type HealthState } from './http/app';
import { installFastOrderRoute } from './http/fastOrderRoute';
import { logger } from './logger';
import { restrictClientMatchmaking } from './rooms/roomCreation';
import { Notifier } from './notify/notifier';
import { UserStore } from './stores/userStore';
import { WalletStore } from './stores/walletStore';

export interface RunningServer {
  port: number;
  url: string;
  gameServer: Server;
  context: AppContext;
  /** Graceful: refuse new joins, dispose rooms (they persist), close the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  features?: Feature[];
  /** Overrides config.PORT (tests pass 0 for a free port). */
  port?: number;
}

async function createPresence(config: Config): Promise<{ presence: Presence; driver: MatchMakerDriver }> {
  if (!config.REDIS_URL) return { presence: new LocalPresence(), driver: new LocalDriver() };
  const [{ RedisPresence }, { RedisDriver }] = await Promise.all([
    import('@colyseus/redis-presence'),
    import('@colyseus/redis-driver'),
  ]);
  return { presence: new RedisPresence(config.REDIS_URL), driver: new RedisDriver(config.REDIS_URL) };
}

/**
 * Runs `fn` while holding a PostgreSQL advisory lock keyed by the schema and step, so that of
 * several processes starting together on one database only one migrates or recovers at a time
 * (the others wait, then find nothing left to do). The lock is a session lock on one pooled
 * connection; it is released on return, or by PostgreSQL if this process dies.
 */
export async function withStartupLock<T>(
  ds: DataSource,
  schema: string,
  step: string,
  fn: () => Promise<T>,
): Promise<T> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  const key = `live-arena:${schema}:${step}`;
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  logger.level = config.LOG_LEVEL;
  const features = opts.features ?? allFeatures;

  let embedded: EmbeddedDatabase | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dir: config.EMBEDDED_PG_DIR, ephemeral: config.EMBEDDED_PG_EPHEMERAL });
    url = embedded.url;
  }
  await prepareSchema(url, config.DATABASE_SCHEMA);
  const ds = createDataSource({ url, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE });
  await ds.initialize();
  // Two processes starting together on one database: one migrates, the other waits and finds nothing to do.
  const ran = await withStartupLock(ds, config.DATABASE_SCHEMA, 'migrations', () =>
    ds.runMigrations({ transaction: 'each' }),
  );
  if (ran.length) logger.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');

  const { presence, driver } = await createPresence(config);
  const wallet = new WalletStore(ds);
  const context: AppContext = {
    config,
    ds,
    presence,
    tokens: new TokenService(config.jwtSecret, config.JWT_TTL_SECONDS),
    wallet,
    users: new UserStore(ds, wallet),
    notifier: new Notifier(ds, presence),
    logger,
  };
  setContext(context);
  for (const f of features) await f.start?.(context);

  const health: HealthState = { draining: false, starting: true };
  const app = buildApp(context, features, health);
  const httpServer = http.createServer(app);
  const port = opts.port ?? config.PORT;
  const gameServer = new Server({
    transport: new WebSocketTransport({
      server: httpServer,
      maxPayload: 64 * 1024,
      pingInterval: 5000,
      pingMaxRetries: 3,
    }),
    presence,
    driver,
    publicAddress: config.PUBLIC_ADDRESS,
    gracefullyShutdown: false,
    greet: false,
    devMode: false,
  });
  restrictClientMatchmaking();
  for (const [name, room] of Object.entries(roomDefinitions(features, config))) gameServer.define(name, room);
  await gameServer.listen(port, config.HOST);
  // The flash-sale order route, lean, in front of Colyseus' router and express (see the file).
  if (features.some((f) => f.name === 'live-shopping')) installFastOrderRoute(httpServer, context);
  const actualPort = (httpServer.address() as AddressInfo).port;
  // @colyseus/testing reads the port from here to build its SDK URL.
  (gameServer as unknown as { port: number }).port = actualPort;
  logger.info(
    { port: actualPort, database: embedded ? 'embedded' : 'external', presence: config.REDIS_URL ? 'redis' : 'local' },
    'server listening',
  );
  // Crash recovery: rows a dead process left live are closed before /healthz says ok. It needs the
  // matchmaker (with Redis, a room alive on another process is left alone), so it runs after listen.
  await withStartupLock(ds, config.DATABASE_SCHEMA, 'recovery', async () => {
    for (const f of features) await f.ready?.(context);
  });
  health.starting = false;
  logger.info('recovery done, ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      health.draining = true;
      logger.info({ rooms: matchMaker.stats.local.roomCount }, 'draining: disposing rooms');
      await gameServer.gracefullyShutdown(false);
      httpServer.closeAllConnections?.();
      for (const f of [...features].reverse())
        await f.stop?.(context).catch((err) => logger.error({ err, feature: f.name }, 'feature stop failed'));
      await ds.destroy();
      await embedded?.stop();
      setContext(undefined);
      logger.info('stopped');
    })());

  return { port: actualPort, url: `http://127.0.0.1:${actualPort}`, gameServer, context, stop };
}
