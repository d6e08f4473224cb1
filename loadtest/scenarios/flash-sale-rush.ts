/**
 * flash-sale-rush: a seller opens a flash sale of `stock` units; `buyers` bots order at the
 * same moment, half as `order` room messages and half over HTTP, and a share of them retry with
 * the same idempotency key. Latency = from an order's send to its answer (result or 409).
 * Afterwards the stock sums are checked against the database (operator integrity endpoint).
 *
 *   npm run loadtest -- flash-sale-rush --buyers=2000 --stock=100 --retry-share=0.1
 */
import http_ from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Room } from '@colyseus/sdk';
import type { WorkerOutcome } from '../lib/shopBuyerWorker';
import {
  type Bot,
  defineScenario,
  ErrorCounter,
  Histogram,
  http,
  leaveAll,
  pool,
  registerBots,
  sdkFor,
  sleep,
} from '../lib/harness';
import { PATCH_MS as SHOP_PATCH_MS } from '../../src/rooms/LiveShoppingRoom';

/**
 * HTTP buyers share a keep-alive pool of `sockets` connections, opened before the rush (as
 * browsers keep theirs): 1,000 brand-new TCP connections in the same millisecond would measure the
 * kernel's accept backlog (SYN retries after 1 s and 3 s), not the server.
 */
