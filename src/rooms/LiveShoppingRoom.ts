/**
 * `live_shopping`: one seller's shopping stream. The room is the authority for the stream's
 * products, prices, stock, vouchers and pinned product; every order is committed to the
 * database (with the stock decrement guarded there too) before it is confirmed.
 * Created by POST /api/live-shopping; every HTTP call that changes the stream reaches it via callRoom.
 */
import { randomUUID } from 'node:crypto';
import { type Client, type Delayed, Room } from '@colyseus/core';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import {
  InteractionBody,
  OrderBody,
  PinBody,
  ShopEvents,
  ShopMessages,
  StreamProductBody,
  StreamProductPatch,
  UnpinBody,
  UpdateProductMessage,
  VoucherBody,
  VoucherCheckBody,
} from '../domain/shopping/protocol';
import { checkVoucher, orderTotal, priceAt, summarize } from '../domain/shopping/rules';
import { AppError, ErrorCode, conflict, forbidden, invalidState, notFound } from '../errors';
import { SfuMedia } from '../rtc/SfuMedia';
import { LiveShoppingState, ShopProduct } from '../state/LiveShoppingState';
import {
  type NewOrder,
  type OrderRow,
  type SessionRow,
  type StreamProductRow,
  type VoucherRow,
  shoppingStore,
} from '../stores/shoppingStore';
import { orderCommitter } from '../shopping/orderCommitter';
import { parse } from '../validation';
import { safely } from './safely';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, handle, reportViewers, setListing, userOf } from './roomKit';
import {
  type ActiveFilterData,
  applyHostFilter,
  removeHostFilter,
  type StreamFilterOp,
  type StreamHostRoom,
  streamFilterOp,
} from './streamHost';
import { toMajor, toMajorOrNull } from '../domain/shopping/money';

interface LiveProduct {
  row: StreamProductRow;
  remaining: number;
  flashRemaining: number;
  /** Units each buyer holds (not released), for the flash sale's per-customer limit. */
  perBuyer: Map<string, number>;
  counts: { view: number; click: number; cart_add: number };
  unique: { view: Set<string>; click: Set<string>; cart_add: Set<string> };
  soldOutAnnounced: boolean;
  flashTimer?: Delayed;
  /** Set when the flash sale ran out of time or units: the live price from then on. */
  flashOver: boolean;
  /** When the current flash sale began (0: with the product); a released order returns flash units only to it. */
  flashStartedAt: number;
}

interface LiveVoucher extends VoucherRow {
  usesByUser: Map<string, number>;
}

/** An order as clients see it: money in the major unit (see domain/shopping/money.ts). */
export type PublicOrder = OrderRow & { currency: string };
/** What the buyer gets back (HTTP body and the `live-shopping:order-result` message). */
export interface OrderResult {
  order: PublicOrder;
  replayed: boolean;
}

/** State patch interval (docs/protocol.md states it; a test checks). */
export const PATCH_MS = 100;

export class LiveShoppingRoom extends Room<{ state: LiveShoppingState }> implements StreamHostRoom {
  static override onAuth = authenticate;
  override state = new LiveShoppingState();
  /** Lives while scheduled with nobody in it; disposes itself after the end (once reservations settle). */
  override autoDispose = false;

  private session!: SessionRow;
  private media!: SfuMedia;
  private products = new Map<string, LiveProduct>();
  private vouchers = new Map<string, LiveVoucher>();
  private inflight = new Map<string, Promise<OrderResult>>();
  private expiryTimers = new Map<string, Delayed>();
  private uniqueViewers = new Set<string>();
  private peakViewers = 0;
  private closing = false;
  /** Orders already in this room's stock counters (loaded at create, or placed through it). */
  private counted = new Set<string>();

  // --- lifecycle ------------------------------------------------------------------

