/**
 * `multihost`: a co-hosting session. The room is the one authority for who is on stage
 * (seats never exceed maxHosts: every accept/approve is decided here, one at a time),
 * roles, per-host audio/video, the layout and its tiles, and the mesh/SFU topology.
 * Hosts and viewers join the same room; the server decides who is a host.
 * Created by POST /api/multihost; the REST calls reach it through callRoom.
 */
import type { Client, Delayed } from '@colyseus/core';
import { z } from 'zod';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import { LayoutBody, MhEvents, MhMessages, type SettingsBody } from '../domain/multihost/protocol';
import {
  type Action,
  can,
  canChangeOthersMedia,
  canKick,
  computeLayout,
  type Layout,
  type Role,
  topologyFor,
} from '../domain/multihost/rules';
import { AppError, conflict, ErrorCode, forbidden, invalidState, notFound } from '../errors';
import { RtcEvents } from '../rtc/protocol';
import { SfuMedia } from '../rtc/SfuMedia';
import { SignalingRelay } from '../rtc/SignalingRelay';
import { MhHost, MultiHostState } from '../state/MultiHostState';
import { type HostRecord, multiHostStore, type SessionRow } from '../stores/multiHostStore';
import { HostRoom } from './HostRoom';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, handle, reportViewers, userOf } from './roomKit';
import { safely } from './safely';

/** A pending invitation (invitee → who invited) or join request (requester), with its expiry timer. */
interface Pending {
  by: string;
  username: string;
  expiresAt: number;
  timer: Delayed;
}

interface Stint {
  role: Role;
  joinedAt: number;
  leftAt: number | null;
  seconds: number;
  onStageSince: number | null;
}

export class MultiHostRoom extends HostRoom<MultiHostState> {
  static override onAuth = authenticate;
  override state = new MultiHostState();
  override autoDispose = false;

  private session!: SessionRow;
  private invites = new Map<string, Pending>(); // by invitee
  private requests = new Map<string, Pending>(); // by requester
  private stints = new Map<string, Stint>();
  private primaryGone?: Delayed;
  private ended = false;
  private endReason?: string;
  /** The session row says how it ended (else onDispose, or the next start's recovery, records it). */
  private persisted = false;

  // --- lifecycle ------------------------------------------------------------------

