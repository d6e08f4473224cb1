/**
 * Media through the SFU for one room: the `webrtc:publish/subscribe/…` messages, the
 * room's feeds in synced state, and the SFU room's life (created when the room goes live,
 * destroyed on dispose, re-created after an SFU restart with `webrtc:sfu-reset`).
 * The room decides who may publish (`canPublish`); anyone joined may subscribe, and only
 * to feeds listed in this room's state. A room constructs one, calls `register()` in
 * onCreate, `goLive()`, `onLeave(client)`, `removePublisher(userId)` and `dispose()`.
 */
import type { Client, Room } from '@colyseus/core';
import type { MapSchema } from '@colyseus/schema';
import type { z } from 'zod';
import { ctx } from '../context';
import { AppError, ErrorCode, forbidden, invalidState, notFound } from '../errors';
import { handle, userOf } from '../messaging/messageKit';
import { SfuFeed } from '../state/SfuFeed';
import {
  PublishBody,
  RtcEvents,
  RtcMessages,
  SubscribeBody,
  SubscriptionAnswerBody,
  TrickleBody,
  UnpublishBody,
  UnsubscribeBody,
  IceServersBody,
} from './protocol';
import { iceServersFor } from './iceServers';
import { RESOLUTION, type Tier } from './quality';
import { currentSfu } from './sfu';
import type { Sfu, SfuCandidate, SfuEndpoint, SfuRoomEvents, SfuStream } from './sfu/Sfu';

export interface SfuMediaHost {
  room: Room;
  /** May this user publish (a host / the seller)? Everyone else is told they cannot. */
  canPublish(userId: string): boolean;
  /** The room's synced feed map (publisher user id → SfuFeed). */
  feeds: MapSchema<SfuFeed>;
  maxPublishers?: number;
}

/** Simulcast layer for a quality tier: 2 = full, 1 = half, 0 = quarter resolution. */
export const SUBSTREAM_FOR_TIER: Record<Tier, 0 | 1 | 2> = { excellent: 2, good: 2, fair: 1, poor: 0 };

interface Pending {
  audio: boolean;
  video: boolean;
  simulcast: boolean;
  username: string;
  sessionId: string;
}

export class SfuMedia implements SfuRoomEvents {
  private live = false;
  private disposed = false;
  /** Publishers whose offer was answered: user id → what they publish and from which client. */
  private readonly publishers = new Map<string, Pending>();
  /** Client sessionIds with a subscription → the feeds they asked for. */
  private readonly subscribers = new Map<string, string[]>();

  constructor(private readonly host: SfuMediaHost) {}

  private get room(): Room {
    return this.host.room;
  }

  /** Declares the webrtc:* SFU handlers (call once in onCreate). */
  register(): void {
    const on = <S extends z.ZodType>(type: string, schema: S, fn: (client: Client, m: z.infer<S>) => unknown) =>
      handle(this.room, type, schema, fn, { errorEvent: RtcEvents.error });
    on(RtcMessages.publish, PublishBody, (client, m) => this.publish(client, m.offer));
    on(RtcMessages.unpublish, UnpublishBody, (client) => this.unpublishClient(client));
    on(RtcMessages.subscribe, SubscribeBody, (client, m) => this.subscribe(client, m.feeds));
    on(RtcMessages.subscriptionAnswer, SubscriptionAnswerBody, (client, m) => this.answer(client, m.answer));
    on(RtcMessages.unsubscribe, UnsubscribeBody, (client) => this.unsubscribe(client));
    on(RtcMessages.trickle, TrickleBody, (client, m) => this.trickleFrom(client, m.target, m.candidate));
    // A publisher builds its RTCPeerConnection (and gathers candidates) before its first message to the SFU:
    // it asks for its STUN/TURN servers first (TURN credentials are per user and expire).
    on(RtcMessages.iceServers, IceServersBody, (client) =>
      client.send(RtcEvents.iceServers, { iceServers: iceServersFor(userOf(client).id, ctx().config) }),
    );
  }

  /** The room went live: create its SFU room (no-op without an SFU). Never throws. */
  async goLive(): Promise<void> {
    if (this.live || this.disposed) return;
    this.live = true;
    const sfu = currentSfu();
    if (!sfu) return;
    await sfu
      .ensureRoom(this.room.roomId, this, { maxPublishers: this.host.maxPublishers ?? 10 })
      .catch((err) =>
        ctx().logger.warn({ err: (err as Error).message, roomId: this.room.roomId }, 'sfu room not created yet'),
      );
  }

