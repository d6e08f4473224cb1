/**
 * sfu-audience: one host publishes synthetic VP8 (30 fps, ~80 kbit/s) + Opus (50 pps) in a
 * live_stream room; N werift viewers join within a few seconds and watch. Measured twice in
 * the same run, side by side:
 *  - SFU: a second server process with JANUS_URL, Janus (Debian package) in a network
 *    namespace created here (test/janusNetns.ts); the host publishes once, viewers subscribe.
 *  - mesh: today's path on the harness server (no SFU): the host offers to every viewer
 *    (one PeerConnection and one upload per viewer).
 * Reports join→first-RTP p50/p99, server CPU per subscription, Janus CPU, signaling messages
 * per viewer (sent + received, state patches excluded), the host's PeerConnections and upload,
 * and checks every viewer receives media. Needs root (namespace) and `janus` installed.
 *
 *   npm run loadtest -- sfu-audience --viewers=50 --steady=5
 */
import { readFileSync } from 'node:fs';
import type { Room } from '@colyseus/sdk';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { janusUnavailable, startJanus } from '../../test/janusNetns';
import { gathered, OPUS_PAYLOAD, publish, VP8_PAYLOAD, watch } from '../../test/sfuPeers';
import {
  type Bot,
  defineScenario,
  ErrorCounter,
  Histogram,
  http,
  pool,
  registerBots,
  round,
  type ServerProcess,
  sdkFor,
  sleep,
} from '../lib/harness';
import { startServerProcess } from '../lib/serverProcess';

const LOOPBACK = {
  iceServers: [],
  iceInterfaceAddresses: { udp4: '127.0.0.1' },
  iceAdditionalHostAddresses: ['127.0.0.1'],
  iceUseIpv6: false,
};

function procCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** Counts a room's messages both ways (not state patches). */
function countMessages(room: Room): { count: () => number } {
  let n = 0;
  const handlers = (room as unknown as { onMessageHandlers: { emit: (...a: unknown[]) => unknown } }).onMessageHandlers;
  const emit = handlers.emit.bind(handlers);
  handlers.emit = (...a: unknown[]) => {
    n++;
    return emit(...a);
  };
  const send = room.send.bind(room);
  (room as unknown as { send: (...a: unknown[]) => void }).send = (...a: unknown[]) => {
    n++;
    (send as (...b: unknown[]) => void)(...a);
  };
  return { count: () => n };
}

interface PathResult {
  viewers: number;
  receiving: number;
  joinToFirstRtp: ReturnType<Histogram['summary']>;
  serverCpuMsJoin: number;
  serverCpuUsPerSubscription: number;
  serverCpuPctSteady: number;
  signalingMessagesPerViewer: number;
  hostPeerConnections: number;
  hostUploadKbps: number;
}

