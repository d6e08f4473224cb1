/**
 * Live shopping persistence: catalog, sessions, stream products, orders, vouchers.
 * Stock is guarded here as well as in the room: an order decrements `remaining`
 * only `WHERE remaining >= quantity` (and CHECK constraints), inside the order's transaction.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { ctx } from '../context';
import type { NewOrderRecord, OrderRecord, StreamProductRecord, VoucherRecord } from '../domain/shopping/state';
import { AppError, ErrorCode, conflict } from '../errors';

export interface ProductRow {
  id: string;
  sellerId: string;
  name: string;
  description: string;
  price: number;
  stock: number;
  images: string[];
  createdAt: string;
}

export interface SessionRow {
  id: string;
  roomId: string | null;
  sellerId: string;
  sellerName: string;
  title: string;
  description: string;
  status: string;
  analytics: Record<string, unknown> | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

// Rows of the stream are the model's records (src/domain/shopping/state.ts).
export type StreamProductRow = StreamProductRecord;
export type VoucherRow = VoucherRecord;
export type OrderRow = OrderRecord;
export type NewOrder = NewOrderRecord;

/** A timestamp column as pg returns it. */
type Stamp = Date | string | null;
const iso = (d: Stamp) => (d ? new Date(d).toISOString() : null);
const ms = (d: Stamp) => (d ? new Date(d).getTime() : null);

// The tables' rows as pg returns them (snake_case columns; integers, jsonb parsed, timestamps).
interface ProductDbRow {
  id: string;
  seller_id: string;
  name: string;
  description: string;
  price: number;
  stock: number;
  images: string[] | null;
  created_at: Stamp;
}
interface SessionDbRow {
  id: string;
  room_id: string | null;
  seller_id: string;
  username: string;
  title: string;
  description: string;
  status: string;
  analytics: Record<string, unknown> | null;
  created_at: Stamp;
  started_at: Stamp;
  ended_at: Stamp;
}
interface StreamProductDbRow {
  id: string;
  product_id: string;
  name: string;
  live_price: number;
  offered: number;
  remaining: number;
  flash_price: number | null;
  flash_quantity: number | null;
  flash_remaining: number | null;
  flash_ends_at: Stamp;
  per_customer_limit: number | null;
}
interface VoucherDbRow {
  id: string;
  code: string;
  type: 'percent' | 'fixed';
  value: number;
  usage_limit: number;
  per_user_limit: number;
  min_order_amount: number;
  expires_at: Stamp;
  product_ids: string[] | null;
  private: boolean;
  uses: number;
}
interface OrderDbRow {
  id: string;
  session_id: string;
  stream_product_id: string;
  product_id: string;
  buyer_id: string;
  quantity: number;
  unit_price: number;
  discount: number;
  total: number;
  flash: boolean;
  voucher_id: string | null;
  status: string;
  idempotency_key: string;
  expires_at: Stamp;
  created_at: Stamp;
}

const toProduct = (r: ProductDbRow): ProductRow => ({
  id: r.id,
  sellerId: r.seller_id,
  name: r.name,
  description: r.description,
  price: r.price,
  stock: r.stock,
  images: r.images ?? [],
  createdAt: iso(r.created_at)!,
});

const toSession = (r: SessionDbRow): SessionRow => ({
  id: r.id,
  roomId: r.room_id,
  sellerId: r.seller_id,
  sellerName: r.username,
  title: r.title,
  description: r.description,
  status: r.status,
  analytics: r.analytics ?? null,
  createdAt: iso(r.created_at)!,
  startedAt: iso(r.started_at),
  endedAt: iso(r.ended_at),
});

const toStreamProduct = (r: StreamProductDbRow): StreamProductRow => ({
  id: r.id,
  productId: r.product_id,
  name: r.name,
  livePrice: r.live_price,
  offered: r.offered,
  remaining: r.remaining,
  flashPrice: r.flash_price,
  flashQuantity: r.flash_quantity,
  flashRemaining: r.flash_remaining,
  flashEndsAt: ms(r.flash_ends_at),
  perCustomerLimit: r.per_customer_limit,
});

const toVoucher = (r: VoucherDbRow): VoucherRow => ({
  id: r.id,
  code: r.code,
  type: r.type,
  value: r.value,
  usageLimit: r.usage_limit,
  perUserLimit: r.per_user_limit,
  minOrderAmount: r.min_order_amount,
  expiresAt: ms(r.expires_at),
  productIds: r.product_ids ?? null,
  private: r.private,
  uses: r.uses,
});

