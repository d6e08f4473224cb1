/**
 * refused-order-cost: what one refused (sold-out) order costs the server, per path. A flash sale of
 * one unit is sold; then `requests` orders that must be refused are sent over keep-alive HTTP
 * (`concurrency` in flight) and then as room messages, and the server's CPU per refused order is
 * measured for each path (the answer comes from the room's memory: no database).
 *
 *   npm run loadtest -- refused-order-cost --requests=3000 --profile
 */
import http_ from 'node:http';
import { PATCH_MS as SHOP_PATCH_MS } from '../../src/rooms/LiveShoppingRoom';
import {
  defineScenario,
  ErrorCounter,
  Histogram,
  http,
  pool,
  registerBots,
  round,
  sdkFor,
  sleep,
} from '../lib/harness';

function post(agent: http_.Agent, url: string, token: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http_.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export default defineScenario({
  name: 'refused-order-cost',
  description: 'server CPU per refused (sold-out) order, over HTTP and as a room message',
  defaults: { requests: 3000, concurrency: 32, baseline: true },
  // One client sends every room order: lift the per-client flood limit for this measurement only.
  serverEnv: () => ({ ROOM_MESSAGE_RATE: '1000000', ROOM_MESSAGE_BURST: '1000000' }),
  async run({ server, opts, baseline }) {
    const n = Number(opts.requests);
    const errors = new ErrorCounter();
    const [seller, buyer] = await registerBots(server, 2, 'cost');
    const p = await http(server, 'POST', '/api/products', {
      token: seller!.token,
      body: { name: 'Last one', price: 9900, stock: 1 },
    });
    const productId = p.body.data.product.id as string;
    const created = await http(server, 'POST', '/api/live-shopping', { token: seller!.token, body: { title: 'Cost' } });
    const { sessionId, roomId } = created.body.data as { sessionId: string; roomId: string };
    await http(server, 'POST', `/api/live-shopping/${sessionId}/start`, { token: seller!.token });
    await http(server, 'POST', `/api/live-shopping/${sessionId}/products`, {
      token: seller!.token,
      body: { productId, livePrice: 9900, flashSale: { quantity: 1, expiresIn: 600_000, price: 4900 } },
    });
    const url = `${server.url}/api/live-shopping/${sessionId}/orders`;
    const agent = new http_.Agent({ keepAlive: true, maxSockets: Number(opts.concurrency) });
    const sold = await post(agent, url, buyer!.token, { productId, quantity: 1, idempotencyKey: 'the-one' });
    if (sold !== 201) throw new Error(`the one order: ${sold}`);

    // HTTP: warm up, then measure.
    await pool(200, Number(opts.concurrency), (i) =>
      post(agent, url, buyer!.token, { productId, quantity: 1, idempotencyKey: `w${i}` }),
    );
    const httpLatency = new Histogram();
    let cpu0 = server.cpuMs();
    server.mark('http:start');
    await pool(n, Number(opts.concurrency), async (i) => {
      const t0 = performance.now();
      const status = await post(agent, url, buyer!.token, { productId, quantity: 1, idempotencyKey: `h${i}` });
      httpLatency.record(performance.now() - t0);
      if (status !== 409) errors.add(`http:${status}`);
    });
    const httpCpuMs = server.cpuMs() - cpu0;
    server.mark('http:end');
    agent.destroy();

    // Room messages: the same orders, `concurrency` in flight.
    process.stderr.write(`HTTP: ${n} refused orders, ${httpCpuMs} ms of server CPU\n`);
    const room = await sdkFor(server, buyer!).joinById(roomId);
    room.onMessage('*', () => undefined);
    const waiting = new Map<string, () => void>();
    room.onMessage('live-shopping:error', (m: { requestId?: string; code: string }) => {
      if (m.code !== 'SOLD_OUT') errors.add(`room:${m.code}`);
      waiting.get(m.requestId ?? '')?.();
    });
    room.onMessage('live-shopping:order-result', (m: { requestId?: string }) => {
      errors.add('room:sold');
      waiting.get(m.requestId ?? '')?.();
    });
    const order = (id: string) =>
      new Promise<void>((resolve) => {
        waiting.set(id, resolve);
        room.send('order', { productId, quantity: 1, idempotencyKey: id, requestId: id });
      });
    await pool(200, Number(opts.concurrency), (i) => order(`rw${i}`));
    const roomLatency = new Histogram();
    cpu0 = server.cpuMs();
    server.mark('room:start');
    await pool(n, Number(opts.concurrency), async (i) => {
      const t0 = performance.now();
      await order(`r${i}`);
      roomLatency.record(performance.now() - t0);
    });
    const roomCpuMs = server.cpuMs() - cpu0;
    server.mark('room:end');
    await room.leave();
    await sleep(200);
    const base = opts.baseline
      ? await baseline({
          rooms: 1,
          clientsPerRoom: 2,
          ratePerSec: 1000,
          durationSec: n / 1000,
          patchRateMs: SHOP_PATCH_MS,
          workers: 0,
          bots: [buyer!, seller!],
        })
      : undefined;
    const httpUs = round((httpCpuMs * 1000) / n, 1);
    const roomUs = round((roomCpuMs * 1000) / n, 1);
    return {
      clients: 2,
      messages: 2 * n,
      errors,
      latency: roomLatency.summary(),
      serverCpuMs: httpCpuMs + roomCpuMs,
      baseline: base,
      extra: {
        httpCpuPerRefusedOrderUs: httpUs,
        roomCpuPerRefusedOrderUs: roomUs,
        httpLatency: httpLatency.summary(),
        roomLatency: roomLatency.summary(),
        ...(base
          ? {
              httpVsBaselineMessage: round(httpUs / base.cpuPerMessageUs),
              roomVsBaselineMessage: round(roomUs / base.cpuPerMessageUs),
            }
          : {}),
      },
      checks: [
        {
          name: 'every extra order refused with 409 SOLD_OUT',
          pass: errors.total === 0,
          detail: JSON.stringify(errors.byKind),
        },
        { name: 'room path: ≤ 100 µs of server CPU per refused order', pass: roomUs <= 100, detail: `${roomUs} µs` },
      ],
    };
  },
});
