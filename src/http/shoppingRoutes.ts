import { orderCommitter } from '../shopping/orderCommitter';
/** Live shopping REST: the seller catalog (/api/products) and shopping streams (/api/live-shopping). */
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { ProductBody, ProductPatch, SessionBody } from '../domain/shopping/protocol';
import { AppError, forbidden, invalidState, notFound, toAppError } from '../errors';
import { createServerRoom } from '../rooms/roomCreation';
import type { LiveShoppingRoom } from '../rooms/LiveShoppingRoom';
import { type Envelope, roomCaller, roomExists } from '../rooms/roomCall';
import { matchMaker } from '@colyseus/core';
import type { AuthUser } from '../auth/tokens';
import { type SessionRow, shoppingStore } from '../stores/shoppingStore';
import { toMajor } from '../domain/shopping/money';
import type { ProductRow, StreamProductRow } from '../stores/shoppingStore';
import { isUuid, pagination, parse, requestKey } from '../validation';
import { me, ok, requireOperator, requireService, sendAppError } from './middleware';

/** A stream product from the database (the room is gone): the figures it ended with. */
const storedProduct = (p: StreamProductRow) => ({
  productId: p.productId,
  name: p.name,
  livePrice: toMajor(p.livePrice),
  offered: p.offered,
  remaining: p.remaining,
  flashSale:
    p.flashQuantity === null
      ? null
      : {
          price: toMajor(p.flashPrice ?? p.livePrice),
          quantity: p.flashQuantity,
          remaining: p.flashRemaining,
          endsAt: p.flashEndsAt,
          perCustomerLimit: p.perCustomerLimit,
          active: false,
        },
});

/** A catalog product as clients see it: the price in the major unit. */
const publicProduct = (p: ProductRow) => ({ ...p, price: toMajor(p.price) });

/** POST /api/products, GET /api/products/mine, PATCH /api/products/:id — the seller's catalog. */
export function productRoutes(_c: AppContext): Router {
  const r = Router();
  r.post('/', async (req, res) => {
    const product = await shoppingStore().createProduct(me(req).id, parse(ProductBody, req.body));
    ok(res, { product: publicProduct(product) }, 201);
  });
  r.get('/mine', async (req, res) => {
    ok(res, { products: (await shoppingStore().myProducts(me(req).id)).map(publicProduct) });
  });
  r.patch('/:id', async (req, res) => {
    const id = String(req.params.id);
    const product = isUuid(id) ? await shoppingStore().getProduct(id) : null;
    if (!product) throw notFound('Product');
    if (product.sellerId !== me(req).id) throw forbidden('Not your product');
    ok(res, { product: publicProduct(await shoppingStore().updateProduct(id, parse(ProductPatch, req.body))) });
  });
  return r;
}

/**
 * GET /api/admin/live-shopping/integrity?sessionId= — the stock and voucher sums (operators);
 * GET /api/admin/live-shopping/commits — this process's order group-commit figures.
 */
export function shopAdminRoutes(c: AppContext): Router {
  const r = Router();
  r.use(requireOperator(c));
  r.get('/integrity', async (req, res) => {
    const { sessionId } = parse(z.object({ sessionId: z.string().uuid() }), req.query);
    ok(res, await shoppingStore().integrity(sessionId));
  });
  // This process's order group commit over its last batches (load tests read it).
  r.get('/commits', (_req, res) => ok(res, orderCommitter().stats()));
  return r;
}

async function sessionOr404(id: string): Promise<SessionRow> {
  const s = isUuid(id) ? await shoppingStore().getSession(id) : null;
  if (!s) throw notFound('Shopping session');
  return s;
}

/** The room kind a stream's id may reach (a room's id is its row's UUID: another feature's room is not this one). */
const SHOP_ROOM = ['live_shopping'];

/** A stream whose room is gone: 404 when there is no such session, else 409 with its status. */
async function streamGone(id: string) {
  const s = isUuid(id) ? await shoppingStore().getSession(id) : null;
  return s ? invalidState(`Shopping stream is ${s.status}`) : notFound('Shopping session');
}

