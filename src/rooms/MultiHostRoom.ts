/**
 * `multihost`: a co-hosting session, and the adapter of its model (src/domain/multihost/session.ts,
 * which decides seats, roles, invitations, layout, topology and the lifecycle). The room id is the
 * session id. Messages and REST calls become model commands, run one at a time against the model;
 * the new model is synced into the schema state and its effects carried out (./multihost/sessionEffects.ts).
 * Hosts and viewers join the same room; the server decides who is a host.
 */
import type { Client } from '@colyseus/core';
import { ctx } from '../context';
import { LayoutBody, MhMessages, StartMediaBody } from '../domain/multihost/protocol';
import { type Command, decide, openSession, type Session } from '../domain/multihost/session';
import { orThrow } from '../domain/result';
import { conflict, forbidden, notFound } from '../errors';
import { RtcEvents } from '../rtc/protocol';
import { MultiHostState } from '../state/MultiHostState';
import { multiHostStore } from '../stores/multiHostStore';
import { HostRoom } from './HostRoom';
import { SessionEffects } from './multihost/sessionEffects';
import { sessionInit, sessionMedia } from './multihost/sessionSetup';
import {
  answerTo,
  type CallCommand,
  countViewers,
  hasOtherClient,
  hostList,
  summary,
  syncState,
} from './multihost/sessionState';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages, userOf } from './roomKit';

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
      return this.run({ type: 'layout', actor: userOf(client).id, ...m });
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
    const pending = await multiHostStore().pendingInvitations(row.id);
    const now = Date.now();
    const opened = openSession(sessionInit(row, pending, ctx().config), now);
    this.session = opened.state;
    await this.setMetadata({
      sessionId: row.id,
      title: row.title,
      status: 'scheduled',
      host: row.primaryHostName,
      viewerCount: 0,
    });
    this.state.assign({ sessionId: row.id, title: row.title, type: row.type, maxHosts: row.maxHosts });
    const { relay, media } = sessionMedia({
      room: this,
      state: this.state,
      isHost: (id) => this.isHost(id),
      isOpen: () => this.session.status !== 'ended',
      maxHosts: row.maxHosts,
    });
    this.relay = relay;
    this.media = media;
    this.sync();
    await this.effects.apply(opened.effects, now);
  }

  override onJoin(client: Client): void {
    this.setOnline(client, true);
  }

  override async onDrop(client: Client): Promise<void> {
    const host = this.state.hosts.get(userOf(client).id);
    if (host && !hasOtherClient(this, host.userId, client)) host.connected = false;
    countViewers(this, this.state);
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
    // The session lives on for the grace window; the primary host's return keeps it.
    if (!hasOtherClient(this, userOf(client).id, client)) this.setOnline(client, false);
    else countViewers(this, this.state);
  }

  override async onDispose(): Promise<void> {
    if (!this.session) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    await this.effects.settle(Date.now());
  }

  // --- REST through roomCaller ---------------------------------------------------------------

  /** Every change a route asks for: a model command; answered as `answerTo` says (src/rooms/multihost/sessionState.ts). */
  rpcCommand(command: CallCommand) {
    return exposed(async () => answerTo(command, await this.run(command), this.state, this.roomId));
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
    if (state !== this.session) {
      this.session = state;
      this.sync();
    }
    await this.effects.apply(effects, now);
    return state;
  }

  /** A user's first client joined, or last client left. Nobody awaits it: a failure is logged. */
  private setOnline(client: Client, online: boolean): void {
    const userId = userOf(client).id;
    const host = this.state.hosts.get(userId);
    if (host) host.connected = online;
    countViewers(this, this.state);
    this.run({ type: 'presence', userId, online }).catch((err: unknown) =>
      ctx().logger.error({ err, roomId: this.roomId }, 'multi-host presence not applied'),
    );
  }

  private mediaSetup(userId: string) {
    if (!this.isHost(userId)) throw forbidden('Only hosts on stage exchange media');
    return { sessionId: this.session.id, hosts: hostList(this.state), ...this.relay.setupFor(userId) };
  }

  private sync(): void {
    syncState(this.state, this.session, (id) => this.clients.some((c) => userOf(c).id === id));
    countViewers(this, this.state);
  }
}
