/** The spec's WebRTC REST API (/api/webrtc): solo streams, setup for battles and sessions, signaling, quality. */
import { matchMaker } from '@colyseus/core';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context';
import { invalidState, notFound } from '../errors';
import { battleIdOf, battleRoom } from '../rooms/pk/caller';
import { createServerRoom } from '../rooms/roomCreation';
import type { LiveStreamRoom } from '../rooms/LiveStreamRoom';
import type { MultiHostRoom } from '../rooms/MultiHostRoom';
import { MEDIA_ROOMS, roomCaller } from '../rooms/roomCall';
import { iceServersFor } from '../rtc/iceServers';
import { StatsBody } from '../rtc/protocol';
import { assessHealth, classify, RESOLUTION } from '../rtc/quality';
import { liveStreamStore } from '../stores/liveStreamStore';
import { pagination, parse } from '../validation';
import { me, ok } from './middleware';

const streamRoom = roomCaller<LiveStreamRoom>('live_stream', 'Stream');
const sessionRoom = roomCaller<MultiHostRoom>('multihost', 'Session');
const mediaRoom = roomCaller<Pick<LiveStreamRoom, 'rpcSignal' | 'rpcStats'>>(MEDIA_ROOMS, 'Room');

const RoomSignal = z.object({ roomId: z.string().min(1).max(64) }).passthrough();

export function webrtcRoutes(c: AppContext): Router {
  const r = Router();

  r.post('/stream/start', async (req, res) => {
    const user = me(req);
    const { title } = parse(z.object({ title: z.string().trim().min(1).max(120).default('Live') }), req.body);
    const room = await createServerRoom('live_stream', { hostId: user.id, hostName: user.username, title });
    ok(res, { streamId: room.roomId, roomId: room.roomId, title, iceServers: iceServersFor(user.id, c.config) }, 201);
  });

  /** Live solo streams, most watched first, from the room registry (every process with Redis). */
  r.get('/streams/live', async (req, res) => {
    const { page, limit } = parse(pagination, req.query);
    const rooms = await matchMaker.query({ name: 'live_stream' });
    const live = rooms
      .map((r) => ({ roomId: r.roomId, m: (r.metadata ?? {}) as Record<string, unknown> }))
      .filter((r) => r.m.status === 'live')
      .map(({ roomId, m }) => ({
        streamId: roomId,
        roomId,
        title: String(m.title ?? ''),
        host: { id: String(m.hostId ?? ''), username: String(m.hostName ?? '') },
        viewerCount: Number(m.viewerCount ?? 0),
        startedAt: typeof m.startedAt === 'number' ? new Date(m.startedAt).toISOString() : null,
      }))
      .sort((a, b) => b.viewerCount - a.viewerCount || a.streamId.localeCompare(b.streamId));
    ok(res, { streams: live.slice((page - 1) * limit, page * limit), page, limit, total: live.length });
  });

  r.get('/stream/:id/join', async (req, res) => {
    const stream = await liveStreamStore().get(String(req.params.id));
    if (!stream) throw notFound('Stream');
    if (stream.status !== 'live') throw invalidState(`Stream is ${stream.status}`);
    const user = me(req);
    ok(res, {
      streamId: stream.id,
      roomId: stream.id,
      title: stream.title,
      host: { id: stream.hostId, username: stream.hostName },
      iceServers: iceServersFor(user.id, c.config),
    });
  });

  r.post('/stream/:id/end', async (req, res) => {
    ok(res, await streamRoom.call(String(req.params.id), 'rpcEnd', me(req).id));
  });

  r.get('/battle/:id/setup', async (req, res) => {
    ok(res, await battleRoom.call(battleIdOf(String(req.params.id)), 'rtcSetup', me(req).id));
  });

  r.get('/multihost/:id/setup', async (req, res) => {
    ok(res, await sessionRoom.call(String(req.params.id), 'rtcSetup', me(req).id));
  });

  for (const kind of ['offer', 'answer', 'ice-candidate'] as const) {
    r.post(`/${kind}`, async (req, res) => {
      const { roomId, ...body } = parse(RoomSignal, req.body);
      ok(res, await mediaRoom.call(roomId, 'rpcSignal', me(req).id, kind, body));
    });
  }

  r.post('/quality/adapt', async (req, res) => {
    const { stats } = parse(z.object({ stats: StatsBody }), req.body);
    const tier = classify(stats);
    ok(res, { tier, resolution: RESOLUTION[tier].label, maxBitrateKbps: RESOLUTION[tier].maxBitrateKbps });
  });

  r.post('/connection/monitor', async (req, res) => {
    const { roomId, stats } = parse(
      z.object({ roomId: z.string().min(1).max(64).optional(), stats: StatsBody }),
      req.body,
    );
    const report = assessHealth(stats);
    // In a room, the report also counts as that peer's stats there (tier with hysteresis, warnings to peers).
    const room = roomId ? await mediaRoom.call(roomId, 'rpcStats', me(req).id, stats) : null;
    ok(res, { ...report, room });
  });

  return r;
}
