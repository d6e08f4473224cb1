/**
 * No oversell across processes: the shopping room lives on process A, buyers order over
 * HTTP on process B (which reaches the room through Redis) and over room messages on A,
 * all at once. Runs where REDIS_URL is set (CI's second pass).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@colyseus/sdk';
import { startServerProcess } from '../../loadtest/lib/serverProcess';
import { api, config, registerUser, server, testEnv } from '../helpers';

function sharedEnv(): Record<string, string> {
  const ds = server().context.ds.options as { url?: string };
  return {
    JWT_SECRET: testEnv().JWT_SECRET!,
    DATABASE_URL: ds.url!,
    DATABASE_SCHEMA: config().DATABASE_SCHEMA,
    REDIS_URL: process.env.REDIS_URL ?? '',
  };
}

describe('Live shopping across two processes on Redis', function () {
  this.timeout(90_000);
  before(function () {
    if (!process.env.REDIS_URL) this.skip();
  });

  it('HTTP orders on B and room orders on A never oversell the stream', async () => {
    const a = await startServerProcess(sharedEnv());
    const b = await startServerProcess(sharedEnv());
    try {
      const seller = await registerUser('xs', a.url);
      const created = await api('POST', '/api/products', {
        baseUrl: a.url,
        token: seller.token,
        body: { name: 'Limited', price: 1000, stock: 5 },
      });
      const productId = (created.body.data.product ?? created.body.data).id as string;
      const s = await api('POST', '/api/live-shopping', {
        baseUrl: a.url,
        token: seller.token,
        body: { title: 'Cluster drop' },
      });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      const { sessionId, roomId } = s.body.data as { sessionId: string; roomId: string };
      assert.equal(
        (await api('POST', `/api/live-shopping/${sessionId}/start`, { baseUrl: a.url, token: seller.token })).status,
        200,
      );
      const added = await api('POST', `/api/live-shopping/${sessionId}/products`, {
        baseUrl: a.url,
        token: seller.token,
        body: { productId, livePrice: 900 },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));

      const httpBuyers = await Promise.all(Array.from({ length: 12 }, () => registerUser('xb', b.url)));
      const roomBuyers = await Promise.all(Array.from({ length: 12 }, () => registerUser('xr', a.url)));
      const rooms = await Promise.all(
        roomBuyers.map(async (u) => {
          const c = new Client(a.url);
          c.auth.token = u.token;
          const room = await c.joinById(roomId);
          room.onMessage('*', () => undefined);
          return room;
        }),
      );
      const results = await Promise.all([
        ...httpBuyers.map((u) =>
          api('POST', `/api/live-shopping/${sessionId}/orders`, {
            baseUrl: b.url,
            token: u.token,
            body: { productId, quantity: 1, idempotencyKey: randomUUID() },
          }).then((r) => (r.status === 201 ? 'ok' : `${r.status}:${r.body.code}`)),
        ),
        ...rooms.map(
          (room) =>
            new Promise<string>((resolve) => {
              room.onMessage('live-shopping:order-result', () => resolve('ok'));
              room.onMessage('live-shopping:error', (e: { code: string }) => resolve(`409:${e.code}`));
              room.send('order', { productId, quantity: 1, idempotencyKey: randomUUID() });
            }),
        ),
      ]);
      assert.equal(results.filter((r) => r === 'ok').length, 5, JSON.stringify(results));
      assert.ok(
        results.filter((r) => r !== 'ok').every((r) => r === '409:SOLD_OUT'),
        JSON.stringify(results),
      );
      const rows = await server().context.ds.query(
        `SELECT sp.offered, sp.remaining, (SELECT count(*)::int FROM shop_orders o WHERE o.stream_product_id = sp.id AND o.status <> 'released') AS ordered
         FROM stream_products sp WHERE sp.session_id = $1`,
        [sessionId],
      );
      assert.deepEqual(rows, [{ offered: 5, remaining: 0, ordered: 5 }]);
      await Promise.all(rooms.map((r) => r.leave().catch(() => undefined)));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
