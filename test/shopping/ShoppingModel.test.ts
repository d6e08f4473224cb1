/**
 * The live shopping model without a server: every transition of `decide` (src/domain/shopping/model.ts)
 * and the stock moves (stock.ts), with the clock as an argument.
 */
import assert from 'node:assert/strict';
import { orThrow } from '../../src/domain/result';
import { decide, type Effect, type Input, loadState } from '../../src/domain/shopping/model';
import type { OrderRecord, ShopState, StreamProductRecord, VoucherRecord } from '../../src/domain/shopping/state';
import { hashOf, PMap } from '../../src/domain/pmap';
import { returnUnits, takeUnits } from '../../src/domain/shopping/stock';

const SELLER = 'seller';
const P = '00000000-0000-4000-8000-000000000001';
const Q = '00000000-0000-4000-8000-000000000002';
const T0 = 1_000_000;

function record(over: Partial<StreamProductRecord> = {}): StreamProductRecord {
  return {
    id: `sp-${over.productId ?? P}`,
    productId: P,
    name: 'Sneaker',
    livePrice: 4000,
    offered: 5,
    remaining: 5,
    flashPrice: null,
    flashQuantity: null,
    flashRemaining: null,
    flashEndsAt: null,
    perCustomerLimit: null,
    ...over,
  };
}

const flashRecord = (over: Partial<StreamProductRecord> = {}) =>
  record({
    flashPrice: 2500,
    flashQuantity: 3,
    flashRemaining: 3,
    flashEndsAt: T0 + 60_000,
    perCustomerLimit: 2,
    ...over,
  });

function voucher(over: Partial<VoucherRecord> = {}): VoucherRecord {
  return {
    id: 'v1',
    code: 'SAVE10',
    type: 'percent',
    value: 10,
    usageLimit: 2,
    perUserLimit: 1,
    minOrderAmount: 0,
    expiresAt: null,
    productIds: null,
    private: false,
    uses: 0,
    ...over,
  };
}

function orderRecord(over: Partial<OrderRecord> = {}): OrderRecord {
  return {
    id: 'o1',
    sessionId: 's1',
    productId: P,
    buyerId: 'b1',
    quantity: 1,
    unitPrice: 4000,
    discount: 0,
    total: 4000,
    flash: false,
    voucherId: null,
    status: 'reserved',
    idempotencyKey: 'k1',
    expiresAt: T0 + 15_000,
    createdAt: new Date(T0).toISOString(),
    ...over,
  };
}

function load(
  data: { products?: StreamProductRecord[]; vouchers?: VoucherRecord[]; orders?: OrderRecord[] } = {},
  status: 'scheduled' | 'live' = 'live',
) {
  return loadState(
    { id: 's1', sellerId: SELLER, status },
    { products: data.products ?? [record()], vouchers: data.vouchers ?? [], usesByUser: [], orders: data.orders ?? [] },
    'USD',
    T0,
  );
}

/** An accepted input: the next state and its effects. */
function ok(s: ShopState, input: Input, now = T0) {
  return orThrow(decide(s, input, now));
}

/** A refused input: its code (and the state is not touched: decide is pure). */
function refused(s: ShopState, input: Input, now = T0): string {
  const d = decide(s, input, now);
  assert.equal(d.ok, false, `expected a refusal of ${input.type}`);
  return d.ok ? '' : d.error.code;
}

const types = (effects: readonly Effect[]) => effects.map((e) => (e.type === 'broadcast' ? e.message.event : e.type));
const reply = (effects: readonly Effect[]) =>
  (effects.find((e) => e.type === 'reply') as { value: any } | undefined)?.value;
const product = (s: ShopState, id = P) => s.products.get(id)!;

const order = (over: Partial<Extract<Input, { type: 'order' }>> = {}): Input => ({
  type: 'order',
  ref: 'r1',
  buyer: { id: 'b1', name: 'Bea' },
  productId: P,
  quantity: 1,
  idempotencyKey: 'k1',
  reservationTtlMs: 15_000,
  ...over,
});

