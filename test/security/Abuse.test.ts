/**
 * Issue 9: the holes an attacker walked through, each reproduced as the attacker would
 * (plain HTTP, the SDK, or a second process's view of the database) and shown closed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { matchMaker } from '@colyseus/core';
import type { Room } from '@colyseus/sdk';
import { createServerRoom } from '../../src/rooms/roomCreation';
import { pkStore } from '../../src/stores/pkStore';
import { type NewOrder, shoppingStore } from '../../src/stores/shoppingStore';
import { api, config, nextMessage, registerUsers, sdk, server, type TestUser, waitFor } from '../helpers';

const SERVICE = () => ({ 'x-service-key': config().SERVICE_API_KEY! });

/** What the SDK does for joinOrCreate/create: POST /matchmake/<method>/<room> with the user's token. */
function matchmake(method: string, roomName: string, user: TestUser, body: unknown) {
  return fetch(`${server().url}/matchmake/${method}/${roomName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify(body),
  });
}

async function shopWithProduct(seller: TestUser, extra: Record<string, unknown> = {}, price = 100) {
  const p = await api('POST', '/api/products', {
    token: seller.token,
    body: { name: 'Item', price, stock: 1000 },
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const s = await api('POST', '/api/live-shopping', { token: seller.token, body: { title: 'Drop' } });
  assert.equal(s.status, 201);
  const { sessionId, roomId } = s.body.data;
  assert.equal((await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller.token })).status, 200);
  const productId = p.body.data.product.id as string;
  const add = await api('POST', `/api/live-shopping/${sessionId}/products`, {
    token: seller.token,
    body: { productId, livePrice: price, stock: 500, ...extra },
  });
  assert.equal(add.status, 201, JSON.stringify(add.body));
  return { sessionId: sessionId as string, roomId: roomId as string, productId };
}

const order = (u: TestUser, sessionId: string, body: Record<string, unknown>) =>
  api('POST', `/api/live-shopping/${sessionId}/orders`, {
    token: u.token,
    body: { quantity: 1, idempotencyKey: randomUUID(), ...body },
  });

/** An order as another process's room would commit it: straight to the store, past this room's memory. */
async function orderFromElsewhere(
  sessionId: string,
  productId: string,
  buyer: TestUser,
  o: { quantity?: number; flash?: boolean; voucherId?: string | null; unitPrice?: number },
): Promise<NewOrder> {
  const [sp] = await server().context.ds.query('SELECT id FROM stream_products WHERE session_id = $1', [sessionId]);
  const q = o.quantity ?? 1;
  const unit = o.unitPrice ?? 100;
  return {
    sessionId,
    streamProductId: sp.id,
    productId,
    buyerId: buyer.id,
    quantity: q,
    unitPrice: unit,
    discount: 0,
    total: unit * q,
    flash: o.flash ?? false,
    voucherId: o.voucherId ?? null,
    idempotencyKey: randomUUID(),
    expiresAt: Date.now() + 60_000,
  };
}

describe('Abuse: room creation is the server’s', function () {
  this.timeout(30_000);

  it('POST /matchmake/create/multihost for someone else’s session is refused and the session keeps its room', async () => {
    const [host, attacker] = await registerUsers(2, 'mh');
    const created = await api('POST', '/api/multihost', {
      token: host!.token,
      body: { title: 'Jam', type: 'collaboration', layout: 'grid', maxHosts: 4 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { sessionId, roomId } = created.body.data;
    for (const method of ['create', 'joinOrCreate']) {
      const res = await matchmake(method, 'multihost', attacker!, { sessionId });
      assert.ok(res.status >= 400, `${method} answered ${res.status}`);
    }
    const after = await api('GET', `/api/multihost/${sessionId}`, { token: host!.token });
    assert.equal(after.status, 200);
    assert.equal(after.body.data.roomId, roomId);
  });

  it('POST /matchmake/create/live_stream in a victim’s name is refused and records no stream', async () => {
    const [victim, attacker] = await registerUsers(2, 'ls');
    const res = await matchmake('create', 'live_stream', attacker!, { hostId: victim!.id, hostName: 'victim' });
    assert.ok(res.status >= 400, `answered ${res.status}`);
    const rows = await server().context.ds.query('SELECT id FROM live_streams WHERE host_id = $1', [victim!.id]);
    assert.equal(rows.length, 0);
    // The SDK's create/joinOrCreate go the same way.
    const refused = (err: { code?: number }) => err.code === 403;
    await assert.rejects(sdk(attacker!).create('pk_battle', { battleId: randomUUID() }), refused);
    await assert.rejects(sdk(attacker!).joinOrCreate('live_shopping', { sessionId: randomUUID() }), refused);
    await assert.rejects(sdk(attacker!).create('inbox'), refused);
  });

  it('a room without the server’s token is refused in onCreate; a second room for a battle is impossible', async () => {
    const [a, b] = await registerUsers(2, 'pk2');
    const res = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 1 } });
    assert.equal(res.status, 201);
    const { battleId, roomId } = res.body.data;
    // Even server code that forgets the token cannot create it (the guard is in the room).
    await assert.rejects(matchMaker.createRoom('pk_battle', { battleId }), /created by the server/);
    // The database holds one room per battle (room_id written only while NULL), on any process.
    await assert.rejects(createServerRoom('pk_battle', { battleId }), /already has a room/);
    const [row] = await server().context.ds.query('SELECT room_id FROM pk_battles WHERE id = $1', [battleId]);
    assert.equal(row.room_id, roomId);
    await api('DELETE', `/api/pk-battles/${battleId}`, { token: a!.token });
  });

  it('the inbox is still joined with joinOrCreate, and every room has a maxClients', async () => {
    const [u, v] = await registerUsers(2, 'ib');
    const inbox = await sdk(u!).joinOrCreate('inbox', { anything: 'ignored' });
    const local = matchMaker.getLocalRoomById(inbox.roomId);
    assert.equal(local?.maxClients, config().ROOM_MAX_CLIENTS);
    const battle = await api('POST', '/api/pk-battles', { token: u!.token, body: { opponent: v!.id, duration: 1 } });
    const stream = await api('POST', '/api/webrtc/stream/start', { token: v!.token, body: { title: 'x' } });
    for (const id of [battle.body.data.roomId, stream.body.data.roomId]) {
      assert.equal(matchMaker.getLocalRoomById(id)?.maxClients, config().ROOM_MAX_CLIENTS);
    }
    await inbox.leave();
    await api('DELETE', `/api/pk-battles/${battle.body.data.battleId}`, { token: u!.token });
    await api('POST', `/api/webrtc/stream/${stream.body.data.streamId}/end`, { token: v!.token });
  });
});

describe('Abuse: per-buyer limits live in the database', function () {
  this.timeout(30_000);

  it('the voucher per-user limit holds for orders committed through another room/process', async () => {
    const [seller, buyer] = await registerUsers(2, 'vu');
    const s = await shopWithProduct(seller!);
    const v = await api('POST', `/api/live-shopping/${s.sessionId}/vouchers`, {
      token: seller!.token,
      body: { code: 'ONCE', type: 'fixed', value: 10, usageLimit: 100, perUserLimit: 1 },
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    const [{ id: voucherId }] = await server().context.ds.query('SELECT id FROM vouchers WHERE session_id = $1', [
      s.sessionId,
    ]);
    const first = await order(buyer!, s.sessionId, { productId: s.productId, voucherCode: 'ONCE' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // A second room (another process) would not have this room's memory: the database refuses.
    const again = await orderFromElsewhere(s.sessionId, s.productId, buyer!, { voucherId });
    await assert.rejects(shoppingStore().placeOrder(again), (e: { code?: string }) => e.code === 'CONFLICT');
    // Two at once in one group commit: the batch fails as a whole.
    const [x, y] = await Promise.all([
      orderFromElsewhere(s.sessionId, s.productId, buyer!, { voucherId }),
      orderFromElsewhere(s.sessionId, s.productId, buyer!, { voucherId }),
    ]);
    await assert.rejects(shoppingStore().placeOrders([x, y]));
    const [{ n }] = await server().context.ds.query(
      'SELECT count(*)::int AS n FROM voucher_uses WHERE voucher_id = $1 AND user_id = $2',
      [voucherId, buyer!.id],
    );
    assert.equal(n, 1);
  });

  it('the flash-sale per-customer limit holds for orders committed elsewhere', async () => {
    const [seller, buyer] = await registerUsers(2, 'fl');
    const s = await shopWithProduct(seller!, { flashSale: { quantity: 50, expiresIn: 60_000, perCustomerLimit: 2 } });
    const first = await order(buyer!, s.sessionId, { productId: s.productId, quantity: 2 });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.data.order.flash, true);
    const more = await orderFromElsewhere(s.sessionId, s.productId, buyer!, { flash: true });
    await assert.rejects(shoppingStore().placeOrder(more), /Flash sale limit/);
  });

  it('reservation hoarding: outstanding reserved units per buyer per session are capped', async () => {
    const [seller, buyer, other] = await registerUsers(3, 'ho');
    const s = await shopWithProduct(seller!);
    const cap = config().SHOP_MAX_RESERVED_PER_BUYER;
    const full = await order(buyer!, s.sessionId, { productId: s.productId, quantity: cap });
    assert.equal(full.status, 201, JSON.stringify(full.body));
    const over = await order(buyer!, s.sessionId, { productId: s.productId, quantity: 1 });
    assert.equal(over.status, 409);
    assert.match(over.body.message!, /unpaid units/);
    // Nothing changed for the refused order; other buyers are not affected.
    assert.equal((await order(other!, s.sessionId, { productId: s.productId, quantity: 1 })).status, 201);
    // Paying frees the cap.
    const paid = await api('POST', `/api/live-shopping/orders/${full.body.data.order.id}/paid`, { headers: SERVICE() });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal((await order(buyer!, s.sessionId, { productId: s.productId, quantity: 1 })).status, 201);
  });

  it('an order total beyond the 32-bit column is a 400, not a 503', async () => {
    const [seller, buyer] = await registerUsers(2, 'ov');
    const s = await shopWithProduct(seller!, {}, 1_000_000); // the largest price (major units): 100,000,000 minor
    const res = await order(buyer!, s.sessionId, { productId: s.productId, quantity: 100 });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const ok = await order(buyer!, s.sessionId, { productId: s.productId, quantity: 1 });
    assert.equal(ok.status, 201);
  });
});

describe('Abuse: invitations and live_stream signaling', function () {
  this.timeout(30_000);

  it('a pending invitation does not lock the invitee out; decline-all clears invitation spam', async () => {
    const [spammer1, spammer2, victim, friend] = await registerUsers(4, 'inv');
    for (const s of [spammer1!, spammer2!]) {
      const r = await api('POST', '/api/pk-battles', { token: s.token, body: { opponent: victim!.id, duration: 1 } });
      assert.equal(r.status, 201);
    }
    const declined = await api('POST', '/api/pk-battles/invitations/decline-all', { token: victim!.token });
    assert.equal(declined.status, 200);
    assert.equal(declined.body.data.declined.length, 2);
    const again = await api('POST', '/api/pk-battles', {
      token: spammer1!.token,
      body: { opponent: victim!.id, duration: 1 },
    });
    assert.equal(again.status, 201);
    // Invited again, the victim still starts a battle of their own.
    const own = await api('POST', '/api/pk-battles', {
      token: victim!.token,
      body: { opponent: friend!.id, duration: 1 },
    });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    await api('DELETE', `/api/pk-battles/${own.body.data.battleId}`, { token: victim!.token });
    await api('DELETE', `/api/pk-battles/${again.body.data.battleId}`, { token: spammer1!.token });
  });

  it('invitations are rate-limited per user (counted in the database)', async () => {
    const [a, b] = await registerUsers(2, 'rl');
    for (let i = 0; i < 2; i++) {
      const id = await pkStore().createBattle(a!.id, b!.id, 1, 2);
      await pkStore().closeUnplayed(id, 'cancelled');
    }
    await assert.rejects(
      pkStore().createBattle(a!.id, b!.id, 1, 2),
      (e: { code?: string }) => e.code === 'RATE_LIMITED',
    );
  });

  it('in live_stream a viewer may signal only the host, and viewer stats reach only the host', async () => {
    const [host, v1, v2] = await registerUsers(3, 'sig');
    const started = await api('POST', '/api/webrtc/stream/start', { token: host!.token, body: { title: 'x' } });
    const roomId = started.body.data.roomId as string;
    const rooms: Room[] = [];
    for (const u of [host!, v1!, v2!]) {
      const r = await sdk(u).joinById(roomId);
      r.onMessage('*', () => undefined);
      const ready = nextMessage(r, 'webrtc:existing-peers');
      r.send('webrtc:join-room', { audio: true, video: true });
      await ready;
      rooms.push(r);
    }
    const [hostRoom, r1, r2] = rooms as [Room, Room, Room];
    const peerStatsAtV2: unknown[] = [];
    r2.onMessage('webrtc:peer-stats', (m) => peerStatsAtV2.push(m));
    const refused = nextMessage(r1, 'webrtc:error');
    r1.send('webrtc:offer', { to: v2!.id, sdp: 'v=0\r\n' });
    assert.equal((await refused).code, 'FORBIDDEN');
    const toHost = nextMessage(hostRoom, 'webrtc:offer');
    r1.send('webrtc:offer', { to: host!.id, sdp: 'v=0\r\n' });
    assert.equal((await toHost).from, v1!.id);
    const statsAtHost = nextMessage(hostRoom, 'webrtc:peer-stats');
    r1.send('webrtc:stats-update', { bitrateKbps: 900, rttMs: 40, packetLossPct: 0 });
    assert.equal((await statsAtHost).userId, v1!.id);
    // The host's toggle is for everyone and leaves after v1's stats on v2's socket: by then v2 got none.
    const toggled = nextMessage(r2, 'webrtc:track-toggled');
    hostRoom.send('webrtc:toggle-track', { kind: 'audio', enabled: false });
    assert.equal((await toggled).userId, host!.id);
    assert.deepEqual(peerStatsAtV2, []);
    // Nor do viewers' peers ride the synced state to every client: the map holds the host only.
    await waitFor(() => r2.state.peers.get(host!.id)?.audio === false, 3000, 'host toggle in state');
    assert.deepEqual([...r2.state.peers.keys()], [host!.id]);
    await Promise.all(rooms.map((r) => r.leave()));
    await api('POST', `/api/webrtc/stream/${roomId}/end`, { token: host!.token });
  });
});

describe('Abuse: empty battles mint no coins', function () {
  this.timeout(30_000);

  it('a battle whose hosts never connect pays no reward', async () => {
    const [a, b] = await registerUsers(2, 'empty');
    const res = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 1 } });
    const { battleId } = res.body.data;
    assert.equal((await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b!.token })).status, 200);
    // Wait for the committed result (the row), not the room's live status, which turns 'ended' first.
    await waitFor(
      async () => {
        const [row] = await server().context.ds.query('SELECT status FROM pk_battles WHERE id = $1', [battleId]);
        return row.status === 'ended';
      },
      15_000,
      'battle result committed',
    );
    const rewards = await server().context.ds.query(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE reason = 'pk_reward' AND reference = $1`,
      [`pk:${battleId}`],
    );
    assert.equal(rewards[0].n, 0);
    for (const u of [a!, b!]) assert.equal(await server().context.wallet.balance(u.id), config().SIGNUP_COINS);
  });
});