  /** A client left: its subscription ends; if it was publishing, its feed ends. Never rejects. */
  async onLeave(client: Client): Promise<void> {
    try {
      const sfu = currentSfu();
      if (this.subscribers.delete(client.sessionId)) await sfu?.unsubscribe(this.room.roomId, client.sessionId);
      const userId = userOf(client).id;
      if (this.publishers.get(userId)?.sessionId === client.sessionId) await this.dropFeed(userId, 'left');
    } catch (err) {
      ctx().logger.warn({ err: (err as Error).message, roomId: this.room.roomId }, 'sfu leave failed');
    }
  }

  /** The user may no longer publish (e.g. removed from the stage): their feed ends now. Never rejects. */
  async removePublisher(userId: string): Promise<void> {
    if (!this.publishers.has(userId) && !this.host.feeds.has(userId)) return;
    await this.dropFeed(userId, 'removed').catch((err) =>
      ctx().logger.warn({ err: (err as Error).message, roomId: this.room.roomId }, 'sfu unpublish failed'),
    );
  }

  /** Call from onDispose. Never rejects. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await currentSfu()
      ?.destroyRoom(this.room.roomId)
      .catch((err) => ctx().logger.warn({ err: (err as Error).message }, 'sfu room not destroyed'));
  }

  /**
   * The quality tier the signaling relay decided for this client (its stats-update, or its
   * webrtc:adapt-quality request): for a viewer watching through the SFU, that tier's simulcast layer.
   */
  tierChanged(client: Client, tier: Tier): void {
    if (!this.subscribers.has(client.sessionId)) return;
    this.selectLayer(client, { tier }).catch((err) =>
      ctx().logger.warn({ err: (err as Error).message }, 'sfu layer switch failed'),
    );
  }

  /** What setup payloads say about the SFU. */
  describe() {
    return { sfu: currentSfu() ? currentSfu()!.status() : 'disabled' };
  }

  // --- messages --------------------------------------------------------------------------

  private sfu(): Sfu {
    const sfu = currentSfu();
    if (!sfu) {
      throw new AppError(
        ErrorCode.SFU_UNAVAILABLE,
        'No SFU is configured on this server (JANUS_URL); use mesh signaling',
      );
    }
    if (!this.live) throw invalidState('This room is not live yet');
    return sfu;
  }

  private async publish(client: Client, offer: string): Promise<void> {
    const user = userOf(client);
    if (!this.host.canPublish(user.id)) {
      throw forbidden('Only the hosts of this room may publish; viewers watch with webrtc:subscribe');
    }
    const sfu = this.sfu();
    const info: Pending = {
      audio: /^m=audio /m.test(offer),
      video: /^m=video /m.test(offer),
      simulcast: /^a=simulcast:/m.test(offer) || /^a=ssrc-group:SIM/m.test(offer),
      username: user.username,
      sessionId: client.sessionId,
    };
    if (!info.audio && !info.video) throw new AppError(ErrorCode.VALIDATION, 'offer: has no audio or video');
    // Re-publishing replaces the previous feed: viewers see it go and come back.
    this.host.feeds.delete(user.id);
    this.publishers.set(user.id, info);
    try {
      const { answer } = await sfu.publish(this.room.roomId, user.id, offer, { display: user.username });
      if (this.publishers.get(user.id) !== info || !this.canStillPublish(user.id)) {
        await sfu.unpublish(this.room.roomId, user.id);
        throw forbidden('You may no longer publish in this room');
      }
      client.send(RtcEvents.published, { feed: user.id, answer });
    } catch (err) {
      if (this.publishers.get(user.id) === info) this.publishers.delete(user.id);
      throw err;
    }
  }

  private canStillPublish(userId: string): boolean {
    return !this.disposed && this.host.canPublish(userId);
  }

  private async unpublishClient(client: Client): Promise<void> {
    const userId = userOf(client).id;
    if (!this.publishers.has(userId)) throw invalidState('You are not publishing');
    await this.dropFeed(userId, 'unpublished');
  }

  private async dropFeed(userId: string, reason: 'unpublished' | 'left' | 'removed'): Promise<void> {
    const pending = this.publishers.get(userId);
    this.publishers.delete(userId);
    this.host.feeds.delete(userId);
    for (const c of this.room.clients) {
      if (userOf(c).id === userId && (!pending || c.sessionId === pending.sessionId)) {
        c.send(RtcEvents.unpublished, { feed: userId, reason });
      }
    }
    await currentSfu()?.unpublish(this.room.roomId, userId);
  }

