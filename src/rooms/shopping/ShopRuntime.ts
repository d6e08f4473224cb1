/**
 * Runs the live shopping model (src/domain/shopping/model.ts) for one room: each input is decided
 * synchronously (so concurrent orders never interleave between the check and the hold), the next
 * state is adopted and mirrored into the schema state, then the effects run in order: store writes
 * (whose results come back to the model as events), broadcasts, sends, timers on the room clock.
 */
import { randomUUID } from 'node:crypto';
import type { Delayed, Room } from '@colyseus/core';
import type { AuthUser } from '../../auth/tokens';
import { ctx } from '../../context';
import { orThrow, unreachable } from '../../domain/result';
import { decide, type Effect, type Input, loadState, type Replies, type Timer } from '../../domain/shopping/model';
import type { OrderBody, OrderResult } from '../../domain/shopping/protocol';
import { canSell, summarize } from '../../domain/shopping/rules';
import type { SessionStatus, ShopState } from '../../domain/shopping/state';
import {
  type Analytics,
  analyticsView,
  interactionRows,
  productFigures,
  snapshotView,
} from '../../domain/shopping/views';
import { AppError, conflict, ErrorCode, notFound } from '../../errors';
import { orderCommitter } from '../../shopping/orderCommitter';
import type { LiveShoppingState } from '../../state/LiveShoppingState';
import { type SessionRow, shoppingStore } from '../../stores/shoppingStore';
import { safely } from '../safely';
import { setListing, userOf } from '../roomKit';
import { syncSchema, writeHeader } from './schemaSync';

/** What running the effects of one input produced. */
export interface Ran {
  reply?: unknown;
  analytics?: Analytics;
}

/** The room this runs in (its clock, clients, schema state) and the media it starts. */
type ShopRoom = Room<{ state: LiveShoppingState }>;

const timerKey = (t: Timer) => (t.type === 'flashTimeUp' ? `flash:${t.productId}` : `due:${t.orderId}`);

/** Reads a stream's row and binds this room to it (404 unless scheduled or live; 409 if another room has it). */
export async function claimSession(sessionId: string): Promise<SessionRow> {
  const store = shoppingStore();
  const session = await store.getSession(sessionId);
  if (!session || (session.status !== 'scheduled' && session.status !== 'live')) throw notFound('Shopping session');
  // The room's id is the session's id.
  if (!(await store.claimRoom(session.id, session.id))) throw conflict('This shopping session already has a room');
  return session;
}

export class ShopRuntime {
  private readonly timers = new Map<string, Delayed>();
  /** Orders in flight by buyer and key: the same key twice is the first order. */
  private readonly inflight = new Map<string, Promise<OrderResult>>();
  private readonly synced = new Map<string, unknown>();

  private constructor(
    private readonly room: ShopRoom,
    private readonly goLive: () => Promise<void>,
    public state: ShopState,
  ) {}

  /** Loads the stream's products, vouchers and orders into the model, with its timers. */
  static async load(room: ShopRoom, session: SessionRow, goLive: () => Promise<void>): Promise<ShopRuntime> {
    const store = shoppingStore();
    const [products, vouchers, usesByUser, orders] = await Promise.all([
      store.streamProducts(session.id),
      store.vouchers(session.id),
      store.voucherUsesByUser(session.id),
      store.sessionOrders(session.id),
    ]);
    const now = Date.now();
    const { state, effects } = loadState(
      { id: session.id, sellerId: session.sellerId, status: session.status as SessionStatus },
      { products, vouchers, usesByUser, orders },
      ctx().config.SHOP_CURRENCY,
      now,
    );
    const rt = new ShopRuntime(room, goLive, state);
    writeHeader(room.state, session, state.currency);
    syncSchema(room.state, state, now, rt.synced);
    await rt.run(effects, now);
    return rt;
  }

  /** One input through the model: a refusal throws its AppError; otherwise the effects run. */
  dispatch(input: Input, now = Date.now()): Promise<Ran> {
    const { state, effects } = orThrow(decide(this.state, input, now));
    this.state = state;
    syncSchema(this.room.state, state, now, this.synced);
    return this.run(effects, now);
  }

  /** `dispatch`, answering the command's reply (its type: the model's `Replies`). */
  async call<K extends keyof Replies>(input: Extract<Input, { type: K }>): Promise<Replies[K]> {
    return (await this.dispatch(input)).reply as Replies[K];
  }

  /** One authority for HTTP and room orders; the same key twice is the first order. */
  order(buyer: AuthUser, body: OrderBody): Promise<OrderResult> {
    // Optional key (HTTP puts the Idempotency-Key header here): without one, a new operation.
    const idempotencyKey = body.idempotencyKey ?? body.requestId ?? randomUUID();
    const key = `${buyer.id}:${idempotencyKey}`;
    const first = this.inflight.get(key);
    if (first) return first.then((r) => ({ ...r, replayed: true }));
    const p = this.call({
      type: 'order',
      ref: randomUUID(),
      buyer: { id: buyer.id, name: buyer.username },
      productId: body.productId,
      quantity: body.quantity,
      voucherCode: body.voucherCode,
      idempotencyKey,
      reservationTtlMs: ctx().config.SHOP_RESERVATION_TTL_MS,
    });
    this.inflight.set(key, p);
    p.catch(() => this.inflight.delete(key));
    return p;
  }

