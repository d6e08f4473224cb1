/**
 * The live shopping model: `decide(state, input, now)` → the next state and the effects the room
 * performs. Inputs are commands (a seller's or buyer's request, a timer that fired) and events (a
 * store write that finished: the room writes first and applies after, so nothing is shown before
 * it is committed). Pure: no I/O, the clock is `now`; a "no" is a `refuse` (see ../result.ts).
 * Stock moves only through stock.ts.
 */
import { ErrorCode } from '../../errors';
import { accept, type Decision, decided, type Result, refuse, unreachable } from '../result';
import { toMajor } from './money';
import type {
  FlashSaleBody,
  ProductPayload,
  VoucherPayload,
  InteractionType,
  OrderResult,
  ShopMessage,
  StreamProductBody,
  StreamProductPatch,
  VoucherBody,
} from './protocol';
import { ShopEvents } from './protocol';
import { checkVoucher, orderTotal, priceAt } from './rules';
import {
  type Hold,
  type NewOrderRecord,
  newProduct,
  type OrderRecord,
  type PendingOrder,
  type Product,
  pricing,
  type SessionStatus,
  type ShopState,
  type StreamProductRecord,
  settled,
  type VoucherRecord,
  flashRunning,
  withEntry,
  withOrder,
} from './state';
import { emptySet, PMap } from '../pmap';
import { returnUnits, takeUnits } from './stock';
import { orderView, productView, type Snapshot, snapshotView, voucherView } from './views';

// --- inputs ----------------------------------------------------------------------------------

/** What a timer runs when it fires (scheduled by a `schedule` effect). */
export type Timer = { type: 'flashTimeUp'; productId: string } | { type: 'reservationDue'; orderId: string };

export type Command =
  | { type: 'start'; userId: string }
  | { type: 'end'; userId: string }
  | { type: 'addProduct'; userId: string; body: StreamProductBody }
  | { type: 'updateProduct'; userId: string; productId: string; patch: StreamProductPatch }
  | { type: 'pin'; userId: string; productId: string }
  | { type: 'unpin'; userId: string }
  | { type: 'createVoucher'; userId: string; body: VoucherBody }
  | { type: 'interact'; userId: string; productId: string; kind: InteractionType }
  | { type: 'checkVoucher'; userId: string; code: string; productId: string; quantity: number }
  | {
      type: 'order';
      /** The room's reference for this attempt (its commit answers to it). */
      ref: string;
      buyer: { id: string; name: string };
      productId: string;
      quantity: number;
      voucherCode?: string;
      idempotencyKey: string;
      /** How long the reservation holds unpaid (SHOP_RESERVATION_TTL_MS, read per order). */
      reservationTtlMs: number;
    }
  | { type: 'paid'; orderId: string }
  | { type: 'viewerJoined'; userId: string; clients: number }
  | { type: 'viewerLeft'; clients: number }
  | Timer;

export type Event =
  | { type: 'wentLive' }
  | { type: 'productAdded'; record: StreamProductRecord; countdown: number | null }
  | { type: 'productUpdated'; productId: string; record: StreamProductRecord; patch: StreamProductPatch }
  | { type: 'voucherCreated'; record: VoucherRecord }
  | { type: 'orderCommitted'; ref: string; order: OrderRecord; replayed: boolean }
  | { type: 'orderFailed'; ref: string }
  /** `order` null: it was no longer reserved (paid meanwhile). */
  | { type: 'released'; orderId: string; order: OrderRecord | null }
  | { type: 'releaseFailed'; orderId: string };

export type Input = Command | Event;

export interface FlashSaleInput {
  price: number;
  quantity: number;
  endsAt: number;
  perCustomerLimit: number | null;
}

// --- effects ---------------------------------------------------------------------------------

