/**
 * `multihost`: a co-hosting session, and the adapter of its model (src/domain/multihost/session.ts,
 * which decides seats, roles, invitations, layout, topology and the lifecycle). The room id is the
 * session id. Messages and REST calls become model commands, run one at a time against the model;
 * the new model is synced into the schema state and its effects carried out (./multihost/sessionEffects.ts).
 * Hosts and viewers join the same room; the server decides who is a host.
 */
import type { Client } from '@colyseus/core';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import { LayoutBody, MhMessages, type SettingsBody, StartMediaBody } from '../domain/multihost/protocol';
import type { Layout } from '../domain/multihost/rules';
import {
  type Command,
  decide,
  layoutOf,
  openSession,
  type Pending,
  pendingOf,
  type Session,
  settingsOf,
} from '../domain/multihost/session';
import { orThrow } from '../domain/result';
import { conflict, forbidden, notFound } from '../errors';
import { RtcEvents } from '../rtc/protocol';
import { SfuMedia } from '../rtc/SfuMedia';
import { SignalingRelay } from '../rtc/SignalingRelay';
import { MultiHostState } from '../state/MultiHostState';
import { multiHostStore } from '../stores/multiHostStore';
import { HostRoom } from './HostRoom';
import { SessionEffects } from './multihost/sessionEffects';
import { hostList, summary, syncState } from './multihost/sessionState';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages, reportViewers, userOf } from './roomKit';

/** A session nobody starts within an hour is closed. */
const START_WITHIN_MS = 3_600_000;

export class MultiHostRoom extends HostRoom<MultiHostState> {
  static override onAuth = authenticate;
  override state = new MultiHostState();
  override autoDispose = false;

  private session!: Session;
  private readonly effects = new SessionEffects({
    room: this,
    relay: () => this.relay,
    media: () => this.media,
    session: () => this.session,
    peakViewers: () => this.state.peakViewers,
    run: (command) => this.run(command),
  });

  override messages: RoomMessages<MultiHostRoom> = messageTable<MultiHostRoom>({
    [MhMessages.startMedia]: on(
      StartMediaBody,
      function (client) {
        client.send(MhMessages.mediaReady, this.mediaSetup(userOf(client).id));
      },
      { errorEvent: RtcEvents.error },
    ),
    [MhMessages.changeLayout]: on(LayoutBody, function (client, m) {
      return this.changeLayout(userOf(client).id, m);
    }),
  });

  // --- lifecycle ------------------------------------------------------------------------

