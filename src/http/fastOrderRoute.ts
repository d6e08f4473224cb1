/**
 * POST /api/live-shopping/:id/orders without express: the hot path of a flash sale, where a
 * thousand orders arrive at once and most are refused. Through express (and the Colyseus router
 * in front of it) a refused order cost ~1,450 µs of server CPU against ~150 µs as a room message;
 * this handler does the same work in the same order with none of the router machinery:
 *
 *   Colyseus' CORS headers → X-Request-Id → access log → helmet + CORS (the same middleware
 *   instances' config as app.ts) → JSON body (same limit, strict, `Malformed JSON body`) →
 *   bearer JWT → the shared write rate limit (same store, same headers, same 429) → the
 *   route's own work (`placeOrder`, shared with the express route) → `{ success, data }`
 *   written as express writes it (Content-Type, Content-Length, weak ETag).
 *
 * It takes only the plain case, decided from the request line and headers before reading a
 * byte of the body: POST, the exact lower-case path with no query, a non-empty bearer token,
 * `Content-Type: application/json` (optionally `; charset=utf-8`), a Content-Length from 1 to
 * the body limit, no Content-Encoding / Transfer-Encoding. Anything else (no token, other
 * casing, a trailing slash, chunked or compressed bodies, too large bodies) goes on to
 * express/Colyseus as before, so the rarer answers come from the one place that already gives
 * them. test/http/FastOrderRoute.test.ts proves the answers are byte for byte express's.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { matchMaker } from '@colyseus/core';
import type { RequestHandler } from 'express';
import type { AuthUser } from '../auth/tokens';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { JSON_BODY_LIMIT, securityHeaders } from './app';
import {
  bearerToken,
  errorAnswer,
  logAccess,
  MALFORMED_JSON,
  RATE_LIMITED_BODY,
  requestIdOf,
  type WriteLimit,
  writeLimit,
} from './middleware';
import { placeOrder } from './shoppingRoutes';

/** `enabled` off: every order goes through express (the contract test compares both paths); `served` counts. */
export const fastOrders = { enabled: true, served: 0 };

const ORDER_PATH = /^\/api\/live-shopping\/([0-9A-Za-z-]{1,64})\/orders$/;
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

/** The stream id when `req` is an order this handler takes, else undefined (express answers it). */
function takes(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST' || !fastOrders.enabled) return undefined;
  const m = ORDER_PATH.exec(req.url ?? '');
  if (!m) return undefined;
  const h = req.headers;
  const auth = h.authorization;
  if (!auth?.startsWith('Bearer ') || !auth.slice(7).trim()) return undefined;
  if (h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return undefined;
  if (!JSON_TYPES.has((h['content-type'] ?? '').toLowerCase())) return undefined;
  const length = Number(h['content-length']);
  if (!(length >= 1 && length <= JSON_BODY_LIMIT)) return undefined;
  return m[1];
}

/** express's weak ETag of a response body (`etag` with `weak: true`, as `res.send` sets it). */
function weakEtag(body: Buffer): string {
  const hash = createHash('sha1').update(body).digest('base64').substring(0, 27);
  return `W/"${body.length.toString(16)}-${hash}"`;
}

/** As express's `res.status(status).json(value)`: same headers, in the same order. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('ETag', weakEtag(body));
  res.end(body);
}

const sendError = (res: ServerResponse, e: AppError) =>
  sendJson(res, e.status, { success: false, message: e.message, code: e.code });

/** The body as express.json() (strict) gives it, or undefined when it is not JSON. */
function parseJson(raw: Buffer): unknown {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // body-parser's decoder drops a BOM
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

/** Colyseus' router sets these on every HTTP answer before express runs (its CORS defaults). */
function colyseusCors(req: IncomingMessage, res: ServerResponse): void {
  const headers = {
    get: (name: string) => {
      const v = req.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  } as unknown as Headers;
  const cors = { ...matchMaker.controller.DEFAULT_CORS_HEADERS, ...matchMaker.controller.getCorsHeaders(headers) };
  for (const name in cors) res.setHeader(name, cors[name as keyof typeof cors] as string);
}

/** The write limit's count and draft-7 headers, as express-rate-limit sets them; true when over the limit. */
async function overLimit(w: WriteLimit, key: string, res: ServerResponse): Promise<boolean> {
  const { totalHits, resetTime } = await w.store.increment(key);
  const reset = resetTime
    ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
    : Math.ceil(w.windowMs / 1000);
  res.setHeader('RateLimit-Policy', `${w.limit};w=${Math.ceil(w.windowMs / 1000)}`);
  res.setHeader('RateLimit', `limit=${w.limit}, remaining=${Math.max(w.limit - totalHits, 0)}, reset=${reset}`);
  if (totalHits <= w.limit) return false;
  res.setHeader('Retry-After', String(reset));
  return true;
}

/**
 * Puts the lean order route in front of every other `request` listener of `server` (Colyseus'
 * router, then express). Call it once the game server listens (Colyseus binds its router then).
 */
export function installFastOrderRoute(server: Server, c: AppContext): void {
  const headerHandlers: RequestHandler[] = securityHeaders(c);
  const limit = writeLimit(c);
  const others = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const streamId = takes(req);
    if (streamId === undefined) {
      for (const l of others) l.call(server, req, res);
      return;
    }
    fastOrders.served++;
    void handle(c, headerHandlers, limit, streamId, req, res);
  });
}

async function handle(
  c: AppContext,
  headerHandlers: RequestHandler[],
  limit: WriteLimit,
  streamId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // What the access log and the error log name (the path has no query string: `takes` saw to it).
  const r: { id: string; method?: string; path: string; user?: AuthUser } = {
    id: requestIdOf(req.headers),
    method: req.method,
    path: req.url ?? '',
  };
  try {
    colyseusCors(req, res);
    res.setHeader('X-Request-Id', r.id);
    logAccess(c, r, res);
    for (const h of headerHandlers) {
      let passed = false;
      h(req as never, res as never, (err?: unknown) => {
        if (err) throw err;
        passed = true;
      });
      if (!passed) throw new Error('a header middleware did not pass the request on');
    }
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const body = parseJson(raw);
    if (body === undefined) return sendError(res, MALFORMED_JSON());
    r.user = c.tokens.verify(bearerToken(req as never));
    if (await overLimit(limit, r.user.id, res)) return sendJson(res, 429, RATE_LIMITED_BODY);
    const { data, status } = await placeOrder(streamId, r.user, req.headers['idempotency-key'], body);
    sendJson(res, status, { success: true, data });
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, errorAnswer(c, err, r));
  }
}