  override async onCreate(options: { sessionId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    this.setPatchRate(PATCH_MS);
    const store = shoppingStore();
    const session = await store.getSession(String(options?.sessionId ?? ''));
    if (!session || (session.status !== 'scheduled' && session.status !== 'live')) throw notFound('Shopping session');
    if (!(await store.claimRoom(session.id, this.roomId))) throw conflict('This shopping session already has a room');
    this.session = session;
    const s = this.state;
    s.sessionId = session.id;
    s.sellerId = session.sellerId;
    s.sellerName = session.sellerName;
    s.title = session.title;
    s.status = session.status;
    s.currency = ctx().config.SHOP_CURRENCY;

    for (const row of await store.streamProducts(session.id)) this.addLive(row);
    for (const v of await store.vouchers(session.id)) {
      this.vouchers.set(v.code.toLowerCase(), { ...v, usesByUser: new Map() });
    }
    const byId = new Map([...this.vouchers.values()].map((v) => [v.id, v]));
    for (const u of await store.voucherUsesByUser(session.id)) byId.get(u.voucherId)?.usesByUser.set(u.userId, u.n);
    for (const o of await store.sessionOrders(session.id)) {
      if (o.status === 'released') continue;
      this.counted.add(o.id);
      if (o.status === 'reserved') this.scheduleExpiry(o);
      const lp = this.products.get(o.productId);
      if (lp) lp.perBuyer.set(o.buyerId, (lp.perBuyer.get(o.buyerId) ?? 0) + o.quantity);
    }
    await this.setMetadata({
      sessionId: session.id,
      sellerId: session.sellerId,
      status: session.status,
      title: session.title,
      host: session.sellerName,
      viewerCount: 0,
    });
    // The seller publishes to the SFU; buyers watch through it.
    this.media = new SfuMedia({ room: this, canPublish: (id) => this.isHost(id), feeds: this.state.feeds });
    this.media.register();
    if (session.status === 'live') await this.media.goLive();

    handle(
      this,
      ShopMessages.order,
      OrderBody,
      async (client, m) => {
        const r = await this.order(userOf(client), m);
        client.send(ShopEvents.orderResult, { ...r, ...(m.requestId ? { requestId: m.requestId } : {}) });
      },
      { errorEvent: ShopEvents.error },
    );
    handle(this, ShopMessages.interaction, InteractionBody, (client, m) => this.interact(userOf(client), m), {
      errorEvent: ShopEvents.error,
    });
    handle(
      this,
      ShopMessages.updateProduct,
      UpdateProductMessage,
      async (client, { productId, ...patch }) => {
        await this.updateProduct(userOf(client).id, productId, parse(StreamProductPatch, patch));
      },
      { errorEvent: ShopEvents.error },
    );
    handle(this, ShopMessages.pinProduct, PinBody, (client, m) => this.pin(userOf(client).id, m.productId), {
      errorEvent: ShopEvents.error,
    });
    handle(this, ShopMessages.unpinProduct, UnpinBody, (client) => this.unpin(userOf(client).id), {
      errorEvent: ShopEvents.error,
    });
  }

  override onJoin(client: Client): void {
    const user = userOf(client);
    if (user.id !== this.session.sellerId) this.uniqueViewers.add(user.id);
    this.countViewers();
  }

  override onLeave(client: Client): void {
    this.countViewers();
    void this.media.onLeave(client);
  }

  override async onDispose(): Promise<void> {
    if (!this.session) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    const status = this.state.status;
    try {
      await this.persistInteractions();
      const analytics = await this.analytics();
      await shoppingStore().close(this.session.id, status === 'ended' ? 'ended' : 'interrupted', analytics);
      if (status !== 'ended') ctx().logger.warn({ sessionId: this.session.id, status }, 'shopping session interrupted');
    } catch (err) {
      ctx().logger.error({ err, sessionId: this.session.id }, 'shopping analytics not persisted');
    }
  }

  // --- StreamHostRoom ---------------------------------------------------------------

  isHost(userId: string): boolean {
    return userId === this.session.sellerId;
  }
  applyFilter(userId: string, filter: ActiveFilterData): void {
    applyHostFilter(this, this.state.filters, userId, filter);
  }
  removeFilter(userId: string, filterId: string): boolean {
    return removeHostFilter(this, this.state.filters, userId, filterId);
  }
  rpcStreamFilter(op: StreamFilterOp) {
    return exposed(() => streamFilterOp(this, op));
  }

  // --- seller controls --------------------------------------------------------------

  private requireSeller(userId: string): void {
    if (userId !== this.session.sellerId) throw forbidden('Only the seller of this stream can do this');
  }

  private requireOpen(): void {
    if (this.state.status !== 'scheduled' && this.state.status !== 'live') {
      throw invalidState(`Shopping stream is ${this.state.status}`);
    }
  }

  rpcStart(userId: string) {
    return exposed(async () => {
      this.requireSeller(userId);
      if (this.state.status !== 'scheduled') throw invalidState(`Shopping stream is ${this.state.status}`);
      await shoppingStore().markLive(this.session.id);
      this.state.status = 'live';
      await setListing(this, { status: 'live' });
      await this.media.goLive();
      this.broadcast(ShopEvents.started, { sessionId: this.session.id });
      return this.snapshot();
    });
  }

  rpcEnd(userId: string) {
    return exposed(async () => {
      this.requireSeller(userId);
      this.requireOpen();
      this.state.status = 'ended';
      await setListing(this, { status: 'ended' });
      for (const lp of this.products.values()) lp.flashTimer?.clear();
      await this.persistInteractions();
      const analytics = await this.analytics();
      await shoppingStore().close(this.session.id, 'ended', analytics);
      this.broadcast(ShopEvents.ended, { sessionId: this.session.id });
      this.closeWhenSettled();
      return { ...this.snapshot(), analytics };
    });
  }

  rpcAddProduct(userId: string, body: unknown) {
    return exposed(async () => {
      this.requireSeller(userId);
      this.requireOpen();
      const b = parse(StreamProductBody, body);
      if (this.products.has(b.productId)) throw invalidState('This product is already in the stream');
      const product = await shoppingStore().getProduct(b.productId);
      if (!product) throw notFound('Product');
      if (product.sellerId !== userId) throw forbidden('You can only sell your own products');
      const f = b.flashSale;
      const row = await shoppingStore().addStreamProduct({
        sessionId: this.session.id,
        productId: b.productId,
        livePrice: b.livePrice,
        offered: b.stock ?? null,
        flash: f
          ? {
              price: f.price ?? b.livePrice,
              quantity: f.quantity,
              endsAt: Date.now() + f.expiresIn,
              perCustomerLimit: f.perCustomerLimit ?? null,
            }
          : null,
      });
      if (this.products.has(b.productId)) throw invalidState('This product is already in the stream');
      const lp = this.addLive(row);
      const payload = this.productPayload(lp);
      this.broadcast(ShopEvents.productAdded, { product: payload });
      if (f)
        this.broadcast(ShopEvents.flashSale, { product: payload, countdown: f.expiresIn, endsAt: row.flashEndsAt });
      return { product: payload };
    });
  }

  rpcUpdateProduct(userId: string, productId: string, body: unknown) {
    return exposed(() => this.updateProduct(userId, productId, parse(StreamProductPatch, body)));
  }

  /** Mid-stream: a new live price and/or a flash sale started (or ended) on a product already listed. */
  private async updateProduct(userId: string, productId: string, p: StreamProductPatch) {
    this.requireSeller(userId);
    this.requireOpen();
    const lp = this.products.get(productId);
    if (!lp) throw notFound('Product in this stream');
    const now = Date.now();
    const running = priceAt(this.pricing(lp), now).flash;
    const f = p.flashSale;
    if (f && running) throw invalidState('A flash sale is running on this product; end it first (flashSale: null)');
    if (f === null && !running) throw invalidState('No flash sale is running on this product');
    if (f && f.quantity > lp.remaining) throw invalidState(`Only ${lp.remaining} units are left for a flash sale`);
    const livePrice = p.livePrice ?? lp.row.livePrice;
    const row = await shoppingStore().updateStreamProduct(lp.row.id, {
      livePrice: p.livePrice,
      flash:
        f === null
          ? 'end'
          : f
            ? {
                price: f.price ?? livePrice,
                quantity: f.quantity,
                endsAt: now + f.expiresIn,
                perCustomerLimit: f.perCustomerLimit ?? null,
              }
            : undefined,
    });
    const before = priceAt(this.pricing(lp), Date.now()).unitPrice;
    const previousLive = lp.row.livePrice;
    lp.row = { ...lp.row, ...row, name: lp.row.name };
    const sp = this.state.products.get(productId);
    if (sp) sp.livePrice = toMajor(row.livePrice);
    if (f === null) {
      this.endFlash(lp);
    } else if (f) {
      lp.flashTimer?.clear();
      lp.flashOver = false;
      lp.flashStartedAt = now;
      lp.flashRemaining = row.flashRemaining ?? 0;
      if (sp) {
        sp.flashPrice = toMajor(row.flashPrice ?? 0);
        sp.flashEndsAt = row.flashEndsAt ?? 0;
      }
      const endsAt = row.flashEndsAt ?? now;
      lp.flashTimer = this.clock.setTimeout(() => this.endFlash(lp, endsAt), Math.max(0, endsAt - Date.now()));
    }
    this.syncProduct(lp);
    const payload = this.productPayload(lp);
    if (p.livePrice !== undefined && p.livePrice !== previousLive) {
      this.broadcast(ShopEvents.priceChanged, {
        productId,
        livePrice: toMajor(row.livePrice),
        previousLivePrice: toMajor(previousLive),
        currentPrice: payload.currentPrice,
        previousPrice: toMajor(before),
      });
    }
    if (f) this.broadcast(ShopEvents.flashSale, { product: payload, countdown: f.expiresIn, endsAt: row.flashEndsAt });
    return { product: payload };
  }

  rpcPin(userId: string, body: unknown) {
    return exposed(() => this.pin(userId, parse(PinBody, body).productId));
  }

  private pin(userId: string, productId: string) {
    this.requireSeller(userId);
    this.requireOpen();
    const lp = this.products.get(productId);
    if (!lp) throw notFound('Product in this stream');
    this.state.pinnedProductId = productId;
    const payload = { productId, product: this.productPayload(lp) };
    this.broadcast(ShopEvents.productPinned, payload);
    return payload;
  }

  rpcUnpin(userId: string) {
    return exposed(() => this.unpin(userId));
  }

  /** Nothing pinned afterwards; unpinning when nothing is pinned is a no-op answer. */
  private unpin(userId: string) {
    this.requireSeller(userId);
    this.requireOpen();
    const productId = this.state.pinnedProductId || null;
    this.state.pinnedProductId = '';
    if (productId) this.broadcast(ShopEvents.productUnpinned, { productId });
    return { productId, unpinned: productId !== null };
  }

  rpcVoucher(userId: string, body: unknown) {
    return exposed(async () => {
      this.requireSeller(userId);
      this.requireOpen();
      const b = parse(VoucherBody, body);
      for (const id of b.productIds ?? []) if (!this.products.has(id)) throw notFound(`Product ${id} in this stream`);
      const expiresAt = b.expiresAt === undefined ? null : new Date(b.expiresAt).getTime();
      if (expiresAt !== null && expiresAt <= Date.now()) throw invalidState('expiresAt: must be in the future');
      const v = await shoppingStore().createVoucher(this.session.id, {
        code: b.code,
        type: b.type,
        value: b.value,
        usageLimit: b.usageLimit,
        perUserLimit: b.perUserLimit,
        minOrderAmount: b.minOrderAmount,
        expiresAt,
        productIds: b.productIds ?? null,
        private: b.private,
      });
      this.vouchers.set(v.code.toLowerCase(), { ...v, usesByUser: new Map() });
      const { id: _id, code, ...rest } = publicVoucher(v);
      this.broadcast(ShopEvents.voucher, { ...(v.private ? {} : { code }), ...rest, sessionId: this.session.id });
      return publicVoucher(v);
    });
  }

  // --- viewers ------------------------------------------------------------------------

  rpcInteraction(user: AuthUser, body: unknown) {
    return exposed(() => this.interact(user, parse(InteractionBody, body)));
  }

  private interact(user: AuthUser, m: { productId: string; type: 'view' | 'click' | 'cart_add' }) {
    this.requireOpen();
    const lp = this.products.get(m.productId);
    if (!lp) throw notFound('Product in this stream');
    lp.counts[m.type]++;
    lp.unique[m.type].add(user.id);
    return { productId: m.productId, type: m.type, count: lp.counts[m.type], uniqueViewers: lp.unique[m.type].size };
  }

  rpcCheckVoucher(user: AuthUser, body: unknown) {
    return exposed(() => {
      const b = parse(VoucherCheckBody, body);
      const lp = this.products.get(b.productId);
      if (!lp) throw notFound('Product in this stream');
      const v = this.vouchers.get(b.code.toLowerCase());
      if (!v) throw notFound('Voucher');
      const now = Date.now();
      const { unitPrice } = priceAt(this.pricing(lp), now);
      const subtotal = unitPrice * b.quantity;
      const c = checkVoucher(v, { productId: b.productId, subtotal, usesByUser: v.usesByUser.get(user.id) ?? 0, now });
      if (!c.ok) throw new AppError(ErrorCode[c.code], c.reason);
      return {
        code: v.code,
        valid: true,
        unitPrice: toMajor(unitPrice),
        subtotal: toMajor(subtotal),
        discount: toMajor(c.discount),
        total: toMajor(subtotal - c.discount),
        currency: this.state.currency,
      };
    });
  }

  // --- orders -------------------------------------------------------------------------

  rpcOrder(user: AuthUser, body: unknown) {
    return exposed(() => this.order(user, parse(OrderBody, body)));
  }

  /** One authority for HTTP and room orders; the same key twice is the first order. */
  order(buyer: AuthUser, body: OrderBody): Promise<OrderResult> {
    // Optional key (HTTP puts the Idempotency-Key header here): without one, a new operation.
    const m = { ...body, idempotencyKey: body.idempotencyKey ?? body.requestId ?? randomUUID() };
    const key = `${buyer.id}:${m.idempotencyKey}`;
    const first = this.inflight.get(key);
    if (first) return first.then((r) => ({ ...r, replayed: true }));
    const p = this.placeOrder(buyer, m);
    this.inflight.set(key, p);
    p.catch(() => this.inflight.delete(key));
    return p;
  }

  private async placeOrder(buyer: AuthUser, m: OrderBody & { idempotencyKey: string }): Promise<OrderResult> {
    if (this.state.status !== 'live') throw invalidState(`Shopping stream is ${this.state.status}, not live`);
    if (buyer.id === this.session.sellerId) throw forbidden('Sellers cannot buy in their own stream');
    const lp = this.products.get(m.productId);
    if (!lp) throw notFound('Product in this stream');
    const now = Date.now();
    const { unitPrice, flash } = priceAt(this.pricing(lp), now);
    const q = m.quantity;
    if (lp.remaining < q) {
      throw new AppError(ErrorCode.SOLD_OUT, lp.remaining ? `Only ${lp.remaining} left` : 'Sold out');
    }
    if (flash) {
      if (lp.flashRemaining < q) {
        throw new AppError(ErrorCode.SOLD_OUT, `Only ${lp.flashRemaining} flash-sale units left`);
      }
      const limit = lp.row.perCustomerLimit;
      if (limit && (lp.perBuyer.get(buyer.id) ?? 0) + q > limit) {
        throw new AppError(ErrorCode.CONFLICT, `Flash sale limit is ${limit} per customer`);
      }
    }
    let discount = 0;
    let voucher: LiveVoucher | undefined;
    if (m.voucherCode) {
      voucher = this.vouchers.get(m.voucherCode.toLowerCase());
      if (!voucher) throw notFound('Voucher');
      const c = checkVoucher(voucher, {
        productId: m.productId,
        subtotal: unitPrice * q,
        usesByUser: voucher.usesByUser.get(buyer.id) ?? 0,
        now,
      });
      if (!c.ok) throw new AppError(ErrorCode[c.code], c.reason);
      discount = c.discount;
    }
    const totals = orderTotal(unitPrice, q, discount);

    // Reserve in the room first (synchronously: no other order interleaves), then commit.
    const undo = this.adjust(lp, buyer.id, q, flash, voucher, -1);
    let placed: { order: OrderRow; replayed: boolean };
    try {
      placed = await this.commit({
        sessionId: this.session.id,
        streamProductId: lp.row.id,
        productId: lp.row.productId,
        buyerId: buyer.id,
        quantity: q,
        unitPrice,
        discount: totals.discount,
        total: totals.total,
        flash,
        voucherId: voucher?.id ?? null,
        idempotencyKey: m.idempotencyKey,
        expiresAt: now + ctx().config.SHOP_RESERVATION_TTL_MS,
      });
    } catch (err) {
      undo();
      if (err instanceof AppError) throw err;
      ctx().logger.error({ err, sessionId: this.session.id }, 'order not recorded');
      throw new AppError(
        ErrorCode.UNAVAILABLE,
        'Order could not be recorded, nothing was reserved; retry with the same key',
      );
    }
    if (placed.replayed) {
      undo();
      const prior = placed.order;
      if (!this.counted.has(prior.id) && prior.status !== 'released') {
        // The first attempt committed but its answer was lost (the buyer saw UNAVAILABLE): this room
        // never counted it. It is reserved in the database, so reserve it here too, as committed
        // (its own quantity and voucher), with its expiry timer.
        this.counted.add(prior.id);
        const v = prior.voucherId ? [...this.vouchers.values()].find((x) => x.id === prior.voucherId) : undefined;
        this.adjust(lp, buyer.id, prior.quantity, prior.flash, v, -1);
        if (prior.status === 'reserved') this.scheduleExpiry(prior);
        this.afterStockChange(lp);
      }
      return { order: this.publicOrder(prior), replayed: true };
    }
    const order = placed.order;
    this.counted.add(order.id);
    this.scheduleExpiry(order);
    this.afterStockChange(lp);
    for (const c of this.clients) {
      if (userOf(c).id === this.session.sellerId) {
        c.send(ShopEvents.order, {
          orderId: order.id,
          buyer: { id: buyer.id, name: buyer.username },
          productId: order.productId,
          productName: lp.row.name,
          quantity: order.quantity,
        });
      }
    }
    return { order: this.publicOrder(order), replayed: false };
  }

  /** Queues an order (already reserved in the room) for the process's next group commit. */
  private commit(input: NewOrder): Promise<{ order: OrderRow; replayed: boolean }> {
    return orderCommitter().submit(input);
  }

  /** Takes (dir -1) or gives back (dir +1) units and a voucher use in the room; returns the inverse. */
  private adjust(
    lp: LiveProduct,
    buyerId: string,
    q: number,
    flash: boolean,
    voucher: LiveVoucher | undefined,
    dir: 1 | -1,
  ): () => void {
    lp.remaining += dir * q;
    if (flash) lp.flashRemaining += dir * q;
    lp.perBuyer.set(buyerId, Math.max(0, (lp.perBuyer.get(buyerId) ?? 0) - dir * q));
    if (voucher) {
      voucher.uses -= dir;
      voucher.usesByUser.set(buyerId, Math.max(0, (voucher.usesByUser.get(buyerId) ?? 0) - dir));
    }
    this.syncProduct(lp);
    return () => {
      this.adjust(lp, buyerId, q, flash, voucher, dir === -1 ? 1 : -1);
    };
  }

  /** The payment side confirmed an order: its reservation timer is no longer needed. */
  rpcPaid(orderId: string) {
    return exposed(() => {
      this.expiryTimers.get(orderId)?.clear();
      this.expiryTimers.delete(orderId);
      return { orderId };
    });
  }

  private scheduleExpiry(o: OrderRow): void {
    const delay = Math.max(0, o.expiresAt - Date.now());
    this.expiryTimers.set(
      o.id,
      this.clock.setTimeout(() => safely(this, 'release expired reservation', () => this.expire(o)), delay),
    );
  }

  private async expire(o: OrderRow): Promise<void> {
    let released: OrderRow | null;
    try {
      released = await shoppingStore().release(o.id);
    } catch (err) {
      ctx().logger.error({ err, orderId: o.id }, 'reservation release failed; retrying');
      this.expiryTimers.set(
        o.id,
        this.clock.setTimeout(() => safely(this, 'release expired reservation', () => this.expire(o)), 1000),
      );
      return;
    }
    this.expiryTimers.delete(o.id);
    if (!released) return; // paid meanwhile
    const lp = this.products.get(o.productId);
    if (lp) {
      const flashBack =
        o.flash &&
        !lp.flashOver &&
        Date.parse(o.createdAt) >= lp.flashStartedAt &&
        lp.row.flashEndsAt !== null &&
        Date.now() < lp.row.flashEndsAt;
      const voucher = o.voucherId ? [...this.vouchers.values()].find((v) => v.id === o.voucherId) : undefined;
      this.adjust(lp, o.buyerId, o.quantity, flashBack, voucher, 1);
      if (lp.remaining > 0) lp.soldOutAnnounced = false;
      this.afterStockChange(lp);
    }
    for (const c of this.clients) {
      if (userOf(c).id === o.buyerId) c.send(ShopEvents.orderReleased, { orderId: o.id, productId: o.productId });
    }
  }

  // --- reads --------------------------------------------------------------------------

  rpcSnapshot() {
    return exposed(() => this.snapshot());
  }

  rpcAnalytics(userId: string) {
    return exposed(async () => {
      this.requireSeller(userId);
      return this.analytics();
    });
  }

  private snapshot() {
    return {
      sessionId: this.session.id,
      roomId: this.roomId,
      status: this.state.status,
      pinnedProductId: this.state.pinnedProductId || null,
      viewerCount: this.state.viewerCount,
      currency: this.state.currency,
      products: [...this.products.values()].map((lp) => this.productPayload(lp)),
    };
  }

  private async analytics() {
    const orders = await shoppingStore().sessionOrders(this.session.id);
    const a = summarize(
      [...this.products.values()].map((lp) => ({
        productId: lp.row.productId,
        name: lp.row.name,
        offered: lp.row.offered,
        remaining: lp.remaining,
        flashQuantity: lp.row.flashQuantity,
        views: lp.counts.view,
        clicks: lp.counts.click,
        cartAdds: lp.counts.cart_add,
        uniqueViewers: lp.unique.view.size,
      })),
      orders,
      { peak: this.peakViewers, unique: this.uniqueViewers.size },
    );
    // Money in the major unit, as everywhere on the wire.
    return {
      currency: ctx().config.SHOP_CURRENCY,
      ...a,
      revenue: toMajor(a.revenue),
      averageOrderValue: toMajor(a.averageOrderValue),
      products: a.products.map((p) => ({
        ...p,
        revenue: toMajor(p.revenue),
        averageOrderValue: toMajor(p.averageOrderValue),
      })),
    };
  }

  private async persistInteractions(): Promise<void> {
    await shoppingStore().saveInteractions(
      [...this.products.values()].map((lp) => ({
        streamProductId: lp.row.id,
        views: lp.counts.view,
        clicks: lp.counts.click,
        cartAdds: lp.counts.cart_add,
      })),
    );
  }

  // --- helpers ------------------------------------------------------------------------

  private addLive(row: StreamProductRow): LiveProduct {
    const lp: LiveProduct = {
      row,
      remaining: row.remaining,
      flashRemaining: row.flashRemaining ?? 0,
      perBuyer: new Map(),
      counts: { view: 0, click: 0, cart_add: 0 },
      unique: { view: new Set(), click: new Set(), cart_add: new Set() },
      soldOutAnnounced: row.remaining === 0,
      flashOver: false,
      flashStartedAt: 0,
    };
    this.products.set(row.productId, lp);
    const sp = new ShopProduct();
    sp.productId = row.productId;
    sp.name = row.name;
    sp.livePrice = toMajor(row.livePrice);
    sp.offered = row.offered;
    sp.flashPrice = toMajor(row.flashPrice ?? 0);
    sp.flashEndsAt = row.flashEndsAt ?? 0;
    this.state.products.set(row.productId, sp);
    this.syncProduct(lp);
    if (row.flashEndsAt && row.flashEndsAt > Date.now()) {
      const endsAt = row.flashEndsAt;
      // The room clock may fire a hair before the wall clock reaches endsAt.
      lp.flashTimer = this.clock.setTimeout(() => this.endFlash(lp, endsAt), endsAt - Date.now());
    }
    return lp;
  }

  private pricing(lp: LiveProduct) {
    return {
      livePrice: lp.row.livePrice,
      remaining: lp.remaining,
      flashPrice: lp.row.flashPrice,
      flashRemaining: lp.row.flashQuantity === null ? null : lp.flashRemaining,
      flashEndsAt: lp.flashOver ? 0 : lp.row.flashEndsAt,
    };
  }

  private syncProduct(lp: LiveProduct, now = Date.now()): void {
    const sp = this.state.products.get(lp.row.productId);
    if (!sp) return;
    const { unitPrice, flash } = priceAt(this.pricing(lp), now);
    sp.remaining = lp.remaining;
    sp.flashRemaining = lp.row.flashQuantity === null ? 0 : lp.flashRemaining;
    sp.currentPrice = toMajor(unitPrice);
    sp.flashActive = flash;
  }

  private endFlash(lp: LiveProduct, at = Date.now()): void {
    lp.flashTimer?.clear();
    lp.flashTimer = undefined;
    lp.flashOver = true;
    this.syncProduct(lp, Math.max(at, Date.now()));
    this.broadcast(ShopEvents.flashSaleEnded, { productId: lp.row.productId, price: toMajor(lp.row.livePrice) });
  }

  private afterStockChange(lp: LiveProduct): void {
    this.syncProduct(lp);
    if (lp.remaining === 0 && !lp.soldOutAnnounced) {
      lp.soldOutAnnounced = true;
      this.broadcast(ShopEvents.soldOut, { productId: lp.row.productId });
    }
    if (lp.flashTimer && lp.flashRemaining <= 0) this.endFlash(lp);
  }

  private productPayload(lp: LiveProduct) {
    const { unitPrice, flash } = priceAt(this.pricing(lp), Date.now());
    return {
      productId: lp.row.productId,
      name: lp.row.name,
      currentPrice: toMajor(unitPrice),
      livePrice: toMajor(lp.row.livePrice),
      offered: lp.row.offered,
      remaining: lp.remaining,
      flashSale:
        lp.row.flashQuantity === null
          ? null
          : {
              price: toMajorOrNull(lp.row.flashPrice),
              quantity: lp.row.flashQuantity,
              remaining: lp.flashRemaining,
              endsAt: lp.row.flashEndsAt,
              perCustomerLimit: lp.row.perCustomerLimit,
              active: flash,
            },
    };
  }

  private publicOrder(o: OrderRow): PublicOrder {
    return {
      ...o,
      unitPrice: toMajor(o.unitPrice),
      discount: toMajor(o.discount),
      total: toMajor(o.total),
      currency: ctx().config.SHOP_CURRENCY,
    };
  }

  private countViewers(): void {
    this.state.viewerCount = this.clients.length;
    reportViewers(this, this.state.viewerCount);
    this.peakViewers = Math.max(this.peakViewers, this.clients.length);
  }

  /** After the end: stay until every reservation is paid or released, then close. */
  private closeWhenSettled(): void {
    if (this.closing) return;
    this.closing = true;
    const check = () => {
      if (this.expiryTimers.size === 0) void this.disconnect();
      else this.clock.setTimeout(check, 500);
    };
    this.clock.setTimeout(check, 500);
  }
}

/** A voucher as clients see it: a fixed value and the minimum order in the major unit. */
function publicVoucher(v: VoucherRow) {
  return {
    ...v,
    value: v.type === 'fixed' ? toMajor(v.value) : v.value,
    minOrderAmount: toMajor(v.minOrderAmount),
  };
}
