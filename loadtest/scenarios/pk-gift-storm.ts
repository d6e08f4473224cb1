/**
 * pk-gift-storm: viewers send gifts into live PK battles at a set rate for a set time.
 * Latency = from a gift's send to its score reaching EVERY viewer of the battle (the
 * `pk-battle:gift` event that lists it). Afterwards the money sums are checked against
 * the database: acked gifts = gift rows = ledger debits = scores = host share + platform share.
 *
 *   npm run loadtest -- pk-gift-storm --battles=1 --viewers=1000 --rate=200 --duration=60
 *   npm run loadtest -- pk-gift-storm --battles=100 --viewers=20 --rate=1000 --duration=30 --baseline
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Room } from '@colyseus/sdk';
import {
  type Bot,
  creditBots,
  defineScenario,
  ErrorCounter,
  Histogram,
  http,
  leaveAll,
  paced,
  pool,
  registerBots,
  sdkFor,
  sleep,
} from '../lib/harness';
import { PATCH_MS as PK_PATCH_MS } from '../../src/rooms/PkBattleRoom';

interface Tracked {
  sentAt: number;
  battle: number;
  remaining: number;
  worst: number;
}

export default defineScenario({
  name: 'pk-gift-storm',
  description: 'gifts into live battles; send→score-on-every-viewer latency, CPU per gift vs baseline, integrity sums',
  defaults: {
    battles: 1,
    viewers: 1000,
    rate: 200,
    duration: 15,
    retryShare: 0.05,
    baseline: true,
    workers: 1,
    // The server's PK_GIFT_COMMIT_PACE_MS (its score cadence); the baseline patches at the same interval.
    giftPaceMs: 100,
  },
  serverEnv: (o) => ({
    PK_COUNTDOWN_MS: '200',
    // The battle's one "minute" covers the storm plus settling time, so it ends by itself right after.
    PK_MINUTE_MS: String((Number(o.duration) + 8) * 1000),
    PK_RESULT_PHASE_MS: '30000',
    ROOM_MESSAGE_RATE: '100',
    PK_GIFT_COMMIT_PACE_MS: String(o.giftPaceMs),
  }),
  async run({ server, opts, progress, baseline }) {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const battles = Number(opts.battles);
    const perBattle = Number(opts.viewers);
    const rate = Number(opts.rate);
    const total = Math.round(rate * Number(opts.duration));
    const errors = new ErrorCounter();

    log(`registering ${battles * 2} hosts and ${battles * perBattle} viewers`);
    const hosts = await registerBots(server, battles * 2, 'host');
    const viewers = await registerBots(server, battles * perBattle, 'fan');
    const giftsPerViewer = Math.ceil(total / viewers.length) + 1;
    await creditBots(server, viewers, giftsPerViewer * 5 + 100);

    // Battles: A creates, both join, B accepts.
    const setups = await pool(battles, 8, async (i) => {
      const a = hosts[2 * i]!;
      const b = hosts[2 * i + 1]!;
      const created = await http(server, 'POST', '/api/pk-battles', {
        token: a.token,
        body: { opponent: b.id, duration: 1 },
      });
      if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      const { battleId, roomId } = created.body.data;
      const hostRooms = [await sdkFor(server, a).joinById(roomId), await sdkFor(server, b).joinById(roomId)];
      // Every type the scenario does not listen to is swallowed (no SDK warning per client and message).
      for (const r of hostRooms) r.onMessage('*', () => undefined);
      return { a, b, battleId, roomId, hostRooms };
    });
    // Viewers are split between this thread and `workers` worker threads, so the load generator uses both cores.
    const shares = Number(opts.workers) + 1;
    const mine = (k: number) => k % shares === 0;
    log(`joining viewers to ${battles} battle(s) (${shares} threads)`);
    const workerJobs: Array<Array<{ token: string; roomId: string }>> = Array.from({ length: shares - 1 }, () => []);
    for (let i = 0; i < battles; i++) {
      for (let k = 0; k < perBattle; k++) {
        if (!mine(k))
          workerJobs[(k % shares) - 1]!.push({ token: viewers[i * perBattle + k]!.token, roomId: setups[i]!.roomId });
      }
    }
    const workers = workerJobs.map(
      (viewersOfWorker) =>
        new Worker(path.join(__dirname, '..', 'lib', 'pkViewerWorker.ts'), {
          workerData: { url: server.url, viewers: viewersOfWorker },
          execArgv: ['--import', 'tsx'],
        }),
    );
    const workerJoined = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.on('message', (m: { type: string; message?: string }) =>
            m.type === 'joined' ? resolve() : m.type === 'error' ? reject(new Error(m.message)) : undefined,
          );
          w.on('error', reject);
        }),
    );
    const mainViewers: Array<Array<{ room: Room; bot: Bot }>> = await pool(battles, 4, async (i) => {
      const ks = Array.from({ length: perBattle }, (_, k) => k).filter(mine);
      return pool(ks.length, 32, async (j) => {
        const bot = viewers[i * perBattle + ks[j]!]!;
        const room = await sdkFor(server, bot).joinById(setups[i]!.roomId);
        room.onMessage('*', () => undefined);
        return { bot, room };
      });
    });
    await Promise.all(workerJoined);
    const viewerRooms = mainViewers.map((list) => list.map((v) => v.room));
    const started = setups.map(
      (s) => new Promise((resolve) => s.hostRooms[0]!.onMessage('pk-battle:started', resolve)),
    );
    await pool(battles, 8, async (i) => {
      const r = await http(server, 'POST', `/api/pk-battles/${setups[i]!.battleId}/accept`, {
        token: setups[i]!.b.token,
      });
      if (r.status !== 200) throw new Error(`accept: ${r.status}`);
    });
    await Promise.all(started);

    const tracked = new Map<string, Tracked>();
    const latency = new Histogram();
    let delivered = 0;
    for (const [i, rooms] of viewerRooms.entries()) {
      for (const room of rooms) {
        room.onMessage('pk-battle:gift', (e: { gifts: Array<{ requestId: string; from: { id: string } }> }) => {
          const now = performance.timeOrigin + performance.now();
          for (const g of e.gifts) {
            const t = tracked.get(`${g.from.id}:${g.requestId}`);
            if (!t || t.battle !== i) continue;
            t.worst = Math.max(t.worst, now);
            if (--t.remaining === 0 && shares === 1) {
              latency.record(t.worst - t.sentAt);
              delivered++;
            }
          }
        });
        room.onMessage('error', (e: { code: string }) => errors.add(e.code));
      }
    }

    let acked = 0;
    // Send → the sender's own ack: the commit path alone (fan-out excluded).
    const ackLatency = new Histogram();
    const ackSent = new Map<string, number>();
    let replays = 0;
    let ackedCoins = 0;
    let sent = 0;
    for (const rooms of viewerRooms) {
      for (const room of rooms) {
        room.onMessage('pk-battle:gift-accepted', (ack: { replayed: boolean; coins: number; requestId: string }) => {
          const t = ackSent.get(ack.requestId);
          if (t !== undefined && !ack.replayed) ackLatency.record(performance.timeOrigin + performance.now() - t);
          if (ack.replayed) replays++;
          else {
            acked++;
            ackedCoins += ack.coins;
          }
        });
      }
    }

    // Listened for from the start: a slow storm may outlast the battle.
    const endedEvents = Promise.all(
      setups.map(
        (s) =>
          new Promise<{ scores: Record<string, number> }>((resolve) =>
            s.hostRooms[0]!.onMessage('pk-battle:ended', (e: { scores: Record<string, number> }) => resolve(e)),
          ),
      ),
    );
    log(`storm: ${total} gifts at ${rate}/s into ${battles} battle(s)`);
    const stop = progress(
      () =>
        `sent ${sent}/${total}  acked ${acked}  on every screen ${shares > 1 ? '(at the end)' : delivered}  errors ${errors.total}  p99 ${latency.percentile(99).toFixed(1)} ms`,
    );
    const cpu0 = server.cpuMs();
    const gen0 = process.cpuUsage();
    const wall0 = performance.now();
    server.mark('storm:start');
    const retryEvery = Number(opts.retryShare) > 0 ? Math.round(1 / Number(opts.retryShare)) : 0;
    await paced(total, rate, (n) => {
      const battle = n % battles;
      const list = mainViewers[battle]!;
      const { room, bot } = list[Math.floor(n / battles) % list.length]!;
      const requestId = `g${n}`;
      const to = n % 3 === 0 ? setups[battle]!.b.id : setups[battle]!.a.id;
      tracked.set(`${bot.id}:${requestId}`, {
        sentAt: performance.timeOrigin + performance.now(),
        battle,
        remaining: list.length,
        worst: 0,
      });
      const body = { giftId: n % 10 === 0 ? 'heart' : 'rose', to, requestId };
      ackSent.set(requestId, performance.timeOrigin + performance.now());
      room.send('gift', body);
      // A share of clients retry the same gift (lost ack): it must count once.
      if (retryEvery && n % retryEvery === 0) setTimeout(() => room.send('gift', body), 20);
      sent++;
    });
    await sleep(3000);
    const serverCpuMs = server.cpuMs() - cpu0;
    server.mark('storm:end');
    // The bots' own CPU (this process and its worker threads), in % of one core: near 100% per thread means
    // the load generator, not the server, sets the latency.
    const gen = process.cpuUsage(gen0);
    const loadGeneratorCpuPct = Math.round(((gen.user + gen.system) / 1000 / (performance.now() - wall0)) * 100);
    if (shares > 1) {
      // Merge: a gift is on every screen when this thread's viewers and every worker's have it.
      const reports = await Promise.all(
        workers.map(
          (w) =>
            new Promise<{ worst: Array<[string, number]>; seen: Array<[string, number]> }>((resolve) => {
              w.once('message', (m) => resolve(m));
              w.postMessage({ type: 'report' });
            }),
        ),
      );
      const seenElsewhere = new Map<string, number>();
      const worstElsewhere = new Map<string, number>();
      for (const r of reports) {
        for (const [k, v] of r.seen) seenElsewhere.set(k, (seenElsewhere.get(k) ?? 0) + v);
        for (const [k, v] of r.worst) worstElsewhere.set(k, Math.max(worstElsewhere.get(k) ?? 0, v));
      }
      for (const [key, t] of tracked) {
        const inWorkers = perBattle - mainViewers[t.battle]!.length;
        if (t.remaining === 0 && (seenElsewhere.get(key) ?? 0) === inWorkers) {
          latency.record(Math.max(t.worst, worstElsewhere.get(key) ?? 0) - t.sentAt);
          delivered++;
        }
      }
    }

    // The battles end by themselves shortly after the storm; take the final scores from the ended events.
    const ended = await endedEvents;
    stop();
    const integrity = (
      await http(server, 'GET', '/api/admin/pk-battles/integrity', { headers: { authorization: server.operatorAuth } })
    ).body.data as {
      gifts: number;
      giftCoins: number;
      hostCoins: number;
      platformCoins: number;
      ledgerDebited: number;
      ledgerEarned: number;
    };
    // Where the commit path's time goes: each batch's worst queue wait (window/pace) and its commit.
    const commits = (
      await http(server, 'GET', '/api/admin/pk-battles/commits', { headers: { authorization: server.operatorAuth } })
    ).body.data;
    const scoreSum = ended.reduce((sum, e) => sum + Object.values(e.scores).reduce((x, y) => x + y, 0), 0);

    await leaveAll([...viewerRooms.flat(), ...setups.flatMap((s) => s.hostRooms)]);
    await Promise.all(
      workers.map((w) =>
        new Promise<void>((resolve) => {
          w.once('message', () => resolve());
          w.postMessage({ type: 'leave' });
        }).then(() => w.terminate()),
      ),
    );
    // Same clients (the scenario's users), rooms, rate, duration and threads; the counter patches at the
    // cadence this server delivers scores at (one gift batch, and its event, per PK_GIFT_COMMIT_PACE_MS).
    const base = opts.baseline
      ? await baseline({
          rooms: battles,
          clientsPerRoom: perBattle + 2,
          ratePerSec: rate,
          durationSec: Number(opts.duration),
          patchRateMs: Number(opts.giftPaceMs),
          workers: Number(opts.workers),
          bots: [...viewers, ...hosts],
        })
      : undefined;
    const cpuPerGiftUs = (serverCpuMs * 1000) / Math.max(1, total);
    const lat = latency.summary();
    const checks = [
      { name: 'every gift acked once (none lost)', pass: acked === total, detail: `${acked}/${total}` },
      {
        name: 'gift rows = acked gifts (none doubled)',
        pass: integrity.gifts === acked,
        detail: `${integrity.gifts} rows`,
      },
      {
        name: 'ledger debits = gift coins = final scores',
        pass:
          integrity.ledgerDebited === integrity.giftCoins &&
          integrity.giftCoins === scoreSum &&
          scoreSum === ackedCoins,
        detail: `debited ${integrity.ledgerDebited}, gifts ${integrity.giftCoins}, scores ${scoreSum}, acked ${ackedCoins}`,
      },
      {
        name: 'gift coins = host earnings + platform share',
        pass:
          integrity.hostCoins + integrity.platformCoins === integrity.giftCoins &&
          integrity.ledgerEarned === integrity.hostCoins,
        detail: `${integrity.hostCoins} + ${integrity.platformCoins}`,
      },
      { name: 'every gift reached every viewer', pass: delivered === total, detail: `${delivered}/${total}` },
      { name: 'no errors', pass: errors.total === 0 },
    ];
    if (battles === 1)
      checks.push({ name: 'p99 send→score on every viewer ≤ 150 ms', pass: lat.p99 <= 150, detail: `${lat.p99} ms` });
    if (base) {
      const ratio = cpuPerGiftUs / Math.max(0.001, base.cpuPerMessageUs);
      checks.push({
        name: 'baseline below saturation (every increment on every client)',
        pass: base.delivered === base.messages,
        detail: `${base.delivered}/${base.messages}, p99 ${base.latency.p99} ms`,
      });
      checks.push({
        name: 'server CPU per gift ≤ 1.5× baseline per message (same run)',
        pass: ratio <= 1.5,
        detail: `${ratio.toFixed(2)}×`,
      });
    }
    return {
      clients: viewers.length + hosts.length,
      messages: total,
      errors,
      latency: lat,
      serverCpuMs,
      baseline: base,
      extra: {
        cpuPerGiftUs: Math.round(cpuPerGiftUs),
        ackLatency: ackLatency.summary(),
        giftCommits: commits,
        serverCpuPct: Math.round((serverCpuMs / (Number(opts.duration) * 1000 + 3000)) * 100),
        loadGeneratorCpuPct,
        replaysAcked: replays,
        dbCpuMsTotal: Math.round(server.childCpuMs()),
        integrity,
        scoreSum,
        serverPatchMs: PK_PATCH_MS,
        giftEventCadenceMs: Number(opts.giftPaceMs),
      },
      checks,
    };
  },
});
