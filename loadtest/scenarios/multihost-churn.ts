/**
 * multihost-churn: co-hosting sessions under churn. Hosts relay signaling (offers to one
 * peer), toggle tracks, and leave and rejoin, at a set rate. Latency = from a relayed
 * offer's send to its arrival at the target peer (one process, one clock).
 *
 *   npm run loadtest -- multihost-churn --sessions=10 --hosts=4 --rate=400 --duration=30
 */
import type { Room } from '@colyseus/sdk';
import {
  type Bot,
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

interface Seat {
  bot: Bot;
  room: Room | null;
  session: number;
  busy: boolean;
}

export default defineScenario({
  name: 'multihost-churn',
  description: 'hosts relay signaling, toggle tracks, leave and rejoin; relay latency and errors',
  defaults: { sessions: 10, hosts: 4, rate: 400, duration: 30, churnShare: 0.05, toggleShare: 0.15 },
  serverEnv: () => ({ ROOM_MESSAGE_RATE: '200', MULTIHOST_RECONNECT_GRACE_MS: '60000' }),
  async run({ server, opts, progress }) {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const nSessions = Number(opts.sessions);
    const perSession = Number(opts.hosts);
    const bots = await registerBots(server, nSessions * perSession, 'mh');
    const errors = new ErrorCounter();
    const latency = new Histogram();
    const sent = new Map<string, number>();
    let relayed = 0;
    let toggles = 0;
    let churns = 0;

    const seats: Seat[] = [];
    const sessions = await pool(nSessions, 4, async (s) => {
      const owner = bots[s * perSession]!;
      const created = await http(server, 'POST', '/api/multihost', {
        token: owner.token,
        body: { title: `churn ${s}`, type: 'panel', layout: 'grid', maxHosts: perSession },
      });
      if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      const { sessionId, roomId } = created.body.data;
      await http(server, 'POST', `/api/multihost/${sessionId}/start`, { token: owner.token });
      for (let k = 1; k < perSession; k++) {
        const b = bots[s * perSession + k]!;
        await http(server, 'POST', `/api/multihost/${sessionId}/invite`, {
          token: owner.token,
          body: { userId: b.id },
        });
        const acc = await http(server, 'POST', `/api/multihost/${sessionId}/accept`, { token: b.token });
        if (acc.status !== 200) throw new Error(`accept: ${acc.status} ${JSON.stringify(acc.body)}`);
      }
      return { sessionId: sessionId as string, roomId: roomId as string };
    });

    const join = async (seat: Seat) => {
      const room = await sdkFor(server, seat.bot).joinById(sessions[seat.session]!.roomId);
      room.onMessage('webrtc:offer', (m: { sdp: string }) => {
        const id = m.sdp.slice(2, m.sdp.indexOf('\r'));
        const t = sent.get(id);
        if (t !== undefined) {
          latency.record(performance.now() - t);
          sent.delete(id);
          relayed++;
        }
      });
      room.onMessage('webrtc:error', (e: { code: string }) => errors.add(`webrtc:${e.code}`));
      room.onMessage('error', (e: { code: string }) => errors.add(e.code));
      for (const quiet of [
        'webrtc:existing-peers',
        'webrtc:peer-joined',
        'webrtc:peer-left',
        'webrtc:track-toggled',
        'multihost:joined',
        'multihost:left',
      ]) {
        room.onMessage(quiet, () => {});
      }
      const ready = new Promise((resolve) => room.onMessage('webrtc:existing-peers', resolve));
      room.send('webrtc:join-room', { audio: true, video: true });
      await ready;
      seat.room = room;
    };

    for (let s = 0; s < nSessions; s++)
      for (let k = 0; k < perSession; k++)
        seats.push({ bot: bots[s * perSession + k]!, room: null, session: s, busy: false });
    await pool(seats.length, 16, (i) => join(seats[i]!));
    log(`${nSessions} sessions × ${perSession} hosts joined; churning`);

    const total = Math.round(Number(opts.rate) * Number(opts.duration));
    let n = 0;
    const stop = progress(
      () =>
        `ops ${n}/${total}  relayed ${relayed}  toggles ${toggles}  churns ${churns}  p99 ${latency.percentile(99).toFixed(1)} ms  errors ${errors.total}`,
    );
    const cpu0 = server.cpuMs();
    const churnEvery = Math.max(1, Math.round(1 / Number(opts.churnShare)));
    const toggleEvery = Math.max(1, Math.round(1 / Number(opts.toggleShare)));
    await paced(total, Number(opts.rate), (i) => {
      n++;
      const s = i % nSessions;
      const present = seats.filter((x) => x.session === s && x.room && !x.busy);
      if (present.length < 2) return;
      const from = present[Math.floor(Math.random() * present.length)]!;
      if (i % churnEvery === 0 && from.bot !== bots[s * perSession]) {
        // A co-host drops off and comes back: the room must not relay to it meanwhile, and must keep its seat.
        from.busy = true;
        const room = from.room!;
        from.room = null;
        churns++;
        void room
          .leave(true)
          .then(() => join(from))
          .catch((err) => errors.add(`rejoin:${(err as Error).message}`))
          .finally(() => {
            from.busy = false;
          });
        return;
      }
      if (i % toggleEvery === 0) {
        from.room!.send('webrtc:toggle-track', { kind: i % 2 ? 'audio' : 'video', enabled: i % 4 < 2 });
        toggles++;
        return;
      }
      const targets = present.filter((x) => x !== from);
      const to = targets[Math.floor(Math.random() * targets.length)]!;
      const id = `o${i}`;
      sent.set(id, performance.now());
      from.room!.send('webrtc:offer', {
        to: to.bot.id,
        sdp: `v=${id}\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n`,
      });
    });
    await sleep(1500);
    const serverCpuMs = server.cpuMs() - cpu0;
    stop();
    const lost = sent.size;
    await leaveAll(seats.map((x) => x.room).filter((r): r is Room => !!r));
    const relayOps = relayed + lost;
    return {
      clients: seats.length,
      messages: total,
      errors,
      latency: latency.summary(),
      serverCpuMs,
      extra: { relayed, toggles, churns, offersNotDelivered: lost },
      checks: [
        { name: 'no errors', pass: errors.total === 0, detail: JSON.stringify(errors.byKind) },
        // An offer can race its target's departure; anything else undelivered is a bug.
        {
          name: 'offers delivered (allowing for targets that left mid-flight)',
          pass: lost <= churns,
          detail: `${relayed}/${relayOps}`,
        },
      ],
    };
  },
});