export type Effect =
  /** The answer to the caller (HTTP or the sender). */
  | { type: 'reply'; value: Replies[keyof Replies] }
  | { type: 'broadcast'; message: ShopMessage }
  /** To every client of this user. */
  | { type: 'send'; userId: string; message: ShopMessage }
  | { type: 'schedule'; timer: Timer; at: number }
  | { type: 'cancel'; timer: Timer }
  | { type: 'markLive' }
  | { type: 'listing'; status: SessionStatus }
  | { type: 'goLive' }
  | {
      type: 'addStreamProduct';
      sellerId: string;
      productId: string;
      livePrice: number;
      offered: number | null;
      flash: FlashSaleInput | null;
      countdown: number | null;
    }
  | {
      type: 'updateStreamProduct';
      productId: string;
      streamProductId: string;
      livePrice?: number;
      flash?: FlashSaleInput | 'end';
      patch: StreamProductPatch;
    }
  | { type: 'createVoucher'; voucher: Omit<VoucherRecord, 'id' | 'uses'> }
  | { type: 'commitOrder'; ref: string; order: NewOrderRecord }
  | { type: 'release'; orderId: string }
  /** Write the interaction counters and the analytics snapshot, and close the session row as ended. */
  | { type: 'persist' }
  /** Every reservation settled after the end: the room may close. */
  | { type: 'close' };

export type ShopDecision = Decision<ShopState, Effect>;

/** What each command answers its caller (the `reply` effect of the decision, or of the event its store write leads to). */
export interface Replies {
  start: Snapshot;
  end: Snapshot;
  addProduct: { product: ProductPayload };
  updateProduct: { product: ProductPayload };
  pin: { productId: string; product: ProductPayload };
  unpin: { productId: string | null; unpinned: boolean };
  createVoucher: VoucherPayload;
  interact: { productId: string; type: InteractionType; count: number; uniqueViewers: number };
  checkVoucher: {
    code: string;
    valid: true;
    unitPrice: number;
    subtotal: number;
    discount: number;
    total: number;
    currency: string;
  };
  order: OrderResult;
  paid: { orderId: string };
}

/** The answer to command `_to` (typed by it). */
function reply<K extends keyof Replies>(_to: K, value: Replies[K]): Effect {
  return { type: 'reply', value };
}

// --- state from the store -----------------------------------------------------------------------

/** The model of a stream as loaded when its room is created, with the timers it needs. */
export function loadState(
  session: { id: string; sellerId: string; status: SessionStatus },
  data: {
    products: StreamProductRecord[];
    vouchers: VoucherRecord[];
    usesByUser: Array<{ voucherId: string; userId: string; n: number }>;
    orders: OrderRecord[];
  },
  currency: string,
  now: number,
): { state: ShopState; effects: Effect[] } {
  const effects: Effect[] = [];
  let s: ShopState = {
    sessionId: session.id,
    sellerId: session.sellerId,
    status: session.status,
    currency,
    products: new Map(),
    vouchers: new Map(
      data.vouchers.map((v) => [
        v.code.toLowerCase(),
        {
          ...v,
          usesByUser: PMap.from(
            data.usesByUser.filter((u) => u.voucherId === v.id).map((u): [string, number] => [u.userId, u.n]),
          ),
        },
      ]),
    ),
    pinnedProductId: null,
    pending: PMap.empty(),
    orders: PMap.empty(),
    reserved: 0,
    viewers: { count: 0, peak: 0, unique: emptySet() },
    closing: false,
  };
  for (const r of data.products) {
    s = { ...s, products: withEntry(s.products, r.productId, newProduct(r, now)) };
    if (r.flashEndsAt !== null && r.flashEndsAt > now) {
      effects.push({ type: 'schedule', timer: { type: 'flashTimeUp', productId: r.productId }, at: r.flashEndsAt });
    }
  }
  for (const o of data.orders) {
    if (o.status === 'released') continue;
    s = withOrder(s, o.id, o.status === 'reserved' ? 'reserved' : 'settled');
    if (o.status === 'reserved') effects.push(expiry(o));
    // Loaded stock counters already include these orders: only the buyer's holds are counted here.
    const p = s.products.get(o.productId);
    if (p) {
      const holds = p.holds.set(o.buyerId, (p.holds.get(o.buyerId) ?? 0) + o.quantity);
      s = { ...s, products: withEntry(s.products, o.productId, { ...p, holds }) };
    }
  }
  return { state: s, effects };
}