async function startStream(server: ServerProcess, host: Bot) {
  const res = await http(server, 'POST', '/api/webrtc/stream/start', { token: host.token, body: { title: 'load' } });
  if (res.status !== 201) throw new Error(`stream start: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.roomId as string;
}

async function runSfu(
  server: ServerProcess,
  bots: Bot[],
  opts: Opts,
  address: string,
  janusPid: () => number | undefined,
  errors: ErrorCounter,
) {
  const [host, ...viewers] = bots;
  const roomId = await startStream(server, host!);
  const hostRoom = await sdkFor(server, host!).joinById(roomId);
  const pub = await publish(hostRoom, address);
  // Let the feed come up before the audience arrives.
  for (let i = 0; i < 100 && !(hostRoom.state as any)?.feeds?.has(host!.id); i++) await sleep(50);
  const hist = new Histogram();
  const counters: Array<{ count: () => number }> = [];
  const rooms: Room[] = [];
  const watchers: Array<Awaited<ReturnType<typeof watch>>> = [];
  const cpu0 = server.cpuMs();
  const j0 = procCpuMs(janusPid());
  const t0 = performance.now();
  await pool(viewers.length, Number(opts.concurrency), async (i) => {
    const start = performance.now();
    try {
      const room = await sdkFor(server, viewers[i]!).joinById(roomId);
      rooms.push(room);
      counters.push(countMessages(room));
      room.onMessage('webrtc:sfu-reset', () => errors.add('sfu-reset'));
      for (let k = 0; k < 100 && !(room.state as any)?.feeds?.has(host!.id); k++) await sleep(20);
      const w = await watch(room, address);
      watchers.push(w);
      for (let k = 0; k < 500 && w.firstRtpAt === undefined; k++) await sleep(10);
      if (w.firstRtpAt !== undefined) hist.record(w.firstRtpAt - start);
      else errors.add('sfu:no-rtp');
    } catch (err) {
      errors.add(`sfu:${(err as Error).message.slice(0, 60)}`);
    }
  });
  const joinMs = performance.now() - t0;
  const serverCpuMsJoin = server.cpuMs() - cpu0;
  const janusCpuMsJoin = procCpuMs(janusPid()) - j0;
  // Steady state: everyone watching.
  const c1 = server.cpuMs();
  const j1 = procCpuMs(janusPid());
  const before = watchers.map((w) => w.packetsFrom(host!.id));
  const s0 = performance.now();
  await sleep(Number(opts.steady) * 1000);
  const steadyMs = performance.now() - s0;
  const receiving = watchers.filter((w, i) => w.packetsFrom(host!.id) > before[i]!).length;
  const result: PathResult & { joinPhaseMs: number; janusCpuMsJoin: number; janusCpuPctSteady: number } = {
    viewers: viewers.length,
    receiving,
    joinToFirstRtp: hist.summary(),
    joinPhaseMs: round(joinMs, 0),
    serverCpuMsJoin: round(serverCpuMsJoin, 0),
    serverCpuUsPerSubscription: round((serverCpuMsJoin * 1000) / viewers.length, 0),
    serverCpuPctSteady: round(((server.cpuMs() - c1) / steadyMs) * 100, 1),
    janusCpuMsJoin: round(janusCpuMsJoin, 0),
    janusCpuPctSteady: round(((procCpuMs(janusPid()) - j1) / steadyMs) * 100, 1),
    signalingMessagesPerViewer: round(counters.reduce((n, c) => n + c.count(), 0) / Math.max(1, counters.length), 1),
    hostPeerConnections: 1,
    hostUploadKbps: round(uploadKbps(1), 0),
  };
  await Promise.all(watchers.map((w) => w.stop()));
  await pub.stop();
  await Promise.all([hostRoom, ...rooms].map((r) => r.leave(true).catch(() => undefined)));
  return result;
}

/** Synthetic stream: VP8 311-byte payloads at 30/s + Opus 3-byte payloads at 50/s, plus 12-byte RTP headers. */
function uploadKbps(streams: number): number {
  return (streams * ((311 + 12) * 30 + (3 + 12) * 50) * 8) / 1000;
}

async function runMesh(server: ServerProcess, bots: Bot[], opts: Opts, errors: ErrorCounter): Promise<PathResult> {
  const [host, ...viewers] = bots;
  const roomId = await startStream(server, host!);
  const hostRoom = await sdkFor(server, host!).joinById(roomId);
  const hostPcs = new Map<string, { pc: RTCPeerConnection; video: RTCRtpTransceiver; audio: RTCRtpTransceiver }>();
  let bytesSent = 0;
  hostRoom.onMessage('webrtc:existing-peers', () => {});
  hostRoom.onMessage('webrtc:peer-left', () => {});
  hostRoom.onMessage('webrtc:error', (e: { code: string }) => errors.add(`mesh-host:${e.code}`));
  hostRoom.onMessage('webrtc:peer-joined', (p: { userId: string }) => {
    void (async () => {
      const pc = new RTCPeerConnection(LOOPBACK);
      const video = pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendonly' });
      const audio = pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendonly' });
      hostPcs.set(p.userId, { pc, video, audio });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      hostRoom.send('webrtc:offer', { to: p.userId, sdp: pc.localDescription!.sdp });
    })().catch((err) => errors.add(`mesh-host:${(err as Error).message.slice(0, 60)}`));
  });
  hostRoom.onMessage('webrtc:answer', (m: { from: string; sdp: string }) => {
    hostPcs
      .get(m.from)
      ?.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp })
      .catch((err) => errors.add(`mesh-host:${(err as Error).message.slice(0, 60)}`));
  });
  hostRoom.send('webrtc:join-room', { audio: true, video: true });
  // The host's camera: one frame sent to every viewer's connection (that is the mesh cost).
  let seq = 1;
  let vts = 0;
  let ats = 0;
  const send = (kind: 'video' | 'audio') => {
    for (const c of hostPcs.values()) {
      if (c.pc.connectionState !== 'connected') continue;
      const t = kind === 'video' ? c.video : c.audio;
      const payload = kind === 'video' ? VP8_PAYLOAD : OPUS_PAYLOAD;
      const header = new RtpHeader({
        sequenceNumber: seq & 0xffff,
        timestamp: kind === 'video' ? vts : ats,
        marker: true,
      });
      bytesSent += payload.length + 12;
      t.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
    }
  };
  const timers = [
    setInterval(() => {
      seq++;
      vts = (vts + 2970) >>> 0;
      send('video');
    }, 33),
    setInterval(() => {
      ats = (ats + 960) >>> 0;
      send('audio');
    }, 20),
  ];

  const hist = new Histogram();
  const counters: Array<{ count: () => number }> = [];
  const rooms: Room[] = [];
  const viewerPcs: Array<{ pc: RTCPeerConnection; packets: number; first?: number }> = [];
  const cpu0 = server.cpuMs();
  await pool(viewers.length, Number(opts.concurrency), async (i) => {
    const start = performance.now();
    try {
      const room = await sdkFor(server, viewers[i]!).joinById(roomId);
      rooms.push(room);
      counters.push(countMessages(room));
      const rec: { pc: RTCPeerConnection; packets: number; first?: number } = {
        pc: new RTCPeerConnection(LOOPBACK),
        packets: 0,
      };
      viewerPcs.push(rec);
      rec.pc.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe(() => {
          rec.first ??= performance.now();
          rec.packets++;
        }),
      );
      for (const quiet of ['webrtc:existing-peers', 'webrtc:peer-joined', 'webrtc:peer-left'])
        room.onMessage(quiet, () => {});
      room.onMessage('webrtc:error', (e: { code: string }) => errors.add(`mesh:${e.code}`));
      room.onMessage('webrtc:offer', (m: { from: string; sdp: string }) => {
        void (async () => {
          await rec.pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
          await rec.pc.setLocalDescription(await rec.pc.createAnswer());
          await gathered(rec.pc);
          room.send('webrtc:answer', { to: m.from, sdp: rec.pc.localDescription!.sdp });
        })().catch((err) => errors.add(`mesh:${(err as Error).message.slice(0, 60)}`));
      });
      room.send('webrtc:join-room', { audio: false, video: false });
      for (let k = 0; k < 1000 && rec.first === undefined; k++) await sleep(10);
      if (rec.first !== undefined) hist.record(rec.first - start);
      else errors.add('mesh:no-rtp');
    } catch (err) {
      errors.add(`mesh:${(err as Error).message.slice(0, 60)}`);
    }
  });
  const serverCpuMsJoin = server.cpuMs() - cpu0;
  const c1 = server.cpuMs();
  const before = viewerPcs.map((v) => v.packets);
  const b0 = bytesSent;
  const s0 = performance.now();
  await sleep(Number(opts.steady) * 1000);
  const steadyMs = performance.now() - s0;
  const result: PathResult = {
    viewers: viewers.length,
    receiving: viewerPcs.filter((v, i) => v.packets > before[i]!).length,
    joinToFirstRtp: hist.summary(),
    serverCpuMsJoin: round(serverCpuMsJoin, 0),
    serverCpuUsPerSubscription: round((serverCpuMsJoin * 1000) / viewers.length, 0),
    serverCpuPctSteady: round(((server.cpuMs() - c1) / steadyMs) * 100, 1),
    signalingMessagesPerViewer: round(counters.reduce((n, c) => n + c.count(), 0) / Math.max(1, counters.length), 1),
    hostPeerConnections: hostPcs.size,
    hostUploadKbps: round(((bytesSent - b0) * 8) / steadyMs, 0),
  };
  for (const t of timers) clearInterval(t);
  await Promise.all([...hostPcs.values()].map((c) => c.pc.close()));
  await Promise.all(viewerPcs.map((v) => v.pc.close()));
  await Promise.all([hostRoom, ...rooms].map((r) => r.leave(true).catch(() => undefined)));
  return result;
}

type Opts = { viewers: number; concurrency: number; steady: number; mesh: boolean };

export default defineScenario<Opts>({
  name: 'sfu-audience',
  description: 'one host, N werift viewers: through Janus (SFU) and, side by side, through mesh',
  defaults: { viewers: 50, concurrency: 10, steady: 5, mesh: true },
  // A mesh host sends one offer per viewer: allow the burst (the default limit would disconnect it).
  serverEnv: () => ({ ROOM_MESSAGE_RATE: '1000', ROOM_MESSAGE_BURST: '2000' }),
  async run({ server, opts, progress }) {
    const log = (s: string) => process.stderr.write(`${s}\n`);
    const why = janusUnavailable();
    if (why) throw new Error(`sfu-audience needs Janus in a network namespace: ${why}`);
    const janus = await startJanus();
    log(`janus pid ${janus.pid()} at ${janus.url} (peers bind ${janus.peerAddress})`);
    const sfuServer = await startServerProcess({
      ROOM_MESSAGE_RATE: '1000',
      ROOM_MESSAGE_BURST: '2000',
      JANUS_URL: janus.url,
      JANUS_API_SECRET: janus.apiSecret,
      JANUS_ADMIN_KEY: janus.adminKey,
    });
    const errors = new ErrorCounter();
    let phase = 'sfu';
    const stop = progress(() => `phase ${phase}  errors ${errors.total}`);
    try {
      const n = Number(opts.viewers);
      const sfuBots = await registerBots(sfuServer, n + 1, 'sfuv');
      const sfu = await runSfu(sfuServer, sfuBots, opts, janus.peerAddress, () => janus.pid(), errors);
      log(`sfu: ${JSON.stringify(sfu)}`);
      let mesh: PathResult | undefined;
      if (opts.mesh) {
        phase = 'mesh';
        const meshBots = await registerBots(server, n + 1, 'meshv');
        mesh = await runMesh(server, meshBots, opts, errors);
        log(`mesh: ${JSON.stringify(mesh)}`);
      }
      stop();
      const checks = [
        { name: 'every SFU viewer receives media', pass: sfu.receiving === n, detail: `${sfu.receiving}/${n}` },
      ];
      // The mesh path is the comparison, not under test: how many of its viewers get media is a figure (mesh.receiving).
      return {
        clients: (n + 1) * (mesh ? 2 : 1),
        messages: Math.round(sfu.signalingMessagesPerViewer * n),
        errors,
        latency: sfu.joinToFirstRtp,
        serverCpuMs: sfu.serverCpuMsJoin,
        extra: { sfu, ...(mesh ? { mesh } : {}) },
        checks,
      };
    } finally {
      stop();
      await sfuServer.stop();
      await janus.stop();
    }
  },
});