/**
 * The room of a running stream: its id is the session's id, so one registry lookup (roomExists) finds
 * it; 404 for an unknown session, 409 once it ended and closed. For callers that then use `callLive`.
 */
export async function roomOf(id: string): Promise<string> {
  if (await roomExists(id, SHOP_ROOM)) return id;
  throw await streamGone(id);
}

const shopRoom = roomCaller<LiveShoppingRoom>(SHOP_ROOM, 'Shopping stream', streamGone);

/**
 * POST /api/live-shopping/:id/orders: an order of `user` in stream `id`, with the Idempotency-Key header
 * or the body's key (optional: without one, a new order each time). 201, or 200 for a replay.
 */
export async function placeOrder(
  id: string,
  user: AuthUser,
  keyHeader: string | string[] | undefined,
  reqBody: unknown,
): Promise<{ data: unknown; status: number }> {
  const idempotencyKey = requestKey(keyHeader, reqBody);
  const body = { ...((reqBody as object | undefined) ?? {}), idempotencyKey };
  const roomId = await roomOf(id);
  // On this process the room is called directly: the arguments are this request's own objects, so the
  // JSON copy remoteRoomCall makes of them buys nothing. On another process, the IPC call.
  const local = matchMaker.getLocalRoomById(roomId) as LiveShoppingRoom | undefined;
  const result = local
    ? unwrap(await local.rpcOrder(user, body))
    : await shopRoom.callLive(roomId, 'rpcOrder', user, body);
  return { data: result, status: result.replayed ? 200 : 201 };
}

/** An `exposed()` room method's value, or its AppError thrown (as `roomCaller` does). */
function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new AppError(envelope.error.code, envelope.error.message, envelope.error.status);
}

const PERIODS = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000, all: null } as const;