// --- decide ---------------------------------------------------------------------------------------

export function decide(s: ShopState, input: Input, now: number): ShopDecision {
  const d = step(s, input, now);
  if (!d.ok) return d;
  // After the end, the room closes once nothing is left to settle.
  const next = d.value.state;
  if (next.status === 'ended' && !next.closing && settled(next)) {
    return decided({ ...next, closing: true }, [...d.value.effects, { type: 'close' }]);
  }
  return d;
}

function step(s: ShopState, c: Input, now: number): ShopDecision {
  switch (c.type) {
    case 'start': {
      const no = sellerOnly(s, c.userId);
      if (no) return no;
      if (s.status !== 'scheduled') return refuse(ErrorCode.INVALID_STATE, `Shopping stream is ${s.status}`);
      return decided(s, [{ type: 'markLive' }]);
    }
    case 'wentLive': {
      const next: ShopState = { ...s, status: 'live' };
      return decided(next, [
        { type: 'listing', status: 'live' },
        { type: 'goLive' },
        { type: 'broadcast', message: { event: ShopEvents.started, payload: { sessionId: s.sessionId } } },
        reply('start', snapshotView(next, now)),
      ]);
    }
    case 'end': {
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      const next: ShopState = { ...s, status: 'ended' };
      return decided(next, [
        { type: 'listing', status: 'ended' },
        ...[...s.products.values()]
          .filter(flashRunning)
          .map((p): Effect => ({ type: 'cancel', timer: { type: 'flashTimeUp', productId: p.record.productId } })),
        { type: 'persist' },
        { type: 'broadcast', message: { event: ShopEvents.ended, payload: { sessionId: s.sessionId } } },
        reply('end', snapshotView(next, now)),
      ]);
    }
    case 'addProduct': {
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      if (s.products.has(c.body.productId)) {
        return refuse(ErrorCode.INVALID_STATE, 'This product is already in the stream');
      }
      const f = c.body.flashSale;
      return decided(s, [
        {
          type: 'addStreamProduct',
          sellerId: c.userId,
          productId: c.body.productId,
          livePrice: c.body.livePrice,
          offered: c.body.stock ?? null,
          flash: f ? flashInput(f, c.body.livePrice, now) : null,
          countdown: f ? f.expiresIn : null,
        },
      ]);
    }
    case 'productAdded': {
      const r = c.record;
      if (s.products.has(r.productId)) return refuse(ErrorCode.INVALID_STATE, 'This product is already in the stream');
      const p = newProduct(r, now);
      const product = productView(p, now);
      const effects: Effect[] = [
        { type: 'broadcast', message: { event: ShopEvents.productAdded, payload: { product } } },
      ];
      if (c.countdown !== null) {
        effects.push({
          type: 'broadcast',
          message: { event: ShopEvents.flashSale, payload: { product, countdown: c.countdown, endsAt: r.flashEndsAt } },
        });
      }
      if (flashRunning(p)) {
        effects.push({ type: 'schedule', timer: { type: 'flashTimeUp', productId: r.productId }, at: r.flashEndsAt! });
      }
      effects.push(reply('addProduct', { product }));
      return decided({ ...s, products: withEntry(s.products, r.productId, p) }, effects);
    }
    case 'updateProduct': {
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      const p = s.products.get(c.productId);
      if (!p) return notFound('Product in this stream');
      const running = priceAt(pricing(p), now).flash;
      const f = c.patch.flashSale;
      if (f && running) {
        return refuse(
          ErrorCode.INVALID_STATE,
          'A flash sale is running on this product; end it first (flashSale: null)',
        );
      }
      if (f === null && !running) return refuse(ErrorCode.INVALID_STATE, 'No flash sale is running on this product');
      if (f && f.quantity > p.remaining) {
        return refuse(ErrorCode.INVALID_STATE, `Only ${p.remaining} units are left for a flash sale`);
      }
      const livePrice = c.patch.livePrice ?? p.record.livePrice;
      return decided(s, [
        {
          type: 'updateStreamProduct',
          productId: c.productId,
          streamProductId: p.record.id,
          livePrice: c.patch.livePrice,
          flash: f === null ? 'end' : f ? flashInput(f, livePrice, now) : undefined,
          patch: c.patch,
        },
      ]);
    }
    case 'productUpdated':
      return productUpdated(s, c, now);
    case 'pin': {
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      const p = s.products.get(c.productId);
      if (!p) return notFound('Product in this stream');
      const payload = { productId: c.productId, product: productView(p, now) };
      return decided({ ...s, pinnedProductId: c.productId }, [
        { type: 'broadcast', message: { event: ShopEvents.productPinned, payload } },
        reply('pin', payload),
      ]);
    }
    case 'unpin': {
      // Nothing pinned afterwards; unpinning when nothing is pinned is a no-op answer.
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      const productId = s.pinnedProductId;
      const effects: Effect[] = productId
        ? [{ type: 'broadcast', message: { event: ShopEvents.productUnpinned, payload: { productId } } }]
        : [];
      effects.push(reply('unpin', { productId, unpinned: productId !== null }));
      return decided({ ...s, pinnedProductId: null }, effects);
    }
    case 'createVoucher': {
      const no = sellerOnly(s, c.userId) ?? openOnly(s);
      if (no) return no;
      const b = c.body;
      for (const id of b.productIds ?? []) if (!s.products.has(id)) return notFound(`Product ${id} in this stream`);
      const expiresAt = b.expiresAt === undefined ? null : new Date(b.expiresAt).getTime();
      if (expiresAt !== null && expiresAt <= now)
        return refuse(ErrorCode.INVALID_STATE, 'expiresAt: must be in the future');
      return decided(s, [
        {
          type: 'createVoucher',
          voucher: {
            code: b.code,
            type: b.type,
            value: b.value,
            usageLimit: b.usageLimit,
            perUserLimit: b.perUserLimit,
            minOrderAmount: b.minOrderAmount,
            expiresAt,
            productIds: b.productIds ?? null,
            private: b.private,
          },
        },
      ]);
    }
    case 'voucherCreated': {
      const v = voucherView(c.record);
      const { id: _id, code, ...rest } = v;
      const payload = { ...(c.record.private ? {} : { code }), ...rest, sessionId: s.sessionId };
      return decided(
        {
          ...s,
          vouchers: withEntry(s.vouchers, c.record.code.toLowerCase(), { ...c.record, usesByUser: PMap.empty() }),
        },
        [{ type: 'broadcast', message: { event: ShopEvents.voucher, payload } }, reply('createVoucher', v)],
      );
    }
    case 'interact': {
      const no = openOnly(s);
      if (no) return no;
      const p = s.products.get(c.productId);
      if (!p) return notFound('Product in this stream');
      const seen = p.unique[c.kind];
      const next: Product = {
        ...p,
        counts: { ...p.counts, [c.kind]: p.counts[c.kind] + 1 },
        unique: seen.has(c.userId) ? p.unique : { ...p.unique, [c.kind]: seen.set(c.userId, true) },
      };
      const value = {
        productId: c.productId,
        type: c.kind,
        count: next.counts[c.kind],
        uniqueViewers: next.unique[c.kind].size,
      };
      return decided({ ...s, products: withEntry(s.products, c.productId, next) }, [reply('interact', value)]);
    }
    case 'checkVoucher': {
      const p = s.products.get(c.productId);
      if (!p) return notFound('Product in this stream');
      const v = s.vouchers.get(c.code.toLowerCase());
      if (!v) return notFound('Voucher');
      const { unitPrice } = priceAt(pricing(p), now);
      const subtotal = unitPrice * c.quantity;
      const r = checkVoucher(v, { productId: c.productId, subtotal, usesByUser: v.usesByUser.get(c.userId) ?? 0, now });
      if (!r.ok) return r;
      const value = {
        code: v.code,
        valid: true as const,
        unitPrice: toMajor(unitPrice),
        subtotal: toMajor(subtotal),
        discount: toMajor(r.value),
        total: toMajor(subtotal - r.value),
        currency: s.currency,
      };
      return decided(s, [reply('checkVoucher', value)]);
    }
    case 'order':
      return order(s, c, now);
    case 'orderCommitted':
      return orderCommitted(s, c);
    case 'orderFailed': {
      const h = s.pending.get(c.ref);
      if (!h) return decided(s);
      return decided({ ...returnUnits(s, h), pending: s.pending.delete(c.ref) });
    }
    case 'paid': {
      // The payment side confirmed an order: its reservation timer is no longer needed.
      const answer = reply('paid', { orderId: c.orderId });
      if (s.orders.get(c.orderId) !== 'reserved') return decided(s, [answer]);
      return decided(withOrder(s, c.orderId, 'settled'), [
        { type: 'cancel', timer: { type: 'reservationDue', orderId: c.orderId } },
        answer,
      ]);
    }
    case 'reservationDue':
      return decided(s, s.orders.get(c.orderId) === 'reserved' ? [{ type: 'release', orderId: c.orderId }] : []);
    case 'releaseFailed':
      return decided(s, [{ type: 'schedule', timer: { type: 'reservationDue', orderId: c.orderId }, at: now + 1000 }]);
    case 'released':
      return released(s, c, now);
    case 'flashTimeUp': {
      const p = s.products.get(c.productId);
      if (!p || !flashRunning(p)) return decided(s);
      return endFlash(s, p, [], []);
    }
    case 'viewerJoined': {
      const unique =
        c.userId === s.sellerId || s.viewers.unique.has(c.userId)
          ? s.viewers.unique
          : s.viewers.unique.set(c.userId, true);
      return decided({ ...s, viewers: { count: c.clients, peak: Math.max(s.viewers.peak, c.clients), unique } });
    }
    case 'viewerLeft':
      return decided({
        ...s,
        viewers: { ...s.viewers, count: c.clients, peak: Math.max(s.viewers.peak, c.clients) },
      });
    default:
      return unreachable(c);
  }
}

