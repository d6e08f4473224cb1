/**
 * baseline: the bare counter room (no rules, no database): one number in schema state, incremented
 * per message, synced by patch, the reference every feature scenario compares itself with in the
 * same run. Also the example of a scenario file.
 *
 *   npm run loadtest -- baseline --clients-per-room=1000 --rate=200 --patch-rate-ms=50 --duration=15
 */
import { defineScenario, ErrorCounter } from '../lib/harness';

export default defineScenario({
  name: 'baseline',
  description: 'counter room: clients send inc at a set rate, every client sees the count in the next patch',
  defaults: { rooms: 1, clientsPerRoom: 1000, rate: 200, duration: 15, patchRateMs: 50, workers: 1 },
  async run({ opts, baseline }) {
    const b = await baseline({
      rooms: opts.rooms,
      clientsPerRoom: opts.clientsPerRoom,
      ratePerSec: opts.rate,
      durationSec: opts.duration,
      patchRateMs: opts.patchRateMs,
      workers: opts.workers,
    });
    return {
      clients: b.rooms * b.clientsPerRoom,
      messages: b.messages,
      errors: new ErrorCounter(),
      latency: b.latency,
      serverCpuMs: b.serverCpuMs,
      extra: { cpuPerMessageUs: b.cpuPerMessageUs, patchRateMs: b.patchRateMs },
      checks: [
        {
          name: 'every increment reached every client',
          pass: b.delivered === b.messages,
          detail: `${b.delivered}/${b.messages}`,
        },
      ],
    };
  },
});
