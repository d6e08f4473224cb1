import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Room } from '@colyseus/sdk';
import { shoppingStore } from '../../src/stores/shoppingStore';
import {
  api,
  collect,
  config,
  nextMessage,
  registerUser,
  registerUsers,
  sdk,
  server,
  sleep,
  type TestUser,
  waitFor,
} from '../helpers';

const SERVICE = () => ({ 'x-service-key': config().SERVICE_API_KEY! });

async function product(seller: TestUser, body: Record<string, unknown> = {}) {
  const res = await api('POST', '/api/products', {
    token: seller.token,
    body: { name: 'Sneaker', description: 'white', price: 5000, stock: 10, ...body },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data.product as { id: string; stock: number };
}

async function session(seller: TestUser, start = true) {
  const res = await api('POST', '/api/live-shopping', { token: seller.token, body: { title: 'Drop' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const s = res.body.data as { sessionId: string; roomId: string };
  if (start) {
    const st = await api('POST', `/api/live-shopping/${s.sessionId}/start`, { token: seller.token });
    assert.equal(st.status, 200, JSON.stringify(st.body));
  }
  return s;
}

async function addToStream(seller: TestUser, sessionId: string, body: Record<string, unknown>) {
  return api('POST', `/api/live-shopping/${sessionId}/products`, { token: seller.token, body });
}

async function join(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  room.onMessage('*', () => undefined);
  await waitFor(() => room.state?.sessionId, 3000, 'initial state');
  return room;
}

const order = (u: TestUser, sessionId: string, body: Record<string, unknown>) =>
  api('POST', `/api/live-shopping/${sessionId}/orders`, {
    token: u.token,
    body: { quantity: 1, idempotencyKey: randomUUID(), ...body },
  });

async function assertIntegrity(sessionId: string) {
  const i = await shoppingStore().integrity(sessionId);
  for (const p of i.products) assert.ok(p.balanced, `unbalanced ${JSON.stringify(p)}`);
  for (const v of i.vouchers) assert.ok(v.withinLimit, `voucher over limit ${JSON.stringify(v)}`);
  return i;
}

describe('Live shopping', function () {
  this.timeout(30_000);
  let savedTtl: number | undefined;
  afterEach(() => {
    if (savedTtl !== undefined) (config() as { SHOP_RESERVATION_TTL_MS: number }).SHOP_RESERVATION_TTL_MS = savedTtl;
    savedTtl = undefined;
  });

  it('catalog: create, list mine, patch own only; bad payloads are 400', async () => {
    const [a, b] = await registerUsers(2, 'seller');
    const p = await product(a!, { images: ['https://img.example/1.png'] });
    const mine = await api('GET', '/api/products/mine', { token: a!.token });
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.data.products.map((x: any) => x.id),
      [p.id],
    );
    const patched = await api('PATCH', `/api/products/${p.id}`, { token: a!.token, body: { price: 4500 } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.product.price, 4500);
    const other = await api('PATCH', `/api/products/${p.id}`, { token: b!.token, body: { price: 1 } });
    assert.equal(other.status, 403);
    for (const body of [
      { name: 'x', price: -1, stock: 1 },
      { name: 'x', price: 1.555, stock: 1 },
      { price: 100, stock: 1 },
    ]) {
      const bad = await api('POST', '/api/products', { token: a!.token, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.body.code, 'VALIDATION');
    }
  });

  it('full flow: stream, flash sale, pin, order by message and HTTP, seller notified, paid, analytics', async () => {
    const seller = await registerUser('seller');
    const [b1, b2] = await registerUsers(2, 'buyer');
    const p = await product(seller, { stock: 10 });
    const s = await session(seller);
    const sellerRoom = await join(seller, s.roomId);
    const r1 = await join(b1!, s.roomId);
    const r2 = await join(b2!, s.roomId);

    const added = nextMessage(r1, 'live-shopping:product-added');
    const flash = nextMessage(r1, 'live-shopping:flash-sale');
    const res = await addToStream(seller, s.sessionId, {
      productId: p.id,
      livePrice: 4000,
      stock: 5,
      flashSale: { quantity: 3, expiresIn: 60_000, price: 2500, perCustomerLimit: 2 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await added).product.currentPrice, 2500);
    const f = await flash;
    assert.equal(f.countdown, 60_000);
    assert.equal(f.product.flashSale.quantity, 3);
    const catalog = await api('GET', '/api/products/mine', { token: seller.token });
    assert.equal(catalog.body.data.products[0].stock, 5, 'offered units leave the catalog');

    await waitFor(() => r2.state.products.get(p.id)?.remaining === 5, 3000, 'product in state');
    const pinned = nextMessage(r2, 'live-shopping:product-pinned');
    const pin = await api('POST', `/api/live-shopping/${s.sessionId}/products/pin`, {
      token: seller.token,
      body: { productId: p.id },
    });
    assert.equal(pin.status, 200);
    assert.equal((await pinned).productId, p.id);
    await waitFor(() => r2.state.pinnedProductId === p.id, 3000, 'pinned in state');

    // Interactions by HTTP and message.
    assert.equal(
      (
        await api('POST', `/api/live-shopping/${s.sessionId}/interactions`, {
          token: b1!.token,
          body: { productId: p.id, type: 'view' },
        })
      ).status,
      200,
    );
    r2.send('interaction', { productId: p.id, type: 'click' });

    // Order by room message: result to the buyer only, event to the seller (no payment data).
    const sellerOrders = collect(sellerRoom, 'live-shopping:order');
    const otherResults = collect(r2, 'live-shopping:order-result');
    const result = nextMessage(r1, 'live-shopping:order-result');
    r1.send('order', { productId: p.id, quantity: 2, idempotencyKey: 'k1', requestId: 'rq1' });
    const got = await result;
    assert.equal(got.requestId, 'rq1');
    assert.equal(got.order.unitPrice, 2500);
    assert.equal(got.order.total, 5000);
    assert.equal(got.order.status, 'reserved');
    assert.equal(got.order.flash, true);
    await waitFor(() => sellerOrders.length === 1, 3000, 'seller order event');
    assert.deepEqual(Object.keys(sellerOrders[0]).sort(), ['buyer', 'orderId', 'productId', 'productName', 'quantity']);
    assert.equal(sellerOrders[0].buyer.name, b1!.username);
    assert.equal(sellerOrders[0].quantity, 2);
    await waitFor(() => r2.state.products.get(p.id)?.remaining === 3, 3000, 'stock in state');
    assert.equal(otherResults.length, 0);

    // Per-customer limit of the flash sale.
    const over = await order(b1!, s.sessionId, { productId: p.id, quantity: 1 });
    assert.equal(over.status, 409);
    // Same key over HTTP → the first order.
    const replay = await order(b1!, s.sessionId, { productId: p.id, quantity: 2, idempotencyKey: 'k1' });
    assert.equal(replay.status, 200);
    assert.equal(replay.body.data.order.id, got.order.id);
    assert.equal(replay.body.data.replayed, true);

    // Last flash unit, then the flash sale ends by quantity: live price.
    const ended = nextMessage(r2, 'live-shopping:flash-sale-ended');
    const o2 = await order(b2!, s.sessionId, { productId: p.id, quantity: 1 });
    assert.equal(o2.status, 201, JSON.stringify(o2.body));
    assert.equal(o2.body.data.order.unitPrice, 2500);
    await ended;
    await waitFor(() => r2.state.products.get(p.id)?.currentPrice === 4000, 3000, 'live price');
    const soldOut = nextMessage(r2, 'live-shopping:sold-out');
    const o3 = await order(b2!, s.sessionId, { productId: p.id, quantity: 2 });
    assert.equal(o3.status, 201, JSON.stringify(o3.body));
    assert.equal(o3.body.data.order.unitPrice, 4000);
    assert.deepEqual(await soldOut, { productId: p.id });
    const none = await order(b2!, s.sessionId, { productId: p.id, quantity: 1 });
    assert.equal(none.status, 409);
    assert.equal(none.body.code, 'SOLD_OUT');

    // The payment side confirms; without credentials it is 401.
    const noKey = await api('POST', `/api/live-shopping/orders/${got.order.id}/paid`, { token: b1!.token });
    assert.equal(noKey.status, 401);
    const paid = await api('POST', `/api/live-shopping/orders/${got.order.id}/paid`, { headers: SERVICE() });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(paid.body.data.order.status, 'paid');

    const an = await api('GET', `/api/live-shopping/${s.sessionId}/analytics`, { token: seller.token });
    assert.equal(an.status, 200);
    assert.equal(an.body.data.orders, 3);
    assert.equal(an.body.data.units, 5);
    assert.equal(an.body.data.revenue, 5000 + 2500 + 8000);
    assert.equal(an.body.data.views, 1);
    assert.equal(an.body.data.clicks, 1);
    assert.equal(an.body.data.viewers.unique, 2);
    assert.equal(an.body.data.conversion, 1.5);
    assert.equal(an.body.data.flashSellThrough, 1);
    assert.equal((await api('GET', `/api/live-shopping/${s.sessionId}/analytics`, { token: b1!.token })).status, 403);

    const active = await api('GET', '/api/live-shopping/active/list', { token: b1!.token });
    assert.ok(active.body.data.sessions.some((x: any) => x.id === s.sessionId));
    const detail = await api('GET', `/api/live-shopping/${s.sessionId}`, { token: b1!.token });
    assert.equal(detail.body.data.live.products[0].remaining, 0);

    const end = await api('POST', `/api/live-shopping/${s.sessionId}/end`, { token: seller.token });
    assert.equal(end.status, 200);
    const after = await order(b1!, s.sessionId, { productId: p.id });
    assert.equal(after.status, 409);
    const top = await api('GET', '/api/live-shopping/top/performers?period=day', { token: b1!.token });
    assert.ok(top.body.data.performers.some((x: any) => x.sellerId === seller.id));
    await assertIntegrity(s.sessionId);
    for (const r of [sellerRoom, r1, r2]) await r.leave();
    // The room closes once the unpaid reservations are released; the analytics stay readable.
    const persisted = await waitFor(
      async () => {
        const a = await api('GET', `/api/live-shopping/${s.sessionId}/analytics`, { token: seller.token });
        // The room writes its final analytics as it disposes, just after it leaves the registry: wait for that write.
        return a.body.data.live === false && a.body.data.paidOrders !== undefined && a.body.data.orders === 1
          ? a.body.data
          : null;
      },
      config().SHOP_RESERVATION_TTL_MS + 5000,
      'room closed',
    );
    assert.equal(persisted.status, 'ended');
    assert.equal(persisted.orders, 1, 'only the paid order counts once the others were released');
    assert.equal(persisted.paidOrders, 1);
    assert.equal(persisted.views, 1);
    assert.equal(persisted.viewers.unique, 2);
    await assertIntegrity(s.sessionId);
  });

  it('refuses: another seller product, non-seller control, order before start, bad payloads, expired flash sale', async () => {
    const [seller, other, buyer] = await registerUsers(3, 'shop');
    const mine = await product(seller!);
    const theirs = await product(other!);
    const s = await session(seller!, false);
    const early = await order(buyer!, s.sessionId, { productId: mine.id });
    assert.equal(early.status, 409, 'not live yet');
    assert.equal(early.body.code, 'INVALID_STATE');
    const foreign = await addToStream(seller!, s.sessionId, { productId: theirs.id, livePrice: 100 });
    assert.equal(foreign.status, 403);
    for (const [path, body] of [
      ['start', {}],
      ['end', {}],
      ['products', { productId: mine.id, livePrice: 100 }],
      ['products/pin', { productId: mine.id }],
      ['vouchers', { code: 'HACK', type: 'fixed', value: 1, usageLimit: 1 }],
    ] as const) {
      const r = await api('POST', `/api/live-shopping/${s.sessionId}/${path}`, { token: buyer!.token, body });
      assert.equal(r.status, 403, path);
    }
    const bad = await addToStream(seller!, s.sessionId, { productId: mine.id, livePrice: 0 });
    assert.equal(bad.status, 400);
    const tooMany = await addToStream(seller!, s.sessionId, { productId: mine.id, livePrice: 100, stock: 11 });
    assert.equal(tooMany.status, 409);
    const ok = await addToStream(seller!, s.sessionId, {
      productId: mine.id,
      livePrice: 3000,
      flashSale: { quantity: 2, expiresIn: 1000, price: 1000 },
    });
    assert.equal(ok.status, 201);
    const notLive = await order(buyer!, s.sessionId, { productId: mine.id });
    assert.equal(notLive.status, 409);
    assert.equal(notLive.body.code, 'INVALID_STATE');
    await api('POST', `/api/live-shopping/${s.sessionId}/start`, { token: seller!.token });
    const room = await join(buyer!, s.roomId);
    const errs = collect(room, 'live-shopping:error');
    room.send('order', { productId: 'nope', quantity: 0 });
    await waitFor(() => errs.length === 1, 3000, 'error');
    assert.equal(errs[0].code, 'VALIDATION');
    for (const body of [
      { productId: mine.id, quantity: 0 },
      { productId: mine.id, quantity: 1, idempotencyKey: '' },
      'x',
    ]) {
      const r = await api('POST', `/api/live-shopping/${s.sessionId}/orders`, { token: buyer!.token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    // Flash sale expired by time: live price.
    await waitFor(() => room.state.products.get(mine.id)?.flashActive === false, 4000, 'flash end');
    const late = await order(buyer!, s.sessionId, { productId: mine.id });
    assert.equal(late.status, 201);
    assert.equal(late.body.data.order.unitPrice, 3000);
    assert.equal(late.body.data.order.flash, false);
    await room.leave();
  });

  it('vouchers: check, discount, over limit, per user, expired, below minimum, private without code', async () => {
    const seller = await registerUser('seller');
    const [b1, b2, b3] = await registerUsers(3, 'buyer');
    const p = await product(seller, { stock: 20 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 2000 });
    const room = await join(b1!, s.roomId);
    const announced = nextMessage(room, 'live-shopping:voucher');
    const mk = (body: Record<string, unknown>) =>
      api('POST', `/api/live-shopping/${s.sessionId}/vouchers`, { token: seller.token, body });
    assert.equal(
      (await mk({ code: 'SAVE10', type: 'percent', value: 10, usageLimit: 2, perUserLimit: 1, minOrderAmount: 3000 }))
        .status,
      201,
    );
    assert.equal((await announced).code, 'SAVE10');
    const privAnn = nextMessage(room, 'live-shopping:voucher');
    assert.equal((await mk({ code: 'VIP', type: 'fixed', value: 500, usageLimit: 5, private: true })).status, 201);
    const priv = await privAnn;
    assert.equal(priv.code, undefined);
    assert.equal(priv.value, 500);
    assert.equal((await mk({ code: 'SAVE10', type: 'fixed', value: 1, usageLimit: 1 })).status, 409);
    assert.equal((await mk({ code: 'BAD', type: 'percent', value: 150, usageLimit: 1 })).status, 400);
    assert.equal(
      (await mk({ code: 'SOON', type: 'fixed', value: 100, usageLimit: 5, expiresAt: Date.now() + 800 })).status,
      201,
    );

    const check = await api('POST', `/api/live-shopping/${s.sessionId}/vouchers/use`, {
      token: b1!.token,
      body: { code: 'save10', productId: p.id, quantity: 2 },
    });
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.data.discount, 400);
    const below = await order(b1!, s.sessionId, { productId: p.id, quantity: 1, voucherCode: 'SAVE10' });
    assert.equal(below.status, 400);
    const o1 = await order(b1!, s.sessionId, { productId: p.id, quantity: 2, voucherCode: 'SAVE10' });
    assert.equal(o1.status, 201);
    assert.equal(o1.body.data.order.discount, 400);
    assert.equal(o1.body.data.order.total, 3600);
    const again = await order(b1!, s.sessionId, { productId: p.id, quantity: 2, voucherCode: 'SAVE10' });
    assert.equal(again.status, 409, 'per-user limit');
    // Two buyers race for the last use.
    const race = await Promise.all(
      [b2!, b3!].map((b) => order(b, s.sessionId, { productId: p.id, quantity: 2, voucherCode: 'SAVE10' })),
    );
    assert.deepEqual(race.map((r) => r.status).sort(), [201, 409]);
    await sleep(900);
    const expired = await order(b2!, s.sessionId, { productId: p.id, quantity: 1, voucherCode: 'SOON' });
    assert.equal(expired.status, 409);
    assert.equal(expired.body.code, 'INVALID_STATE');
    const unknown = await order(b2!, s.sessionId, { productId: p.id, voucherCode: 'NOPE' });
    assert.equal(unknown.status, 404);
    const i = await assertIntegrity(s.sessionId);
    assert.equal(i.vouchers.find((v) => v.code === 'SAVE10')!.uses, 2);
    await room.leave();
  });

  it('an unpaid reservation is released after the TTL: stock and voucher use return; paying it then is 409', async () => {
    const seller = await registerUser('seller');
    const buyer = await registerUser('buyer');
    const p = await product(seller, { stock: 1 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 2000 });
    await api('POST', `/api/live-shopping/${s.sessionId}/vouchers`, {
      token: seller.token,
      body: { code: 'ONE', type: 'fixed', value: 100, usageLimit: 1 },
    });
    const room = await join(buyer, s.roomId);
    const o = await order(buyer, s.sessionId, { productId: p.id, voucherCode: 'ONE' });
    assert.equal(o.status, 201);
    await waitFor(() => room.state.products.get(p.id)?.remaining === 0, 3000, 'reserved');
    const released = await nextMessage(room, 'live-shopping:order-released', config().SHOP_RESERVATION_TTL_MS + 3000);
    assert.equal(released.orderId, o.body.data.order.id);
    await waitFor(() => room.state.products.get(p.id)?.remaining === 1, 3000, 'stock back');
    const row = await shoppingStore().getOrder(o.body.data.order.id);
    assert.equal(row!.status, 'released');
    const pay = await api('POST', `/api/live-shopping/orders/${row!.id}/paid`, { headers: SERVICE() });
    assert.equal(pay.status, 409);
    const i = await assertIntegrity(s.sessionId);
    assert.equal(i.vouchers[0]!.uses, 0);
    const again = await order(buyer, s.sessionId, { productId: p.id, voucherCode: 'ONE' });
    assert.equal(again.status, 201, 'stock and voucher use are available again');
    await room.leave();
  });

  it('paying a reservation whose expiry passed is 409 even before any room released it', async () => {
    const seller = await registerUser('seller');
    const buyer = await registerUser('buyer');
    const p = await product(seller, { stock: 2 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 700 });
    const o = await order(buyer, s.sessionId, { productId: p.id });
    assert.equal(o.status, 201, JSON.stringify(o.body));
    const id = o.body.data.order.id as string;
    // A reservation left behind by a dead process: expired, still `reserved`, no timer to release it.
    await server().context.ds.query(`UPDATE shop_orders SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      id,
    ]);
    const pay = await api('POST', `/api/live-shopping/orders/${id}/paid`, { headers: SERVICE() });
    assert.equal(pay.status, 409, JSON.stringify(pay.body));
    assert.equal(pay.body.code, 'INVALID_STATE');
    assert.equal((await shoppingStore().getOrder(id))!.status, 'reserved', 'left for the release path');
    await shoppingStore().release(id);
    await assertIntegrity(s.sessionId);
  });

  it('a retried order whose first commit answer was lost is reserved in the room too and gets its expiry timer', async () => {
    const seller = await registerUser('seller');
    const buyer = await registerUser('buyer');
    const p = await product(seller, { stock: 3 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 1500 });
    const room = await join(buyer, s.roomId);
    const [sp] = await shoppingStore().streamProducts(s.sessionId);
    // The first attempt committed, but the room never heard back (a lost commit answer).
    const first = await shoppingStore().placeOrder({
      sessionId: s.sessionId,
      streamProductId: sp!.id,
      productId: p.id,
      buyerId: buyer.id,
      quantity: 1,
      unitPrice: 1500,
      discount: 0,
      total: 1500,
      flash: false,
      voucherId: null,
      idempotencyKey: 'lost-answer',
      expiresAt: Date.now() + 4000, // long enough to see it counted before it expires
    });
    assert.equal(first.replayed, false);
    const retry = await order(buyer, s.sessionId, { productId: p.id, idempotencyKey: 'lost-answer' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.data.replayed, true);
    await waitFor(() => room.state.products.get(p.id)?.remaining === 2, 3000, 'the room counts the reservation');
    // And releases it when it expires, like any reservation it placed.
    await waitFor(
      async () => (await shoppingStore().getOrder(first.order.id))!.status === 'released',
      9000,
      'the reservation released on expiry',
    );
    await waitFor(() => room.state.products.get(p.id)?.remaining === 3, 3000, 'stock back');
    await assertIntegrity(s.sessionId);
    await room.leave();
  });

  it('a rush: hundreds of concurrent orders (messages, HTTP, retries) on a small flash sale sell exactly the stock', async () => {
    const seller = await registerUser('seller');
    const STOCK = 25;
    const p = await product(seller, { stock: STOCK });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, {
      productId: p.id,
      livePrice: 9000,
      flashSale: { quantity: STOCK, expiresIn: 120_000, price: 1000 },
    });
    const buyers = await registerUsers(60, 'rush');
    // Reservations must outlive the rush: with the suite's 1.5 s TTL a slow (shared) machine released early
    // ones mid-rush and their units sold again, so "exactly the stock" failed there (on main too).
    savedTtl = config().SHOP_RESERVATION_TTL_MS;
    (config() as { SHOP_RESERVATION_TTL_MS: number }).SHOP_RESERVATION_TTL_MS = 120_000;
    const rooms = await Promise.all(buyers.slice(0, 30).map((b) => join(b, s.roomId)));
    const outcomes: Array<{ ok: boolean; code?: string; orderId?: string; key: string }> = [];
    const viaRoom = rooms.flatMap((room, k) =>
      Array.from({ length: 4 }, (_, j) => {
        const key = `r-${k}-${j % 3}`; // j = 0 and 3 share a key: a retry
        return new Promise<void>((resolve) => {
          const requestId = `${k}-${j}`;
          const offOk = room.onMessage('live-shopping:order-result', (m: any) => {
            if (m.requestId !== requestId) return;
            outcomes.push({ ok: true, orderId: m.order.id, key: `${k}:${key}` });
            offOk();
            offErr();
            resolve();
          });
          const offErr = room.onMessage('live-shopping:error', (m: any) => {
            if (m.requestId !== requestId) return;
            outcomes.push({ ok: false, code: m.code, key: `${k}:${key}` });
            offOk();
            offErr();
            resolve();
          });
          room.send('order', { productId: p.id, quantity: 1, idempotencyKey: key, requestId });
        });
      }),
    );
    const viaHttp = buyers.slice(30).flatMap((b, k) =>
      Array.from({ length: 4 }, async (_, j) => {
        const key = `h-${j % 3}`;
        const r = await order(b, s.sessionId, { productId: p.id, idempotencyKey: key });
        if (r.status >= 500) throw new Error(`5xx: ${JSON.stringify(r.body)}`);
        outcomes.push(
          r.status < 300
            ? { ok: true, orderId: r.body.data.order.id, key: `h${k}:${key}` }
            : { ok: false, code: r.body.code, key: `h${k}:${key}` },
        );
      }),
    );
    await Promise.all([...viaRoom, ...viaHttp]);
    assert.equal(outcomes.length, 240);
    const orderIds = new Set(outcomes.filter((o) => o.ok).map((o) => o.orderId));
    assert.equal(orderIds.size, STOCK, 'exactly the stock sold');
    for (const o of outcomes.filter((x) => !x.ok)) assert.equal(o.code, 'SOLD_OUT');
    // A retry with the same key never made a second order.
    const byKey = new Map<string, Set<string>>();
    for (const o of outcomes.filter((x) => x.ok)) byKey.set(o.key, (byKey.get(o.key) ?? new Set()).add(o.orderId!));
    for (const ids of byKey.values()) assert.equal(ids.size, 1);
    const i = await assertIntegrity(s.sessionId);
    assert.deepEqual(i.products[0], { productId: p.id, offered: STOCK, remaining: 0, ordered: STOCK, balanced: true });
    await waitFor(() => rooms[0]!.state.products.get(p.id)?.remaining === 0, 3000, 'state');
    await Promise.all(rooms.map((r) => r.leave()));
  });

  it('is a stream host room: the seller applies a stream filter, a buyer cannot', async () => {
    const seller = await registerUser('seller');
    const buyer = await registerUser('buyer');
    const s = await session(seller);
    const room = await join(buyer, s.roomId);
    const all = await api('GET', '/api/stream-filters?limit=100', { token: seller.token });
    const lipstick = all.body.data.filters.find((x: any) => x.slug === 'lipstick');
    const body = { streamId: s.roomId, parameters: { 'lipstick.color': '#ff0055' } };
    const denied = await api('POST', `/api/stream-filters/${lipstick.id}/apply`, { token: buyer.token, body });
    assert.equal(denied.status, 403);
    const applied = await api('POST', `/api/stream-filters/${lipstick.id}/apply`, { token: seller.token, body });
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    await waitFor(() => room.state.filters.get(seller.id)?.byCategory.size === 1, 3000, 'filter in state');
    await room.leave();
  });

  it('the database guards stock on its own: a group commit that would oversell changes nothing', async () => {
    const seller = await registerUser('seller');
    const [b1, b2] = await registerUsers(2, 'buyer');
    const p = await product(seller, { stock: 1 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 100 });
    const [sp] = await shoppingStore().streamProducts(s.sessionId);
    const input = (b: TestUser, key: string) => ({
      sessionId: s.sessionId,
      streamProductId: sp!.id,
      productId: p.id,
      buyerId: b.id,
      quantity: 1,
      unitPrice: 100,
      discount: 0,
      total: 100,
      flash: false,
      voucherId: null,
      idempotencyKey: key,
      expiresAt: Date.now() + 60_000,
    });
    // Bypassing the room: two units of a stream that has one.
    await assert.rejects(shoppingStore().placeOrders([input(b1!, 'a'), input(b2!, 'b')]), /Sold out|check constraint/i);
    await assert.rejects(shoppingStore().placeOrder({ ...input(b1!, 'c'), quantity: 2 }), /Sold out/);
    assert.equal((await shoppingStore().sessionOrders(s.sessionId)).length, 0);
    const [first] = await shoppingStore().placeOrders([input(b1!, 'a')]);
    assert.equal(first!.replayed, false);
    const [again] = await shoppingStore().placeOrders([input(b1!, 'a')]);
    assert.deepEqual(again, { order: first!.order, replayed: true });
    const i = await assertIntegrity(s.sessionId);
    assert.equal(i.products[0]!.remaining, 0);
    await shoppingStore().release(first!.order.id);
  });

  it('on start, a session a dead process left live is interrupted and its unpaid reservations released', async () => {
    const seller = await registerUser('seller');
    const [b1, b2] = await registerUsers(2, 'buyer');
    const p = await product(seller, { stock: 3 });
    const s = await session(seller);
    await addToStream(seller, s.sessionId, { productId: p.id, livePrice: 100 });
    const o1 = await order(b1!, s.sessionId, { productId: p.id });
    const o2 = await order(b2!, s.sessionId, { productId: p.id });
    await api('POST', `/api/live-shopping/orders/${o1.body.data.order.id}/paid`, { headers: SERVICE() });
    // Simulate a dead process: the session row points at a room that no longer exists.
    await shoppingStore().setRoom(s.sessionId, 'gone-room');
    const r = await shoppingStore().recoverOrphans(async (id) => id !== 'gone-room');
    assert.ok(r.closed >= 1 && r.released >= 1);
    assert.equal((await shoppingStore().getSession(s.sessionId))!.status, 'interrupted');
    assert.equal((await shoppingStore().getOrder(o1.body.data.order.id))!.status, 'paid');
    assert.equal((await shoppingStore().getOrder(o2.body.data.order.id))!.status, 'released');
    const i = await assertIntegrity(s.sessionId);
    assert.equal(i.products[0]!.remaining, 2);
    await shoppingStore().setRoom(s.sessionId, s.roomId);
  });
});
