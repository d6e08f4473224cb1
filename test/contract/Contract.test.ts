/**
 * The contract beyond the seed's literal examples (issue 12): seed units for money and time, optional
 * idempotency keys, live values at the top level of every read, mid-stream shopping controls, stream
 * discovery, expiring multi-host invitations, and the seed's names for layouts and WebRTC messages.
 */
import assert from 'node:assert/strict';
import type { Room } from '@colyseus/sdk';
import { parseMajor, toMajor } from '../../src/domain/shopping/money';
import { multihostFeature } from '../../src/multihost/multihostFeature';
import { filterStore } from '../../src/stores/filterStore';
import { multiHostStore } from '../../src/stores/multiHostStore';
import {
  api,
  collect,
  joinInbox,
  nextMessage,
  registerUser,
  registerUsers,
  sdk,
  server,
  type TestUser,
  waitFor,
} from '../helpers';

async function joined(user: TestUser, roomId: string): Promise<Room> {
  const room = await sdk(user).joinById(roomId);
  room.onMessage('*', () => undefined);
  await waitFor(() => room.state && Object.keys(room.state.toJSON()).length > 0, 3000, 'initial state');
  return room;
}

async function liveShop(seller: TestUser, price: number | string = 29.99, stock = 20) {
  const p = await api('POST', '/api/products', { token: seller.token, body: { name: 'Lip oil', price, stock } });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  const s = await api('POST', '/api/live-shopping', { token: seller.token, body: { title: 'Drop' } });
  const { sessionId, roomId } = s.body.data as { sessionId: string; roomId: string };
  assert.equal((await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller.token })).status, 200);
  return { productId: p.body.data.product.id as string, sessionId, roomId };
}

const orderUrl = (sessionId: string) => `/api/live-shopping/${sessionId}/orders`;