export const toOrder = (r: OrderDbRow): OrderRow => ({
  id: r.id,
  sessionId: r.session_id,
  productId: r.product_id,
  buyerId: r.buyer_id,
  quantity: r.quantity,
  unitPrice: r.unit_price,
  discount: r.discount,
  total: r.total,
  flash: r.flash,
  voucherId: r.voucher_id,
  status: r.status,
  idempotencyKey: r.idempotency_key,
  expiresAt: ms(r.expires_at)!,
  createdAt: iso(r.created_at)!,
});

const reservedCap = () => ctx().config.SHOP_MAX_RESERVED_PER_BUYER;

/** A per-buyer limit's CHECK failed: the clear error for the buyer (undefined for anything else). */
export function limitError(err: unknown): AppError | undefined {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  if ((e.driverError?.code ?? e.code) !== '23514') return undefined;
  switch (e.driverError?.constraint ?? e.constraint) {
    case 'voucher_user_uses_within_limit':
      return conflict('You have used this voucher as often as it allows per customer');
    case 'shop_flash_holds_within_limit':
      return conflict('Flash sale limit per customer reached');
    case 'shop_buyer_reserved_within_cap':
      return conflict(
        `You can hold at most ${reservedCap()} unpaid units in this stream; pay for or release a reservation first`,
      );
    default:
      return undefined;
  }
}

const SESSION_SELECT = `SELECT s.*, u.username FROM shopping_sessions s JOIN users u ON u.id = s.seller_id`;

export class ShoppingStore {
  constructor(private readonly ds: DataSource) {}

  /** The caller's transaction, or the pool. */
  private db(em?: EntityManager): EntityManager {
    return em ?? this.ds.manager;
  }

  /** Runs `fn` in the caller's transaction, or in a new one. */
  private tx<T>(em: EntityManager | undefined, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return em ? fn(em) : this.ds.transaction(fn);
  }

  // --- catalog --------------------------------------------------------------------