  private async subscribe(client: Client, requested: string[] | undefined): Promise<void> {
    const sfu = this.sfu();
    const me = userOf(client).id;
    const feeds = requested ? [...new Set(requested)] : [...this.host.feeds.keys()].filter((id) => id !== me);
    if (feeds.length === 0) throw invalidState('No live feeds to watch yet (see state.feeds)');
    for (const f of feeds) if (!this.host.feeds.has(f)) throw notFound(`Feed ${f} in this room`);
    const { offer, streams } = await sfu.subscribe(this.room.roomId, client.sessionId, feeds);
    if (!this.room.clients.includes(client)) {
      await sfu.unsubscribe(this.room.roomId, client.sessionId);
      return;
    }
    this.subscribers.set(client.sessionId, feeds);
    // Viewers of PK battles and multi-host sessions have no other setup message: the ICE servers ride along.
    client.send(RtcEvents.subscriptionOffer, {
      offer,
      streams,
      reason: 'subscribe',
      iceServers: iceServersFor(me, ctx().config),
    });
  }

  private async answer(client: Client, answer: string): Promise<void> {
    const feeds = this.subscribers.get(client.sessionId);
    if (!feeds) throw invalidState('No subscription offer to answer: send webrtc:subscribe first');
    await this.sfu().startSubscription(this.room.roomId, client.sessionId, answer);
    client.send(RtcEvents.subscribed, { feeds });
  }

  private async unsubscribe(client: Client): Promise<void> {
    if (!this.subscribers.delete(client.sessionId)) throw invalidState('You have no subscription');
    await currentSfu()?.unsubscribe(this.room.roomId, client.sessionId);
  }

  private async trickleFrom(
    client: Client,
    target: 'publisher' | 'subscriber',
    candidate: SfuCandidate | null,
  ): Promise<void> {
    const sfu = this.sfu();
    const userId = userOf(client).id;
    let endpoint: SfuEndpoint;
    if (target === 'publisher') {
      if (this.publishers.get(userId)?.sessionId !== client.sessionId) throw invalidState('You are not publishing');
      endpoint = { publisher: userId };
    } else {
      if (!this.subscribers.has(client.sessionId)) throw invalidState('You have no subscription');
      endpoint = { subscriber: client.sessionId };
    }
    await sfu.trickle(this.room.roomId, endpoint, candidate);
  }

  private async selectLayer(client: Client, m: { tier?: Tier; substream?: 0 | 1 | 2; temporal?: 0 | 1 | 2 }) {
    const sfu = this.sfu();
    const substream = m.substream ?? (m.tier ? SUBSTREAM_FOR_TIER[m.tier] : undefined);
    await sfu.configure(this.room.roomId, { subscriber: client.sessionId }, { substream, temporal: m.temporal });
    client.send(RtcEvents.layerSelected, {
      tier: m.tier ?? null,
      resolution: m.tier ? RESOLUTION[m.tier].label : null,
      substream: substream ?? null,
      temporal: m.temporal ?? null,
    });
  }

  // --- SFU events (SfuRoomEvents) ----------------------------------------------------------

  publisherUp(publisher: string): void {
    const info = this.publishers.get(publisher);
    if (this.disposed || !info) return;
    this.host.feeds.set(
      publisher,
      new SfuFeed().assign({
        userId: publisher,
        username: info.username,
        audio: info.audio,
        video: info.video,
        simulcast: info.simulcast,
        since: Date.now(),
      }),
    );
  }

  publisherDown(publisher: string): void {
    if (this.disposed) return;
    this.host.feeds.delete(publisher);
  }

  subscriptionUpdated(subscriber: string, offer: string, streams: SfuStream[]): void {
    if (this.disposed) return;
    const client = this.room.clients.find((c) => c.sessionId === subscriber);
    if (!client) return;
    this.subscribers.set(subscriber, [...new Set(streams.filter((s) => s.active).map((s) => s.feed))]);
    client.send(RtcEvents.subscriptionOffer, { offer, streams, reason: 'update' });
  }

  candidate(endpoint: SfuEndpoint, candidate: SfuCandidate | null): void {
    if (this.disposed) return;
    const target = 'publisher' in endpoint ? 'publisher' : 'subscriber';
    const client =
      'publisher' in endpoint
        ? this.room.clients.find((c) => c.sessionId === this.publishers.get(endpoint.publisher)?.sessionId)
        : this.room.clients.find((c) => c.sessionId === endpoint.subscriber);
    client?.send(RtcEvents.trickle, { target, candidate });
  }

  reset(): void {
    if (this.disposed) return;
    this.publishers.clear();
    this.subscribers.clear();
    this.host.feeds.clear();
    this.room.broadcast(RtcEvents.sfuReset, {
      reason: 'sfu-restarted',
      message: 'The media server restarted: publishers publish again, viewers subscribe again when feeds return',
    });
  }
}
