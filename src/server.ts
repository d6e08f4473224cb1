/**
 * Assembles one server process: database (embedded or DATABASE_URL) → migrations →
 * presence/driver (local or Redis) → express + Colyseus on one HTTP server → features.
 * `stop()` drains: matchmaking stops, rooms dispose (and persist), then the database closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalDriver, LocalPresence, type MatchMakerDriver, matchMaker, type Presence, Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { TokenService } from './auth/tokens';
import type { Config } from './config';
import { type AppContext, setContext } from './context';
import { createDataSource, prepareSchema } from './db/dataSource';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './db/embeddedPostgres';
import { type Feature, features as allFeatures, roomDefinitions } from './features';
import { buildApp, type HealthState } from './http/app';
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
  const ran = await ds.runMigrations({ transaction: 'each' });
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

  const health: HealthState = { draining: false };
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
  const actualPort = (httpServer.address() as AddressInfo).port;
  // @colyseus/testing reads the port from here to build its SDK URL.
  (gameServer as unknown as { port: number }).port = actualPort;
  logger.info(
    { port: actualPort, database: embedded ? 'embedded' : 'external', presence: config.REDIS_URL ? 'redis' : 'local' },
    'server listening',
  );

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
