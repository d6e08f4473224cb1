/**
 * WebRTC signaling for any room: peers join, and offers, answers and ICE candidates go
 * to exactly the one target peer in the same room, with the sender stamped by the server.
 * Also track toggles, quality tiers (with hysteresis) and health warnings. Rooms decide
 * who may signal (`canSignal`) and the topology; the relay never broadcasts SDP.
 */
import type { Client, Room } from '@colyseus/core';
import type { MapSchema } from '@colyseus/schema';
import type { z } from 'zod';
import { ctx } from '../context';
import { AppError, ErrorCode, forbidden, notFound } from '../errors';
import { handle, userOf } from '../messaging/messageKit';
import { formatZodError } from '../validation';
import { RtcPeer } from '../state/RtcPeer';
import { iceServersFor } from './iceServers';
import {
  AdaptQualityBody,
  AnswerBody,
  HealthCheckBody,
  IceCandidateBody,
  JoinRoomBody,
  LeaveRoomBody,
  OfferBody,
  RenegotiateBody,
  RtcEvents,
  RtcMessages,
  type Stats,
  StatsBody,
  ToggleTrackBody,
} from './protocol';
import { decideQuality, initialTracker, RESOLUTION, type Tier, type TrackerState, track } from './quality';

export type Topology = 'mesh' | 'sfu';

export interface RelayHost {
  room: Room;
  /** May this client take part in signaling (e.g. only hosts)? Others get webrtc:error FORBIDDEN. */
  canSignal(client: Client): boolean;
  /** 'sfu' makes the relay refuse mesh offers with a clear webrtc:error (no SFU yet). Default 'mesh'. */
  topology?(): Topology;
  /** Optional extra payload merged into webrtc:existing-peers (e.g. layout). */
  describe?(): Record<string, unknown>;
  /** The room's synced peer map (userId → RtcPeer); the relay keeps it current. */
  peerState?: MapSchema<RtcPeer>;
  /**
   * Who a peer may signal and who receives its per-peer events (joined/left, stats, quality,
   * track toggles, warnings): user ids, or null for everyone (the default). `live_stream` answers
   * [host] for a viewer, so viewers signal only the host and nothing fans out viewer to viewer.
   */
  audienceOf?(userId: string): readonly string[] | null;
  /** Told every quality-tier decision for a client (the SFU switches its simulcast layer). */
  onTier?(client: Client, tier: Tier): void;
}

export interface PeerInfo {
  userId: string;
  username: string;
  sessionId: string;
  audio: boolean;
  video: boolean;
  quality: Tier | '';
}

interface Peer {
  client: Client;
  info: PeerInfo;
  tracker: TrackerState;
  lastStats?: Stats;
  lastStatsAt: number;
  warnedSilent: boolean;
}

/** A peer that sent stats once and then nothing for this long gets a connection warning. */
export const SILENT_AFTER_MS = 10_000;
const SILENCE_CHECK_MS = 2000;

export class SignalingRelay {
  private readonly peersByUser = new Map<string, Peer>();

  constructor(private readonly host: RelayHost) {}

  /** Declares every webrtc:* handler on host.room (call once in onCreate). */
  register(): void {
    const room = this.host.room;
    const on = <S extends z.ZodType>(type: string, schema: S, fn: (client: Client, m: z.infer<S>) => void) =>
      handle(room, type, schema, fn, { errorEvent: RtcEvents.error });
    on(RtcMessages.joinRoom, JoinRoomBody, (client, m) => this.join(client, m));
    on(RtcMessages.leaveRoom, LeaveRoomBody, (client) => this.removeClient(client));
    on(RtcMessages.offer, OfferBody, (client, m) => {
      if ((this.host.topology?.() ?? 'mesh') === 'sfu') {
        throw new AppError(
          ErrorCode.INVALID_STATE,
          'This room uses SFU topology (webrtc:publish / webrtc:subscribe); peer-to-peer (mesh) offers are refused',
        );
      }
      this.relay(client, m.to, RtcEvents.offer, { sdp: m.sdp });
    });
    on(RtcMessages.answer, AnswerBody, (client, m) => this.relay(client, m.to, RtcEvents.answer, { sdp: m.sdp }));
    on(RtcMessages.iceCandidate, IceCandidateBody, (client, m) =>
      this.relay(client, m.to, RtcEvents.iceCandidate, { candidate: m.candidate }),
    );
    on(RtcMessages.renegotiate, RenegotiateBody, (client, m) =>
      this.relay(client, m.to, RtcEvents.renegotiationNeeded, { reason: m.reason ?? null }),
    );
    on(RtcMessages.toggleTrack, ToggleTrackBody, (client, m) => this.toggleTrack(client, m.kind, m.enabled));
    on(RtcMessages.statsUpdate, StatsBody, (client, m) => this.stats(client, m));
    on(RtcMessages.adaptQuality, AdaptQualityBody, (client, m) => this.adaptQuality(client, m.tier));
    on(RtcMessages.healthCheck, HealthCheckBody, (client) => {
      client.send(RtcEvents.healthStatus, this.health(this.peerOf(client).info.userId));
    });
    room.clock.setInterval(() => this.checkSilence(), SILENCE_CHECK_MS);
  }

