/**
 * A worker thread that hosts a share of the baseline's clients (so the load generator uses both
 * cores): it joins them to the `counter` room and records, for every increment k, when the last of
 * its clients saw `count >= k` in a state patch (absolute ms) and how many of its clients saw it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Room } from '@colyseus/sdk';
import { CountWatch } from './countWatch';
import { joinViewers } from './joinViewers';

interface Job {
  url: string;
  maxCount: number;
  roomIds: string[];
  viewers: Array<{ token: string; roomId: string }>;
}

const job = workerData as Job;
/** One watch per room, reported concatenated in `roomIds` order (maxCount + 1 slots each). */
const watches = new Map(job.roomIds.map((id) => [id, new CountWatch(job.maxCount)]));
let rooms: Room[] = [];

async function main() {
  rooms = await joinViewers(job.url, job.viewers, (room, roomId) => watches.get(roomId)!.attach(room));
  parentPort!.postMessage({ type: 'joined', count: rooms.length });
}

parentPort!.on('message', async (m: { type: string }) => {
  if (m.type === 'report') {
    const all = [...watches.values()];
    const worst = new Float64Array(all.length * (job.maxCount + 1));
    const seen = new Int32Array(all.length * (job.maxCount + 1));
    all.forEach((w, r) => {
      worst.set(w.worst, r * (job.maxCount + 1));
      seen.set(w.seen, r * (job.maxCount + 1));
    });
    parentPort!.postMessage({ type: 'report', worst, seen });
  }
  if (m.type === 'leave') {
    await Promise.all(rooms.map((r) => r.leave(true).catch(() => undefined)));
    parentPort!.postMessage({ type: 'left' });
  }
});

main().catch((err) => parentPort!.postMessage({ type: 'error', message: String(err) }));
