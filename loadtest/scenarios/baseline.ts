/**
 * baseline: the bare counter room (no rules, no database) doing the fan-out every
 * feature scenario compares itself with. Also the example of a scenario file.
 */
import { defineScenario, ErrorCounter } from '../lib/harness';

export default defineScenario({
  name: 'baseline',
  description: 'counter room fan-out: clients send inc at a set rate, every client receives every count',
  defaults: { rooms: 1, clientsPerRoom: 200, rate: 200, duration: 10 },
  async run({ opts, baseline }) {
    const b = await baseline({
      rooms: opts.rooms,
      clientsPerRoom: opts.clientsPerRoom,
      ratePerSec: opts.rate,
      durationSec: opts.duration,
    });
    const expected = b.messages * b.clientsPerRoom;
    return {
      clients: b.rooms * b.clientsPerRoom,
      messages: b.messages,
      errors: new ErrorCounter(),
      latency: b.latency,
      serverCpuMs: b.serverCpuMs,
      extra: { deliveries: b.deliveries, expectedDeliveries: expected, cpuPerMessageUs: b.cpuPerMessageUs },
      checks: [
        {
          name: 'every message delivered to every client',
          pass: b.deliveries === expected,
          detail: `${b.deliveries}/${expected}`,
        },
      ],
    };
  },
});