  /**
   * The peer of this client (matched by session: a reconnected client is a new object with the
   * same sessionId; a reloaded page is a new session that replaced the old one's peer).
   */
  private peerOfSession(client: Client): Peer | undefined {
    const peer = this.peersByUser.get(userOf(client).id);
    return peer && peer.info.sessionId === client.sessionId ? peer : undefined;
  }

  /** Call from the room's onDrop: the peer stays, shown `connected: false` during the grace. */
  dropClient(client: Client): void {
    const peer = this.peerOfSession(client);
    if (peer) this.host.peerState?.get(peer.info.userId)?.assign({ connected: false });
  }

  /** Call from the room's onReconnect: the peer is bound to the new client and connected again. */
  reconnectClient(client: Client): void {
    const peer = this.peerOfSession(client);
    if (!peer) return;
    peer.client = client;
    this.host.peerState?.get(peer.info.userId)?.assign({ connected: true });
  }

  /** Call from the room's onLeave: the peer leaves, others get webrtc:peer-left. */
  removeClient(client: Client): void {
    const userId = userOf(client).id;
    const peer = this.peerOfSession(client);
    if (!peer) return;
    this.peersByUser.delete(userId);
    this.host.peerState?.delete(userId);
    this.fanOut(userId, RtcEvents.peerLeft, { userId }, client);
  }

  /** A peer's event to its audience (everyone but `except` when the room sets no audience). */
  private fanOut(fromUserId: string, event: string, payload: unknown, except?: Client): void {
    const audience = this.host.audienceOf?.(fromUserId) ?? null;
    if (audience === null) {
      this.host.room.broadcast(event, payload, except ? { except } : undefined);
      return;
    }
    for (const c of this.host.room.clients) {
      if (c !== except && audience.includes(userOf(c).id)) c.send(event, payload);
    }
  }

  /**
   * The REST signaling endpoints (POST /api/webrtc/offer|answer|ice-candidate) land here:
   * the same rules as the room messages, for a user who is a joined peer of this room.
   */
  signalFromHttp(
    userId: string,
    kind: 'offer' | 'answer' | 'ice-candidate',
    body: unknown,
  ): { delivered: true; to: string } {
    const peer = this.peersByUser.get(userId);
    if (!peer) throw forbidden('Join this room and send webrtc:join-room first');
    const schema = kind === 'offer' ? OfferBody : kind === 'answer' ? AnswerBody : IceCandidateBody;
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AppError(ErrorCode.VALIDATION, formatZodError(parsed.error));
    const m = parsed.data as { to: string; sdp?: string; candidate?: unknown };
    if (kind === 'offer' && (this.host.topology?.() ?? 'mesh') === 'sfu') {
      throw new AppError(ErrorCode.INVALID_STATE, 'This session uses SFU topology; mesh offers are refused');
    }
    const event = kind === 'offer' ? RtcEvents.offer : kind === 'answer' ? RtcEvents.answer : RtcEvents.iceCandidate;
    this.relay(peer.client, m.to, event, kind === 'ice-candidate' ? { candidate: m.candidate } : { sdp: m.sdp });
    return { delivered: true, to: m.to };
  }

