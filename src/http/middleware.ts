/** Express middleware shared by every router: auth, operator/service auth, rate limits, errors. */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Presence } from '@colyseus/core';
import {
  type ClientRateLimitInfo,
  ipKeyGenerator,
  MemoryStore,
  type Options,
  rateLimit,
  type Store,
} from 'express-rate-limit';
import type { AuthUser } from '../auth/tokens';
import type { AppContext } from '../context';
import { isDatabaseUnavailable } from '../db/dataSource';
import { AppError, ErrorCode, toAppError, unauthorized } from '../errors';

declare global {
  namespace Express {
    interface Request {
      id: string;
      user?: AuthUser;
    }
  }
}

/** `{ success: true, data }` with the given status. */
export function ok(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ success: true, data });
}

/** The authenticated user of a route behind requireAuth. */
export function me(req: Request): AuthUser {
  if (!req.user) throw unauthorized();
  return req.user;
}

export function bearerToken(req: Request): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/**
 * Bearer auth for everything under /api except the public paths. Operator (Basic) and service
 * (X-Service-Key) credentials are never a bypass: they are accepted only under the paths that
 * take them (`/admin/...` for the operator; `credentialPaths` for the service key, e.g. the
 * payment callback), and those routes verify them again with requireOperator / requireService.
 * User routes read the caller with `me(req)`, which is 401 without a verified token.
 */
export function apiAuth(c: AppContext, publicPaths: RegExp[], credentialPaths: RegExp[] = []): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    if (token) {
      req.user = c.tokens.verify(token);
      return next();
    }
    if (publicPaths.some((p) => p.test(req.path))) return next();
    const h = req.headers.authorization ?? '';
    if (h.startsWith('Basic ') && OPERATOR_PATHS.some((p) => p.test(req.path)))
      return requireOperator(c)(req, res, next);
    if (req.headers['x-service-key'] && credentialPaths.some((p) => p.test(req.path))) {
      return requireService(c)(req, res, next);
    }
    throw unauthorized('Missing bearer token');
  };
}

/** Where operator Basic credentials are accepted under /api (plus POST /api/gifts, which is operator-only). */
const OPERATOR_PATHS = [/^\/admin(\/|$)/, /^\/gifts\/?$/];

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const operatorGuards = new WeakMap<AppContext, OperatorGuard>();

/** Failed operator logins per IP per window (OPERATOR_AUTH_MAX_FAILURES), shared by every mount. */
class OperatorGuard {
  private readonly store: Store;
  constructor(private readonly c: AppContext) {
    this.store = rateLimitStore(c, 'opfail');
    void this.store.init?.({ windowMs: c.config.RATE_LIMIT_WINDOW_MS } as never);
  }
  private key(req: Request) {
    return ipKeyGenerator(req.ip ?? '0.0.0.0');
  }
  async blocked(req: Request): Promise<boolean> {
    const info = await this.store.get?.(this.key(req));
    return (info?.totalHits ?? 0) >= this.c.config.OPERATOR_AUTH_MAX_FAILURES;
  }
  async failed(req: Request): Promise<void> {
    await this.store.increment(this.key(req));
  }
}

