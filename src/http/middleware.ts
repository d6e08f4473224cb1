/** Express middleware shared by every router: auth, operator/service auth, rate limits, errors. */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { AuthUser } from '../auth/tokens';
import type { AppContext } from '../context';
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
 * Bearer auth for everything under /api except the public paths. Requests that carry
 * operator (Basic) or service (X-Service-Key) credentials pass through to routes that
 * check those themselves; user routes read the caller with `me(req)`, which is 401
 * without a verified token.
 */
export function apiAuth(c: AppContext, publicPaths: RegExp[]): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req);
    if (token) {
      req.user = c.tokens.verify(token);
      return next();
    }
    const h = req.headers.authorization ?? '';
    if (h.startsWith('Basic ') || req.headers['x-service-key'] || publicPaths.some((p) => p.test(req.path)))
      return next();
    throw unauthorized('Missing bearer token');
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HTTP Basic with the operator credentials from config (admin API and /monitor). */
export function requireOperator(c: AppContext): RequestHandler {
  return (req, res, next) => {
    const h = req.headers.authorization ?? '';
    if (h.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
      if (safeEqual(user ?? '', c.config.OPERATOR_USERNAME) && safeEqual(rest.join(':'), c.config.operatorPassword)) {
        return next();
      }
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="operator"');
    res.status(401).json({ success: false, message: 'Operator credentials required', code: ErrorCode.UNAUTHORIZED });
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

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    next();
  };
}

/** One JSON line per request; never the query string (tokens ride WebSocket URLs). */
export function accessLog(c: AppContext): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
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
    next();
  };
}

const limited = (_req: Request, res: Response) =>
  res.status(429).json({ success: false, message: 'Too many requests, slow down', code: ErrorCode.RATE_LIMITED });

/** Per-IP limit on auth routes (register/login). */
export function authRateLimit(c: AppContext): RequestHandler {
  return rateLimit({
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
    limit: c.config.RATE_LIMIT_AUTH_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: limited,
  });
}

/** Per-user (or per-IP) limit on every write (POST/PUT/PATCH/DELETE) under /api; mount after apiAuth. */
export function writeRateLimit(c: AppContext): RequestHandler {
  const limiter = rateLimit({
    windowMs: c.config.RATE_LIMIT_WINDOW_MS,
    limit: c.config.RATE_LIMIT_WRITE_MAX,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: limited,
    keyGenerator: (req) => req.user?.id ?? ipKeyGenerator(req.ip ?? '0.0.0.0'),
  });
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : limiter(req, res, next));
}

export function notFoundHandler(): RequestHandler {
  return (_req, res) => {
    res.status(404).json({ success: false, message: 'Route not found', code: ErrorCode.NOT_FOUND });
  };
}

/** The one place errors become responses: `{ success: false, message, code }`. */
export function errorHandler(c: AppContext): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e = toAppError(err);
    const bodyErr = err as { type?: string; status?: number };
    if (!e && bodyErr?.type === 'entity.parse.failed') e = new AppError(ErrorCode.VALIDATION, 'Malformed JSON body');
    if (!e && bodyErr?.type === 'entity.too.large') e = new AppError(ErrorCode.VALIDATION, 'Body too large', 413);
    if (!e) {
      c.logger.error({ err, reqId: req.id, path: req.path }, 'unhandled error');
      e = new AppError(ErrorCode.INTERNAL, 'Internal server error');
    }
    res.status(e.status).json({ success: false, message: e.message, code: e.code });
  };
}
