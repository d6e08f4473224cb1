/**
 * The Sfu over Janus (VideoRoom plugin) with Meetecho's janode, on one or several Janus
 * servers. Per server: one WebSocket connection, one session (janode sends keep-alives),
 * one control handle for room management, and one handle per publisher and per subscriber.
 * Every request has a timeout. A dropped connection (Janus restarted or unreachable) is
 * retried with back-off; its rooms are created again, on that server when it returns or
 * on another one that is up, and each room hears `reset()`.
 *
 * Rooms are private, have a random numeric id and a random secret, and are created with
 * the VideoRoom admin key when one is configured: only this process can manage them.
 * Clients never see ids or secrets; they reach Janus only with ICE/DTLS/SRTP.
 */
import { randomBytes, randomInt } from 'node:crypto';
import Janode, { type JanodeConnection, type JanodeSession } from 'janode';
import VideoRoomPlugin, { type Jsep, type VideoRoomHandle, type VideoRoomStream } from 'janode/plugins/videoroom';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type {
  Sfu,
  SfuCandidate,
  SfuEndpoint,
  SfuLayers,
  SfuRoomEvents,
  SfuServerStats,
  SfuStats,
  SfuStatus,
  SfuStream,
} from './Sfu';

export interface JanusSfuOptions {
  /** WebSocket API addresses, e.g. ws://127.0.0.1:8188. Several = rooms spread by load. */
  urls: string[];
  apiSecret?: string;
  /** The VideoRoom plugin's admin_key (needed to create rooms when Janus sets one). */
  adminKey?: string;
  /** Any Janus request not answered within this fails with UNAVAILABLE. */
  requestTimeoutMs?: number;
  logger: Logger;
}

interface Publisher {
  handle: VideoRoomHandle;
  feedId: number;
  up: boolean;
}

interface Subscriber {
  handle: VideoRoomHandle;
  feeds: Set<number>;
  streams: VideoRoomStream[];
}

interface RoomEntry {
  key: string;
  janusId: number;
  secret: string;
  maxPublishers: number;
  events: SfuRoomEvents;
  server?: JanusServer;
  /** Set while the room is being created on `server`. */
  placing?: Promise<void>;
  publishers: Map<string, Publisher>;
  feedToPublisher: Map<number, string>;
  subscribers: Map<string, Subscriber>;
}

const MAX_ID = 2 ** 47;
const unavailable = (what: string) => new AppError(ErrorCode.SFU_UNAVAILABLE, `SFU unavailable: ${what}`);

/** Janode logs to stdout at "info" by default: keep only its errors. */
Janode.Logger.setLevel(process.env.JANODE_LOG === 'debug' ? 'debug' : 'none');

/**
 * Offers with `a=setup:actpass` make Janus the DTLS client, and its first ClientHello is
 * often lost and resent a second later. Telling Janus the client is the active side lets the
 * client start the handshake at once (the client offered actpass, so either role is valid).
 */
export function preferClientActive(sdp: string): string {
  return sdp.replace(/^a=setup:actpass\r?$/gm, (line) => line.replace('actpass', 'active'));
}

class JanusServer {
  conn?: JanodeConnection;
  session?: JanodeSession;
  control?: VideoRoomHandle;
  up = false;
  closed = false;
  private connecting?: Promise<void>;

  constructor(
    readonly url: string,
    private readonly owner: JanusSfu,
  ) {}