  /** POST /api/webrtc/connection/monitor with a roomId: the same as a webrtc:stats-update from that peer. */
  statsFromHttp(userId: string, stats: Stats) {
    const peer = this.peersByUser.get(userId);
    if (!peer) throw forbidden('Join this room and send webrtc:join-room first');
    this.stats(peer.client, stats);
    return { tier: peer.info.quality, resolution: peer.info.quality ? RESOLUTION[peer.info.quality].label : null };
  }

  /** Removes a user's peer whatever client it is on (kicked or no longer allowed). */
  removeUser(userId: string): void {
    const peer = this.peersByUser.get(userId);
    if (peer) this.removeClient(peer.client);
  }

  /** Peers currently joined. */
  peers(): PeerInfo[] {
    return [...this.peersByUser.values()].map((p) => ({ ...p.info }));
  }

  /** What webrtc:existing-peers, the *-ready events and the setup endpoints hand a peer. */
  setupFor(userId: string) {
    const audience = this.host.audienceOf?.(userId) ?? null;
    return {
      peers: this.peers().filter((p) => p.userId !== userId && (audience === null || audience.includes(p.userId))),
      iceServers: iceServersFor(userId, ctx().config),
      topology: this.host.topology?.() ?? ('mesh' as Topology),
      ...(this.host.describe?.() ?? {}),
    };
  }

  // ---------------------------------------------------------------------------------

  private join(client: Client, m: { audio: boolean; video: boolean; userId?: string }): void {
    const user = userOf(client);
    if (m.userId !== undefined && m.userId !== user.id) {
      throw forbidden('userId: identity comes from your token; you cannot join as another user');
    }
    if (!this.host.canSignal(client)) throw forbidden('You may not take part in this room’s media');
    const previous = this.peersByUser.get(user.id);
    const info: PeerInfo = {
      userId: user.id,
      username: user.username,
      sessionId: client.sessionId,
      audio: m.audio,
      video: m.video,
      quality: previous?.info.quality ?? '',
    };
    this.peersByUser.set(user.id, {
      client,
      info,
      tracker: previous?.tracker ?? initialTracker(),
      lastStatsAt: Date.now(),
      warnedSilent: false,
    });
    let state = this.host.peerState?.get(user.id);
    // A peer with a restricted audience (a live_stream viewer) stays out of the synced map too:
    // its tier changes would otherwise be patched to every client.
    const inState = (this.host.audienceOf?.(user.id) ?? null) === null;
    if (this.host.peerState && !state && inState) {
      state = new RtcPeer();
      this.host.peerState.set(user.id, state);
    }
    state?.assign({ userId: user.id, username: user.username, audio: m.audio, video: m.video, connected: true });
    client.send(RtcEvents.existingPeers, this.setupFor(user.id));
    this.fanOut(user.id, RtcEvents.peerJoined, { ...info }, client);
  }

  private peerOf(client: Client): Peer {
    const peer = this.peerOfSession(client);
    if (!peer) throw forbidden('Send webrtc:join-room first');
    return peer;
  }

  private relay(client: Client, to: string, event: string, payload: Record<string, unknown>): void {
    const from = this.peerOf(client);
    if (to === from.info.userId) throw new AppError(ErrorCode.VALIDATION, 'to: cannot signal yourself');
    const audience = this.host.audienceOf?.(from.info.userId) ?? null;
    if (audience !== null && !audience.includes(to)) throw forbidden('You may only signal the host of this stream');
    const target = this.peersByUser.get(to);
    if (!target) throw notFound(`Peer ${to} in this room`);
    target.client.send(event, { ...payload, from: from.info.userId, fromUsername: from.info.username });
  }

  private toggleTrack(client: Client, kind: 'audio' | 'video', enabled: boolean): void {
    const peer = this.peerOf(client);
    peer.info[kind] = enabled;
    this.host.peerState?.get(peer.info.userId)?.assign({ [kind]: enabled });
    this.fanOut(peer.info.userId, RtcEvents.trackToggled, { userId: peer.info.userId, kind, enabled });
  }

  /** Applies a mute decided by someone else (a host with the right role). */
  forceTrack(userId: string, kind: 'audio' | 'video', enabled: boolean): void {
    const peer = this.peersByUser.get(userId);
    if (!peer) return;
    peer.info[kind] = enabled;
    this.host.peerState?.get(userId)?.assign({ [kind]: enabled });
    this.host.room.broadcast(RtcEvents.trackToggled, { userId, kind, enabled, forced: true });
  }