  override async onCreate(options: { sessionId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    const session = await multiHostStore().get(String(options?.sessionId ?? ''));
    if (session?.status !== 'scheduled') throw notFound('Session');
    if (!(await multiHostStore().claimRoom(session.id, this.roomId))) throw conflict('This session already has a room');
    this.session = session;
    await this.setMetadata({
      sessionId: session.id,
      title: session.title,
      status: 'scheduled',
      host: session.primaryHostName,
      viewerCount: 0,
    });
    this.state.assign({
      sessionId: session.id,
      title: session.title,
      type: session.type,
      layout: session.layout,
      maxHosts: session.maxHosts,
    });
    this.seat(session.primaryHost, session.primaryHostName, 'primary');
    // Invitations and requests are persisted: a room that comes back picks them up (or expires them).
    for (const i of await multiHostStore().pendingInvitations(session.id)) {
      this.track(i.kind, i.userId, { by: i.byUser, username: i.username, expiresAt: i.expiresAt });
    }

    this.relay = new SignalingRelay({
      room: this,
      canSignal: (client) => this.state.hosts.has(userOf(client).id),
      topology: () => this.state.topology as 'mesh' | 'sfu',
      describe: () => ({ layout: this.state.layout, hosts: this.hostList(), ...this.media.describe() }),
      peerState: this.state.peers,
      onTier: (client, tier) => this.media.tierChanged(client, tier),
    });
    this.relay.register();
    // Every host (1-9) publishes to the SFU; viewers always watch through it.
    this.media = new SfuMedia({
      room: this,
      canPublish: (id) => this.state.hosts.has(id) && !this.ended,
      feeds: this.state.feeds,
      maxPublishers: session.maxHosts + 1,
    });
    this.media.register();
    handle(
      this,
      MhMessages.startMedia,
      z.object({}).passthrough(),
      (client) => {
        const user = userOf(client);
        if (!this.state.hosts.has(user.id)) throw forbidden('Only hosts on stage exchange media');
        client.send(MhMessages.mediaReady, {
          sessionId: this.session.id,
          hosts: this.hostList(),
          ...this.relay.setupFor(user.id),
        });
      },
      { errorEvent: RtcEvents.error },
    );
    handle(this, MhMessages.changeLayout, LayoutBody, (client, m) => this.changeLayout(userOf(client).id, m));
    // A session nobody starts within an hour is closed.
    this.clock.setTimeout(() => {
      if (this.state.status === 'scheduled') safely(this, 'end never-started session', () => this.end('never-started'));
    }, 3_600_000);
  }

  override onJoin(client: Client): void {
    const host = this.state.hosts.get(userOf(client).id);
    if (host) {
      host.connected = true;
      if (host.role === 'primary') {
        this.primaryGone?.clear();
        this.primaryGone = undefined;
      }
    }
    this.countViewers();
  }

  override async onDrop(client: Client): Promise<void> {
    const host = this.state.hosts.get(userOf(client).id);
    if (host && !this.otherClientOf(host.userId, client)) host.connected = false;
    this.countViewers();
    this.relay.dropClient(client);
    const grace = Math.ceil(ctx().config.MULTIHOST_RECONNECT_GRACE_MS / 1000);
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
    const user = userOf(client);
    const host = this.state.hosts.get(user.id);
    if (!host || this.otherClientOf(user.id, client)) return;
    host.connected = false;
    if (host.role === 'primary' && !this.ended) {
      // The session lives on for the grace window; the primary host's return keeps it.
      this.primaryGone ??= this.clock.setTimeout(
        () => safely(this, 'end after primary left', () => this.end('primary-left')),
        ctx().config.MULTIHOST_RECONNECT_GRACE_MS,
      );
    }
  }

  override async onDispose(): Promise<void> {
    if (!this.session) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    if (this.persisted) return;
    try {
      await this.persist(this.ended ? 'ended' : 'interrupted', this.endReason ?? 'interrupted');
    } catch (err) {
      ctx().logger.error(
        { err, sessionId: this.session.id },
        'multi-host session not recorded; the next start closes it',
      );
    }
  }

  // --- REST through callRoom ----------------------------------------------------------

  rpcStart(userId: string) {
    return exposed(async () => {
      this.require(userId, 'start');
      if (this.state.status !== 'scheduled') throw invalidState(`Session is ${this.state.status}`);
      this.state.status = 'live';
      await multiHostStore().markLive(this.session.id);
      await this.media.goLive();
      this.setMetadata({ ...this.metadata, status: 'live' }).catch((err: unknown) =>
        ctx().logger.warn({ err, sessionId: this.session.id }, 'room metadata not updated'),
      );
      this.broadcast(MhEvents.started, { sessionId: this.session.id });
      return this.summary();
    });
  }

  rpcInvite(actorId: string, target: AuthUser) {
    return exposed(async () => {
      this.requireOpen();
      this.require(actorId, 'invite');
      if (this.state.hosts.has(target.id)) throw new AppError(ErrorCode.CONFLICT, 'User is already a host');
      this.requireSeat();
      const expiresAt = Date.now() + ctx().config.MULTIHOST_INVITE_TIMEOUT_MS;
      await multiHostStore().openInvitation({
        sessionId: this.session.id,
        userId: target.id,
        kind: 'invite',
        byUser: actorId,
        username: target.username,
        expiresAt,
      });
      this.track('invite', target.id, { by: actorId, username: target.username, expiresAt });
      const inviter = this.state.hosts.get(actorId)!;
      await ctx().notifier.notify(target.id, MhEvents.invited, {
        sessionId: this.session.id,
        roomId: this.roomId,
        title: this.session.title,
        from: { id: actorId, username: inviter.username },
        expiresAt,
      });
      return { sessionId: this.session.id, invited: target.id, expiresAt };
    });
  }

  rpcAccept(user: AuthUser) {
    return exposed(async () => {
      this.requireOpen();
      if (this.state.hosts.has(user.id)) throw new AppError(ErrorCode.CONFLICT, 'Already a host');
      if (!this.invites.has(user.id)) throw forbidden('No invitation to accept (or it expired)');
      this.requireSeat();
      this.untrack('invite', user.id);
      this.seat(user.id, user.username, 'co-host');
      await multiHostStore().closeInvitation(this.session.id, user.id, 'invite', 'accepted');
      return this.summary();
    });
  }

  rpcRequest(user: AuthUser) {
    return exposed(async () => {
      this.requireOpen();
      if (this.state.hosts.has(user.id)) throw new AppError(ErrorCode.CONFLICT, 'Already a host');
      if (this.requests.has(user.id)) throw new AppError(ErrorCode.CONFLICT, 'Request already pending');
      const expiresAt = Date.now() + ctx().config.MULTIHOST_INVITE_TIMEOUT_MS;
      await multiHostStore().openInvitation({
        sessionId: this.session.id,
        userId: user.id,
        kind: 'request',
        byUser: user.id,
        username: user.username,
        expiresAt,
      });
      this.track('request', user.id, { by: user.id, username: user.username, expiresAt });
      const payload = {
        sessionId: this.session.id,
        roomId: this.roomId,
        user: { id: user.id, username: user.username },
        expiresAt,
      };
      for (const host of this.state.hosts.values()) {
        if (!can(host.role as Role, 'approve')) continue;
        await ctx().notifier.notify(host.userId, MhEvents.joinRequest, payload);
        for (const c of this.clients) if (userOf(c).id === host.userId) c.send(MhEvents.joinRequest, payload);
      }
      return { sessionId: this.session.id, requested: true, expiresAt };
    });
  }

  rpcApprove(actorId: string, targetId: string) {
    return exposed(async () => {
      this.requireOpen();
      this.require(actorId, 'approve');
      const request = this.requests.get(targetId);
      if (!request) throw notFound('Join request (or it expired)');
      this.requireSeat();
      this.untrack('request', targetId);
      this.seat(targetId, request.username, 'guest');
      await multiHostStore().closeInvitation(this.session.id, targetId, 'request', 'accepted');
      await ctx().notifier.notify(targetId, MhEvents.approved, { sessionId: this.session.id, roomId: this.roomId });
      return this.summary();
    });
  }

  /** A host removes another (by role) or leaves the stage themselves. */
  rpcRemove(actorId: string, targetId: string) {
    return exposed(() => {
      const target = this.state.hosts.get(targetId);
      if (!target) throw notFound('Host');
      if (actorId !== targetId) {
        const actor = this.roleOf(actorId);
        if (!canKick(actor, target.role as Role)) throw forbidden('Your role cannot remove this host');
      } else if (target.role === 'primary') {
        throw invalidState('The primary host ends the session instead of leaving the stage');
      }
      this.unseat(targetId, actorId === targetId ? 'left' : 'removed');
      return this.summary();
    });
  }

  rpcSettings(actorId: string, body: SettingsBody) {
    return exposed(() => {
      this.requireOpen();
      const targetId = body.userId ?? actorId;
      const target = this.state.hosts.get(targetId);
      if (!target) throw notFound('Host');
      const actor = this.roleOf(actorId);
      if (!actor) throw forbidden('Only hosts change settings');
      if (body.role !== undefined) {
        if (!can(actor, 'set-role')) throw forbidden('Only the primary host assigns roles');
        if (target.role === 'primary') throw forbidden('The primary host keeps its role');
      }
      if ((body.audio !== undefined || body.video !== undefined) && targetId !== actorId) {
        if (!canChangeOthersMedia(actor, target.role as Role))
          throw forbidden("Your role cannot change this host's audio or video");
      }
      if (body.role !== undefined) target.role = body.role;
      for (const kind of ['audio', 'video'] as const) {
        if (body[kind] === undefined) continue;
        target[kind] = body[kind];
        this.relay.forceTrack(targetId, kind, body[kind]);
      }
      const payload = {
        sessionId: this.session.id,
        userId: targetId,
        audio: target.audio,
        video: target.video,
        role: target.role,
        by: actorId,
      };
      this.broadcast(MhEvents.settings, payload);
      return payload;
    });
  }

  rpcLayout(actorId: string, body: LayoutBody) {
    return exposed(() => this.changeLayout(actorId, body));
  }

  rpcEnd(actorId: string) {
    return exposed(async () => {
      this.require(actorId, 'end');
      if (this.ended) throw invalidState('Session already ended');
      await this.end('ended-by-host');
      return { sessionId: this.session.id, status: 'ended' };
    });
  }

  rpcSnapshot() {
    return exposed(() => this.summary());
  }

  rtcSetup(userId: string) {
    return exposed(() => {
      if (!this.state.hosts.has(userId)) throw forbidden('Only hosts on stage exchange media');
      return {
        roomId: this.roomId,
        sessionId: this.session.id,
        hosts: this.hostList(),
        ...this.relay.setupFor(userId),
      };
    });
  }

  // --- stream host (filters) ----------------------------------------------------------

  isHost(userId: string): boolean {
    return this.state.hosts.has(userId);
  }

  // --- rules applied to state ------------------------------------------------------------

  private changeLayout(actorId: string, body: LayoutBody) {
    this.requireOpen();
    this.require(actorId, 'layout');
    if (body.focusUserId && !this.state.hosts.has(body.focusUserId))
      throw new AppError(ErrorCode.VALIDATION, 'focusUserId: not a host');
    this.state.layout = body.layout;
    this.state.focusUserId = body.focusUserId ?? '';
    multiHostStore()
      .setLayout(this.session.id, body.layout)
      .catch((err) => ctx().logger.error({ err, sessionId: this.session.id }, 'layout not recorded'));
    const tiles = this.relayout();
    const payload = { sessionId: this.session.id, layout: body.layout, focusUserId: body.focusUserId ?? null, tiles };
    this.broadcast(MhEvents.layoutChanged, payload);
    this.broadcast(MhMessages.layoutChanged, payload);
    return payload;
  }

  private seat(userId: string, username: string, role: Role): void {
    const host = new MhHost().assign({
      userId,
      username,
      role,
      joinedAt: Date.now(),
      connected: this.clients.some((c) => userOf(c).id === userId),
    });
    this.state.hosts.set(userId, host);
    const prior = this.stints.get(userId);
    this.stints.set(userId, {
      role,
      joinedAt: prior?.joinedAt ?? Date.now(),
      leftAt: null,
      seconds: prior?.seconds ?? 0,
      onStageSince: Date.now(),
    });
    this.afterHostsChanged();
    this.countViewers();
    this.broadcast(MhEvents.joined, {
      sessionId: this.session.id,
      userId,
      username,
      role,
      topology: this.state.topology,
    });
  }

  private unseat(userId: string, reason: 'left' | 'removed'): void {
    const host = this.state.hosts.get(userId);
    if (!host) return;
    this.state.hosts.delete(userId);
    const stint = this.stints.get(userId);
    if (stint?.onStageSince) {
      stint.seconds += Math.round((Date.now() - stint.onStageSince) / 1000);
      stint.onStageSince = null;
      stint.leftAt = Date.now();
      stint.role = host.role as Role;
    }
    this.relay.removeUser(userId);
    void this.media.removePublisher(userId);
    this.afterHostsChanged();
    this.countViewers();
    this.broadcast(MhEvents.left, { sessionId: this.session.id, userId, reason });
  }

  private afterHostsChanged(): void {
    this.state.topology = topologyFor(this.state.hosts.size);
    if (this.state.focusUserId && !this.state.hosts.has(this.state.focusUserId)) this.state.focusUserId = '';
    this.relayout();
  }

  private relayout() {
    const ids = [...this.state.hosts.values()].sort((a, b) => a.joinedAt - b.joinedAt).map((h) => h.userId);
    const tiles = computeLayout(this.state.layout as Layout, ids, this.state.focusUserId || undefined);
    for (const [id, t] of Object.entries(tiles)) this.state.hosts.get(id)?.tile.assign(t);
    return tiles;
  }

  /** Keeps a pending invitation/request in memory with its expiry timer (already expired: expires now). */
  private track(kind: 'invite' | 'request', userId: string, p: Omit<Pending, 'timer'>): void {
    const map = kind === 'invite' ? this.invites : this.requests;
    map.get(userId)?.timer.clear();
    const timer = this.clock.setTimeout(
      () => safely(this, `expire ${kind}`, () => this.expireInvitation(kind, userId)),
      Math.max(0, p.expiresAt - Date.now()),
    );
    map.set(userId, { ...p, timer });
    this.state.pendingRequests = this.requests.size;
  }

  private untrack(kind: 'invite' | 'request', userId: string): Pending | undefined {
    const map = kind === 'invite' ? this.invites : this.requests;
    const p = map.get(userId);
    p?.timer.clear();
    map.delete(userId);
    this.state.pendingRequests = this.requests.size;
    return p;
  }

  /** Nobody answered in time: closed in the database, and the invitee/requester is told. */
  private async expireInvitation(kind: 'invite' | 'request', userId: string): Promise<void> {
    if (!this.untrack(kind, userId)) return;
    try {
      // Already closed elsewhere (a restart's recovery): that side told the user.
      if (!(await multiHostStore().closeInvitation(this.session.id, userId, kind, 'expired'))) return;
      await ctx().notifier.notify(userId, MhEvents.invitationExpired, {
        sessionId: this.session.id,
        roomId: this.roomId,
        kind,
        reason: 'expired',
      });
    } catch (err) {
      ctx().logger.error({ err, sessionId: this.session.id, userId, kind }, 'invitation expiry not recorded');
    }
  }

  private async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const p of [...this.invites.values(), ...this.requests.values()]) p.timer.clear();
    this.endReason = reason;
    this.state.status = 'ended';
    try {
      await this.persist('ended', reason);
      this.persisted = true;
    } catch (err) {
      // The session still ends for everyone; onDispose tries the write again.
      ctx().logger.error({ err, sessionId: this.session.id }, 'multi-host session end not recorded yet');
    }
    this.broadcast(MhEvents.ended, { sessionId: this.session.id, reason });
    this.clock.setTimeout(() => void this.disconnect(), 500);
  }

  private async persist(status: 'ended' | 'interrupted', reason: string): Promise<void> {
    const now = Date.now();
    const hosts: HostRecord[] = [...this.stints.entries()].map(([userId, s]) => ({
      userId,
      role: this.state.hosts.get(userId)?.role ?? s.role,
      joinedAt: s.joinedAt,
      leftAt: s.leftAt ?? now,
      secondsOnStage: s.seconds + (s.onStageSince ? Math.round((now - s.onStageSince) / 1000) : 0),
    }));
    await multiHostStore().finish(this.session.id, { status, reason, peakViewers: this.state.peakViewers, hosts });
  }

  // --- helpers --------------------------------------------------------------------------

  private roleOf(userId: string): Role | undefined {
    return this.state.hosts.get(userId)?.role as Role | undefined;
  }

  private require(userId: string, action: Action): void {
    if (!can(this.roleOf(userId), action))
      throw forbidden(`Your role cannot ${action.replace('-', ' ')} in this session`);
  }

  private requireOpen(): void {
    if (this.ended || this.state.status === 'ended') throw invalidState('Session has ended');
  }

  private requireSeat(): void {
    if (this.state.hosts.size >= this.state.maxHosts) {
      throw new AppError(ErrorCode.CAPACITY, `Session is full (${this.state.maxHosts} hosts)`);
    }
  }

  private hostList() {
    return [...this.state.hosts.values()].map((h) => ({
      userId: h.userId,
      username: h.username,
      role: h.role,
      audio: h.audio,
      video: h.video,
      connected: h.connected,
    }));
  }

  private summary() {
    return {
      sessionId: this.session.id,
      roomId: this.roomId,
      title: this.state.title,
      type: this.state.type,
      status: this.state.status,
      layout: this.state.layout,
      topology: this.state.topology,
      maxHosts: this.state.maxHosts,
      hosts: this.hostList(),
      viewerCount: this.state.viewerCount,
      pendingRequests: this.state.pendingRequests,
    };
  }

  private otherClientOf(userId: string, except: Client): boolean {
    return this.clients.some((c) => c !== except && userOf(c).id === userId);
  }

  private countViewers(): void {
    this.state.viewerCount = this.clients.filter((c) => !this.state.hosts.has(userOf(c).id)).length;
    this.state.peakViewers = Math.max(this.state.peakViewers, this.state.viewerCount);
    reportViewers(this, this.state.viewerCount);
  }
}
