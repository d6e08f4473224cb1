/**
 * The seed (the spec clients are written against) run as its clients would run it: every REST example
 * verbatim (`fetch` with a bearer token, `r.json()`), only Socket.io translated to Colyseus
 * (`socket.on(e, fn)` → `room.onMessage(e, fn)`, `socket.emit(e, d)` → `room.send(e, d)`).
 *
 * Two things a seed client fills in itself are named here: the JSON envelope (the seed's controllers
 * answer `{ success: true, data }`, so `session.sessionId` reads `session.data.sessionId`), and the
 * catalog product the shopping example lists (`product._id` is the id `POST /api/products` returns).
 */
import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { config, credit, nextMessage, registerUser, sdk, server, type TestUser, waitFor } from '../helpers';

/** The seed's `fetch('/api/...', ...)`: relative to the server, exactly the options the seed passes. */
const seedFetch = (path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) =>
  fetch(`${server().url}${path}`, init);

/** `curl -X POST ... -H "Authorization: Bearer ..." -H "Content-Type: application/json" -d '...'`. */
const curl = (method: string, path: string, token: string, body?: string) =>
  fetch(`${server().url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body,
  }).then((r) => r.json() as Promise<any>);

async function joined(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  room.onMessage('*', () => undefined);
  return room;
}

describe('Seed examples (the contract)', function () {
  this.timeout(30_000);

  it('PK Battle Client Example: create, then pk-battle:gift and pk-battle:ended reach the room', async () => {
    const me = await registerUser('seedpk');
    const opponent = await registerUser('seedpk');
    const viewer = await registerUser('seedpk');
    const token = me.token;
    const opponentId = opponent.id;

    // Create battle
    const battle = await seedFetch('/api/pk-battles', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        opponent: opponentId,
        duration: 5, // minutes
      }),
    }).then((r) => r.json() as Promise<any>);
    assert.equal(battle.success, true, JSON.stringify(battle));
    assert.equal(battle.data.duration, 5);

    const socket = await joined(viewer, battle.data.roomId);
    const gifts: any[] = [];
    const ended = new Promise<any>((resolve) => {
      // Listen for battle events
      socket.onMessage('pk-battle:gift', ({ battleId, gift, scores }: any) => {
        gifts.push({ battleId, gift, scores });
      });
      socket.onMessage('pk-battle:ended', ({ battleId, winner, rewards }: any) => {
        resolve({ battleId, winner, rewards });
      });
    });

    const started = nextMessage(socket, 'pk-battle:started');
    const accept = await curl('POST', `/api/pk-battles/${battle.data.battleId}/accept`, opponent.token);
    assert.equal(accept.success, true, JSON.stringify(accept));
    await started;
    // A gift as a seed client sends it: no idempotency key (optional; each request is a new gift).
    await credit(viewer.id, 1000);
    for (let i = 0; i < 2; i++) {
      const g = await curl(
        'POST',
        `/api/pk-battles/${battle.data.battleId}/gift`,
        viewer.token,
        JSON.stringify({ giftId: 'rose', to: me.id }),
      );
      assert.equal(g.success, true, JSON.stringify(g));
    }
    await waitFor(() => gifts.some((g) => g.scores[me.id] === 2), 5000, 'both gifts scored');
    assert.equal(gifts[0].battleId, battle.data.battleId);
    assert.equal(gifts[0].gift.id, 'rose');

    const result = await ended;
    assert.equal(result.battleId, battle.data.battleId);
    assert.equal(result.winner, me.id);
    assert.ok(Array.isArray(result.rewards) && result.rewards.length === 2);
    await socket.leave();
  });

  it('Multi-Host Client Example: create a panel, webrtc:start-multihost answers webrtc:multihost-ready', async () => {
    const me = await registerUser('seedmh');
    const token = me.token;
    const currentUserId = me.id;

    // Create multi-host session
    const session = await seedFetch('/api/multihost', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        title: 'Gaming Panel Discussion',
        type: 'panel',
        layout: 'grid',
      }),
    }).then((r) => r.json() as Promise<any>);
    assert.equal(session.success, true, JSON.stringify(session));

    const socket = await joined(me, session.data.roomId);
    const ready = new Promise<any>((resolve) => {
      socket.onMessage('webrtc:multihost-ready', ({ iceServers, hosts }: any) => resolve({ iceServers, hosts }));
    });
    // Setup WebRTC
    socket.send('webrtc:start-multihost', {
      sessionId: session.data.sessionId,
      userId: currentUserId,
    });
    const { iceServers, hosts } = await ready;
    assert.ok(Array.isArray(iceServers));
    assert.deepEqual(
      hosts.map((h: any) => h.userId),
      [me.id],
    );
    await socket.leave();
  });

  it('Live Shopping Client Example: livePrice 29.99 with a 10-minute flash sale; flash-sale and sold-out events', async () => {
    const seller = await registerUser('seedshop');
    const buyer = await registerUser('seedshop');
    const token = seller.token;
    const created = await curl(
      'POST',
      '/api/products',
      token,
      JSON.stringify({ name: 'Serum', price: 39.99, stock: 50 }),
    );
    assert.equal(created.success, true, JSON.stringify(created));
    const catalogProduct = { _id: created.data.product.id as string };
    const stream = await curl('POST', '/api/live-shopping', token, JSON.stringify({ title: 'Glow drop' }));
    const sessionId = stream.data.sessionId as string;
    assert.equal((await curl('POST', `/api/live-shopping/${sessionId}/start`, token)).success, true);

    const socket = await joined(buyer, stream.data.roomId);
    const flash = new Promise<any>((resolve) => {
      // Listen for shopping events
      socket.onMessage('live-shopping:flash-sale', ({ product, countdown }: any) => resolve({ product, countdown }));
    });
    const soldOut = new Promise<any>((resolve) => {
      socket.onMessage('live-shopping:sold-out', ({ productId }: any) => resolve(productId));
    });

    // Add product to live stream
    const product = await seedFetch(`/api/live-shopping/${sessionId}/products`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        productId: catalogProduct._id,
        livePrice: 29.99,
        flashSale: {
          quantity: 50,
          expiresIn: 600000, // 10 minutes
        },
      }),
    }).then((r) => r.json() as Promise<any>);
    assert.equal(product.success, true, JSON.stringify(product));
    assert.equal(product.data.product.livePrice, 29.99);
    assert.equal(product.data.product.currentPrice, 29.99);
    const endsIn = product.data.product.flashSale.endsAt - Date.now();
    assert.ok(endsIn > 590_000 && endsIn <= 600_000, `flash sale ends in 10 minutes, not ${endsIn} ms`);

    const { product: flashProduct, countdown } = await flash;
    assert.equal(flashProduct.productId, catalogProduct._id);
    assert.equal(countdown, 600000);

    // The seed's client buys without an idempotency key; every unit sells, then sold-out.
    const order = await curl(
      'POST',
      `/api/live-shopping/${sessionId}/orders`,
      buyer.token,
      JSON.stringify({ productId: catalogProduct._id, quantity: 50 }),
    );
    assert.equal(order.success, true, JSON.stringify(order));
    assert.equal(order.data.order.unitPrice, 29.99);
    assert.equal(order.data.order.total, 1499.5);
    assert.equal(await soldOut, catalogProduct._id);
    await socket.leave();
  });

  it('Stream Filters Client Example: beauty filters by query, the free beauty filter applied with the seed parameters', async () => {
    const me = await registerUser('seedfx');
    const token = me.token;
    const started = await curl('POST', '/api/webrtc/stream/start', token, JSON.stringify({ title: 'Makeup' }));
    const currentStreamId = started.data.streamId as string;

    // Get available filters
    const filters = await seedFetch('/api/stream-filters?category=beauty', {
      headers: { Authorization: `Bearer ${token}` },
    }).then((r) => r.json() as Promise<any>);
    assert.equal(filters.success, true, JSON.stringify(filters));
    assert.ok(filters.data.filters.length > 1);
    for (const f of filters.data.filters) assert.equal(f.category, 'beauty');
    // The free basic beauty filter, which a new user can apply.
    const filterId = filters.data.filters.find((f: any) => f.price === 0 && f.slug === 'beauty-basic').id;

    // Apply filter to stream
    const applied = await seedFetch(`/api/stream-filters/${filterId}/apply`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        streamId: currentStreamId,
        parameters: {
          beauty: {
            skinSmoothing: 80,
            faceSlimming: 40,
            eyeEnlargement: 30,
          },
        },
      }),
    }).then((r) => r.json() as Promise<any>);
    assert.equal(applied.success, true, JSON.stringify(applied));
    assert.equal(applied.data.parameters.skinSmoothing, 80);
    assert.equal(applied.data.parameters.faceSlimming, 40);
    assert.equal(applied.data.parameters.eyeEnlargement, 30);
    await curl('POST', `/api/webrtc/stream/${currentStreamId}/end`, token);
  });

  it('Manual Testing with cURL: create PK battle, create multi-host session, trending filters', async () => {
    const me = await registerUser('seedcurl');
    const other = await registerUser('seedcurl');
    const YOUR_TOKEN = me.token;
    const USER_ID = other.id;

    const battle = await curl(
      'POST',
      '/api/pk-battles',
      YOUR_TOKEN,
      `{
    "opponent": "${USER_ID}",
    "duration": 5
  }`,
    );
    assert.equal(battle.success, true, JSON.stringify(battle));
    assert.equal(battle.data.status, 'pending');

    const session = await curl(
      'POST',
      '/api/multihost',
      YOUR_TOKEN,
      `{
    "title": "Test Session",
    "type": "collaboration",
    "layout": "grid"
  }`,
    );
    assert.equal(session.success, true, JSON.stringify(session));

    const trending = await curl('GET', '/api/stream-filters/trending', YOUR_TOKEN);
    assert.equal(trending.success, true, JSON.stringify(trending));
    assert.ok(Array.isArray(trending.data.filters));
    // Tidy up: the pending battle would block these users in later tests.
    await curl('DELETE', `/api/pk-battles/${battle.data.battleId}`, YOUR_TOKEN);
  });

  it('WebSocket Testing: webrtc:join-room with the seed body answers webrtc:existing-peers', async () => {
    const host = await registerUser('seedws');
    const me = await registerUser('seedws');
    const started = await curl('POST', '/api/webrtc/stream/start', host.token, JSON.stringify({ title: 'Talk' }));
    const streamId = started.data.streamId as string;
    const socket = await joined(me, started.data.roomId);
    const existing = new Promise<any>((resolve) => {
      socket.onMessage('webrtc:existing-peers', (data: any) => resolve(data));
    });
    // Join WebRTC room
    socket.send('webrtc:join-room', {
      roomId: started.data.roomId,
      userId: me.id,
      streamId,
    });
    const data = await existing;
    assert.ok(Array.isArray(data.peers));
    assert.deepEqual(data.iceServers, config().STUN_SERVER_URL ? [{ urls: config().STUN_SERVER_URL }] : []);
    await socket.leave();
    await curl('POST', `/api/webrtc/stream/${streamId}/end`, host.token);
  });
});