  private stats(client: Client, s: Stats): void {
    const peer = this.peerOf(client);
    const before = peer.tracker.tier;
    const next = track(peer.tracker, s);
    peer.tracker = { tier: next.tier, streak: next.streak, candidate: next.candidate };
    peer.lastStats = s;
    peer.lastStatsAt = Date.now();
    peer.warnedSilent = false;
    const tier = next.tier!;
    const resolution = RESOLUTION[tier];
    peer.info.quality = tier;
    this.host.peerState?.get(peer.info.userId)?.assign({ quality: tier, resolution: resolution.label });
    this.host.onTier?.(client, tier);
    client.send(RtcEvents.qualityAdapted, {
      tier,
      resolution: resolution.label,
      maxBitrateKbps: resolution.maxBitrateKbps,
      changed: next.changed,
      measured: next.raw,
    });
    this.fanOut(peer.info.userId, RtcEvents.peerStats, { userId: peer.info.userId, stats: s, tier }, client);
    if (next.changed) {
      this.fanOut(
        peer.info.userId,
        RtcEvents.peerQualityChanged,
        { userId: peer.info.userId, tier, resolution: resolution.label, previous: before },
        client,
      );
      if (before !== null && TIER_RANK[tier] < TIER_RANK[before]) {
        this.warn(peer, 'degraded', `Connection quality dropped from ${before} to ${tier}`);
      }
    }
  }

  /**
   * `webrtc:adapt-quality`: the client asks for a tier, the server decides (never above what the
   * peer's measured link carries) and answers `webrtc:quality-adapted`. The one place a quality
   * request is decided: the SFU switches the viewer's simulcast layer here.
   */
  private adaptQuality(client: Client, requested: Tier): void {
    // In rooms with SFU media (onTier) a viewer need not be a signaling peer (PK and multi-host viewers
    // cannot be one): it gets a decision from its request alone, and the SFU switches its layer.
    const known = this.peersByUser.get(userOf(client).id);
    const peer = known?.client === client ? known : this.host.onTier ? undefined : this.peerOf(client);
    const d = decideQuality(requested, peer?.tracker.tier ?? null);
    const resolution = RESOLUTION[d.tier];
    client.send(RtcEvents.qualityAdapted, {
      tier: d.tier,
      resolution: resolution.label,
      maxBitrateKbps: resolution.maxBitrateKbps,
      requested: d.requested,
      measured: d.measured,
      reason: d.reason,
    });
    this.host.onTier?.(client, d.tier);
  }

  private health(askingUser: string) {
    const now = Date.now();
    return {
      you: askingUser,
      peers: [...this.peersByUser.values()].map((p) => ({
        userId: p.info.userId,
        quality: p.info.quality,
        lastStatsAgoMs: p.lastStats ? now - p.lastStatsAt : null,
        healthy: p.info.quality !== 'poor' && !(p.lastStats && now - p.lastStatsAt > SILENT_AFTER_MS),
      })),
    };
  }

  private checkSilence(): void {
    const now = Date.now();
    for (const peer of this.peersByUser.values()) {
      if (peer.lastStats && !peer.warnedSilent && now - peer.lastStatsAt > SILENT_AFTER_MS) {
        peer.warnedSilent = true;
        this.warn(
          peer,
          'silent',
          `No stats from ${peer.info.username} for ${Math.round((now - peer.lastStatsAt) / 1000)} s`,
        );
      }
    }
  }

  /** Tells the peer itself and the others that its connection is in trouble. */
  private warn(peer: Peer, reason: 'degraded' | 'silent', message: string): void {
    const payload = { userId: peer.info.userId, reason, message, quality: peer.info.quality };
    this.fanOut(peer.info.userId, RtcEvents.connectionWarning, payload);
    // The peer itself is told even when it is not in its own audience.
    if (this.host.audienceOf?.(peer.info.userId)) peer.client.send(RtcEvents.connectionWarning, payload);
  }
}

const TIER_RANK: Record<Tier, number> = { poor: 0, fair: 1, good: 2, excellent: 3 };