// --- orders -----------------------------------------------------------------------------------------

/** Checks an order against the live stock, flash sale and voucher, and takes its units while it commits. */
function order(s: ShopState, c: Extract<Command, { type: 'order' }>, now: number): ShopDecision {
  if (s.status !== 'live') return refuse(ErrorCode.INVALID_STATE, `Shopping stream is ${s.status}, not live`);
  if (c.buyer.id === s.sellerId) return refuse(ErrorCode.FORBIDDEN, 'Sellers cannot buy in their own stream');
  const p = s.products.get(c.productId);
  if (!p) return notFound('Product in this stream');
  const { unitPrice, flash } = priceAt(pricing(p), now);
  const q = c.quantity;
  if (p.remaining < q) return refuse(ErrorCode.SOLD_OUT, p.remaining ? `Only ${p.remaining} left` : 'Sold out');
  if (flash) {
    if (p.flashRemaining < q) return refuse(ErrorCode.SOLD_OUT, `Only ${p.flashRemaining} flash-sale units left`);
    const limit = p.record.perCustomerLimit;
    if (limit && (p.holds.get(c.buyer.id) ?? 0) + q > limit) {
      return refuse(ErrorCode.CONFLICT, `Flash sale limit is ${limit} per customer`);
    }
  }
  let discount = 0;
  let voucherId: string | null = null;
  if (c.voucherCode) {
    const v = s.vouchers.get(c.voucherCode.toLowerCase());
    if (!v) return notFound('Voucher');
    const r = checkVoucher(v, {
      productId: c.productId,
      subtotal: unitPrice * q,
      usesByUser: v.usesByUser.get(c.buyer.id) ?? 0,
      now,
    });
    if (!r.ok) return r;
    discount = r.value;
    voucherId = v.id;
  }
  const totals = orderTotal(unitPrice, q, discount);
  const hold: PendingOrder = {
    productId: c.productId,
    buyerId: c.buyer.id,
    buyerName: c.buyer.name,
    quantity: q,
    flash,
    voucherId,
  };
  const next = { ...takeUnits(s, hold), pending: s.pending.set(c.ref, hold) };
  return decided(next, [
    {
      type: 'commitOrder',
      ref: c.ref,
      order: {
        sessionId: s.sessionId,
        streamProductId: p.record.id,
        productId: c.productId,
        buyerId: c.buyer.id,
        quantity: q,
        unitPrice,
        discount: totals.discount,
        total: totals.total,
        flash,
        voucherId,
        idempotencyKey: c.idempotencyKey,
        expiresAt: now + c.reservationTtlMs,
      },
    },
  ]);
}

