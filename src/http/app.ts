/** The express app: security headers, CORS, JSON bodies, logs, /healthz, /monitor, /api. */
import { monitor } from '@colyseus/monitor';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import type { AppContext } from '../context';
import type { Feature } from '../feature';
import { sfuStatus } from '../rtc/sfu';
import { webClient } from './webClient';
import {
  accessLog,
  apiAuth,
  errorHandler,
  notFoundHandler,
  readRateLimit,
  requestId,
  requireOperator,
  writeRateLimit,
} from './middleware';

/** The monitor's room list: stream title, host(s) and viewers come from each room's listing metadata. */
const MONITOR_COLUMNS: NonNullable<Parameters<typeof monitor>[0]>['columns'] = [
  'roomId',
  'name',
  { metadata: 'title' },
  { metadata: 'host' },
  { metadata: 'viewerCount' },
  'clients',
  'elapsedTime',
];

export interface HealthState {
  draining: boolean;
  /** True until crash recovery (every feature's `ready` hook) has run: not healthy yet. */
  starting?: boolean;
}

/** The largest JSON body accepted (413 above); the lean order route (fastOrderRoute.ts) reads the same figure. */
export const JSON_BODY_LIMIT = 256 * 1024;

/** helmet's security headers, then CORS: every API answer carries them (the lean order route too). */
export function securityHeaders(c: AppContext): express.RequestHandler[] {
  return [
    helmet(),
    cors({ origin: c.config.CORS_ORIGIN === '*' ? true : c.config.CORS_ORIGIN.split(','), maxAge: 600 }),
  ];
}

export function buildApp(c: AppContext, features: Feature[], health: HealthState): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestId());
  app.use(accessLog(c));
  // The monitor is an SPA with inline scripts: it gets its own (operator-only) mount before helmet's CSP.
  app.use('/monitor', requireOperator(c), monitor({ columns: MONITOR_COLUMNS }) as unknown as express.RequestHandler);
  for (const h of securityHeaders(c)) app.use(h);
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  app.use(webClient(c.logger));

  app.get('/healthz', async (_req, res) => {
    const checks: Record<string, string> = {};
    // Raw error text (hosts, users, SQL) is logged, never answered: this endpoint is public.
    await c.ds.query('SELECT 1').then(
      () => (checks.database = 'ok'),
      (err: unknown) => {
        c.logger.warn({ err }, 'healthz: database check failed');
        checks.database = 'error';
      },
    );
    await Promise.race([
      Promise.resolve(c.presence.setex('healthz', String(Date.now()), 5)).then(() => (checks.presence = 'ok')),
      new Promise((r) => setTimeout(r, 1000)).then(() => (checks.presence ??= 'timeout')),
    ]).catch((err: unknown) => {
      c.logger.warn({ err }, 'healthz: presence check failed');
      checks.presence = 'error';
    });
    const healthy = !health.draining && !health.starting && Object.values(checks).every((v) => v === 'ok');
    const status = health.draining ? 'draining' : health.starting ? 'starting' : healthy ? 'ok' : 'degraded';
    // Reported, not required: without an SFU the server still runs (mesh only).
    checks.sfu = sfuStatus();
    res.status(healthy ? 200 : 503).json({ status, checks, uptime: process.uptime() });
  });

  const api = express.Router();
  api.use(
    apiAuth(
      c,
      features.flatMap((f) => f.publicPaths ?? []),
      features.flatMap((f) => f.servicePaths ?? []),
    ),
  );
  api.use(readRateLimit(c));
  api.use(writeRateLimit(c));
  for (const f of features) for (const { path, router } of f.routes?.(c) ?? []) api.use(path, router);
  app.use('/api', api);
  app.use('/api', notFoundHandler());
  app.use(errorHandler(c));
  return app;
}