  async createProduct(
    sellerId: string,
    p: { name: string; description: string; price: number; stock: number; images: string[] },
    em?: EntityManager,
  ): Promise<ProductRow> {
    const [r] = await this.db(em).query(
      `INSERT INTO products (seller_id, name, description, price, stock, images) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [sellerId, p.name, p.description, p.price, p.stock, JSON.stringify(p.images)],
    );
    return toProduct(r);
  }

  async getProduct(id: string, em?: EntityManager): Promise<ProductRow | null> {
    const [r] = await this.db(em).query(`SELECT * FROM products WHERE id = $1`, [id]);
    return r ? toProduct(r) : null;
  }

  async myProducts(sellerId: string, em?: EntityManager): Promise<ProductRow[]> {
    const rows = await this.db(em).query(
      `SELECT * FROM products WHERE seller_id = $1 ORDER BY created_at DESC LIMIT 500`,
      [sellerId],
    );
    return rows.map(toProduct);
  }

  async updateProduct(
    id: string,
    p: Partial<{ name: string; description: string; price: number; stock: number; images: string[] }>,
    em?: EntityManager,
  ): Promise<ProductRow> {
    const [rows] = await this.db(em).query(
      `UPDATE products SET name = COALESCE($2, name), description = COALESCE($3, description), price = COALESCE($4, price),
         stock = COALESCE($5, stock), images = COALESCE($6::jsonb, images), updated_at = now() WHERE id = $1 RETURNING *`,
      [
        id,
        p.name ?? null,
        p.description ?? null,
        p.price ?? null,
        p.stock ?? null,
        p.images ? JSON.stringify(p.images) : null,
      ],
    );
    return toProduct(rows[0]);
  }

  // --- sessions -------------------------------------------------------------------

  async createSession(sellerId: string, title: string, description: string, em?: EntityManager): Promise<string> {
    const [r] = await this.db(em).query(
      `INSERT INTO shopping_sessions (seller_id, title, description, status) VALUES ($1, $2, $3, 'scheduled') RETURNING id`,
      [sellerId, title, description],
    );
    return r.id;
  }

  async getSession(id: string, em?: EntityManager): Promise<SessionRow | null> {
    const [r] = await this.db(em).query(`${SESSION_SELECT} WHERE s.id = $1`, [id]);
    return r ? toSession(r) : null;
  }

  async setRoom(id: string, roomId: string, em?: EntityManager): Promise<void> {
    await this.db(em).query(`UPDATE shopping_sessions SET room_id = $2 WHERE id = $1`, [id, roomId]);
  }

  /** Binds the room to its row only if no room was bound yet: false means another room already serves it. */
  async claimRoom(id: string, roomId: string, em?: EntityManager): Promise<boolean> {
    const [rows] = await this.db(em).query(
      'UPDATE shopping_sessions SET room_id = $2 WHERE id = $1 AND room_id IS NULL RETURNING id',
      [id, roomId],
    );
    return rows.length === 1;
  }

  async markLive(id: string, em?: EntityManager): Promise<void> {
    await this.db(em).query(
      `UPDATE shopping_sessions SET status = 'live', started_at = now() WHERE id = $1 AND status = 'scheduled'`,
      [id],
    );
  }

  /** Ends a session (ended, or interrupted by shutdown) and keeps its analytics snapshot. */
  async close(
    id: string,
    status: 'ended' | 'interrupted',
    analytics: Record<string, unknown> | null,
    em?: EntityManager,
  ): Promise<void> {
    await this.db(em).query(
      `UPDATE shopping_sessions SET status = CASE WHEN status IN ('scheduled', 'live') THEN $2 ELSE status END,
         ended_at = COALESCE(ended_at, now()), analytics = COALESCE($3::jsonb, analytics) WHERE id = $1`,
      [id, status, analytics ? JSON.stringify(analytics) : null],
    );
  }

  async saveInteractions(
    rows: Array<{ streamProductId: string; views: number; clicks: number; cartAdds: number }>,
    em?: EntityManager,
  ) {
    for (const r of rows) {
      await this.db(em).query(`UPDATE stream_products SET views = $2, clicks = $3, cart_adds = $4 WHERE id = $1`, [
        r.streamProductId,
        r.views,
        r.clicks,
        r.cartAdds,
      ]);
    }
  }

  async activeList(page: number, limit: number, em?: EntityManager) {
    const rows = await this.db(em).query(
      `${SESSION_SELECT} WHERE s.status = 'live' ORDER BY s.started_at DESC LIMIT $1 OFFSET $2`,
      [limit, (page - 1) * limit],
    );
    const [{ n }] = await this.db(em).query(`SELECT count(*)::int AS n FROM shopping_sessions WHERE status = 'live'`);
    return { items: rows.map(toSession) as SessionRow[], total: n as number };
  }

  /** Sellers ranked by revenue of orders not released, over a period. */
  async topPerformers(sinceMs: number | null, limit: number, em?: EntityManager) {
    const rows: Array<{
      seller_id: string;
      username: string;
      revenue: string;
      orders: number;
      units: number;
      sessions: number;
    }> = await this.db(em).query(
      `SELECT s.seller_id, u.username, sum(o.total)::bigint AS revenue, count(*)::int AS orders, sum(o.quantity)::int AS units,
              count(DISTINCT s.id)::int AS sessions
         FROM shop_orders o JOIN shopping_sessions s ON s.id = o.session_id JOIN users u ON u.id = s.seller_id
        WHERE o.status <> 'released' AND ($1::timestamptz IS NULL OR o.created_at >= $1)
        GROUP BY s.seller_id, u.username ORDER BY revenue DESC LIMIT $2`,
      [sinceMs === null ? null : new Date(sinceMs), limit],
    );
    return rows.map((r, i) => ({
      rank: i + 1,
      sellerId: r.seller_id,
      username: r.username,
      revenue: Number(r.revenue),
      orders: r.orders,
      units: r.units,
      sessions: r.sessions,
    }));
  }

  // --- stream products ------------------------------------------------------------

  async streamProducts(sessionId: string, em?: EntityManager): Promise<StreamProductRow[]> {
    const rows = await this.db(em).query(
      `SELECT sp.*, p.name FROM stream_products sp JOIN products p ON p.id = sp.product_id WHERE sp.session_id = $1`,
      [sessionId],
    );
    return rows.map(toStreamProduct);
  }

  /** Moves `offered` units from the catalog stock into the stream (conditional: never below zero). */
  async addStreamProduct(
    a: {
      sessionId: string;
      productId: string;
      livePrice: number;
      offered: number | null;
      flash: { price: number; quantity: number; endsAt: number; perCustomerLimit: number | null } | null;
    },
    em?: EntityManager,
  ): Promise<StreamProductRow> {
    return this.tx(em, async (m) => {
      const [p] = await m.query(`SELECT * FROM products WHERE id = $1 FOR UPDATE`, [a.productId]);
      const offered = a.offered ?? p.stock;
      if (offered < 1 || p.stock < offered) throw conflict(`Only ${p.stock} units of this product are in stock`);
      if (a.flash && a.flash.quantity > offered) throw conflict('Flash sale quantity exceeds the units offered');
      await m.query(`UPDATE products SET stock = stock - $2, updated_at = now() WHERE id = $1`, [a.productId, offered]);
      const [r] = await m.query(
        `INSERT INTO stream_products (session_id, product_id, live_price, offered, remaining, flash_price, flash_quantity,
           flash_remaining, flash_ends_at, per_customer_limit)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $6, $7, $8) RETURNING *`,
        [
          a.sessionId,
          a.productId,
          a.livePrice,
          offered,
          a.flash?.price ?? null,
          a.flash?.quantity ?? null,
          a.flash ? new Date(a.flash.endsAt) : null,
          a.flash?.perCustomerLimit ?? null,
        ],
      );
      return toStreamProduct({ ...r, name: p.name });
    });
  }

  /**
   * Mid-stream changes: a new live price, a flash sale started now (only when none is running:
   * conditional, so two concurrent starts cannot both win) or the running one ended now.
   */
  async updateStreamProduct(
    id: string,
    p: {
      livePrice?: number;
      flash?: { price: number; quantity: number; endsAt: number; perCustomerLimit: number | null } | 'end';
    },
    em?: EntityManager,
  ): Promise<StreamProductRow> {
    const f = p.flash;
    const start = f && f !== 'end' ? f : null;
    const [rows] = await this.db(em).query(
      `UPDATE stream_products SET live_price = COALESCE($2, live_price),
         flash_price = CASE WHEN $3 THEN $4 ELSE flash_price END,
         flash_quantity = CASE WHEN $3 THEN $5 ELSE flash_quantity END,
         flash_remaining = CASE WHEN $3 THEN $5 ELSE flash_remaining END,
         per_customer_limit = CASE WHEN $3 THEN $6 ELSE per_customer_limit END,
         flash_ends_at = CASE WHEN $3 THEN $7 WHEN $8 THEN LEAST(flash_ends_at, now()) ELSE flash_ends_at END
       WHERE id = $1 AND (NOT $3 OR flash_ends_at IS NULL OR flash_ends_at <= now() OR flash_remaining = 0)
       RETURNING *`,
      [
        id,
        p.livePrice ?? null,
        start !== null,
        start?.price ?? null,
        start?.quantity ?? null,
        start?.perCustomerLimit ?? null,
        start ? new Date(start.endsAt) : null,
        f === 'end',
      ],
    );
    if (!rows.length) throw conflict('A flash sale is already running on this product');
    return toStreamProduct(rows[0]);
  }

  // --- vouchers -------------------------------------------------------------------

  async createVoucher(sessionId: string, v: Omit<VoucherRow, 'id' | 'uses'>, em?: EntityManager): Promise<VoucherRow> {
    try {
      const [r] = await this.db(em).query(
        `INSERT INTO vouchers (session_id, code, type, value, usage_limit, per_user_limit, min_order_amount, expires_at, product_ids, private)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          sessionId,
          v.code,
          v.type,
          v.value,
          v.usageLimit,
          v.perUserLimit,
          v.minOrderAmount,
          v.expiresAt ? new Date(v.expiresAt) : null,
          v.productIds ? JSON.stringify(v.productIds) : null,
          v.private,
        ],
      );
      return toVoucher(r);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict('A voucher with this code already exists');
      throw err;
    }
  }

  async vouchers(sessionId: string, em?: EntityManager): Promise<VoucherRow[]> {
    return (await this.db(em).query(`SELECT * FROM vouchers WHERE session_id = $1`, [sessionId])).map(toVoucher);
  }

  async voucherUsesByUser(
    sessionId: string,
    em?: EntityManager,
  ): Promise<Array<{ voucherId: string; userId: string; n: number }>> {
    const rows: Array<{ voucher_id: string; user_id: string; n: number }> = await this.db(em).query(
      `SELECT vu.voucher_id, vu.user_id, count(*)::int AS n FROM voucher_uses vu JOIN vouchers v ON v.id = vu.voucher_id
        WHERE v.session_id = $1 GROUP BY vu.voucher_id, vu.user_id`,
      [sessionId],
    );
    return rows.map((r) => ({ voucherId: r.voucher_id, userId: r.user_id, n: r.n }));
  }

  // --- orders ---------------------------------------------------------------------

  async findOrder(buyerId: string, key: string, em?: EntityManager): Promise<OrderRow | null> {
    const [r] = await this.db(em).query(`SELECT * FROM shop_orders WHERE buyer_id = $1 AND idempotency_key = $2`, [
      buyerId,
      key,
    ]);
    return r ? toOrder(r) : null;
  }

  async getOrder(id: string, em?: EntityManager): Promise<OrderRow | null> {
    const [r] = await this.db(em).query(`SELECT * FROM shop_orders WHERE id = $1`, [id]);
    return r ? toOrder(r) : null;
  }

  async sessionOrders(sessionId: string, em?: EntityManager): Promise<OrderRow[]> {
    return (await this.db(em).query(`SELECT * FROM shop_orders WHERE session_id = $1`, [sessionId])).map(toOrder);
  }

  /**
   * Commits an order: the row (or the first order of this key), the stock decrement guarded
   * by `remaining >= quantity`, and the voucher use guarded by `uses < usage_limit`, all in one transaction.
   */
  async placeOrder(o: NewOrder, em?: EntityManager): Promise<{ order: OrderRow; replayed: boolean }> {
    try {
      return await this.placeOrderTx(o, em);
    } catch (err) {
      throw limitError(err) ?? err;
    }
  }

  private placeOrderTx(o: NewOrder, em?: EntityManager): Promise<{ order: OrderRow; replayed: boolean }> {
    return this.tx(em, async (m) => {
      const [row] = await m.query(
        `INSERT INTO shop_orders (session_id, stream_product_id, product_id, buyer_id, quantity, unit_price, discount, total,
           flash, voucher_id, status, idempotency_key, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'reserved', $11, $12)
         ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING *`,
        [
          o.sessionId,
          o.streamProductId,
          o.productId,
          o.buyerId,
          o.quantity,
          o.unitPrice,
          o.discount,
          o.total,
          o.flash,
          o.voucherId,
          o.idempotencyKey,
          new Date(o.expiresAt),
        ],
      );
      if (!row) {
        const [first] = await m.query(`SELECT * FROM shop_orders WHERE buyer_id = $1 AND idempotency_key = $2`, [
          o.buyerId,
          o.idempotencyKey,
        ]);
        return { order: toOrder(first), replayed: true };
      }
      // An UPDATE answers [rows, count].
      const [stock] = await m.query(
        `UPDATE stream_products SET remaining = remaining - $2,
           flash_remaining = CASE WHEN $3 THEN flash_remaining - $2 ELSE flash_remaining END
         WHERE id = $1 AND remaining >= $2 AND (NOT $3 OR flash_remaining >= $2) RETURNING remaining`,
        [o.streamProductId, o.quantity, o.flash],
      );
      if (!stock.length) throw new AppError(ErrorCode.SOLD_OUT, 'Sold out');
      // The per-buyer limits, as counter rows with CHECKs (a violation is mapped by limitError).
      await m.query(
        `INSERT INTO shop_buyer_reserved (session_id, buyer_id, units, cap) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id, buyer_id) DO UPDATE SET units = shop_buyer_reserved.units + EXCLUDED.units, cap = EXCLUDED.cap`,
        [o.sessionId, o.buyerId, o.quantity, reservedCap()],
      );
      if (o.flash) {
        await m.query(
          `INSERT INTO shop_flash_holds (stream_product_id, buyer_id, units, per_customer_limit)
           SELECT sp.id, $2, $3, sp.per_customer_limit FROM stream_products sp WHERE sp.id = $1
           ON CONFLICT (stream_product_id, buyer_id) DO UPDATE SET units = shop_flash_holds.units + EXCLUDED.units,
             per_customer_limit = EXCLUDED.per_customer_limit`,
          [o.streamProductId, o.buyerId, o.quantity],
        );
      }
      if (o.voucherId) {
        await m.query(
          `INSERT INTO voucher_user_uses (voucher_id, user_id, uses, per_user_limit)
           SELECT v.id, $2, 1, v.per_user_limit FROM vouchers v WHERE v.id = $1
           ON CONFLICT (voucher_id, user_id) DO UPDATE SET uses = voucher_user_uses.uses + 1,
             per_user_limit = EXCLUDED.per_user_limit`,
          [o.voucherId, o.buyerId],
        );
        const [v] = await m.query(
          `UPDATE vouchers SET uses = uses + 1 WHERE id = $1 AND uses < usage_limit RETURNING id`,
          [o.voucherId],
        );
        if (!v.length) throw conflict('Voucher has been used up');
        await m.query(`INSERT INTO voucher_uses (order_id, voucher_id, user_id) VALUES ($1, $2, $3)`, [
          row.id,
          o.voucherId,
          o.buyerId,
        ]);
      }
      return { order: toOrder(row), replayed: false };
    });
  }

  /**
   * Group commit: several orders (already reserved in the room) in ONE statement, so one round
   * trip: the new rows (a repeated key yields its first order), the stock decrement per product and
   * the voucher uses. The CHECK constraints (remaining >= 0, flash_remaining >= 0, uses <= usage_limit)
   * are the database's guard: if one would break, the whole statement fails and the caller places
   * the orders one by one (placeOrder) to find out which fail.
   */
  async placeOrders(list: NewOrder[], em?: EntityManager): Promise<Array<{ order: OrderRow; replayed: boolean }>> {
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], [], [], []];
    for (const o of list) {
      const v = [
        o.sessionId,
        o.streamProductId,
        o.productId,
        o.buyerId,
        o.quantity,
        o.unitPrice,
        o.discount,
        o.total,
        o.flash,
        o.voucherId,
        o.idempotencyKey,
        new Date(o.expiresAt),
      ];
      for (const [k, x] of v.entries()) cols[k]!.push(x);
    }
    const inserted: OrderDbRow[] = await this.db(em).query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::int[], $7::int[], $8::int[],
                              $9::bool[], $10::uuid[], $11::varchar[], $12::timestamptz[])
           AS t(session_id, stream_product_id, product_id, buyer_id, quantity, unit_price, discount, total, flash, voucher_id,
                idempotency_key, expires_at)
       ), ins AS (
         INSERT INTO shop_orders (session_id, stream_product_id, product_id, buyer_id, quantity, unit_price, discount, total,
           flash, voucher_id, status, idempotency_key, expires_at)
         SELECT session_id, stream_product_id, product_id, buyer_id, quantity, unit_price, discount, total, flash, voucher_id,
                'reserved', idempotency_key, expires_at FROM input
         ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING *
       ), stock AS (
         UPDATE stream_products sp SET remaining = sp.remaining - t.q,
           flash_remaining = CASE WHEN t.f > 0 THEN sp.flash_remaining - t.f ELSE sp.flash_remaining END
         FROM (SELECT stream_product_id, sum(quantity)::int AS q, sum(CASE WHEN flash THEN quantity ELSE 0 END)::int AS f
                 FROM ins GROUP BY stream_product_id) t
         WHERE sp.id = t.stream_product_id RETURNING sp.id
       ), uses AS (
         UPDATE vouchers v SET uses = v.uses + t.n
         FROM (SELECT voucher_id, count(*)::int AS n FROM ins WHERE voucher_id IS NOT NULL GROUP BY voucher_id) t
         WHERE v.id = t.voucher_id RETURNING v.id
       ), use_rows AS (
         INSERT INTO voucher_uses (order_id, voucher_id, user_id)
         SELECT id, voucher_id, buyer_id FROM ins WHERE voucher_id IS NOT NULL RETURNING order_id
       ), per_user AS (
         INSERT INTO voucher_user_uses (voucher_id, user_id, uses, per_user_limit)
         SELECT ins.voucher_id, ins.buyer_id, count(*)::int, max(v.per_user_limit) FROM ins JOIN vouchers v ON v.id = ins.voucher_id
          GROUP BY ins.voucher_id, ins.buyer_id
         ON CONFLICT (voucher_id, user_id) DO UPDATE SET uses = voucher_user_uses.uses + EXCLUDED.uses,
           per_user_limit = EXCLUDED.per_user_limit RETURNING voucher_id
       ), flash_holds AS (
         INSERT INTO shop_flash_holds (stream_product_id, buyer_id, units, per_customer_limit)
         SELECT ins.stream_product_id, ins.buyer_id, sum(ins.quantity)::int, max(sp.per_customer_limit)
           FROM ins JOIN stream_products sp ON sp.id = ins.stream_product_id WHERE ins.flash
          GROUP BY ins.stream_product_id, ins.buyer_id
         ON CONFLICT (stream_product_id, buyer_id) DO UPDATE SET units = shop_flash_holds.units + EXCLUDED.units,
           per_customer_limit = EXCLUDED.per_customer_limit RETURNING buyer_id
       ), reserved AS (
         INSERT INTO shop_buyer_reserved (session_id, buyer_id, units, cap)
         SELECT session_id, buyer_id, sum(quantity)::int, $13::int FROM ins GROUP BY session_id, buyer_id
         ON CONFLICT (session_id, buyer_id) DO UPDATE SET units = shop_buyer_reserved.units + EXCLUDED.units, cap = EXCLUDED.cap
         RETURNING buyer_id
       )
       SELECT ins.*, (SELECT count(*) FROM stock) AS _s, (SELECT count(*) FROM uses) AS _u, (SELECT count(*) FROM use_rows) AS _r,
              (SELECT count(*) FROM per_user) AS _p, (SELECT count(*) FROM flash_holds) AS _f, (SELECT count(*) FROM reserved) AS _c
         FROM ins`,
      [...cols, reservedCap()],
    );
    const key = (buyer: string, k: string) => `${buyer}\u0000${k}`;
    const fresh = new Map(inserted.map((r) => [key(r.buyer_id, r.idempotency_key), r]));
    const missing = list.filter((o) => !fresh.has(key(o.buyerId, o.idempotencyKey)));
    const existing = new Map<string, OrderDbRow>();
    if (missing.length) {
      const found: OrderDbRow[] = await this.db(em).query(
        `SELECT * FROM shop_orders WHERE (buyer_id, idempotency_key) IN (SELECT * FROM unnest($1::uuid[], $2::varchar[]))`,
        [missing.map((o) => o.buyerId), missing.map((o) => o.idempotencyKey)],
      );
      for (const r of found) existing.set(key(r.buyer_id, r.idempotency_key), r);
    }
    return list.map((o) => {
      const k = key(o.buyerId, o.idempotencyKey);
      const r = fresh.get(k);
      return r ? { order: toOrder(r), replayed: false } : { order: toOrder(existing.get(k)!), replayed: true };
    });
  }

  /**
   * Service side: a reserved order is paid (409 once it was released, or once its reservation
   * expired, even if no room released it yet: its units may already be promised to someone else).
   */
  async markPaid(orderId: string, em?: EntityManager): Promise<OrderRow | null> {
    return this.tx(em, async (m) => {
      const [rows] = await m.query(
        `UPDATE shop_orders SET status = 'paid', paid_at = now()
          WHERE id = $1 AND status = 'reserved' AND (expires_at IS NULL OR expires_at > now()) RETURNING *`,
        [orderId],
      );
      const r = rows[0];
      if (!r) return null;
      // Paid units are no longer an outstanding reservation.
      await m.query(
        'UPDATE shop_buyer_reserved SET units = greatest(0, units - $3) WHERE session_id = $1 AND buyer_id = $2',
        [r.session_id, r.buyer_id, r.quantity],
      );
      return toOrder(r);
    });
  }

  /**
   * Releases a reservation that is still unpaid: the order becomes `released`, its units return
   * to the stream (and to the flash sale while it runs), its voucher use is given back.
   */
  async release(orderId: string, em?: EntityManager): Promise<OrderRow | null> {
    return this.tx(em, async (q: EntityManager) => {
      const [rows] = await q.query(
        `UPDATE shop_orders SET status = 'released', released_at = now() WHERE id = $1 AND status = 'reserved' RETURNING *`,
        [orderId],
      );
      const r = rows[0];
      if (!r) return null;
      await q.query(
        `UPDATE stream_products SET remaining = remaining + $2,
           flash_remaining = CASE WHEN $3 AND flash_ends_at > now() THEN flash_remaining + $2 ELSE flash_remaining END
         WHERE id = $1`,
        [r.stream_product_id, r.quantity, r.flash],
      );
      await q.query(
        'UPDATE shop_buyer_reserved SET units = greatest(0, units - $3) WHERE session_id = $1 AND buyer_id = $2',
        [r.session_id, r.buyer_id, r.quantity],
      );
      if (r.flash) {
        await q.query(
          'UPDATE shop_flash_holds SET units = greatest(0, units - $3) WHERE stream_product_id = $1 AND buyer_id = $2',
          [r.stream_product_id, r.buyer_id, r.quantity],
        );
      }
      if (r.voucher_id) {
        await q.query(`DELETE FROM voucher_uses WHERE order_id = $1`, [r.id]);
        await q.query(`UPDATE vouchers SET uses = uses - 1 WHERE id = $1`, [r.voucher_id]);
        await q.query(
          'UPDATE voucher_user_uses SET uses = greatest(0, uses - 1) WHERE voucher_id = $1 AND user_id = $2',
          [r.voucher_id, r.buyer_id],
        );
      }
      return toOrder(r);
    });
  }

  /** Reserved orders of a session (for the room's expiry timers after a restart of the room). */
  async reservedOrders(sessionId: string, em?: EntityManager): Promise<OrderRow[]> {
    return (
      await this.db(em).query(`SELECT * FROM shop_orders WHERE session_id = $1 AND status = 'reserved'`, [sessionId])
    ).map(toOrder);
  }

  /**
   * At start: sessions a dead process left scheduled/live become interrupted; unpaid
   * reservations of sessions without a live room are released (paid ones stay paid).
   */
  async recoverOrphans(roomAlive: (roomId: string) => Promise<boolean>): Promise<{ closed: number; released: number }> {
    const sessions = await this.ds.query(
      `SELECT DISTINCT s.id, s.room_id, s.status FROM shopping_sessions s
        LEFT JOIN shop_orders o ON o.session_id = s.id AND o.status = 'reserved'
        WHERE s.status IN ('scheduled', 'live') OR o.id IS NOT NULL`,
    );
    let closed = 0;
    let released = 0;
    for (const s of sessions) {
      if (s.room_id && (await roomAlive(s.room_id))) continue;
      if (s.status === 'scheduled' || s.status === 'live') {
        await this.close(s.id, 'interrupted', null);
        closed++;
      }
      for (const o of await this.reservedOrders(s.id)) if (await this.release(o.id)) released++;
    }
    return { closed, released };
  }

  /** The sums integrity checks compare: per product, units ordered (not released) + remaining = offered. */
  async integrity(
    sessionId: string,
    em?: EntityManager,
  ): Promise<{
    products: Array<{ productId: string; offered: number; remaining: number; ordered: number; balanced: boolean }>;
    vouchers: Array<{ code: string; uses: number; usageLimit: number; useRows: number; withinLimit: boolean }>;
  }> {
    const products: Array<{ product_id: string; offered: number; remaining: number; ordered: number }> = await this.db(
      em,
    ).query(
      `SELECT sp.product_id, sp.offered, sp.remaining, sp.flash_quantity, sp.flash_remaining,
              COALESCE((SELECT sum(quantity) FROM shop_orders o WHERE o.stream_product_id = sp.id AND o.status <> 'released'), 0)::int AS ordered
         FROM stream_products sp WHERE sp.session_id = $1`,
      [sessionId],
    );
    const vouchers: Array<{ code: string; uses: number; usage_limit: number; use_rows: number }> = await this.db(
      em,
    ).query(
      `SELECT v.code, v.uses, v.usage_limit, (SELECT count(*)::int FROM voucher_uses vu WHERE vu.voucher_id = v.id) AS use_rows
         FROM vouchers v WHERE v.session_id = $1`,
      [sessionId],
    );
    return {
      products: products.map((p) => ({
        productId: p.product_id,
        offered: p.offered,
        remaining: p.remaining,
        ordered: p.ordered,
        balanced: p.ordered + p.remaining === p.offered,
      })),
      vouchers: vouchers.map((v) => ({
        code: v.code,
        uses: v.uses,
        usageLimit: v.usage_limit,
        useRows: v.use_rows,
        withinLimit: v.uses <= v.usage_limit && v.use_rows === v.uses,
      })),
    };
  }
}

let cached: { ds: DataSource; store: ShoppingStore } | undefined;
export function shoppingStore(): ShoppingStore {
  const c = ctx();
  if (cached?.ds !== c.ds) cached = { ds: c.ds, store: new ShoppingStore(c.ds) };
  return cached.store;
}