  override async onCreate(options: { sessionId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    const row = await multiHostStore().get(String(options?.sessionId ?? ''));
    if (row?.status !== 'scheduled') throw notFound('Session');
    this.roomId = row.id; // one way to find a session's room: its id
    if (!(await multiHostStore().claimRoom(row.id, this.roomId))) throw conflict('This session already has a room');
    // Invitations and requests are persisted: a room that comes back picks them up (or expires them).
    const pending = (await multiHostStore().pendingInvitations(row.id)).map(
      (i): Pending => ({ kind: i.kind, userId: i.userId, username: i.username, by: i.byUser, expiresAt: i.expiresAt }),
    );
    const { MULTIHOST_INVITE_TIMEOUT_MS, MULTIHOST_RECONNECT_GRACE_MS } = ctx().config;
    const now = Date.now();
    const opened = openSession(
      {
        id: row.id,
        title: row.title,
        maxHosts: row.maxHosts,
        layout: row.layout as Layout,
        primary: { id: row.primaryHost, username: row.primaryHostName },
        limits: {
          inviteTtlMs: MULTIHOST_INVITE_TIMEOUT_MS,
          reconnectGraceMs: MULTIHOST_RECONNECT_GRACE_MS,
          startWithinMs: START_WITHIN_MS,
        },
        pending,
      },
      now,
    );
    this.session = opened.state;
    await this.setMetadata({
      sessionId: row.id,
      title: row.title,
      status: 'scheduled',
      host: row.primaryHostName,
      viewerCount: 0,
    });
    this.state.assign({ sessionId: row.id, title: row.title, type: row.type, maxHosts: row.maxHosts });
    this.relay = new SignalingRelay({
      room: this,
      canSignal: (client) => this.isHost(userOf(client).id),
      topology: () => this.state.topology as 'mesh' | 'sfu',
      describe: () => ({ layout: this.state.layout, hosts: hostList(this.state), ...this.media.describe() }),
      peerState: this.state.peers,
      onTier: (client, tier) => this.media.tierChanged(client, tier),
    });
    this.relay.register();
    // Every host (1-9) publishes to the SFU; viewers always watch through it.
    this.media = new SfuMedia({
      room: this,
      canPublish: (id) => this.isHost(id) && this.session.status !== 'ended',
      feeds: this.state.feeds,
      maxPublishers: row.maxHosts + 1,
    });
    this.media.register();
    this.sync();
    await this.effects.apply(opened.effects, now);
  }

  override onJoin(client: Client): void {
    const host = this.state.hosts.get(userOf(client).id);
    if (host) host.connected = true;
    this.countViewers();
    this.command({ type: 'presence', userId: userOf(client).id, online: true });
  }

  override async onDrop(client: Client): Promise<void> {
    const host = this.state.hosts.get(userOf(client).id);
    if (host && !this.otherClientOf(host.userId, client)) host.connected = false;
    this.countViewers();
    this.relay.dropClient(client);
    const grace = Math.ceil(ctx().config.MULTIHOST_RECONNECT_GRACE_MS / 1000);
    if (this.session.status !== 'ended' && grace > 0) await this.allowReconnection(client, grace);
  }

  override onReconnect(client: Client): void {
    this.relay.reconnectClient(client);
    this.onJoin(client);
  }

  override onLeave(client: Client): void {
    this.relay.removeClient(client);
    void this.media.onLeave(client);
    this.countViewers();
    const userId = userOf(client).id;
    if (this.otherClientOf(userId, client)) return;
    const host = this.state.hosts.get(userId);
    if (host) host.connected = false;
    // The session lives on for the grace window; the primary host's return keeps it.
    this.command({ type: 'presence', userId, online: false });
  }

  override async onDispose(): Promise<void> {
    if (!this.session) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    if (this.effects.persisted) return;
    try {
      const ended = this.session.status === 'ended';
      await this.effects.persist(ended ? 'ended' : 'interrupted', this.session.endReason ?? 'interrupted', Date.now());
    } catch (err) {
      ctx().logger.error(
        { err, sessionId: this.session.id },
        'multi-host session not recorded; the next start closes it',
      );
    }
  }

  // --- REST through roomCaller -------------------------------------------------------------

  rpcStart(userId: string) {
    return exposed(() => this.answer({ type: 'start', actor: userId }));
  }

  rpcInvite(actorId: string, target: AuthUser) {
    return exposed(async () => {
      const s = await this.run({
        type: 'invite',
        actor: actorId,
        target: { id: target.id, username: target.username },
      });
      return { sessionId: s.id, invited: target.id, expiresAt: pendingOf(s, 'invite', target.id)!.expiresAt };
    });
  }

  rpcAccept(user: AuthUser) {
    return exposed(() => this.answer({ type: 'accept', user: this.ref(user) }));
  }

  rpcDecline(userId: string) {
    return exposed(async () => {
      const s = await this.run({ type: 'decline', userId });
      return { sessionId: s.id, declined: true };
    });
  }

  rpcRequest(user: AuthUser) {
    return exposed(async () => {
      const s = await this.run({ type: 'request', user: this.ref(user) });
      return { sessionId: s.id, requested: true, expiresAt: pendingOf(s, 'request', user.id)!.expiresAt };
    });
  }

  rpcApprove(actorId: string, targetId: string) {
    return exposed(() => this.answer({ type: 'approve', actor: actorId, target: targetId }));
  }

  rpcDeny(actorId: string, targetId: string) {
    return exposed(async () => {
      const s = await this.run({ type: 'deny', actor: actorId, target: targetId });
      return { sessionId: s.id, denied: targetId };
    });
  }

  /** A host removes another (by role) or leaves the stage themselves. */
  rpcRemove(actorId: string, targetId: string) {
    return exposed(() => this.answer({ type: 'remove', actor: actorId, target: targetId }));
  }

  rpcSettings(actorId: string, body: SettingsBody) {
    return exposed(async () => {
      const { userId, ...change } = body;
      const target = userId ?? actorId;
      return settingsOf(await this.run({ type: 'settings', actor: actorId, target, change }), target, actorId);
    });
  }

  rpcLayout(actorId: string, body: LayoutBody) {
    return exposed(() => this.changeLayout(actorId, body));
  }

  rpcEnd(actorId: string) {
    return exposed(async () => {
      const s = await this.run({ type: 'end', actor: actorId });
      return { sessionId: s.id, status: 'ended' };
    });
  }

  rpcSnapshot() {
    return exposed(() => summary(this.state, this.roomId));
  }

  rtcSetup(userId: string) {
    return exposed(() => ({ roomId: this.roomId, ...this.mediaSetup(userId) }));
  }

  /** Stream host (filters): the hosts on stage. */
  isHost(userId: string): boolean {
    return this.state.hosts.has(userId);
  }

  // --- the model ---------------------------------------------------------------------------

  /**
   * Decides `command` against the model (a refusal throws its AppError), syncs the schema state,
   * then carries out the effects in order. Answers the new model.
   */
  private async run(command: Command): Promise<Session> {
    const now = Date.now();
    const { state, effects } = orThrow(decide(this.session, command, now));
    this.session = state;
    this.sync();
    await this.effects.apply(effects, now);
    return state;
  }

  /** For lifecycle hooks: nobody awaits them, so a failure is logged (safely in the effects' timers). */
  private command(command: Command): void {
    this.run(command).catch((err: unknown) =>
      ctx().logger.error({ err, roomId: this.roomId, command: command.type }, 'multi-host command failed'),
    );
  }

  private async changeLayout(actorId: string, body: LayoutBody) {
    return layoutOf(
      await this.run({ type: 'layout', actor: actorId, layout: body.layout, focusUserId: body.focusUserId }),
    );
  }

  private mediaSetup(userId: string) {
    if (!this.isHost(userId)) throw forbidden('Only hosts on stage exchange media');
    return { sessionId: this.session.id, hosts: hostList(this.state), ...this.relay.setupFor(userId) };
  }

  private sync(): void {
    syncState(this.state, this.session, (id) => this.clients.some((c) => userOf(c).id === id));
    this.countViewers();
  }

  /** Runs `command`; answers the session summary. */
  private async answer(command: Command) {
    await this.run(command);
    return summary(this.state, this.roomId);
  }

  private ref(user: AuthUser) {
    return { id: user.id, username: user.username };
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