function orderCommitted(s: ShopState, c: Extract<Event, { type: 'orderCommitted' }>): ShopDecision {
  const h = s.pending.get(c.ref);
  let next: ShopState = h ? { ...s, pending: s.pending.delete(c.ref) } : s;
  const o = c.order;
  const answer = reply('order', { order: orderView(o, s.currency), replayed: c.replayed });
  if (c.replayed) {
    // The key's first order stands: this attempt's units go back.
    if (h) next = returnUnits(next, h);
    if (next.orders.has(o.id) || o.status === 'released') return decided(next, [answer]);
    // The first attempt committed but its answer was lost (the buyer saw UNAVAILABLE): this room never
    // counted it. The database holds its units, so the room takes them too, with its expiry timer.
    next = withOrder(takeUnits(next, holdOf(o)), o.id, o.status === 'reserved' ? 'reserved' : 'settled');
    const effects: Effect[] = o.status === 'reserved' ? [expiry(o)] : [];
    return afterStockChange(next, o.productId, [...effects, answer]);
  }
  next = withOrder(next, o.id, 'reserved');
  const p = next.products.get(o.productId);
  const effects: Effect[] = [expiry(o)];
  return afterStockChange(next, o.productId, [
    ...effects,
    {
      type: 'send',
      userId: s.sellerId,
      message: {
        event: ShopEvents.order,
        payload: {
          orderId: o.id,
          buyer: { id: o.buyerId, name: h?.buyerName ?? '' },
          productId: o.productId,
          productName: p?.record.name ?? '',
          quantity: o.quantity,
        },
      },
    },
    answer,
  ]);
}

