/**
 * A worker thread that hosts a share of a scenario's viewers (so the load generator
 * can use both cores): it joins rooms, listens to `pk-battle:gift`, and reports when
 * each gift reached its slowest viewer here (absolute ms) and how many viewers saw it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Room } from '@colyseus/sdk';
import { joinViewers } from './joinViewers';

interface Job {
  url: string;
  viewers: Array<{ token: string; roomId: string }>;
}

const job = workerData as Job;
const worst = new Map<string, number>();
const seen = new Map<string, number>();
let rooms: Room[] = [];

async function main() {
  rooms = await joinViewers(job.url, job.viewers, (room) => {
    room.onMessage('pk-battle:gift', (e: { gifts: Array<{ requestId: string; from: { id: string } }> }) => {
      const now = performance.timeOrigin + performance.now();
      for (const g of e.gifts) {
        const key = `${g.from.id}:${g.requestId}`;
        worst.set(key, Math.max(worst.get(key) ?? 0, now));
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    });
  });
  parentPort!.postMessage({ type: 'joined', count: rooms.length });
}

parentPort!.on('message', async (m: { type: string }) => {
  if (m.type === 'report') {
    parentPort!.postMessage({ type: 'report', worst: [...worst.entries()], seen: [...seen.entries()] });
  }
  if (m.type === 'leave') {
    await Promise.all(rooms.map((r) => r.leave(true).catch(() => undefined)));
    parentPort!.postMessage({ type: 'left' });
  }
});

main().catch((err) => parentPort!.postMessage({ type: 'error', message: String(err) }));