/** HTTP Basic with the operator credentials from config (admin API and /monitor); failed attempts are limited. */
export function requireOperator(c: AppContext): RequestHandler {
  const g = operatorGuards.get(c) ?? new OperatorGuard(c);
  operatorGuards.set(c, g);
  return (req, res, next) => {
    void (async () => {
      if (await g.blocked(req)) {
        res.status(429).json({
          success: false,
          message: 'Too many failed operator logins, try again later',
          code: ErrorCode.RATE_LIMITED,
        });
        return;
      }
      const h = req.headers.authorization ?? '';
      if (h.startsWith('Basic ')) {
        const [user, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
        if (safeEqual(user ?? '', c.config.OPERATOR_USERNAME) && safeEqual(rest.join(':'), c.config.operatorPassword)) {
          next();
          return;
        }
        await g.failed(req);
      }
      res.setHeader('WWW-Authenticate', 'Basic realm="operator"');
      res.status(401).json({ success: false, message: 'Operator credentials required', code: ErrorCode.UNAUTHORIZED });
    })().catch(next);
  };
}

/** `X-Service-Key: <SERVICE_API_KEY>` for server-to-server callbacks (payments). */
export function requireService(c: AppContext): RequestHandler {
  return (req, _res, next) => {
    const key = req.headers['x-service-key'];
    if (!c.config.SERVICE_API_KEY || typeof key !== 'string' || !safeEqual(key, c.config.SERVICE_API_KEY)) {
      throw unauthorized('Service credentials required');
    }
    next();
  };
}

/** The caller's `X-Request-Id` when it is a sane one, else a fresh id. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
}

export function requestId(): RequestHandler {
  return (req, res, next) => {
    req.id = requestIdOf(req.headers);
    res.setHeader('X-Request-Id', req.id);
    next();
  };
}

/** One JSON line per request; never the query string (tokens ride WebSocket URLs). */
export function accessLog(c: AppContext): RequestHandler {
  return (req, res, next) => {
    logAccess(c, req, res);
    next();
  };
}

/**
 * Logs `req` when `res` finishes (the access log's one line; the lean order route calls it too).
 * At LOG_LEVEL warn or above only failures (5xx) are logged: nothing to measure for the rest.
 */
export function logAccess(
  c: AppContext,
  req: { id: string; method?: string; path: string; user?: AuthUser },
  res: ServerResponse,
): void {
  if (!c.logger.isLevelEnabled('info') && !c.logger.isLevelEnabled('error')) return;
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    if (res.statusCode < 500 && !c.logger.isLevelEnabled('info')) return;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const entry = {
      reqId: req.id,
      method: req.method,
      path: req.path,
      status: res.statusCode,
      ms: Math.round(ms * 10) / 10,
      user: req.user?.id,
    };
    if (res.statusCode >= 500) c.logger.error(entry, 'request');
    else c.logger.info(entry, 'request');
  });
}

const limited = (_req: Request, res: Response) => res.status(429).json(RATE_LIMITED_BODY);

/** Per-IP limit on auth routes (register/login). */
export function authRateLimit(c: AppContext): RequestHandler {
  return rateLimit({
    store: rateLimitStore(c, 'auth'),
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
    limit: c.config.RATE_LIMIT_AUTH_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: limited,
  });
}

/** The body of every 429 a rate limit answers. */
export const RATE_LIMITED_BODY = {
  success: false,
  message: 'Too many requests, slow down',
  code: ErrorCode.RATE_LIMITED,
};

/** The write limit of one app: its middleware, and its store and figures for the lean order route to count in. */
export interface WriteLimit {
  middleware: RequestHandler;
  store: Store;
  limit: number;
  windowMs: number;
}
const writeLimits = new WeakMap<AppContext, WriteLimit>();

/**
 * The write limit (one per context, so the lean order route in fastOrderRoute.ts counts in the same
 * store as every other write: one limit per user, whichever path a request takes).
 */
export function writeLimit(c: AppContext): WriteLimit {
  const known = writeLimits.get(c);
  if (known) return known;
  const store = rateLimitStore(c, 'write');
  const limiter = rateLimit({
    store,
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
    limit: c.config.RATE_LIMIT_WRITE_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: limited,
    keyGenerator: (req) => req.user?.id ?? ipKeyGenerator(req.ip ?? '0.0.0.0'),
  });
  const w: WriteLimit = {
    middleware: (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : limiter(req, res, next)),
    store,
    limit: c.config.RATE_LIMIT_WRITE_MAX,
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
  };
  writeLimits.set(c, w);
  return w;
}

/** Per-user (or per-IP) limit on every write (POST/PUT/PATCH/DELETE) under /api; mount after apiAuth. */
export function writeRateLimit(c: AppContext): RequestHandler {
  return writeLimit(c).middleware;
}