export function shoppingRoutes(c: AppContext): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const user = me(req);
    const body = parse(SessionBody, req.body);
    const sessionId = await shoppingStore().createSession(user.id, body.title, body.description);
    let roomId: string;
    try {
      roomId = (await createServerRoom('live_shopping', { sessionId })).roomId;
    } catch (err) {
      await shoppingStore().close(sessionId, 'interrupted', null);
      throw err;
    }
    ok(
      res,
      {
        sessionId,
        roomId,
        status: 'scheduled',
        title: body.title,
        description: body.description,
        currency: c.config.SHOP_CURRENCY,
        seller: { id: user.id, username: user.username },
      },
      201,
    );
  });

  r.get('/active/list', async (req, res) => {
    const { page, limit } = parse(pagination, req.query);
    const { items, total } = await shoppingStore().activeList(page, limit);
    ok(res, { sessions: items.map(({ analytics: _a, ...s }) => s), page, limit, total });
  });

  r.get('/top/performers', async (req, res) => {
    const q = parse(
      z.object({
        period: z.enum(['day', 'week', 'month', 'all']).default('week'),
        limit: z.coerce.number().int().min(1).max(100).default(20),
      }),
      req.query,
    );
    const span = PERIODS[q.period];
    ok(res, {
      period: q.period,
      currency: c.config.SHOP_CURRENCY,
      performers: (await shoppingStore().topPerformers(span === null ? null : Date.now() - span, q.limit)).map(
        (p: { revenue: number }) => ({
          ...p,
          revenue: toMajor(p.revenue),
        }),
      ),
    });
  });

  r.post('/orders/:orderId/paid', requireService(c), async (req, res) => {
    const orderId = String(req.params.orderId);
    const order = isUuid(orderId) ? await shoppingStore().getOrder(orderId) : null;
    if (!order) throw notFound('Order');
    if (order.status === 'paid') return ok(res, { order, replayed: true });
    const paid = await shoppingStore().markPaid(orderId);
    if (!paid) throw invalidState('Order reservation expired or was released; it can no longer be paid');
    // The stream's room (its id is the session's), if it still runs, stops the reservation's timer.
    if (await roomExists(order.sessionId, SHOP_ROOM))
      await shopRoom.callLive(order.sessionId, 'rpcPaid', orderId).catch(() => undefined);
    ok(res, { order: paid, replayed: false });
  });

  r.get('/:id', async (req, res) => {
    const s = await sessionOr404(String(req.params.id));
    const live = (await roomExists(s.id, SHOP_ROOM))
      ? await shopRoom.callLive(s.id, 'rpcSnapshot').catch(() => null)
      : null;
    const { analytics: _a, ...session } = s;
    // Current values at the top level: the room's while it runs (stock, prices, pin), else the stored ones.
    const l = live as { status: string; products: unknown[]; pinnedProductId: string | null } | null;
    const products = l ? l.products : (await shoppingStore().streamProducts(s.id)).map(storedProduct);
    ok(res, {
      ...session,
      status: l?.status ?? session.status,
      currency: c.config.SHOP_CURRENCY,
      products,
      pinnedProductId: l?.pinnedProductId ?? null,
      live,
    });
  });

  r.get('/:id/analytics', async (req, res) => {
    const s = await sessionOr404(String(req.params.id));
    if (s.sellerId !== me(req).id) throw forbidden('Only the seller sees the analytics');
    if (await roomExists(s.id, SHOP_ROOM)) {
      const live = await shopRoom.callLive(s.id, 'rpcAnalytics', s.sellerId);
      return ok(res, { sessionId: s.id, status: s.status, live: true, ...live });
    }
    ok(res, { sessionId: s.id, status: s.status, live: false, ...(s.analytics ?? {}) });
  });

  r.post('/:id/start', async (req, res) => ok(res, await shopRoom.call(String(req.params.id), 'rpcStart', me(req).id)));
  r.post('/:id/end', async (req, res) => ok(res, await shopRoom.call(String(req.params.id), 'rpcEnd', me(req).id)));
  r.post('/:id/products', async (req, res) =>
    ok(res, await shopRoom.call(String(req.params.id), 'rpcAddProduct', me(req).id, req.body), 201),
  );
  r.post('/:id/products/pin', async (req, res) =>
    ok(res, await shopRoom.call(String(req.params.id), 'rpcPin', me(req).id, req.body)),
  );
  const unpin = async (req: Request, res: Response) =>
    ok(res, await shopRoom.call(String(req.params.id), 'rpcUnpin', me(req).id));
  r.delete('/:id/products/pin', unpin);
  r.post('/:id/products/unpin', unpin);
  r.patch('/:id/products/:productId', async (req, res) => {
    const productId = String(req.params.productId);
    if (!isUuid(productId)) throw notFound('Product in this stream');
    ok(res, await shopRoom.call(String(req.params.id), 'rpcUpdateProduct', me(req).id, productId, req.body));
  });
  r.post('/:id/interactions', async (req, res) =>
    ok(res, await shopRoom.call(String(req.params.id), 'rpcInteraction', me(req), req.body)),
  );
  // The hot path of a flash sale: src/http/fastOrderRoute.ts answers the plain case of this route in
  // front of express, with the same `placeOrder`; this one answers the rest.
  r.post('/:id/orders', async (req, res) => {
    let result: { data: unknown; status: number };
    try {
      result = await placeOrder(String(req.params.id), me(req), req.headers['idempotency-key'], req.body);
    } catch (err) {
      // A refused order (sold out, ...) is answered here: the same body the error handler gives, without
      // walking the rest of the router stack to reach it.
      const e = toAppError(err);
      if (!e) throw err;
      sendAppError(res, e);
      return;
    }
    ok(res, result.data, result.status);
  });
  r.post('/:id/vouchers', async (req, res) =>
    ok(res, { voucher: await shopRoom.call(String(req.params.id), 'rpcVoucher', me(req).id, req.body) }, 201),
  );
  r.post('/:id/vouchers/use', async (req, res) =>
    ok(res, await shopRoom.call(String(req.params.id), 'rpcCheckVoucher', me(req), req.body)),
  );
  return r;
}
