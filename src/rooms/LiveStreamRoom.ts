/**
 * `live_stream`: a solo stream — one host, any number of viewers. Its room id is the
 * stream id. The host signals anyone; a viewer signals only the host, and a viewer's per-peer
 * events (stats, quality, track toggles) reach only the host.
 * Created by POST /api/webrtc/stream/start; ends when the host ends it or leaves and does
 * not return within STREAM_RECONNECT_GRACE_MS.
 */
import type { Client, Delayed } from '@colyseus/core';
import { ctx } from '../context';
import { EndStreamBody, LiveStreamEvents, type StreamEndedPayload } from '../domain/livestream/protocol';
import { forbidden, invalidState } from '../errors';
import { SfuMedia } from '../rtc/SfuMedia';
import { SignalingRelay } from '../rtc/SignalingRelay';
import { currentSfu } from '../rtc/sfu';
import { LiveStreamState } from '../state/LiveStreamState';
import { liveStreamStore } from '../stores/liveStreamStore';
import { HostRoom } from './HostRoom';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages, userOf } from './roomKit';
import { safely } from './safely';

export { LiveStreamEvents };

export class LiveStreamRoom extends HostRoom<LiveStreamState> {
  static override onAuth = authenticate;
  override state = new LiveStreamState();
  override autoDispose = false;
  private hostId!: string;
  private hostGone?: Delayed;
  private ended = false;
  /** The stream's row says how it ended (else onDispose, or the next start's recovery, records it). */
  private persisted = false;

  override messages: RoomMessages<LiveStreamRoom> = messageTable<LiveStreamRoom>({
    [LiveStreamEvents.end]: on(EndStreamBody, function (client) {
      if (!this.isHost(userOf(client).id)) throw forbidden('Only the host can end the stream');
      return this.end();
    }),
  });

  override async onCreate(options: { hostId: string; hostName: string; title: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    this.hostId = options.hostId;
    await liveStreamStore().create(this.roomId, options.hostId, options.title);
    this.state.assign({ streamId: this.roomId, title: options.title, startedAt: Date.now() });
    this.state.host.assign({ id: options.hostId, username: options.hostName });
    // Listed by GET /api/webrtc/streams/live (from the room registry, so only streams that really run).
    await this.setMetadata({
      hostId: options.hostId,
      hostName: options.hostName,
      host: options.hostName, // the monitor's host column
      title: options.title,
      startedAt: this.state.startedAt,
      status: 'live',
      viewerCount: 0,
    });
    this.media = new SfuMedia({ room: this, canPublish: (id) => id === this.hostId, feeds: this.state.feeds });
    this.media.register();
    // Viewers signal only the host, and their stats/toggles go to the host only (no viewer-to-viewer fan-out).
    // With an SFU the host publishes once and viewers subscribe: no per-viewer offers (mesh refused).
    this.relay = new SignalingRelay({
      room: this,
      canSignal: () => true,
      peerState: this.state.peers,
      audienceOf: (userId) => (userId === this.hostId ? null : [this.hostId]),
      topology: () => (currentSfu() ? 'sfu' : 'mesh'),
      describe: () => this.media.describe(),
      onTier: (client, tier) => this.media.tierChanged(client, tier),
    });
    this.relay.register();
    await this.media.goLive();
    // Nobody joined at all: do not keep an empty stream forever.
    this.hostGone = this.clock.setTimeout(
      () => safely(this, 'end unjoined stream', () => this.end()),
      Math.max(ctx().config.STREAM_RECONNECT_GRACE_MS, 10_000),
    );
  }

  override onJoin(client: Client): void {
    if (userOf(client).id === this.hostId) {
      this.state.host.connected = true;
      this.hostGone?.clear();
      this.hostGone = undefined;
    }
    this.countViewers();
  }

  override async onDrop(client: Client): Promise<void> {
    if (userOf(client).id === this.hostId) this.state.host.connected = false;
    this.relay.dropClient(client);
    const grace = Math.ceil(ctx().config.STREAM_RECONNECT_GRACE_MS / 1000);
    if (!this.ended && grace > 0) await this.allowReconnection(client, grace);
  }

  override onReconnect(client: Client): void {
    this.relay.reconnectClient(client);
    this.onJoin(client);
  }

  override onLeave(client: Client): void {
    this.relay.removeClient(client);
    void this.media.onLeave(client);
    this.countViewers();
    const isHost = userOf(client).id === this.hostId;
    if (!isHost || this.clients.some((c) => c !== client && userOf(c).id === this.hostId)) return;
    this.state.host.connected = false;
    this.hostGone ??= this.clock.setTimeout(
      () => safely(this, 'end after host left', () => this.end()),
      ctx().config.STREAM_RECONNECT_GRACE_MS,
    );
  }

  override async onDispose(): Promise<void> {
    if (!this.hostId) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    if (this.persisted) return;
    try {
      await liveStreamStore().end(this.roomId, this.state.peakViewers, this.ended ? 'ended' : 'interrupted');
    } catch (err) {
      ctx().logger.error({ err, streamId: this.roomId }, 'live stream end not recorded; the next start closes it');
    }
  }

  // --- HTTP (callRoom) ---------------------------------------------------------------

  rtcSetup(userId: string) {
    return exposed(() => ({ roomId: this.roomId, streamId: this.roomId, ...this.relay.setupFor(userId) }));
  }

  rpcEnd(userId: string) {
    return exposed(async () => {
      if (userId !== this.hostId) throw forbidden('Only the host can end the stream');
      if (this.ended) throw invalidState('Stream already ended');
      await this.end();
      return { streamId: this.roomId, status: 'ended' };
    });
  }

  // --- stream host (filters) ----------------------------------------------------------

  isHost(userId: string): boolean {
    return userId === this.hostId;
  }

  // ---------------------------------------------------------------------------------

  private countViewers(): void {
    this.state.viewerCount = this.clients.filter((c) => userOf(c).id !== this.hostId).length;
    this.state.peakViewers = Math.max(this.state.peakViewers, this.state.viewerCount);
    this.publishListing();
  }

  private publishListing(): void {
    this.setMetadata({ ...this.metadata, viewerCount: this.state.viewerCount, status: this.state.status }).catch(
      (err: unknown) => ctx().logger.warn({ err, streamId: this.roomId }, 'stream listing not updated'),
    );
  }

  private async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.state.status = 'ended';
    this.publishListing();
    try {
      await liveStreamStore().end(this.roomId, this.state.peakViewers);
      this.persisted = true;
    } catch (err) {
      // The stream still ends for everyone; onDispose tries the write again.
      ctx().logger.error({ err, streamId: this.roomId }, 'live stream end not recorded yet');
    }
    const ended: StreamEndedPayload = { streamId: this.roomId, peakViewers: this.state.peakViewers };
    this.broadcast(LiveStreamEvents.ended, ended);
    this.clock.setTimeout(() => safely(this, 'close', () => this.disconnect()), 500);
  }
}