function released(s: ShopState, c: Extract<Event, { type: 'released' }>, now: number): ShopDecision {
  const o = c.order;
  if (!o) return decided(withOrder(s, c.orderId, 'settled')); // paid meanwhile
  let next: ShopState = withOrder(s, o.id, 'released');
  const p = next.products.get(o.productId);
  const effects: Effect[] = [
    {
      type: 'send',
      userId: o.buyerId,
      message: { event: ShopEvents.orderReleased, payload: { orderId: o.id, productId: o.productId } },
    },
  ];
  if (!p) return decided(next, effects);
  // Flash units go back only to the flash sale the order was taken from, while it still runs.
  const flashBack =
    o.flash &&
    !p.flashOver &&
    Date.parse(o.createdAt) >= p.flashStartedAt &&
    p.record.flashEndsAt !== null &&
    now < p.record.flashEndsAt;
  next = returnUnits(next, { ...holdOf(o), flash: flashBack });
  const back = next.products.get(o.productId)!;
  if (back.remaining > 0 && back.soldOutAnnounced) {
    next = { ...next, products: withEntry(next.products, o.productId, { ...back, soldOutAnnounced: false }) };
  }
  return afterStockChange(next, o.productId, effects);
}

/** Sold out announced once; a flash sale whose units ran out ends. Then `effects`. */
function afterStockChange(s: ShopState, productId: string, effects: Effect[]): ShopDecision {
  let p = s.products.get(productId);
  if (!p) return decided(s, effects);
  let next = s;
  const first: Effect[] = [];
  if (p.remaining === 0 && !p.soldOutAnnounced) {
    p = { ...p, soldOutAnnounced: true };
    next = { ...next, products: withEntry(next.products, productId, p) };
    first.push({ type: 'broadcast', message: { event: ShopEvents.soldOut, payload: { productId } } });
  }
  if (flashRunning(p) && p.flashRemaining <= 0) return endFlash(next, p, first, effects);
  return decided(next, [...first, ...effects]);
}

