/**
 * The session model (src/domain/multihost/session.ts) as clients see it: written into the room's
 * synced schema state after every decision, and the summaries REST answers carry.
 */
import type { Client, Room } from '@colyseus/core';
import { type Command, layoutOf, pendingOf, type Session, settingsOf, tilesOf } from '../../domain/multihost/session';
import { unreachable } from '../../domain/result';
import { type Tile, topologyFor } from '../../domain/multihost/rules';
import { MhHost, type MultiHostState } from '../../state/MultiHostState';
import { reportViewers, userOf } from '../roomKit';

/** Brings the synced state up to the model: status, layout, topology, seats with their tiles. */
export function syncState(state: MultiHostState, s: Session, isConnected: (userId: string) => boolean): void {
  state.status = s.status;
  state.layout = s.layout;
  state.focusUserId = s.focusUserId ?? '';
  state.topology = topologyFor(s.seats.length);
  state.pendingRequests = s.pending.filter((p) => p.kind === 'request').length;
  const seated = new Set(s.seats.map((h) => h.userId));
  for (const id of [...state.hosts.keys()]) if (!seated.has(id)) state.hosts.delete(id);
  const tiles = tilesOf(s);
  for (const seat of s.seats) {
    let host = state.hosts.get(seat.userId);
    if (!host) {
      host = new MhHost().assign({
        userId: seat.userId,
        username: seat.username,
        joinedAt: seat.seatedAt,
        connected: isConnected(seat.userId),
      });
      state.hosts.set(seat.userId, host);
    }
    if (host.role !== seat.role) host.role = seat.role;
    if (host.audio !== seat.audio) host.audio = seat.audio;
    if (host.video !== seat.video) host.video = seat.video;
    const t = tiles[seat.userId];
    if (t && !sameTile(host.tile, t)) host.tile.assign(t);
  }
}

const sameTile = (a: Tile, b: Tile) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h && a.z === b.z;

export function hostList(state: MultiHostState) {
  return [...state.hosts.values()].map((h) => ({
    userId: h.userId,
    username: h.username,
    role: h.role,
    audio: h.audio,
    video: h.video,
    connected: h.connected,
  }));
}

/** The session as REST answers it while the room holds it. */
export function summary(state: MultiHostState, roomId: string) {
  return {
    sessionId: state.sessionId,
    roomId,
    title: state.title,
    type: state.type,
    status: state.status,
    layout: state.layout,
    topology: state.topology,
    maxHosts: state.maxHosts,
    hosts: hostList(state),
    viewerCount: state.viewerCount,
    pendingRequests: state.pendingRequests,
  };
}

/** Viewers are the room's clients who are not on stage (their peak is the session's record). */
export function countViewers(room: Room, state: MultiHostState): void {
  state.viewerCount = room.clients.filter((c) => !state.hosts.has(userOf(c).id)).length;
  state.peakViewers = Math.max(state.peakViewers, state.viewerCount);
  reportViewers(room, state.viewerCount);
}

export function hasOtherClient(room: Room, userId: string, except: Client): boolean {
  return room.clients.some((c) => c !== except && userOf(c).id === userId);
}

/** The commands REST routes send (timers and presence are the room's own). */
export type CallCommand = Exclude<Command, { type: 'expire' | 'presence' | 'close' }>;

/** What a room call answers once its command ran: from the new model, or the session summary. */
export function answerTo(c: CallCommand, s: Session, state: MultiHostState, roomId: string) {
  switch (c.type) {
    case 'start':
    case 'accept':
    case 'approve':
    case 'remove':
      return summary(state, roomId);
    case 'invite':
      return { sessionId: s.id, invited: c.target.id, expiresAt: pendingOf(s, 'invite', c.target.id)!.expiresAt };
    case 'request':
      return { sessionId: s.id, requested: true, expiresAt: pendingOf(s, 'request', c.user.id)!.expiresAt };
    case 'decline':
      return { sessionId: s.id, declined: true };
    case 'deny':
      return { sessionId: s.id, denied: c.target };
    case 'settings':
      return settingsOf(s, c.target, c.actor);
    case 'layout':
      return layoutOf(s);
    case 'end':
      return { sessionId: s.id, status: 'ended' };
    default:
      return unreachable(c);
  }
}
