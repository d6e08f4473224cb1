/**
 * The lean order route (src/http/fastOrderRoute.ts) answers POST /api/live-shopping/:id/orders byte for
 * byte as express does: each case is sent twice over a raw socket, once through the lean route and once
 * with it switched off (express behind Colyseus' router, as before), by two users with the same history,
 * and the two raw answers (status line, every header in order, body) must be equal once the values that
 * differ by nature are masked: the Date header, ids and times in the body, the user's name, and the
 * ETag (checked against the body's own hash first).
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import net from 'node:net';
import { fastOrders } from '../../src/http/fastOrderRoute';
import { writeLimit } from '../../src/http/middleware';
import { api, config, registerUsers, server, type TestUser } from '../helpers';

interface Raw {
  head: string;
  body: string;
}

/** One request over a fresh socket; the answer's bytes as they came. */
function rawRequest(path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server().port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('\r\n\r\n');
      resolve({ head: text.slice(0, at), body: text.slice(at + 4) });
    });
    const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
  });
}

/** The answer with what differs by nature masked (after checking the ETag is the body's). */
function normalized(r: Raw, user?: TestUser): string {
  const etag = /\r\nETag: (.*)/.exec(r.head)?.[1];
  if (etag !== undefined) {
    const b = Buffer.from(r.body, 'utf8');
    const hash = createHash('sha1').update(b).digest('base64').substring(0, 27);
    assert.equal(etag, `W/"${b.length.toString(16)}-${hash}"`, 'the ETag is the weak ETag of the body');
  }
  let text = `${r.head}\r\n\r\n${r.body}`
    .replace(/\r\nDate: [^\r]*/, '\r\nDate: <date>')
    .replace(/\r\nETag: [^\r]*/, '\r\nETag: <etag>')
    .replace(/reset=\d+/, 'reset=<s>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/"expiresAt":\d+/g, '"expiresAt":<ms>');
  if (user) text = text.split(user.username).join('<user>');
  return text;
}

interface Case {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends `make(a)` through the lean route and `make(b)` through express; asserts both answers are
 * the same and whether the lean route took it. Returns the lean answer's status.
 */
async function same(a: TestUser, b: TestUser, make: (u: TestUser) => Case, leanTakes = true): Promise<number> {
  const served = fastOrders.served;
  const ca = make(a);
  const lean = await rawRequest(ca.path, ca.headers, ca.body);
  assert.equal(fastOrders.served - served, leanTakes ? 1 : 0, 'taken by the lean route');
  fastOrders.enabled = false;
  let viaExpress: Raw;
  try {
    const cb = make(b);
    viaExpress = await rawRequest(cb.path, cb.headers, cb.body);
  } finally {
    fastOrders.enabled = true;
  }
  assert.equal(fastOrders.served - served, leanTakes ? 1 : 0, 'the switched-off route took nothing');
  assert.equal(normalized(lean, a), normalized(viaExpress, b));
  return Number(lean.head.split(' ')[1]);
}

const json = (u: TestUser, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${u.token}`,
  'content-type': 'application/json',
  'x-request-id': 'contract-1',
  ...extra,
});

describe('Lean order route (POST /api/live-shopping/:id/orders)', function () {
  this.timeout(60_000);
  let seller: TestUser;
  let sessionId: string;
  let productId: string;
  const orders = (id = sessionId) => `/api/live-shopping/${id}/orders`;

  // Reservations must outlive this file (unpaid ones are released after the TTL, 1.5 s in tests, and
  // their stock would come back between the two sides of a comparison).
  let savedTtl: number;
  const settable = () => config() as { SHOP_RESERVATION_TTL_MS: number };
  after(() => {
    settable().SHOP_RESERVATION_TTL_MS = savedTtl;
  });

  before(async () => {
    savedTtl = settable().SHOP_RESERVATION_TTL_MS;
    settable().SHOP_RESERVATION_TTL_MS = 10 * 60_000;
    [seller] = await registerUsers(1, 'seller');
    const p = await api('POST', '/api/products', {
      token: seller!.token,
      body: { name: 'Two left', price: 5000, stock: 2 },
    });
    productId = p.body.data.product.id;
    const s = await api('POST', '/api/live-shopping', { token: seller!.token, body: { title: 'Contract' } });
    sessionId = s.body.data.sessionId;
    await api('POST', `/api/live-shopping/${sessionId}/start`, { token: seller!.token });
    const added = await api('POST', `/api/live-shopping/${sessionId}/products`, {
      token: seller!.token,
      body: { productId, livePrice: 4000 },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });

  it('success (201), then the idempotent retry (200 replayed), then sold out (409)', async () => {
    const [a, b, c, d] = await registerUsers(4, 'buyer');
    const order = (key: string) => (u: TestUser) => ({
      path: orders(),
      headers: json(u, { origin: 'https://shop.example' }),
      body: JSON.stringify({ productId, quantity: 1, idempotencyKey: `${key}-${u.id}` }),
    });
    assert.equal(await same(a!, b!, order('k1')), 201);
    assert.equal(await same(a!, b!, order('k1')), 200);
    // The Idempotency-Key header instead of the body's key, and a BOM before the JSON.
    const byHeader = (u: TestUser) => ({
      path: orders(),
      headers: json(u, { 'idempotency-key': `k1-${u.id}`, 'content-type': 'application/json; charset=utf-8' }),
      body: `\uFEFF${JSON.stringify({ productId, quantity: 1 })}`,
    });
    assert.equal(await same(a!, b!, byHeader), 200);
    assert.equal(await same(c!, d!, order('k2')), 409);
  });

  it('validation (400): a bad field, malformed JSON, a key too long, header and body keys that differ', async () => {
    const [a, b] = await registerUsers(2, 'buyer');
    const bodies = [
      JSON.stringify({ productId, quantity: 0 }),
      JSON.stringify({ productId: 'nope', quantity: 1 }),
      '{"productId": ',
      '"a string"',
      '[1, 2]',
      JSON.stringify({ productId, quantity: 1, idempotencyKey: 'k'.repeat(129) }),
    ];
    for (const body of bodies) {
      assert.equal(await same(a!, b!, (u) => ({ path: orders(), headers: json(u), body })), 400, body);
    }
    const differ = (u: TestUser) => ({
      path: orders(),
      headers: json(u, { 'idempotency-key': 'one' }),
      body: JSON.stringify({ productId, quantity: 1, idempotencyKey: 'two' }),
    });
    assert.equal(await same(a!, b!, differ), 400);
  });

  it('401: a forged token (lean route) and no token (express, as before)', async () => {
    const [a, b] = await registerUsers(2, 'buyer');
    const body = JSON.stringify({ productId, quantity: 1 });
    const forged = () => ({ path: orders(), headers: { ...json(a!), authorization: 'Bearer not.a.jwt' }, body });
    assert.equal(await same(a!, b!, forged), 401);
    const none = () => ({ path: orders(), headers: { 'content-type': 'application/json' }, body });
    assert.equal(await same(a!, b!, none, false), 401);
  });

  it('404: an unknown stream, an id that is not one', async () => {
    const [a, b] = await registerUsers(2, 'buyer');
    const body = JSON.stringify({ productId, quantity: 1 });
    const unknown = randomUUID();
    assert.equal(await same(a!, b!, (u) => ({ path: orders(unknown), headers: json(u), body })), 404);
    assert.equal(await same(a!, b!, (u) => ({ path: orders('nope'), headers: json(u), body })), 404);
  });

  it('429: over the write limit, counted in the same store as every other write', async () => {
    const [a, b] = await registerUsers(2, 'buyer');
    const { store, limit } = writeLimit(server().context);
    assert.equal(limit, config().RATE_LIMIT_WRITE_MAX);
    // Both users one request short of the limit.
    for (const u of [a!, b!]) {
      for (let done = 0; done < limit - 1; ) {
        const n = Math.min(5000, limit - 1 - done);
        await Promise.all(Array.from({ length: n }, () => store.increment(u.id)));
        done += n;
      }
    }
    const body = (u: TestUser) => JSON.stringify({ productId, quantity: 1, idempotencyKey: `rl-${u.id}` });
    // The last one allowed (an unknown stream: counted, then 404), then refused.
    const unknown = orders(randomUUID());
    assert.equal(await same(a!, b!, (u) => ({ path: unknown, headers: json(u), body: body(u) })), 404);
    assert.equal(await same(a!, b!, (u) => ({ path: orders(), headers: json(u), body: body(u) })), 429);
    // Another write route of the same user is refused too: one limit, whichever path counted.
    const other = await api('POST', '/api/products', { token: a!.token, body: { name: 'x', price: 1, stock: 1 } });
    assert.equal(other.status, 429);
  });

  it('what the lean route leaves to express is still answered as before (413, other casing, a query)', async () => {
    const [a, b] = await registerUsers(2, 'buyer');
    const big = JSON.stringify({ productId, quantity: 1, pad: 'x'.repeat(300 * 1024) });
    assert.equal(await same(a!, b!, (u) => ({ path: orders(), headers: json(u), body: big }), false), 413);
    const body = JSON.stringify({ productId, quantity: 1 });
    const upper = (u: TestUser) => ({ path: orders().replace('orders', 'Orders'), headers: json(u), body });
    assert.equal(await same(a!, b!, upper, false), 409);
    const query = (u: TestUser) => ({ path: `${orders()}?x=1`, headers: json(u), body });
    assert.equal(await same(a!, b!, query, false), 409);
  });
});