describe('Contract (issue 12)', function () {
  this.timeout(30_000);

  describe('money in the seed unit', () => {
    it('parses decimal amounts exactly, from the number as JSON prints it', () => {
      assert.equal(parseMajor(29.99), 2999);
      assert.equal(parseMajor('29.99'), 2999);
      assert.equal(parseMajor(0.1), 10);
      assert.equal(parseMajor(1e6), 100_000_000);
      assert.equal(parseMajor(29.999), null);
      assert.equal(parseMajor(-1), null);
      assert.equal(parseMajor(1e21), null);
      assert.equal(toMajor(2999 * 3), 89.97);
    });

    it('29.99 × 3 totals exactly 89.97; a 10% voucher rounds the discount down to the cent', async () => {
      const [seller, buyer] = await registerUsers(2, 'money');
      const { productId, sessionId } = await liveShop(seller!);
      const added = await api('POST', `/api/live-shopping/${sessionId}/products`, {
        token: seller!.token,
        body: { productId, livePrice: 29.99 },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const o = await api('POST', orderUrl(sessionId), { token: buyer!.token, body: { productId, quantity: 3 } });
      assert.equal(o.status, 201, JSON.stringify(o.body));
      assert.equal(o.body.data.order.unitPrice, 29.99);
      assert.equal(o.body.data.order.total, 89.97);
      assert.equal(JSON.stringify(o.body.data.order.total), '89.97');

      const v = await api('POST', `/api/live-shopping/${sessionId}/vouchers`, {
        token: seller!.token,
        body: { code: 'TEN', type: 'percent', value: 10, usageLimit: 5, minOrderAmount: 50.5 },
      });
      assert.equal(v.status, 201, JSON.stringify(v.body));
      assert.equal(v.body.data.voucher.minOrderAmount, 50.5);
      const check = await api('POST', `/api/live-shopping/${sessionId}/vouchers/use`, {
        token: buyer!.token,
        body: { code: 'TEN', productId, quantity: 3 },
      });
      // 10% of 89.97 is 8.997: the discount rounds down to 8.99.
      assert.deepEqual(
        [check.body.data.subtotal, check.body.data.discount, check.body.data.total],
        [89.97, 8.99, 80.98],
      );

      const bad = await api('POST', `/api/live-shopping/${sessionId}/products`, {
        token: seller!.token,
        body: { productId, livePrice: 29.999 },
      });
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.message), /livePrice/);
    });
  });

  describe('idempotency keys are optional', () => {
    it('orders: without a key each request is new; an Idempotency-Key header replays; bad keys are 400', async () => {
      const [seller, buyer] = await registerUsers(2, 'idem');
      const { productId, sessionId } = await liveShop(seller!);
      await api('POST', `/api/live-shopping/${sessionId}/products`, {
        token: seller!.token,
        body: { productId, livePrice: 5 },
      });
      const body = { productId, quantity: 1 };
      const a = await api('POST', orderUrl(sessionId), { token: buyer!.token, body });
      const b = await api('POST', orderUrl(sessionId), { token: buyer!.token, body });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.body.data.order.id, b.body.data.order.id);

      const headers = { 'Idempotency-Key': 'order-attempt-1' };
      const c = await api('POST', orderUrl(sessionId), { token: buyer!.token, body, headers });
      const d = await api('POST', orderUrl(sessionId), { token: buyer!.token, body, headers });
      assert.equal(c.status, 201);
      assert.equal(d.status, 200);
      assert.equal(d.body.data.replayed, true);
      assert.equal(d.body.data.order.id, c.body.data.order.id);
      assert.equal(c.body.data.order.idempotencyKey, 'order-attempt-1');
      // The body field is the same key.
      const e = await api('POST', orderUrl(sessionId), {
        token: buyer!.token,
        body: { ...body, idempotencyKey: 'order-attempt-1' },
      });
      assert.equal(e.body.data.order.id, c.body.data.order.id);

      const tooLong = await api('POST', orderUrl(sessionId), {
        token: buyer!.token,
        body,
        headers: { 'Idempotency-Key': 'k'.repeat(129) },
      });
      assert.equal(tooLong.status, 400);
      assert.match(String(tooLong.body.message), /Idempotency-Key/);
      const mismatch = await api('POST', orderUrl(sessionId), {
        token: buyer!.token,
        body: { ...body, idempotencyKey: 'one' },
        headers: { 'Idempotency-Key': 'two' },
      });
      assert.equal(mismatch.status, 400);
      const snap = await api('GET', `/api/live-shopping/${sessionId}`, { token: buyer!.token });
      assert.equal(snap.body.data.products[0].remaining, 20 - 3, 'the refused requests moved nothing');
    });

    it('gifts: without a key each counts; a repeated header key counts once; battle reads show live scores', async () => {
      const [a, b, fan] = await registerUsers(3, 'idgift');
      const created = await api('POST', '/api/pk-battles', { token: a!.token, body: { opponent: b!.id, duration: 2 } });
      const { battleId, roomId } = created.body.data as { battleId: string; roomId: string };
      const roomA = await joined(a!, roomId);
      const roomB = await joined(b!, roomId);
      const started = nextMessage(roomA, 'pk-battle:started');
      await api('POST', `/api/pk-battles/${battleId}/accept`, { token: b!.token });
      await started;
      const gift = (headers?: Record<string, string>) =>
        api('POST', `/api/pk-battles/${battleId}/gift`, {
          token: fan!.token,
          body: { giftId: 'rose', to: a!.id },
          headers,
        });
      assert.equal((await gift()).status, 201);
      assert.equal((await gift()).status, 201);
      const k = { 'Idempotency-Key': 'gift-1' };
      assert.equal((await gift(k)).status, 201);
      const replay = await gift(k);
      assert.equal(replay.status, 200);
      assert.equal(replay.body.data.replayed, true);
      assert.equal(replay.body.data.requestId, 'gift-1');

      await waitFor(() => roomA.state.hostA.score === 3, 3000, 'three roses scored');
      const read = await api('GET', `/api/pk-battles/${battleId}`, { token: fan!.token });
      assert.equal(read.body.data.status, 'live');
      assert.equal(read.body.data.scoreA, 3, 'top-level score is the live one');
      assert.equal(read.body.data.scoreB, 0);
      const list = await api('GET', '/api/pk-battles/active/list?limit=100', { token: fan!.token });
      assert.equal(list.body.data.battles.find((x: any) => x.id === battleId).scoreA, 3);
      const history = await api('GET', `/api/pk-battles/user/${a!.id}`, { token: fan!.token });
      assert.equal(history.body.data.battles.find((x: any) => x.id === battleId).scoreA, 3);
      await Promise.all([roomA.leave(), roomB.leave()]);
    });

    it('unlocks need no key', async () => {
      const u = await registerUser('idunlock');
      const list = await api('GET', '/api/stream-filters?tier=premium&limit=100', { token: u.token });
      const cheap = list.body.data.filters.filter((f: any) => f.price <= 100)[0];
      const r = await api('POST', `/api/stream-filters/${cheap.id}/unlock`, { token: u.token, body: {} });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(typeof r.body.data.idempotencyKey, 'string');
    });
  });

  describe('mid-stream shopping controls', () => {
    it('PATCH a live price and start/end a flash sale (REST and room messages); unpin', async () => {
      const [seller, buyer] = await registerUsers(2, 'midshop');
      const { productId, sessionId, roomId } = await liveShop(seller!);
      await api('POST', `/api/live-shopping/${sessionId}/products`, {
        token: seller!.token,
        body: { productId, livePrice: 29.99, stock: 10 },
      });
      const viewer = await joined(buyer!, roomId);
      const sellerRoom = await joined(seller!, roomId);
      const url = `/api/live-shopping/${sessionId}/products/${productId}`;

      const changed = nextMessage(viewer, 'live-shopping:price-changed');
      const p1 = await api('PATCH', url, { token: seller!.token, body: { livePrice: 24.5 } });
      assert.equal(p1.status, 200, JSON.stringify(p1.body));
      assert.equal(p1.body.data.product.livePrice, 24.5);
      const ev = await changed;
      assert.deepEqual([ev.productId, ev.livePrice, ev.previousLivePrice], [productId, 24.5, 29.99]);
      await waitFor(() => viewer.state.products.get(productId)?.currentPrice === 24.5, 3000, 'state price');

      const flash = nextMessage(viewer, 'live-shopping:flash-sale');
      const p2 = await api('PATCH', url, {
        token: seller!.token,
        body: { flashSale: { quantity: 2, expiresIn: 60_000, price: 9.99 } },
      });
      assert.equal(p2.status, 200, JSON.stringify(p2.body));
      const f = await flash;
      assert.equal(f.countdown, 60_000);
      assert.equal(f.product.currentPrice, 9.99);
      const again = await api('PATCH', url, {
        token: seller!.token,
        body: { flashSale: { quantity: 1, expiresIn: 60_000 } },
      });
      assert.equal(again.status, 409, 'one flash sale at a time');
      const o = await api('POST', orderUrl(sessionId), { token: buyer!.token, body: { productId, quantity: 1 } });
      assert.equal(o.body.data.order.unitPrice, 9.99);

      assert.equal((await api('PATCH', url, { token: buyer!.token, body: { livePrice: 1 } })).status, 403);
      assert.equal((await api('PATCH', url, { token: seller!.token, body: {} })).status, 400);

      const ended = nextMessage(viewer, 'live-shopping:flash-sale-ended');
      assert.equal((await api('PATCH', url, { token: seller!.token, body: { flashSale: null } })).status, 200);
      assert.equal((await ended).price, 24.5);
      const o2 = await api('POST', orderUrl(sessionId), { token: buyer!.token, body: { productId, quantity: 1 } });
      assert.equal(o2.body.data.order.unitPrice, 24.5);

      // The same controls as room messages.
      const changed2 = nextMessage(viewer, 'live-shopping:price-changed');
      sellerRoom.send('update-product', { productId, livePrice: 19.99 });
      assert.equal((await changed2).livePrice, 19.99);
      const refused = nextMessage(viewer, 'live-shopping:error');
      viewer.send('update-product', { productId, livePrice: 1 });
      assert.equal((await refused).code, 'FORBIDDEN');
      const pinned = nextMessage(viewer, 'live-shopping:product-pinned');
      sellerRoom.send('pin-product', { productId });
      await pinned;
      await waitFor(() => viewer.state.pinnedProductId === productId, 3000, 'pinned');
      const unpinned = nextMessage(viewer, 'live-shopping:product-unpinned');
      const u = await api('DELETE', `/api/live-shopping/${sessionId}/products/pin`, { token: seller!.token });
      assert.deepEqual(u.body.data, { productId, unpinned: true });
      assert.equal((await unpinned).productId, productId);
      await waitFor(() => viewer.state.pinnedProductId === '', 3000, 'unpinned');

      // The session read shows the current stock and price at the top level.
      const read = await api('GET', `/api/live-shopping/${sessionId}`, { token: buyer!.token });
      assert.equal(read.body.data.products[0].remaining, 8);
      assert.equal(read.body.data.products[0].livePrice, 19.99);
      await Promise.all([viewer.leave(), sellerRoom.leave()]);
    });
  });

  describe('stream discovery', () => {
    it('GET /api/webrtc/streams/live lists running solo streams, most watched first, paginated', async () => {
      const [h1, h2, v] = await registerUsers(3, 'disc');
      const s1 = (await api('POST', '/api/webrtc/stream/start', { token: h1!.token, body: { title: 'One' } })).body
        .data;
      const s2 = (await api('POST', '/api/webrtc/stream/start', { token: h2!.token, body: { title: 'Two' } })).body
        .data;
      const watcher = await joined(v!, s2.streamId);
      await waitFor(
        async () => {
          const r = await api('GET', '/api/webrtc/streams/live?limit=100', { token: v!.token });
          return r.body.data.streams.find((x: any) => x.streamId === s2.streamId)?.viewerCount === 1;
        },
        3000,
        'viewer counted',
      );
      const all = await api('GET', '/api/webrtc/streams/live?limit=100', { token: v!.token });
      const ids = all.body.data.streams.map((x: any) => x.streamId);
      assert.ok(ids.includes(s1.streamId) && ids.includes(s2.streamId));
      assert.ok(ids.indexOf(s2.streamId) < ids.indexOf(s1.streamId), 'most watched first');
      const two = all.body.data.streams.find((x: any) => x.streamId === s2.streamId);
      assert.deepEqual([two.title, two.host.id, two.host.username], ['Two', h2!.id, h2!.username]);
      const page = await api('GET', '/api/webrtc/streams/live?limit=1&page=2', { token: v!.token });
      assert.equal(page.body.data.streams.length, 1);
      assert.equal(page.body.data.total, all.body.data.total);

      await api('POST', `/api/webrtc/stream/${s1.streamId}/end`, { token: h1!.token });
      await waitFor(
        async () => {
          const r = await api('GET', '/api/webrtc/streams/live?limit=100', { token: v!.token });
          return !r.body.data.streams.some((x: any) => x.streamId === s1.streamId);
        },
        3000,
        'ended stream unlisted',
      );
      await watcher.leave();
      await api('POST', `/api/webrtc/stream/${s2.streamId}/end`, { token: h2!.token });
    });
  });

  describe('multi-host', () => {
    it('picture-in-picture is accepted and answered as pip', async () => {
      const host = await registerUser('pip');
      const s = await api('POST', '/api/multihost', {
        token: host.token,
        body: { title: 'Pip', type: 'interview', layout: 'picture-in-picture' },
      });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      assert.equal(s.body.data.layout, 'pip');
      const l = await api('PUT', `/api/multihost/${s.body.data.sessionId}/layout`, {
        token: host.token,
        body: { layout: 'picture-in-picture' },
      });
      assert.equal(l.body.data.layout, 'pip');
      const read = await api('GET', `/api/multihost/${s.body.data.sessionId}`, { token: host.token });
      assert.equal(read.body.data.layout, 'pip');
      await api('POST', `/api/multihost/${s.body.data.sessionId}/end`, { token: host.token });
    });

    it('invitations and join requests expire (persisted), and the user is told', async () => {
      const [host, guest, asker] = await registerUsers(3, 'mhexp');
      const s = (await api('POST', '/api/multihost', { token: host!.token, body: { title: 'Panel', type: 'panel' } }))
        .body.data as { sessionId: string; roomId: string };
      const inbox = await joinInbox(guest!);
      const askerInbox = await joinInbox(asker!);
      inbox.room.onMessage('multihost:invited', () => undefined);
      askerInbox.room.onMessage('multihost:approved', () => undefined);
      const inv = await api('POST', `/api/multihost/${s.sessionId}/invite`, {
        token: host!.token,
        body: { userId: guest!.id },
      });
      assert.equal(inv.status, 200, JSON.stringify(inv.body));
      assert.ok(inv.body.data.expiresAt > Date.now());
      const req = await api('POST', `/api/multihost/${s.sessionId}/request`, { token: asker!.token });
      assert.equal(req.status, 200);
      let pending = await multiHostStore().pendingInvitations(s.sessionId);
      assert.deepEqual(pending.map((p) => [p.kind, p.userId]).sort(), [
        ['invite', guest!.id],
        ['request', asker!.id],
      ]);

      const [expired, expiredReq] = await Promise.all([
        nextMessage(inbox.room, 'multihost:invitation-expired', 8000),
        nextMessage(askerInbox.room, 'multihost:invitation-expired', 8000),
      ]);
      assert.deepEqual([expired.sessionId, expired.kind, expired.reason], [s.sessionId, 'invite', 'expired']);
      assert.equal(expiredReq.kind, 'request');
      const late = await api('POST', `/api/multihost/${s.sessionId}/accept`, { token: guest!.token });
      assert.equal(late.status, 403);
      const approve = await api('POST', `/api/multihost/${s.sessionId}/approve`, {
        token: host!.token,
        body: { userId: asker!.id },
      });
      assert.equal(approve.status, 404);
      pending = await multiHostStore().pendingInvitations(s.sessionId);
      assert.equal(pending.length, 0);
      await api('POST', `/api/multihost/${s.sessionId}/end`, { token: host!.token });
      await Promise.all([inbox.room.leave(), askerInbox.room.leave()]);
    });

    it('a session a stopped process left behind does not drop its invitations silently', async () => {
      const [host, guest] = await registerUsers(2, 'mhcrash');
      const s = (await api('POST', '/api/multihost', { token: host!.token, body: { title: 'Panel', type: 'panel' } }))
        .body.data as { sessionId: string };
      await api('POST', `/api/multihost/${s.sessionId}/invite`, { token: host!.token, body: { userId: guest!.id } });
      const inbox = await joinInbox(guest!);
      inbox.room.onMessage('multihost:invited', () => undefined);
      // What a restart finds: the session closed as interrupted, its invitation still pending.
      const ds = server().context.ds;
      await ds.query(`UPDATE multihost_sessions SET status = 'interrupted' WHERE id = $1`, [s.sessionId]);
      assert.equal((await multiHostStore().pendingInvitations(s.sessionId)).length, 1);
      // The feature's start hook (what runs when the server starts) closes it and tells the invitee.
      const told = nextMessage(inbox.room, 'multihost:invitation-expired');
      await multihostFeature.ready!(server().context);
      const m = await told;
      assert.deepEqual([m.sessionId, m.kind, m.reason], [s.sessionId, 'invite', 'interrupted']);
      assert.equal((await multiHostStore().pendingInvitations(s.sessionId)).length, 0);
      const [row] = await ds.query(`SELECT status FROM multihost_invitations WHERE session_id = $1`, [s.sessionId]);
      assert.equal(row.status, 'interrupted');
      await inbox.room.leave();
    });
  });

  describe('stream filters', () => {
    it("an existing database gets the catalog's current parameters (the seed's beauty body on the free filter)", async () => {
      const ds = server().context.ds;
      // What a database seeded by the previous catalog holds: the free filter without faceSlimming/eyeEnlargement.
      const [{ params }] = await ds.query(`SELECT params FROM stream_filters WHERE slug = 'beauty-basic'`);
      const old = (params as Array<{ name: string }>).filter(
        (p) => p.name === 'skinSmoothing' || p.name === 'brightness',
      );
      await ds.query(`UPDATE stream_filters SET params = $1::jsonb WHERE slug = 'beauty-basic'`, [JSON.stringify(old)]);
      await filterStore().seed();
      const [after] = await ds.query(`SELECT params FROM stream_filters WHERE slug = 'beauty-basic'`);
      assert.deepEqual(
        (after.params as Array<{ name: string }>).map((p) => p.name),
        ['skinSmoothing', 'faceSlimming', 'eyeEnlargement', 'brightness'],
      );
    });
  });

  describe('WebRTC seed messages', () => {
    it('webrtc:join-room refuses a foreign userId; webrtc:adapt-quality answers the server decision', async () => {
      const [host, me, other] = await registerUsers(3, 'rtcseed');
      const st = (await api('POST', '/api/webrtc/stream/start', { token: host!.token, body: {} })).body.data;
      const room = await joined(me!, st.roomId);
      const err = nextMessage(room, 'webrtc:error');
      room.send('webrtc:join-room', { roomId: st.roomId, userId: other!.id, streamId: st.streamId });
      const e = await err;
      assert.deepEqual([e.type, e.code], ['webrtc:join-room', 'FORBIDDEN']);

      const peers = nextMessage(room, 'webrtc:existing-peers');
      room.send('webrtc:join-room', { roomId: st.roomId, userId: me!.id, streamId: st.streamId });
      await peers;
      const decided = collect(room, 'webrtc:quality-adapted');
      room.send('webrtc:adapt-quality', { tier: 'excellent' });
      await waitFor(() => decided.length === 1, 3000, 'decision');
      assert.deepEqual([decided[0].tier, decided[0].resolution, decided[0].reason], ['excellent', '1080p', 'granted']);
      // A measured fair link caps the request.
      room.send('webrtc:stats-update', { bitrateKbps: 700, rttMs: 150, packetLossPct: 4 });
      await waitFor(() => decided.length === 2, 3000, 'stats answer');
      room.send('webrtc:adapt-quality', { tier: 'excellent' });
      await waitFor(() => decided.length === 3, 3000, 'capped decision');
      assert.deepEqual(
        [decided[2].tier, decided[2].requested, decided[2].measured, decided[2].reason],
        ['fair', 'excellent', 'fair', 'capped-by-network'],
      );
      await room.leave();
      await api('POST', `/api/webrtc/stream/${st.streamId}/end`, { token: host!.token });
    });
  });
});