function jsonPost(
  agent: http_.Agent,
  url: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: any }> {
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
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { success: false, message: text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

interface Outcome {
  buyer: number;
  ok: boolean;
  status: number;
  code?: string;
  orderId?: string;
}

export default defineScenario({
  name: 'flash-sale-rush',
  description: 'N buyers order one flash sale at once (room + HTTP, retries); exactly the stock sold, the rest 409',
  defaults: {
    buyers: 2000,
    stock: 100,
    roomShare: 0.5,
    retryShare: 0.1,
    sockets: 128,
    workers: 1,
    processes: 1,
    baseline: true,
  },
  // --processes=2: two server processes on one database and Redis (the cluster mode); HTTP buyers are
  // spread over both, room buyers reach the room's process wherever they join.
  processes: (o) => Number(o.processes),
  async run({ server, servers, opts, progress, baseline }) {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const nBuyers = Number(opts.buyers);
    const stock = Number(opts.stock);
    const errors = new ErrorCounter();

    log(`registering 1 seller and ${nBuyers} buyers`);
    const [seller] = await registerBots(server, 1, 'seller');
    const buyers = await registerBots(server, nBuyers, 'buyer');
    const s = seller!;
    const p = await http(server, 'POST', '/api/products', {
      token: s.token,
      body: { name: 'Flash sneaker', price: 9900, stock },
    });
    if (p.status !== 201) throw new Error(`product: ${p.status} ${JSON.stringify(p.body)}`);
    const productId = p.body.data.product.id as string;
    const created = await http(server, 'POST', '/api/live-shopping', { token: s.token, body: { title: 'Rush' } });
    if (created.status !== 201) throw new Error(`session: ${created.status}`);
    const { sessionId, roomId } = created.body.data as { sessionId: string; roomId: string };
    await http(server, 'POST', `/api/live-shopping/${sessionId}/start`, { token: s.token });
    const added = await http(server, 'POST', `/api/live-shopping/${sessionId}/products`, {
      token: s.token,
      body: { productId, livePrice: 9900, flashSale: { quantity: stock, expiresIn: 600_000, price: 4900 } },
    });
    if (added.status !== 201) throw new Error(`add product: ${added.status} ${JSON.stringify(added.body)}`);

    const nRoom = Math.round(nBuyers * Number(opts.roomShare));
    log(`joining ${nRoom} buyers to the room; ${nBuyers - nRoom} order over HTTP`);
    // Room buyers are split between this thread and `workers` worker threads (the load generator uses both cores).
    const shares = Number(opts.workers) + 1;
    const inMain = (i: number) => i % shares === 0;
    const retryEvery = Number(opts.retryShare) > 0 ? Math.round(1 / Number(opts.retryShare)) : 0;
    const workers = Array.from({ length: shares - 1 }, (_, w) => {
      const mine = buyers
        .slice(0, nRoom)
        .map((b, i) => ({ i, id: b.id, token: b.token }))
        .filter((b) => b.i % shares === w + 1);
      return new Worker(path.join(__dirname, '..', 'lib', 'shopBuyerWorker.ts'), {
        workerData: { url: server.url, roomId, productId, retryEvery, buyers: mine },
        execArgv: ['--import', 'tsx'],
      });
    });
    const nextFrom = (w: Worker, type: string) =>
      new Promise<any>((resolve, reject) => {
        const on = (m: { type: string; message?: string }) => {
          if (m.type === 'error') reject(new Error(m.message));
          else if (m.type === type) {
            w.off('message', on);
            resolve(m);
          }
        };
        w.on('message', on);
        w.once('error', reject);
      });
    const workersJoined = Promise.all(workers.map((w) => nextFrom(w, 'joined')));
    const rooms: Room[] = [];
    const mainRoomBuyers = Array.from({ length: nRoom }, (_, i) => i).filter(inMain);
    await pool(mainRoomBuyers.length, 32, async (k) => {
      const i = mainRoomBuyers[k]!;
      const room = await sdkFor(server, buyers[i]!).joinById(roomId);
      room.onMessage('*', () => undefined);
      rooms[i] = room;
    });
    await workersJoined;
    const sellerRoom = await sdkFor(server, s).joinById(roomId);
    let sellerEvents = 0;
    sellerRoom.onMessage('live-shopping:order', () => sellerEvents++);
    sellerRoom.onMessage('*', () => undefined);
    await sleep(500);

    // One keep-alive pool per server process (the sockets split between them).
    const perServer = Math.max(1, Math.floor(Number(opts.sockets) / servers.length));
    const agents = servers.map(
      () => new http_.Agent({ keepAlive: true, maxSockets: perServer, maxFreeSockets: perServer }),
    );
    // Open the HTTP buyers' connections before the rush.
    await Promise.all(
      servers.flatMap((srv, k) =>
        Array.from({ length: perServer }, () =>
          jsonPost(agents[k]!, `${srv.url}/api/live-shopping/${sessionId}/interactions`, buyers[nBuyers - 1]!.token, {
            productId,
            type: 'view',
          }),
        ),
      ),
    );
    const latency = new Histogram();
    const roomLatency = new Histogram();
    const httpLatency = new Histogram();
    const outcomes: Outcome[] = [];
    let sent = 0;
    const stop = progress(
      () =>
        `sent ${sent}  answered ${outcomes.length}  sold ${new Set(outcomes.filter((o) => o.ok).map((o) => o.orderId)).size}`,
    );
    const cpu0 = servers.map((x) => x.cpuMs());
    for (const x of servers) x.mark('rush:start');
    const gen0 = process.cpuUsage();
    const pending: Promise<void>[] = [];
    const now = () => performance.now();

    const viaRoom = (i: number, room: Room, bot: Bot, requestId: string) =>
      new Promise<void>((resolve) => {
        const t0 = now();
        const done = (o: Omit<Outcome, 'buyer'>) => {
          latency.record(now() - t0);
          roomLatency.record(now() - t0);
          outcomes.push({ buyer: i, ...o });
          offOk();
          offErr();
          resolve();
        };
        const offOk = room.onMessage('live-shopping:order-result', (m: any) => {
          if (m.requestId === requestId) done({ ok: true, status: 201, orderId: m.order.id });
        });
        const offErr = room.onMessage('live-shopping:error', (m: any) => {
          if (m.requestId !== requestId) return;
          if (m.code !== 'SOLD_OUT') errors.add(`room:${m.code}`);
          done({ ok: false, status: m.code === 'SOLD_OUT' ? 409 : 500, code: m.code });
        });
        room.send('order', { productId, quantity: 1, idempotencyKey: `k-${bot.id}`, requestId });
        sent++;
      });

    const viaHttp = async (i: number, bot: Bot) => {
      const t0 = now();
      sent++;
      try {
        const k = i % servers.length;
        const r = await jsonPost(agents[k]!, `${servers[k]!.url}/api/live-shopping/${sessionId}/orders`, bot.token, {
          productId,
          quantity: 1,
          idempotencyKey: `k-${bot.id}`,
        });
        latency.record(now() - t0);
        httpLatency.record(now() - t0);
        if (r.status >= 500) errors.add(`http:${r.status}`);
        else if (r.status >= 300 && r.body.code !== 'SOLD_OUT') errors.add(`http:${r.status}:${r.body.code}`);
        outcomes.push({
          buyer: i,
          ok: r.status < 300,
          status: r.status,
          code: r.body.code,
          orderId: r.status < 300 ? (r.body.data as any).order.id : undefined,
        });
      } catch (err) {
        errors.add(`http:${(err as Error).message}`);
        outcomes.push({ buyer: i, ok: false, status: 0 });
      }
    };

    log(
      `rush: ${nBuyers} buyers at once (${retryEvery ? `every ${retryEvery}th retries with the same key` : 'no retries'})`,
    );
    let attempts = 0;
    const workersDone = workers.map((w) =>
      nextFrom(w, 'done').then((m: { outcomes: WorkerOutcome[] }) => {
        for (const { ms, ...o } of m.outcomes) {
          latency.record(ms);
          roomLatency.record(ms);
          if (!o.ok && o.code !== 'SOLD_OUT') errors.add(`room:${o.code}`);
          outcomes.push(o);
        }
      }),
    );
    for (const w of workers) w.postMessage({ type: 'go' });
    for (let i = 0; i < nRoom; i++) if (!inMain(i)) attempts += retryEvery && i % retryEvery === 0 ? 2 : 1;
    pending.push(...workersDone);
    for (let i = 0; i < nBuyers; i++) {
      if (i < nRoom && !inMain(i)) continue;
      const bot = buyers[i]!;
      const tries = retryEvery && i % retryEvery === 0 ? 2 : 1;
      for (let t = 0; t < tries; t++) {
        attempts++;
        pending.push(i < nRoom ? viaRoom(i, rooms[i]!, bot, `r${i}-${t}`) : viaHttp(i, bot));
      }
    }
    const settled = await Promise.race([Promise.all(pending).then(() => true), sleep(60_000).then(() => false)]);
    const cpuEach = servers.map((x, k) => Math.round(x.cpuMs() - cpu0[k]!));
    for (const x of servers) x.mark('rush:end');
    const gen = process.cpuUsage(gen0);
    const serverCpuMs = cpuEach.reduce((a, b) => a + b, 0);
    stop();
    await sleep(300);

    const integrity = (
      await http(server, 'GET', `/api/admin/live-shopping/integrity?sessionId=${sessionId}`, {
        headers: { authorization: server.operatorAuth },
      })
    ).body.data as {
      products: Array<{ offered: number; remaining: number; ordered: number; balanced: boolean }>;
      vouchers: unknown[];
    };
    const commits = await Promise.all(
      servers.map(
        async (x) =>
          (await http(x, 'GET', '/api/admin/live-shopping/commits', { headers: { authorization: x.operatorAuth } }))
            .body.data,
      ),
    );
    await leaveAll([...rooms.filter(Boolean), sellerRoom]);
    await Promise.all(
      workers.map(async (w) => {
        const left = nextFrom(w, 'left');
        w.postMessage({ type: 'leave' });
        await left;
        await w.terminate();
      }),
    );
    for (const a of agents) a.destroy();
    // The same rush on a bare room, same run: the room buyers each send one `inc` at once (the same
    // number of messages as order attempts), the count patched at the shopping room's patch rate.
    const base = opts.baseline
      ? await baseline({
          rooms: 1,
          clientsPerRoom: Math.max(2, nRoom),
          ratePerSec: attempts * 20,
          durationSec: 0.05,
          patchRateMs: SHOP_PATCH_MS,
          workers: Number(opts.workers),
          bots: buyers,
        })
      : undefined;

    const soldOrders = new Set(outcomes.filter((o) => o.ok).map((o) => o.orderId));
    const buyersWithOrder = new Set(outcomes.filter((o) => o.ok).map((o) => o.buyer));
    const byBuyer = new Map<number, Set<string>>();
    for (const o of outcomes.filter((x) => x.ok))
      byBuyer.set(o.buyer, (byBuyer.get(o.buyer) ?? new Set()).add(o.orderId!));
    const doubled = [...byBuyer.values()].filter((ids) => ids.size > 1).length;
    const clean409 = outcomes.filter((o) => !o.ok && o.status === 409 && o.code === 'SOLD_OUT').length;
    const unsold = outcomes.filter((o) => !o.ok);
    const fivexx = outcomes.filter((o) => o.status >= 500 || o.status === 0).length;
    const prod = integrity.products[0]!;
    const lat = latency.summary();
    const checks = [
      {
        name: 'every order answered',
        pass: settled && outcomes.length === attempts,
        detail: `${outcomes.length}/${attempts}`,
      },
      { name: `exactly ${stock} units sold`, pass: soldOrders.size === stock, detail: `${soldOrders.size} orders` },
      {
        name: 'a retry with the same key is the first order',
        pass: doubled === 0,
        detail: `${doubled} buyers with 2 orders`,
      },
      {
        name: 'every other buyer a clean 409 SOLD_OUT',
        pass: clean409 === unsold.length && nBuyers - buyersWithOrder.size === new Set(unsold.map((o) => o.buyer)).size,
        detail: `${clean409}/${unsold.length}`,
      },
      { name: 'no 5xx', pass: fivexx === 0, detail: `${fivexx}` },
      {
        name: 'DB: units ordered + remaining = offered; remaining 0',
        pass: prod.balanced && prod.remaining === 0 && prod.ordered === stock,
        detail: `ordered ${prod.ordered} + remaining ${prod.remaining} = offered ${prod.offered}`,
      },
      {
        name: `p99 order latency ≤ 250 ms (${servers.length === 1 ? 'single process' : `${servers.length} processes on Redis`})`,
        pass: lat.p99 <= 250,
        detail: `${lat.p99} ms`,
      },
    ];
    if (base)
      checks.push({
        name: 'baseline below saturation (every increment on every client)',
        pass: base.delivered === base.messages,
        detail: `${base.delivered}/${base.messages}, p99 ${base.latency.p99} ms`,
      });
    return {
      clients: nBuyers + 1,
      messages: attempts,
      errors,
      latency: lat,
      serverCpuMs,
      baseline: base,
      extra: {
        processes: servers.length,
        loadGeneratorCpuMs: Math.round((gen.user + gen.system) / 1000),
        serverCpuMsEach: cpuEach,
        orderCommits: commits.filter((c?: { batches: number }) => c && c.batches > 0),
        cpuPerAttemptUs: Math.round((serverCpuMs * 1000) / Math.max(1, attempts)),
        attempts,
        roomBuyers: nRoom,
        httpBuyers: nBuyers - nRoom,
        sold: soldOrders.size,
        rejected409: clean409,
        sellerOrderEvents: sellerEvents,
        integrity: prod,
        roomLatency: roomLatency.summary(),
        httpLatency: httpLatency.summary(),
        httpSockets: Number(opts.sockets),
        loadThreads: shares,
      },
      checks,
    };
  },
});