describe('Abuse: HTTP auth and small defects', function () {
  this.timeout(30_000);

  it('a Basic or X-Service-Key header is not a bypass of the bearer check', async () => {
    for (const headers of [
      { 'x-service-key': 'x' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      SERVICE(),
    ]) {
      const res = await api('GET', '/api/live-shopping/top/performers?period=all', { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
    }
  });

  it('a malformed percent-encoding in a path is 400, not 500', async () => {
    const [u] = await registerUsers(1, 'pct');
    for (const p of ['/api/pk-battles/%FF', '/api/multihost/%E0%A4%A', '/api/live-shopping/%']) {
      const res = await api('GET', p, { token: u!.token });
      assert.equal(res.status, 400, p);
      assert.equal(res.body.code, 'VALIDATION');
    }
  });

  it('/healthz never returns raw database error text', async () => {
    const ds = server().context.ds;
    const original = ds.query.bind(ds);
    ds.query = (async () => {
      throw new Error('password authentication failed for user "s3cret-db-user"');
    }) as typeof ds.query;
    try {
      const res = await fetch(`${server().url}/healthz`);
      const text = await res.text();
      assert.equal(res.status, 503);
      assert.ok(!text.includes('s3cret'), text);
      assert.equal(JSON.parse(text).checks.database, 'error');
    } finally {
      ds.query = original;
    }
  });
});