/** The flash sale is over (time, units, or the seller): the live price from now on. */
function endFlash(s: ShopState, p: Product, before: Effect[], after: Effect[]): ShopDecision {
  const productId = p.record.productId;
  const next: Product = { ...p, flashOver: true };
  return decided({ ...s, products: withEntry(s.products, productId, next) }, [
    ...before,
    { type: 'cancel', timer: { type: 'flashTimeUp', productId } },
    {
      type: 'broadcast',
      message: { event: ShopEvents.flashSaleEnded, payload: { productId, price: toMajor(p.record.livePrice) } },
    },
    ...after,
  ]);
}

function productUpdated(s: ShopState, c: Extract<Event, { type: 'productUpdated' }>, now: number): ShopDecision {
  const p = s.products.get(c.productId);
  if (!p) return notFound('Product in this stream');
  const before = priceAt(pricing(p), now).unitPrice;
  const previousLive = p.record.livePrice;
  const f = c.patch.flashSale;
  let next: Product = { ...p, record: { ...p.record, ...c.record, name: p.record.name } };
  let s2: ShopState = { ...s, products: withEntry(s.products, c.productId, next) };
  const effects: Effect[] = [];
  if (f === null) {
    const ended = endFlash(s2, next, [], []);
    if (!ended.ok) return ended;
    s2 = ended.value.state;
    effects.push(...ended.value.effects);
    next = s2.products.get(c.productId)!;
  } else if (f) {
    next = { ...next, flashOver: false, flashStartedAt: now, flashRemaining: c.record.flashRemaining ?? 0 };
    s2 = { ...s2, products: withEntry(s2.products, c.productId, next) };
    const timer: Timer = { type: 'flashTimeUp', productId: c.productId };
    effects.push({ type: 'cancel', timer }, { type: 'schedule', timer, at: c.record.flashEndsAt ?? now });
  }
  const product = productView(next, now);
  if (c.patch.livePrice !== undefined && c.patch.livePrice !== previousLive) {
    effects.push({
      type: 'broadcast',
      message: {
        event: ShopEvents.priceChanged,
        payload: {
          productId: c.productId,
          livePrice: toMajor(c.record.livePrice),
          previousLivePrice: toMajor(previousLive),
          currentPrice: product.currentPrice,
          previousPrice: toMajor(before),
        },
      },
    });
  }
  if (f) {
    effects.push({
      type: 'broadcast',
      message: {
        event: ShopEvents.flashSale,
        payload: { product, countdown: f.expiresIn, endsAt: c.record.flashEndsAt },
      },
    });
  }
  effects.push(reply('updateProduct', { product }));
  return decided(s2, effects);
}

// --- helpers ----------------------------------------------------------------------------------------

/** The live analytics are the seller's. */
export function sellerCheck(s: ShopState, userId: string): Result<true> {
  return sellerOnly(s, userId) ?? accept(true);
}

function sellerOnly(s: ShopState, userId: string) {
  return userId === s.sellerId ? undefined : refuse(ErrorCode.FORBIDDEN, 'Only the seller of this stream can do this');
}

function openOnly(s: ShopState) {
  return s.status === 'scheduled' || s.status === 'live'
    ? undefined
    : refuse(ErrorCode.INVALID_STATE, `Shopping stream is ${s.status}`);
}

const notFound = (what: string) => refuse(ErrorCode.NOT_FOUND, `${what} not found`);

function flashInput(f: FlashSaleBody, livePrice: number, now: number): FlashSaleInput {
  return {
    price: f.price ?? livePrice,
    quantity: f.quantity,
    endsAt: now + f.expiresIn,
    perCustomerLimit: f.perCustomerLimit ?? null,
  };
}

function holdOf(o: OrderRecord): Hold {
  return { productId: o.productId, buyerId: o.buyerId, quantity: o.quantity, flash: o.flash, voucherId: o.voucherId };
}

function expiry(o: OrderRecord): Effect {
  return { type: 'schedule', timer: { type: 'reservationDue', orderId: o.id }, at: o.expiresAt };
}
