/**
 * A worker thread that hosts a share of flash-sale-rush's room buyers (so the load generator
 * uses both cores): it joins them to the shopping room, and on `go` sends each buyer's `order`
 * (twice with the same key for every `retryEvery`th buyer), then reports every answer and its latency.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type Room } from '@colyseus/sdk';

interface Job {
  url: string;
  roomId: string;
  productId: string;
  retryEvery: number;
  buyers: Array<{ i: number; id: string; token: string }>;
}
export interface WorkerOutcome {
  buyer: number;
  ok: boolean;
  status: number;
  code?: string;
  orderId?: string;
  ms: number;
}

const job = workerData as Job;
const rooms: Room[] = [];

async function main() {
  const queue = [...job.buyers];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        const client = new Client(job.url);
        client.auth.token = b.token;
        const room = await client.joinById(job.roomId);
        room.onMessage('*', () => undefined);
        rooms[job.buyers.indexOf(b)] = room;
      }
    }),
  );
  parentPort!.postMessage({ type: 'joined' });
}

function go(): void {
  const outcomes: WorkerOutcome[] = [];
  let expected = 0;
  const finish = () => {
    if (outcomes.length === expected) parentPort!.postMessage({ type: 'done', outcomes });
  };
  job.buyers.forEach((b, k) => {
    const room = rooms[k]!;
    const tries = job.retryEvery && b.i % job.retryEvery === 0 ? 2 : 1;
    for (let t = 0; t < tries; t++) {
      expected++;
      const requestId = `r${b.i}-${t}`;
      const t0 = performance.now();
      const offOk = room.onMessage('live-shopping:order-result', (m: any) => {
        if (m.requestId !== requestId) return;
        outcomes.push({ buyer: b.i, ok: true, status: 201, orderId: m.order.id, ms: performance.now() - t0 });
        offOk();
        offErr();
        finish();
      });
      const offErr = room.onMessage('live-shopping:error', (m: any) => {
        if (m.requestId !== requestId) return;
        outcomes.push({
          buyer: b.i,
          ok: false,
          status: m.code === 'SOLD_OUT' ? 409 : 500,
          code: m.code,
          ms: performance.now() - t0,
        });
        offOk();
        offErr();
        finish();
      });
      room.send('order', { productId: job.productId, quantity: 1, idempotencyKey: `k-${b.id}`, requestId });
    }
  });
  finish(); // a worker with no buyers is done at once
}

parentPort!.on('message', async (m: { type: string }) => {
  if (m.type === 'go') go();
  if (m.type === 'leave') {
    await Promise.all(rooms.map((r) => r.leave(true).catch(() => undefined)));
    parentPort!.postMessage({ type: 'left' });
  }
});

main().catch((err) => parentPort!.postMessage({ type: 'error', message: String(err) }));