/** Per-user (or per-IP) limit on reads (GET/HEAD) under /api, RATE_LIMIT_READ_MAX per window; mount after apiAuth. */
export function readRateLimit(c: AppContext): RequestHandler {
  const limiter = rateLimit({
    store: rateLimitStore(c, 'read'),
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
    limit: c.config.RATE_LIMIT_READ_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: limited,
    keyGenerator: (req) => req.user?.id ?? ipKeyGenerator(req.ip ?? '0.0.0.0'),
  });
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? limiter(req, res, next) : next());
}

/**
 * With REDIS_URL, counters live in Redis (through the Colyseus presence: INCR + EXPIRE), so N
 * processes share one limit instead of giving N×; without it, express-rate-limit's memory store.
 */
export function rateLimitStore(c: AppContext, name: string): Store {
  // Namespaced by the database schema: deployments (and test runs) sharing a Redis do not share counters.
  const prefix = `rl:${c.config.DATABASE_SCHEMA}:${name}:`;
  return c.config.REDIS_URL ? new PresenceRateLimitStore(c.presence, prefix) : new MemoryStore();
}

/** A fixed-window express-rate-limit store on the presence (Redis): INCR, EXPIRE on the first hit. */
export class PresenceRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;
  constructor(
    private readonly presence: Presence,
    readonly prefix: string,
  ) {}
  init(options: Options): void {
    this.windowMs = options.windowMs;
  }
  private async ttlEnd(key: string, hits: number): Promise<Date> {
    const k = this.prefix + key;
    if (hits === 1) await this.presence.expire(k, Math.max(1, Math.ceil(this.windowMs / 1000)));
    return new Date(Date.now() + this.windowMs);
  }
  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const v = await this.presence.get(this.prefix + key);
    return v === null || v === undefined ? undefined : { totalHits: Number(v), resetTime: undefined };
  }
  async increment(key: string): Promise<ClientRateLimitInfo> {
    const totalHits = await this.presence.incr(this.prefix + key);
    return { totalHits, resetTime: await this.ttlEnd(key, totalHits) };
  }
  async decrement(key: string): Promise<void> {
    await this.presence.decr(this.prefix + key);
  }
  async resetKey(key: string): Promise<void> {
    await this.presence.del(this.prefix + key);
  }
}

export function notFoundHandler(): RequestHandler {
  return (_req, res) => {
    res.status(404).json({ success: false, message: 'Route not found', code: ErrorCode.NOT_FOUND });
  };
}

/** The one place errors become responses: `{ success: false, message, code }`. */
export function errorHandler(c: AppContext): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendAppError(res, errorAnswer(c, err, req));
  };
}

/** What a failure is answered with (unexpected ones are logged and become a bare 500). */
export function errorAnswer(c: AppContext, err: unknown, req: { id: string; path: string }): AppError {
  let e = toAppError(err);
  const bodyErr = err as { type?: string; status?: number };
  if (!e && bodyErr?.type === 'entity.parse.failed') e = MALFORMED_JSON();
  if (!e && bodyErr?.type === 'entity.too.large') e = new AppError(ErrorCode.VALIDATION, 'Body too large', 413);
  // A path with a malformed percent-encoding (`/api/pk-battles/%FF`): the router cannot decode the parameter.
  if (!e && err instanceof URIError) e = new AppError(ErrorCode.VALIDATION, 'Malformed percent-encoding in the path');
  if (!e && isDatabaseUnavailable(err)) {
    c.logger.warn({ err, reqId: req.id, path: req.path }, 'database unavailable');
    e = DATABASE_UNAVAILABLE();
  }
  if (!e) {
    c.logger.error({ err, reqId: req.id, path: req.path }, 'unhandled error');
    e = new AppError(ErrorCode.INTERNAL, 'Internal server error');
  }
  return e;
}

export const DATABASE_UNAVAILABLE = () =>
  new AppError(ErrorCode.UNAVAILABLE, 'The database is unavailable; nothing was changed, retry shortly');

export const MALFORMED_JSON = () => new AppError(ErrorCode.VALIDATION, 'Malformed JSON body');

/** The error body every failure gets: `{ success: false, message, code }` with the error's status. */
export function sendAppError(res: Response, e: AppError): void {
  res.status(e.status).json({ success: false, message: e.message, code: e.code });
}