  /** Connects now and in the background until it succeeds (or the SFU closes). */
  start(): Promise<void> {
    this.connecting ??= this.loop().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async loop(): Promise<void> {
    let delay = 200;
    while (!this.closed && !this.up) {
      try {
        await this.connectOnce();
        this.owner.serverUp(this);
        return;
      } catch (err) {
        this.owner.log.debug({ err: (err as Error).message, url: this.url }, 'janus: connect failed');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const o = this.owner.opts;
    const conn = await this.owner.timed(
      Janode.connect({ address: { url: this.url, apisecret: o.apiSecret }, max_retries: 0, retry_time_secs: 1 }),
      'connect',
    );
    try {
      const session = await this.owner.timed(conn.create(15), 'create session');
      const control = await this.owner.timed(session.attach<VideoRoomHandle>(VideoRoomPlugin), 'attach');
      const lost = () => this.lost(conn);
      conn.once(Janode.EVENT.CONNECTION_CLOSED, lost);
      conn.once(Janode.EVENT.CONNECTION_ERROR, lost);
      session.once(Janode.EVENT.SESSION_DESTROYED, lost);
      this.conn = conn;
      this.session = session;
      this.control = control;
      this.up = true;
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
  }

  private lost(conn: JanodeConnection): void {
    if (this.conn !== conn || !this.up) return;
    this.up = false;
    this.conn = undefined;
    this.session = undefined;
    this.control = undefined;
    conn.close().catch(() => undefined);
    this.owner.serverLost(this);
    if (!this.closed) void this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.up = false;
    const conn = this.conn;
    this.conn = undefined;
    await conn?.close().catch(() => undefined);
  }
}

export class JanusSfu implements Sfu {
  readonly log: Logger;
  private readonly servers: JanusServer[];
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly timeoutMs: number;

  constructor(readonly opts: JanusSfuOptions) {
    if (opts.urls.length === 0) throw new Error('JanusSfu needs at least one URL');
    this.log = opts.logger;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.servers = opts.urls.map((u) => new JanusServer(u, this));
  }

  /** Starts connecting to every server; resolves when the first is up (or after `waitMs`). */
  async start(waitMs = 5000): Promise<void> {
    const all = this.servers.map((s) => s.start());
    await Promise.race([Promise.any(all).catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  status(): SfuStatus {
    return this.servers.some((s) => s.up) ? 'ok' : 'down';
  }

  stats(): SfuStats {
    const servers: SfuServerStats[] = this.servers.map((s) => {
      const rooms = [...this.rooms.values()].filter((r) => r.server === s);
      return {
        url: s.url,
        up: s.up,
        rooms: rooms.length,
        publishers: rooms.reduce((n, r) => n + r.publishers.size, 0),
        subscribers: rooms.reduce((n, r) => n + r.subscribers.size, 0),
      };
    });
    return { status: this.status(), servers };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    this.rooms.clear();
  }

  // --- rooms ---------------------------------------------------------------------------

  async ensureRoom(room: string, events: SfuRoomEvents, opts: { maxPublishers?: number } = {}): Promise<void> {
    let entry = this.rooms.get(room);
    if (!entry) {
      entry = {
        key: room,
        janusId: randomInt(1, MAX_ID),
        secret: randomBytes(24).toString('hex'),
        maxPublishers: opts.maxPublishers ?? 10,
        events,
        publishers: new Map(),
        feedToPublisher: new Map(),
        subscribers: new Map(),
      };
      this.rooms.set(room, entry);
    }
    await this.place(entry, false);
  }

  async destroyRoom(room: string): Promise<void> {
    const entry = this.rooms.get(room);
    if (!entry) return;
    this.rooms.delete(room);
    const server = entry.server;
    entry.server = undefined;
    if (!server?.up) return;
    const handles = [...entry.publishers.values(), ...entry.subscribers.values()].map((h) => h.handle);
    await Promise.all(handles.map((h) => this.detachQuietly(h)));
    await this.timed(server.control!.destroy({ room: entry.janusId, secret: entry.secret }), 'destroy room').catch(
      (err) => this.log.warn({ err: (err as Error).message, room }, 'janus: room not destroyed'),
    );
  }

  /** Puts the room on the least-loaded server that is up (sticky once placed). */
  private place(entry: RoomEntry, announce: boolean): Promise<void> {
    if (entry.server?.up && !entry.placing) return Promise.resolve();
    entry.placing ??= (async () => {
      const server = this.leastLoaded();
      if (!server) throw unavailable('no Janus server is reachable');
      await this.timed(
        server.control!.create({
          room: entry.janusId,
          secret: entry.secret,
          ...(this.opts.adminKey ? { admin_key: this.opts.adminKey } : {}),
          max_publishers: entry.maxPublishers,
          is_private: true,
          permanent: false,
          audiocodec: 'opus',
          videocodec: 'vp8,h264,vp9',
          notify_joining: false,
        }),
        'create room',
      );
      if (this.rooms.get(entry.key) !== entry) {
        // Destroyed while we were creating it.
        await server.control?.destroy({ room: entry.janusId, secret: entry.secret }).catch(() => undefined);
        return;
      }
      entry.server = server;
      if (announce) entry.events.reset();
    })().finally(() => {
      entry.placing = undefined;
    });
    return entry.placing;
  }

  private leastLoaded(): JanusServer | undefined {
    let best: JanusServer | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const s of this.servers) {
      if (!s.up) continue;
      let load = 0;
      for (const r of this.rooms.values()) if (r.server === s) load += 1 + r.publishers.size * 4 + r.subscribers.size;
      if (load < bestLoad) {
        best = s;
        bestLoad = load;
      }
    }
    return best;
  }

  /** A server came (back) up: rooms waiting for a home get one and are told to start over. */
  serverUp(server: JanusServer): void {
    this.log.info({ url: server.url }, 'janus: connected');
    for (const entry of this.rooms.values()) {
      if (!entry.server) {
        this.place(entry, true).catch((err) =>
          this.log.error({ err: (err as Error).message, room: entry.key }, 'janus: room not re-created'),
        );
      }
    }
  }

  /** A server's connection dropped: its rooms and handles are gone with it. */
  serverLost(server: JanusServer): void {
    this.log.warn({ url: server.url }, 'janus: connection lost');
    for (const entry of this.rooms.values()) {
      if (entry.server !== server) continue;
      entry.server = undefined;
      entry.janusId = randomInt(1, MAX_ID);
      entry.publishers.clear();
      entry.feedToPublisher.clear();
      entry.subscribers.clear();
      // Another server may take it at once; otherwise it waits for serverUp.
      if (this.leastLoaded()) {
        this.place(entry, true).catch((err) =>
          this.log.error({ err: (err as Error).message, room: entry.key }, 'janus: room not moved'),
        );
      }
    }
  }

  private async entryOf(room: string): Promise<RoomEntry & { server: JanusServer }> {
    const entry = this.rooms.get(room);
    if (!entry) throw new AppError(ErrorCode.INVALID_STATE, 'This room has no media session yet');
    if (entry.placing) await entry.placing;
    if (!entry.server?.up || !entry.server.session) throw unavailable('the media server is reconnecting');
    return entry as RoomEntry & { server: JanusServer };
  }

  // --- publishing ----------------------------------------------------------------------

  async publish(room: string, publisher: string, offer: string, opts: { display?: string } = {}) {
    const entry = await this.entryOf(room);
    const previous = entry.publishers.get(publisher);
    if (previous) await this.dropPublisher(entry, publisher, previous);
    const handle = await this.timed(entry.server.session!.attach<VideoRoomHandle>(VideoRoomPlugin), 'attach');
    let feedId = randomInt(1, MAX_ID);
    while (entry.feedToPublisher.has(feedId)) feedId = randomInt(1, MAX_ID);
    const rec: Publisher = { handle, feedId, up: false };
    entry.publishers.set(publisher, rec);
    entry.feedToPublisher.set(feedId, publisher);
    const current = () => entry.publishers.get(publisher) === rec && this.rooms.get(room) === entry;
    handle.on(Janode.EVENT.HANDLE_MEDIA, (d: { receiving?: boolean }) => {
      if (d.receiving && !rec.up && current()) {
        rec.up = true;
        entry.events.publisherUp(publisher);
      }
    });
    const down = () => {
      if (rec.up && current()) {
        rec.up = false;
        entry.events.publisherDown(publisher);
      }
    };
    handle.on(Janode.EVENT.HANDLE_HANGUP, down);
    handle.on(Janode.EVENT.HANDLE_ICE_FAILED, down);
    handle.on(Janode.EVENT.HANDLE_DETACHED, down);
    handle.on(Janode.EVENT.HANDLE_TRICKLE, (d: { candidate?: SfuCandidate; completed?: boolean }) => {
      if (current()) entry.events.candidate({ publisher }, d.completed ? null : (d.candidate ?? null));
    });
    try {
      const res = await this.timed(
        handle.joinConfigurePublisher({
          room: entry.janusId,
          feed: feedId,
          display: (opts.display ?? publisher).slice(0, 64),
          jsep: { type: 'offer', sdp: preferClientActive(offer) },
        }),
        'publish',
      );
      if (!res.jsep?.sdp) throw new AppError(ErrorCode.INTERNAL, 'The SFU gave no answer');
      return { answer: res.jsep.sdp };
    } catch (err) {
      if (entry.publishers.get(publisher) === rec) {
        entry.publishers.delete(publisher);
        entry.feedToPublisher.delete(feedId);
      }
      await this.detachQuietly(handle);
      throw janusError(err);
    }
  }

  async unpublish(room: string, publisher: string): Promise<void> {
    const entry = this.rooms.get(room);
    const rec = entry?.publishers.get(publisher);
    if (!entry || !rec) return;
    await this.dropPublisher(entry, publisher, rec);
  }

  private async dropPublisher(entry: RoomEntry, publisher: string, rec: Publisher): Promise<void> {
    entry.publishers.delete(publisher);
    entry.feedToPublisher.delete(rec.feedId);
    for (const sub of entry.subscribers.values()) sub.feeds.delete(rec.feedId);
    await this.detachQuietly(rec.handle);
  }

  // --- subscribing ---------------------------------------------------------------------

  async subscribe(room: string, subscriber: string, publishers: string[]) {
    const entry = await this.entryOf(room);
    const wanted = new Set<number>();
    for (const p of publishers) {
      const rec = entry.publishers.get(p);
      if (!rec?.up) throw new AppError(ErrorCode.NOT_FOUND, `Feed ${p} is not live`);
      wanted.add(rec.feedId);
    }
    const existing = entry.subscribers.get(subscriber);
    if (existing) {
      const add = [...wanted].filter((f) => !existing.feeds.has(f));
      const remove = [...existing.feeds].filter((f) => !wanted.has(f));
      if (add.length === 0 && remove.length === 0) {
        throw new AppError(ErrorCode.CONFLICT, 'Already subscribed to exactly these feeds');
      }
      try {
        const res = await this.timed(
          // Janus refuses an empty list ("430 Empty unsubscription list"): send only the non-empty ones.
          existing.handle.update({
            subscribe: add.length ? add.map((feed) => ({ feed })) : undefined,
            unsubscribe: remove.length ? remove.map((feed) => ({ feed })) : undefined,
          }),
          'update subscription',
        );
        existing.feeds = wanted;
        if (res.streams) existing.streams = res.streams;
        if (!res.jsep?.sdp) throw new AppError(ErrorCode.INTERNAL, 'The SFU gave no offer');
        return { offer: res.jsep.sdp, streams: this.mapStreams(entry, existing.streams) };
      } catch (err) {
        throw janusError(err);
      }
    }

    const handle = await this.timed(entry.server.session!.attach<VideoRoomHandle>(VideoRoomPlugin), 'attach');
    const rec: Subscriber = { handle, feeds: wanted, streams: [] };
    entry.subscribers.set(subscriber, rec);
    const current = () => entry.subscribers.get(subscriber) === rec && this.rooms.get(room) === entry;
    handle.on(VideoRoomPlugin.EVENT.VIDEOROOM_UPDATED, (d: { jsep?: Jsep; streams?: VideoRoomStream[] }) => {
      if (!current() || !d.jsep?.sdp) return;
      if (d.streams) rec.streams = d.streams;
      rec.feeds = new Set(rec.streams.filter((s) => s.active !== false && s.feed_id).map((s) => s.feed_id!));
      entry.events.subscriptionUpdated(subscriber, d.jsep.sdp, this.mapStreams(entry, rec.streams));
    });
    handle.on(Janode.EVENT.HANDLE_TRICKLE, (d: { candidate?: SfuCandidate; completed?: boolean }) => {
      if (current()) entry.events.candidate({ subscriber }, d.completed ? null : (d.candidate ?? null));
    });
    try {
      const res = await this.timed(
        handle.joinSubscriber({
          room: entry.janusId,
          streams: [...wanted].map((feed) => ({ feed })),
          autoupdate: true,
        }),
        'subscribe',
      );
      rec.streams = res.streams ?? [];
      if (!res.jsep?.sdp) throw new AppError(ErrorCode.INTERNAL, 'The SFU gave no offer');
      return { offer: res.jsep.sdp, streams: this.mapStreams(entry, rec.streams) };
    } catch (err) {
      if (entry.subscribers.get(subscriber) === rec) entry.subscribers.delete(subscriber);
      await this.detachQuietly(handle);
      throw janusError(err);
    }
  }

  async startSubscription(room: string, subscriber: string, answer: string): Promise<void> {
    const entry = await this.entryOf(room);
    const sub = entry.subscribers.get(subscriber);
    if (!sub) throw new AppError(ErrorCode.INVALID_STATE, 'No subscription offer to answer: send webrtc:subscribe');
    await this.timed(sub.handle.start({ jsep: { type: 'answer', sdp: answer } }), 'start').catch((err) => {
      throw janusError(err);
    });
  }

  async unsubscribe(room: string, subscriber: string): Promise<void> {
    const entry = this.rooms.get(room);
    const sub = entry?.subscribers.get(subscriber);
    if (!entry || !sub) return;
    entry.subscribers.delete(subscriber);
    await this.detachQuietly(sub.handle);
  }

  private mapStreams(entry: RoomEntry, streams: VideoRoomStream[]): SfuStream[] {
    return streams.map((s) => {
      const feed = s.feed_id ? (entry.feedToPublisher.get(s.feed_id) ?? '') : '';
      return { mid: String(s.mid), feed, kind: s.type, active: s.active !== false && feed !== '' };
    });
  }

  // --- both ----------------------------------------------------------------------------

  async trickle(room: string, endpoint: SfuEndpoint, candidate: SfuCandidate | null): Promise<void> {
    const handle = (await this.endpointOf(room, endpoint)).handle;
    await this.timed(candidate ? handle.trickle(candidate) : handle.trickleComplete(), 'trickle');
  }

  async configure(room: string, endpoint: SfuEndpoint, opts: SfuLayers & { bitrateKbps?: number }): Promise<void> {
    const rec = await this.endpointOf(room, endpoint);
    if ('publisher' in endpoint) {
      if (opts.bitrateKbps === undefined) return;
      await this.timed(rec.handle.configure({ bitrate: Math.round(opts.bitrateKbps * 1000) }), 'configure');
      return;
    }
    const sub = rec as Subscriber;
    const mids = sub.streams.filter((s) => s.type === 'video' && s.active !== false).map((s) => String(s.mid));
    if (mids.length === 0) return;
    const streams = mids.map((mid) => ({
      mid,
      ...(opts.substream !== undefined ? { substream: opts.substream } : {}),
      ...(opts.temporal !== undefined ? { temporal: opts.temporal } : {}),
    }));
    await this.timed(sub.handle.configure({ streams }), 'configure').catch((err) => {
      throw janusError(err);
    });
  }

  private async endpointOf(room: string, endpoint: SfuEndpoint): Promise<Publisher | Subscriber> {
    const entry = await this.entryOf(room);
    const rec =
      'publisher' in endpoint ? entry.publishers.get(endpoint.publisher) : entry.subscribers.get(endpoint.subscriber);
    if (!rec) {
      throw new AppError(
        ErrorCode.INVALID_STATE,
        'publisher' in endpoint
          ? 'Not publishing: send webrtc:publish first'
          : 'Not subscribed: send webrtc:subscribe first',
      );
    }
    return rec;
  }

  // --- plumbing ------------------------------------------------------------------------

  /** Every Janus request ends: with its answer or, after the timeout, UNAVAILABLE. */
  timed<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`${what} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private async detachQuietly(handle: VideoRoomHandle): Promise<void> {
    await this.timed(handle.detach(), 'detach').catch(() => undefined);
  }
}

/** Janus VideoRoom errors ("437 Invalid SDP", …) → our error codes. */
function janusError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { _code?: number; message?: string };
  const message = e?.message ?? String(err);
  switch (e?._code) {
    case 428:
      return new AppError(ErrorCode.NOT_FOUND, `SFU: ${message}`);
    case 429:
    case 430:
    case 431:
    case 437:
      return new AppError(ErrorCode.VALIDATION, `SFU refused the description: ${message}`);
    case 432:
      return new AppError(ErrorCode.CAPACITY, 'SFU room is full');
    default:
      return new AppError(ErrorCode.SFU_UNAVAILABLE, `SFU error: ${message}`);
  }
}