/** Places an order through the model up to its commit answer. */
function placed(s: ShopState, o: Partial<OrderRecord> = {}, input: Partial<Extract<Input, { type: 'order' }>> = {}) {
  const taken = ok(s, order(input));
  const commit = taken.effects.find((e) => e.type === 'commitOrder') as Extract<Effect, { type: 'commitOrder' }>;
  const row = orderRecord({
    ...commit.order,
    id: o.id ?? 'o1',
    status: 'reserved',
    createdAt: new Date(T0).toISOString(),
    ...o,
  });
  return {
    taken,
    commit,
    row,
    done: ok(taken.state, { type: 'orderCommitted', ref: commit.ref, order: row, replayed: false }),
  };
}

describe('Live shopping model', () => {
  describe('load', () => {
    it('loads products, vouchers and orders; schedules running flash sales and reservation expiries', () => {
      const { state, effects } = load({
        products: [
          flashRecord(),
          record({ productId: Q, id: 'sp-q', flashQuantity: 1, flashEndsAt: T0 - 1, flashRemaining: 1 }),
        ],
        vouchers: [voucher()],
        orders: [
          orderRecord({ id: 'a', quantity: 2 }),
          orderRecord({ id: 'b', status: 'paid' }),
          orderRecord({ id: 'c', status: 'released' }),
        ],
      });
      assert.equal(state.status, 'live');
      assert.equal(product(state).remaining, 5, 'the stored counters already include the orders');
      assert.equal(product(state).holds.get('b1'), 3, 'the buyer holds the units of orders not released');
      assert.equal(product(state).flashOver, false);
      assert.equal(product(state, Q).flashOver, true, 'a flash sale whose time passed is over');
      assert.deepEqual(
        ['a', 'b', 'c'].map((id) => state.orders.get(id)),
        ['reserved', 'settled', undefined],
      );
      assert.equal(state.orders.size, 2);
      assert.equal(state.reserved, 1);
      assert.deepEqual(effects, [
        { type: 'schedule', timer: { type: 'flashTimeUp', productId: P }, at: T0 + 60_000 },
        { type: 'schedule', timer: { type: 'reservationDue', orderId: 'a' }, at: T0 + 15_000 },
      ]);
      assert.equal(state.vouchers.get('save10')!.code, 'SAVE10');
    });
  });

  describe('session', () => {
    it('start: the seller, once, and only after the database marked it live', () => {
      const { state } = load({}, 'scheduled');
      assert.equal(refused(state, { type: 'start', userId: 'b1' }), 'FORBIDDEN');
      const d = ok(state, { type: 'start', userId: SELLER });
      assert.equal(d.state.status, 'scheduled');
      assert.deepEqual(types(d.effects), ['markLive']);
      const live = ok(d.state, { type: 'wentLive' });
      assert.equal(live.state.status, 'live');
      assert.deepEqual(types(live.effects), ['listing', 'goLive', 'live-shopping:started', 'reply']);
      assert.equal(reply(live.effects).roomId, 's1', 'the room id is the session id');
      assert.equal(refused(live.state, { type: 'start', userId: SELLER }), 'INVALID_STATE');
    });

    it('end: persists, announces, stops flash timers, and closes at once when nothing is left to settle', () => {
      const { state } = load({ products: [flashRecord()] });
      assert.equal(refused(state, { type: 'end', userId: 'b1' }), 'FORBIDDEN');
      const d = ok(state, { type: 'end', userId: SELLER });
      assert.equal(d.state.status, 'ended');
      assert.deepEqual(types(d.effects), ['listing', 'cancel', 'persist', 'live-shopping:ended', 'reply', 'close']);
      assert.equal(d.state.closing, true);
      assert.equal(refused(d.state, { type: 'end', userId: SELLER }), 'INVALID_STATE');
      assert.equal(refused(d.state, order()), 'INVALID_STATE');
    });

    it('after the end the room closes once the last reservation settles (paid or released), not before', () => {
      const { done } = placed(load().state);
      const ended = ok(done.state, { type: 'end', userId: SELLER });
      assert.ok(!types(ended.effects).includes('close'));
      const paid = ok(ended.state, { type: 'paid', orderId: 'o1' });
      assert.deepEqual(types(paid.effects), ['cancel', 'reply', 'close']);
      const again = ok(paid.state, { type: 'paid', orderId: 'o1' });
      assert.deepEqual(types(again.effects), ['reply'], 'closing is told once');
    });

    it('viewers: count, peak and unique viewers (the seller is not one)', () => {
      let s = load().state;
      s = ok(s, { type: 'viewerJoined', userId: SELLER, clients: 1 }).state;
      s = ok(s, { type: 'viewerJoined', userId: 'b1', clients: 2 }).state;
      s = ok(s, { type: 'viewerJoined', userId: 'b1', clients: 3 }).state;
      s = ok(s, { type: 'viewerLeft', clients: 1 }).state;
      assert.deepEqual(
        { count: s.viewers.count, peak: s.viewers.peak, unique: [...s.viewers.unique.keys()] },
        {
          count: 1,
          peak: 3,
          unique: ['b1'],
        },
      );
    });
  });

  describe('products and pricing', () => {
    it('addProduct: seller, open stream, not yet listed; the store writes, then the product is announced', () => {
      const { state } = load({ products: [] });
      const body = { productId: P, livePrice: 4000, flashSale: { quantity: 3, expiresIn: 60_000, price: 2500 } };
      assert.equal(refused(state, { type: 'addProduct', userId: 'b1', body }), 'FORBIDDEN');
      const d = ok(state, { type: 'addProduct', userId: SELLER, body });
      assert.deepEqual(d.effects, [
        {
          type: 'addStreamProduct',
          sellerId: SELLER,
          productId: P,
          livePrice: 4000,
          offered: null,
          flash: { price: 2500, quantity: 3, endsAt: T0 + 60_000, perCustomerLimit: null },
          countdown: 60_000,
        },
      ]);
      const added = ok(state, {
        type: 'productAdded',
        record: flashRecord({ perCustomerLimit: null }),
        countdown: 60_000,
      });
      assert.deepEqual(types(added.effects), [
        'live-shopping:product-added',
        'live-shopping:flash-sale',
        'schedule',
        'reply',
      ]);
      assert.equal(reply(added.effects).product.currentPrice, 25, 'the flash price, in the major unit');
      assert.equal(refused(added.state, { type: 'addProduct', userId: SELLER, body }), 'INVALID_STATE');
      assert.equal(refused(added.state, { type: 'productAdded', record: record(), countdown: null }), 'INVALID_STATE');
    });

    it('updateProduct: a new live price is announced with the price before and after', () => {
      const { state } = load();
      const patch = { livePrice: 3500 };
      const d = ok(state, { type: 'updateProduct', userId: SELLER, productId: P, patch });
      assert.deepEqual(types(d.effects), ['updateStreamProduct']);
      const u = ok(state, { type: 'productUpdated', productId: P, record: record({ livePrice: 3500 }), patch });
      const changed = u.effects.find((e) => e.type === 'broadcast')!;
      assert.deepEqual(changed.type === 'broadcast' && changed.message.payload, {
        productId: P,
        livePrice: 35,
        previousLivePrice: 40,
        currentPrice: 35,
        previousPrice: 40,
      });
      assert.equal(product(u.state).record.livePrice, 3500);
      assert.equal(refused(state, { type: 'updateProduct', userId: SELLER, productId: Q, patch }), 'NOT_FOUND');
    });

    it('updateProduct: a flash sale starts (none running, enough units) and is ended by the seller', () => {
      const { state } = load();
      const start = { flashSale: { quantity: 6, expiresIn: 10_000 } };
      assert.equal(
        refused(state, { type: 'updateProduct', userId: SELLER, productId: P, patch: start }),
        'INVALID_STATE',
        'more than the remaining units',
      );
      const patch = { flashSale: { quantity: 2, expiresIn: 10_000, price: 1000 } };
      assert.equal(
        refused(state, { type: 'updateProduct', userId: SELLER, productId: P, patch: { flashSale: null } }),
        'INVALID_STATE',
        'nothing to end',
      );
      const d = ok(state, { type: 'updateProduct', userId: SELLER, productId: P, patch }, T0 + 5);
      const eff = d.effects[0] as Extract<Effect, { type: 'updateStreamProduct' }>;
      assert.deepEqual(eff.flash, { price: 1000, quantity: 2, endsAt: T0 + 10_005, perCustomerLimit: null });
      const rec = record({ flashPrice: 1000, flashQuantity: 2, flashRemaining: 2, flashEndsAt: T0 + 10_005 });
      const u = ok(state, { type: 'productUpdated', productId: P, record: rec, patch }, T0 + 5);
      assert.deepEqual(types(u.effects), ['cancel', 'schedule', 'live-shopping:flash-sale', 'reply']);
      assert.equal(product(u.state).flashStartedAt, T0 + 5);
      assert.equal(
        refused(u.state, { type: 'updateProduct', userId: SELLER, productId: P, patch }),
        'INVALID_STATE',
        'one is running',
      );
      const end = { flashSale: null };
      const e = ok(u.state, { type: 'productUpdated', productId: P, record: rec, patch: end }, T0 + 6);
      assert.deepEqual(types(e.effects), ['cancel', 'live-shopping:flash-sale-ended', 'reply']);
      assert.equal(reply(e.effects).product.currentPrice, 40);
    });

    it('flashTimeUp ends a running flash sale (live price), and is ignored once it is over', () => {
      const { state } = load({ products: [flashRecord()] });
      const d = ok(state, { type: 'flashTimeUp', productId: P }, T0 + 60_000);
      assert.deepEqual(types(d.effects), ['cancel', 'live-shopping:flash-sale-ended']);
      assert.equal(product(d.state).flashOver, true);
      assert.deepEqual(ok(d.state, { type: 'flashTimeUp', productId: P }).effects, []);
    });

    it('pin and unpin: seller only; unpinning nothing is a no-op answer', () => {
      const { state } = load();
      assert.equal(refused(state, { type: 'pin', userId: 'b1', productId: P }), 'FORBIDDEN');
      assert.equal(refused(state, { type: 'pin', userId: SELLER, productId: Q }), 'NOT_FOUND');
      const pinned = ok(state, { type: 'pin', userId: SELLER, productId: P });
      assert.equal(pinned.state.pinnedProductId, P);
      assert.deepEqual(types(pinned.effects), ['live-shopping:product-pinned', 'reply']);
      const un = ok(pinned.state, { type: 'unpin', userId: SELLER });
      assert.equal(un.state.pinnedProductId, null);
      assert.deepEqual(reply(un.effects), { productId: P, unpinned: true });
      assert.deepEqual(ok(un.state, { type: 'unpin', userId: SELLER }).effects, [
        { type: 'reply', value: { productId: null, unpinned: false } },
      ]);
    });

    it('interactions count per product and per unique viewer; a closed stream refuses them', () => {
      let s = load().state;
      for (const u of ['b1', 'b1', 'b2']) s = ok(s, { type: 'interact', userId: u, productId: P, kind: 'view' }).state;
      const d = ok(s, { type: 'interact', userId: 'b3', productId: P, kind: 'click' });
      assert.deepEqual(reply(d.effects), { productId: P, type: 'click', count: 1, uniqueViewers: 1 });
      assert.equal(product(d.state).counts.view, 3);
      assert.equal(product(d.state).unique.view.size, 2);
      assert.equal(refused(s, { type: 'interact', userId: 'b1', productId: Q, kind: 'view' }), 'NOT_FOUND');
      const ended = ok(s, { type: 'end', userId: SELLER }).state;
      assert.equal(refused(ended, { type: 'interact', userId: 'b1', productId: P, kind: 'view' }), 'INVALID_STATE');
    });
  });

  describe('vouchers', () => {
    it('createVoucher: seller, products in the stream, a future expiry; announced without the code when private', () => {
      const { state } = load();
      const body = {
        code: 'VIP',
        type: 'fixed' as const,
        value: 500,
        usageLimit: 5,
        perUserLimit: 1,
        minOrderAmount: 0,
        private: true,
      };
      assert.equal(refused(state, { type: 'createVoucher', userId: 'b1', body }), 'FORBIDDEN');
      assert.equal(
        refused(state, { type: 'createVoucher', userId: SELLER, body: { ...body, productIds: [Q] } }),
        'NOT_FOUND',
      );
      assert.equal(
        refused(state, { type: 'createVoucher', userId: SELLER, body: { ...body, expiresAt: T0 } }),
        'INVALID_STATE',
      );
      assert.deepEqual(types(ok(state, { type: 'createVoucher', userId: SELLER, body }).effects), ['createVoucher']);
      const made = ok(state, {
        type: 'voucherCreated',
        record: voucher({ code: 'VIP', type: 'fixed', value: 500, private: true }),
      });
      const ann = made.effects[0] as Extract<Effect, { type: 'broadcast' }>;
      assert.equal((ann.message.payload as { code?: string }).code, undefined);
      assert.equal((ann.message.payload as { value: number }).value, 5);
      assert.equal(reply(made.effects).code, 'VIP');
      assert.ok(made.state.vouchers.has('vip'));
    });

    it('checkVoucher answers the discount for the caller now and consumes nothing', () => {
      const { state } = load({ vouchers: [voucher()] });
      const d = ok(state, { type: 'checkVoucher', userId: 'b1', code: 'save10', productId: P, quantity: 2 });
      assert.deepEqual(reply(d.effects), {
        code: 'SAVE10',
        valid: true,
        unitPrice: 40,
        subtotal: 80,
        discount: 8,
        total: 72,
        currency: 'USD',
      });
      assert.equal(d.state, state);
      assert.equal(
        refused(state, { type: 'checkVoucher', userId: 'b1', code: 'nope', productId: P, quantity: 1 }),
        'NOT_FOUND',
      );
    });
  });

  describe('orders', () => {
    it('refuses: not live, the seller, unknown product, sold out, flash units, per-customer limit, vouchers', () => {
      const scheduled = load({}, 'scheduled').state;
      assert.equal(refused(scheduled, order()), 'INVALID_STATE');
      const { state } = load({
        products: [flashRecord(), record({ productId: Q, id: 'sp-q', remaining: 0 })],
        vouchers: [voucher({ minOrderAmount: 10_000 })],
      });
      assert.equal(refused(state, order({ buyer: { id: SELLER, name: 's' } })), 'FORBIDDEN');
      assert.equal(refused(state, order({ productId: '00000000-0000-4000-8000-000000000009' })), 'NOT_FOUND');
      assert.equal(refused(state, order({ productId: Q })), 'SOLD_OUT');
      assert.equal(refused(state, order({ quantity: 6 })), 'SOLD_OUT');
      assert.equal(refused(state, order({ quantity: 3 })), 'CONFLICT', 'per-customer limit 2');
      assert.equal(refused(state, order({ voucherCode: 'NOPE' })), 'NOT_FOUND');
      assert.equal(refused(state, order({ voucherCode: 'save10' })), 'VALIDATION', 'below the minimum');
      const few = load({ products: [flashRecord({ flashRemaining: 1, perCustomerLimit: null })] }).state;
      assert.equal(refused(few, order({ quantity: 2 })), 'SOLD_OUT', 'flash units');
    });

    it('an accepted order takes its units at once (flash price, voucher) and asks the store to commit it', () => {
      const { state } = load({ products: [flashRecord()], vouchers: [voucher()] });
      const d = ok(state, order({ quantity: 2, voucherCode: 'SAVE10' }), T0 + 10);
      assert.equal(product(d.state).remaining, 3);
      assert.equal(product(d.state).flashRemaining, 1);
      assert.equal(product(d.state).holds.get('b1'), 2);
      assert.equal(d.state.vouchers.get('save10')!.uses, 1);
      assert.equal(d.state.vouchers.get('save10')!.usesByUser.get('b1'), 1);
      assert.deepEqual(d.effects, [
        {
          type: 'commitOrder',
          ref: 'r1',
          order: {
            sessionId: 's1',
            streamProductId: `sp-${P}`,
            productId: P,
            buyerId: 'b1',
            quantity: 2,
            unitPrice: 2500,
            discount: 500,
            total: 4500,
            flash: true,
            voucherId: 'v1',
            idempotencyKey: 'k1',
            expiresAt: T0 + 10 + 15_000,
          },
        },
      ]);
      // The next order sees the units taken: the limit and the last flash unit.
      assert.equal(refused(d.state, order({ ref: 'r2', idempotencyKey: 'k2' })), 'CONFLICT');
      assert.equal(
        refused(
          d.state,
          order({
            ref: 'r2',
            idempotencyKey: 'k2',
            voucherCode: 'SAVE10',
            buyer: { id: 'b2', name: 'x' },
            quantity: 2,
          }),
        ),
        'SOLD_OUT',
      );
    });

    it('committed: the seller is told, the reservation gets its expiry; the last units announce sold out and end the flash sale', () => {
      const { state } = load({
        products: [
          flashRecord({ remaining: 2, offered: 2, flashQuantity: 2, flashRemaining: 2, perCustomerLimit: null }),
        ],
      });
      const { done } = placed(state, {}, { quantity: 2 });
      assert.deepEqual(types(done.effects), [
        'live-shopping:sold-out',
        'cancel',
        'live-shopping:flash-sale-ended',
        'schedule',
        'send',
        'reply',
      ]);
      const send = done.effects.find((e) => e.type === 'send') as Extract<Effect, { type: 'send' }>;
      assert.equal(send.userId, SELLER);
      assert.deepEqual(send.message.payload, {
        orderId: 'o1',
        buyer: { id: 'b1', name: 'Bea' },
        productId: P,
        productName: 'Sneaker',
        quantity: 2,
      });
      assert.equal(reply(done.effects).order.unitPrice, 25);
      assert.equal(reply(done.effects).replayed, false);
      assert.equal(done.state.orders.get('o1'), 'reserved');
      assert.equal(done.state.pending.size, 0);
      assert.equal(product(done.state).soldOutAnnounced, true);
    });

    it('a failed commit gives the units and the voucher use back', () => {
      const { state } = load({ vouchers: [voucher()] });
      const taken = ok(state, order({ voucherCode: 'SAVE10' }));
      const back = ok(taken.state, { type: 'orderFailed', ref: 'r1' });
      assert.equal(product(back.state).remaining, 5);
      assert.equal(product(back.state).holds.get('b1'), 0);
      assert.equal(back.state.vouchers.get('save10')!.uses, 0);
      assert.equal(back.state.pending.size, 0);
      assert.deepEqual(back.effects, []);
    });

    it('a replay gives this attempt back and answers the first order; a first order the room never counted is counted once', () => {
      const { state } = load();
      const { done } = placed(state);
      // Same key again: the store answers the first order.
      const again = ok(done.state, order({ ref: 'r2' }));
      const replay = ok(again.state, { type: 'orderCommitted', ref: 'r2', order: orderRecord(), replayed: true });
      assert.equal(product(replay.state).remaining, 4, 'counted once');
      assert.deepEqual(types(replay.effects), ['reply']);
      assert.equal(reply(replay.effects).replayed, true);
      // A first attempt committed while its answer was lost: the room takes its units now, with its timer.
      const lost = orderRecord({ id: 'lost', quantity: 2, expiresAt: T0 + 4000 });
      const retry = ok(state, order({ ref: 'r3', quantity: 1 }));
      const counted = ok(retry.state, { type: 'orderCommitted', ref: 'r3', order: lost, replayed: true });
      assert.equal(product(counted.state).remaining, 3);
      assert.equal(counted.state.orders.get('lost'), 'reserved');
      assert.deepEqual(types(counted.effects), ['schedule', 'reply']);
      // A released first order is not counted again.
      const rel = ok(retry.state, {
        type: 'orderCommitted',
        ref: 'r3',
        order: { ...lost, status: 'released' },
        replayed: true,
      });
      assert.equal(product(rel.state).remaining, 5);
    });

    it('reservationDue releases a reservation still unpaid; paid ones are left alone', () => {
      const { done } = placed(load().state);
      assert.deepEqual(ok(done.state, { type: 'reservationDue', orderId: 'o1' }).effects, [
        { type: 'release', orderId: 'o1' },
      ]);
      const paid = ok(done.state, { type: 'paid', orderId: 'o1' });
      assert.equal(paid.state.orders.get('o1'), 'settled');
      assert.deepEqual(ok(paid.state, { type: 'reservationDue', orderId: 'o1' }).effects, []);
      assert.deepEqual(ok(done.state, { type: 'releaseFailed', orderId: 'o1' }, T0 + 5).effects, [
        { type: 'schedule', timer: { type: 'reservationDue', orderId: 'o1' }, at: T0 + 1005 },
      ]);
      const gone = ok(done.state, { type: 'released', orderId: 'o1', order: null });
      assert.equal(gone.state.orders.get('o1'), 'settled', 'paid meanwhile');
      assert.equal(product(gone.state).remaining, 4);
    });

    it('released: units and voucher use return, the buyer is told, sold out can be announced again', () => {
      const { state } = load({ products: [record({ remaining: 1, offered: 1 })], vouchers: [voucher()] });
      const { done, row } = placed(state, {}, { voucherCode: 'SAVE10' });
      assert.equal(product(done.state).soldOutAnnounced, true);
      const r = ok(done.state, { type: 'released', orderId: 'o1', order: { ...row, status: 'released' } });
      assert.equal(product(r.state).remaining, 1);
      assert.equal(product(r.state).soldOutAnnounced, false);
      assert.equal(r.state.vouchers.get('save10')!.uses, 0);
      assert.equal(r.state.orders.get('o1'), 'released');
      assert.deepEqual(r.effects, [
        {
          type: 'send',
          userId: 'b1',
          message: { event: 'live-shopping:order-released', payload: { orderId: 'o1', productId: P } },
        },
      ]);
    });

    it('released flash units go back to the flash sale only while the same sale still runs', () => {
      const { state } = load({ products: [flashRecord({ perCustomerLimit: null })] });
      const { done, row } = placed(state);
      assert.equal(product(done.state).flashRemaining, 2);
      const during = ok(done.state, { type: 'released', orderId: 'o1', order: row }, T0 + 1000);
      assert.equal(product(during.state).flashRemaining, 3);
      const after = ok(done.state, { type: 'released', orderId: 'o1', order: row }, T0 + 60_000);
      assert.equal(product(after.state).flashRemaining, 2, 'the sale is over by time');
      assert.equal(product(after.state).remaining, 5);
      // A sale started mid-stream after the order was taken: its flash units do not go to the new sale.
      const patch = { flashSale: { quantity: 2, expiresIn: 60_000 } };
      const rec = flashRecord({
        flashQuantity: 2,
        flashRemaining: 2,
        flashEndsAt: T0 + 70_000,
        perCustomerLimit: null,
      });
      const renewed = ok(after.state, { type: 'productUpdated', productId: P, record: rec, patch }, T0 + 60_000);
      const late = ok(renewed.state, { type: 'released', orderId: 'o1', order: row }, T0 + 61_000);
      assert.equal(product(late.state).flashRemaining, 2);
    });
  });

  describe('stock (the one place it moves)', () => {
    it('takeUnits and returnUnits are inverses over remaining, flash units, holds and voucher uses', () => {
      const { state } = load({ products: [flashRecord()], vouchers: [voucher()] });
      const h = { productId: P, buyerId: 'b1', quantity: 2, flash: true, voucherId: 'v1' };
      const taken = takeUnits(state, h);
      assert.deepEqual(
        [
          product(taken).remaining,
          product(taken).flashRemaining,
          product(taken).holds.get('b1'),
          taken.vouchers.get('save10')!.uses,
        ],
        [3, 1, 2, 1],
      );
      const back = returnUnits(taken, h);
      assert.deepEqual(
        [
          product(back).remaining,
          product(back).flashRemaining,
          product(back).holds.get('b1'),
          back.vouchers.get('save10')!.uses,
        ],
        [5, 3, 0, 0],
      );
      assert.equal(product(state).remaining, 5, 'the input state is not touched');
      assert.equal(returnUnits(taken, { ...h, flash: false }).products.get(P)!.flashRemaining, 1);
      assert.equal(takeUnits(state, { ...h, productId: Q }), state, 'an unknown product changes nothing');
    });
  });

  describe('PMap (the persistent map behind holds, voucher uses, orders, unique viewers)', () => {
    it('set returns a new map and leaves the old one as it was; sizes count new keys only', () => {
      const a = PMap.empty<number>();
      const b = a.set('x', 1);
      const c = b.set('x', 2).set('y', 3);
      assert.deepEqual([a.size, b.size, c.size], [0, 1, 2]);
      assert.deepEqual([a.get('x'), b.get('x'), c.get('x'), c.get('y'), c.get('z')], [undefined, 1, 2, 3, undefined]);
      assert.equal(c.has('y'), true);
      assert.equal(b.has('y'), false);
    });

    it('holds thousands of keys (branches several levels deep) and iterates each once', () => {
      let m = PMap.empty<number>();
      const n = 5000;
      for (let i = 0; i < n; i++) m = m.set(`buyer-${i}`, i);
      assert.equal(m.size, n);
      for (let i = 0; i < n; i += 97) assert.equal(m.get(`buyer-${i}`), i);
      const seen = new Set(m.keys());
      assert.equal(seen.size, n);
      assert.equal(
        [...m.values()].reduce((x, y) => x + y, 0),
        (n * (n - 1)) / 2,
      );
      assert.equal(PMap.from(m).size, n);
    });

    it('delete returns a map without the key (absent keys: the same map), down to empty', () => {
      let m = PMap.empty<number>();
      for (let i = 0; i < 300; i++) m = m.set(`r${i}`, i);
      const full = m;
      for (let i = 0; i < 300; i += 2) m = m.delete(`r${i}`);
      assert.equal(m.size, 150);
      assert.equal(m.get('r2'), undefined);
      assert.equal(m.get('r3'), 3);
      assert.equal(full.get('r2'), 2, 'the earlier map keeps it');
      assert.equal(m.delete('nope'), m);
      for (let i = 1; i < 300; i += 2) m = m.delete(`r${i}`);
      assert.deepEqual([m.size, [...m]], [0, []]);
    });

    it('keeps two keys whose 32-bit hashes collide apart', () => {
      const byHash = new Map<number, string>();
      let pair: [string, string] | undefined;
      for (let i = 0; !pair; i++) {
        const k = `k${i}`;
        const other = byHash.get(hashOf(k));
        if (other !== undefined) pair = [other, k];
        else byHash.set(hashOf(k), k);
      }
      const [x, y] = pair;
      const m = PMap.empty<string>().set('a', 'A').set(x, 'X').set(y, 'Y').set(x, 'X2');
      assert.deepEqual([m.get(x), m.get(y), m.get('a'), m.size], ['X2', 'Y', 'A', 3]);
      const without = m.delete(x);
      assert.deepEqual([without.get(x), without.get(y), without.size], [undefined, 'Y', 2]);
    });
  });

  it('with 10,000 orders counted, an accepted order leaves the earlier state as it was', () => {
    let s = load({ products: [record({ remaining: 1_000_000, offered: 1_000_000 })] }).state;
    for (let i = 0; i < 10_000; i++) {
      const id = `o${i}`;
      s = ok(s, {
        type: 'orderCommitted',
        ref: id,
        order: orderRecord({ id, buyerId: `b${i}` }),
        replayed: true,
      }).state;
    }
    const before = s;
    const { done } = placed(s, { id: 'new' }, { buyer: { id: 'b-new', name: 'n' } });
    assert.equal(done.state.orders.size, 10_001);
    assert.equal(before.orders.size, 10_000, 'the earlier state is unchanged');
    assert.equal(before.orders.get('new'), undefined);
  });
});