  /** The room's current values (snapshotView) as of now. */
  snapshot() {
    return snapshotView(this.state, Date.now());
  }

  /** The stream's analytics now (orders from the database, counters from the room), money in the major unit. */
  async analytics(): Promise<Analytics> {
    const orders = await shoppingStore().sessionOrders(this.state.sessionId);
    const s = this.state;
    return analyticsView(
      summarize(productFigures(s), orders, { peak: s.viewers.peak, unique: s.viewers.unique.size }),
      s.currency,
    );
  }

  /** Writes the interaction counters and the analytics, and closes the session row (ended or interrupted). */
  async persist(status: 'ended' | 'interrupted'): Promise<Analytics> {
    await shoppingStore().saveInteractions(interactionRows(this.state));
    const analytics = await this.analytics();
    await shoppingStore().close(this.state.sessionId, status, analytics);
    return analytics;
  }

  /** The room is going: timers stop, and the session row is closed (ended, or interrupted by a shutdown). */
  async dispose(): Promise<void> {
    for (const t of this.timers.values()) t.clear();
    this.timers.clear();
    const { status, sessionId } = this.state;
    try {
      await this.persist(status === 'ended' ? 'ended' : 'interrupted');
      if (status !== 'ended') ctx().logger.warn({ sessionId, status }, 'shopping session interrupted');
    } catch (err) {
      ctx().logger.error({ err, sessionId }, 'shopping analytics not persisted');
    }
  }

  private async run(effects: readonly Effect[], now: number): Promise<Ran> {
    let ran: Ran = {};
    for (const e of effects) {
      const got = await this.perform(e, now);
      if (got) ran = { ...ran, ...got };
    }
    return ran;
  }

  private async perform(e: Effect, now: number): Promise<Ran | undefined> {
    const store = shoppingStore();
    const sessionId = this.state.sessionId;
    switch (e.type) {
      case 'reply':
        return { reply: e.value };
      case 'broadcast':
        this.room.broadcast(e.message.event, e.message.payload);
        return;
      case 'send':
        for (const c of this.room.clients) if (userOf(c).id === e.userId) c.send(e.message.event, e.message.payload);
        return;
      case 'schedule':
        this.schedule(e.timer, e.at, now);
        return;
      case 'cancel':
        this.timers.get(timerKey(e.timer))?.clear();
        this.timers.delete(timerKey(e.timer));
        return;
      case 'markLive':
        await store.markLive(sessionId);
        return this.dispatch({ type: 'wentLive' });
      case 'listing':
        await setListing(this.room, { status: e.status });
        return;
      case 'goLive':
        await this.goLive();
        return;
      case 'addStreamProduct': {
        const product = await store.getProduct(e.productId);
        if (!product) throw notFound('Product');
        orThrow(canSell(product, e.sellerId));
        const { sellerId: _s, countdown, type: _t, ...input } = e;
        const record = await store.addStreamProduct({ sessionId, ...input });
        return this.dispatch({ type: 'productAdded', record, countdown });
      }
      case 'updateStreamProduct': {
        const record = await store.updateStreamProduct(e.streamProductId, { livePrice: e.livePrice, flash: e.flash });
        return this.dispatch({ type: 'productUpdated', productId: e.productId, record, patch: e.patch });
      }
      case 'createVoucher':
        return this.dispatch({ type: 'voucherCreated', record: await store.createVoucher(sessionId, e.voucher) });
      case 'commitOrder':
        return this.commit(e);
      case 'release':
        await this.release(e.orderId);
        return;
      case 'persist':
        return { analytics: await this.persist('ended') };
      case 'close':
        this.room.clock.setTimeout(() => safely(this.room, 'close', () => this.room.disconnect()), 500);
        return;
      default:
        return unreachable(e);
    }
  }

  /** Queues an order (already holding its units in the model) for the process's next group commit. */
  private async commit(e: Extract<Effect, { type: 'commitOrder' }>): Promise<Ran> {
    let placed: Awaited<ReturnType<ReturnType<typeof orderCommitter>['submit']>>;
    try {
      placed = await orderCommitter().submit(e.order);
    } catch (err) {
      await this.dispatch({ type: 'orderFailed', ref: e.ref });
      if (err instanceof AppError) throw err;
      ctx().logger.error({ err, sessionId: this.state.sessionId }, 'order not recorded');
      throw new AppError(
        ErrorCode.UNAVAILABLE,
        'Order could not be recorded, nothing was reserved; retry with the same key',
      );
    }
    return this.dispatch({ type: 'orderCommitted', ref: e.ref, order: placed.order, replayed: placed.replayed });
  }

  private async release(orderId: string): Promise<void> {
    let order: Awaited<ReturnType<ReturnType<typeof shoppingStore>['release']>>;
    try {
      order = await shoppingStore().release(orderId);
    } catch (err) {
      ctx().logger.error({ err, orderId }, 'reservation release failed; retrying');
      await this.dispatch({ type: 'releaseFailed', orderId });
      return;
    }
    await this.dispatch({ type: 'released', orderId, order });
  }

  private schedule(timer: Timer, at: number, now: number): void {
    const key = timerKey(timer);
    this.timers.get(key)?.clear();
    const fire = () => {
      this.timers.delete(key);
      safely(this.room, timer.type, () => this.dispatch(timer));
    };
    this.timers.set(key, this.room.clock.setTimeout(fire, Math.max(0, at - now)));
  }
}
