/**
 * `pk_battle`: one battle between two hosts, watched by any number of viewers; the room id is the
 * battle id. An adapter: messages, room calls and connection changes become commands for the battle
 * model (src/domain/pk/battle.ts), whose decisions are projected onto the schema state
 * (src/rooms/pk/view.ts) and whose effects are performed by src/rooms/pk/effects.ts. Every gift is
 * committed (debit, gift row, host credit) before it scores (src/domain/pk/scoring.ts).
 * Created by POST /api/pk-battles; HTTP accept/decline/cancel/gift reach it via src/rooms/pk/caller.ts.
 */
import type { Client } from '@colyseus/core';
import { z } from 'zod';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import * as pk from '../domain/pk/battle';
import { GiftBody, type GiftAck, PkEvents, PkMessages } from '../domain/pk/protocol';
import { orThrow } from '../domain/result';
import { conflict, forbidden, notFound } from '../errors';
import { RtcEvents } from '../rtc/protocol';
import { SfuMedia } from '../rtc/SfuMedia';
import { SignalingRelay } from '../rtc/SignalingRelay';
import { PkBattleState } from '../state/PkBattleState';
import { type GiftRecord, pkStore } from '../stores/pkStore';
import { parse } from '../validation';
import { HostRoom } from './HostRoom';
import { BattleEffects } from './pk/effects';
import { battleSettings, listingOf, openingOf } from './pk/opening';
import { project } from './pk/view';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import {
  applyRoomDefaults,
  authenticate,
  messageTable,
  on,
  type RoomMessages,
  reportViewers,
  setListing,
  userOf,
} from './roomKit';
import { safely } from './safely';

/** Drives the room clock (timers) and announces any gift left pending; gifts go out right after their commit. */
const GIFT_FLUSH_MS = 100;
/**
 * State patch interval (docs/protocol.md states it; a test checks). Measured (loadtest/README.md): a patch to
 * 1,000 viewers costs as much as a gift event, whose scores already went out; top gifters can wait 500 ms.
 */
export const PATCH_MS = 500;

export class PkBattleRoom extends HostRoom<PkBattleState> {
  static override onAuth = authenticate;
  override state = new PkBattleState();
  /** The room lives while the invitation is pending even with nobody in it; it disposes itself. */
  override autoDispose = false;
  /** The battle as the model holds it (the schema state is its projection). */
  battle!: pk.Battle;
  private readonly fx = new BattleEffects(this);

  override messages: RoomMessages<PkBattleRoom> = messageTable<PkBattleRoom>({
    [PkMessages.gift]: on(GiftBody, async function (client, m) {
      client.send(PkEvents.giftAccepted, await this.gift(userOf(client), m));
    }),
    [PkMessages.startMedia]: on(
      z.object({}).passthrough(),
      function (client) {
        client.send(PkMessages.mediaReady, { battleId: this.battle.id, ...this.mediaSetup(userOf(client).id) });
      },
      { errorEvent: RtcEvents.error },
    ),
  });

  // --- lifecycle ------------------------------------------------------------------

  override async onCreate(options: { battleId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    const row = await pkStore().getBattle(String(options?.battleId ?? ''));
    if (row?.status !== 'pending') throw notFound('Battle');
    this.roomId = row.id; // one way to find a battle's room: its id
    if (!(await pkStore().claimRoom(row.id, this.roomId))) throw conflict('This battle already has a room');
    const now = Date.now();
    const opened = pk.openBattle(openingOf(row), await pkStore().listGifts(), battleSettings(ctx().config), now);
    this.battle = opened.state;
    project(this.battle, this.state);
    await this.setMetadata(listingOf(row));
    await this.fx.run(opened.effects, now);

    this.relay = new SignalingRelay({
      room: this,
      canSignal: (client) => this.isHost(userOf(client).id),
      topology: () => 'mesh',
      peerState: this.state.peers,
      describe: () => this.media.describe(),
      onTier: (client, tier) => this.media.tierChanged(client, tier),
    });
    this.relay.register();
    // The two hosts publish to the SFU (from the countdown on); viewers subscribe to both.
    this.media = new SfuMedia({ room: this, canPublish: (id) => this.isHost(id), feeds: this.state.feeds });
    this.media.register();
    // Ticks the room clock (without it the clock only ticks with patches) and catches any gift event left over.
    this.setSimulationInterval(() => this.fx.flushGifts(), GIFT_FLUSH_MS);
    // Scores travel in the gift events; the state (top gifters, viewer count) can patch less often.
    this.setPatchRate(PATCH_MS);
  }

  override onJoin(client: Client): void {
    this.connection(client, 'hostConnected');
  }

  override async onDrop(client: Client): Promise<void> {
    if (!this.otherClientOf(client)) this.connection(client, 'hostDropped');
    else this.countViewers();
    this.relay.dropClient(client);
    const grace = Math.ceil(ctx().config.PK_RECONNECT_GRACE_MS / 1000);
    if (pk.isOpen(this.battle) && grace > 0) await this.allowReconnection(client, grace);
  }

  override onReconnect(client: Client): void {
    this.relay.reconnectClient(client);
    this.onJoin(client);
  }

  override onLeave(client: Client): void {
    this.relay.removeClient(client);
    safely(this, 'media leave', () => this.media.onLeave(client));
    if (!this.otherClientOf(client)) this.connection(client, 'hostLeft');
    else this.countViewers();
  }

  override async onDispose(): Promise<void> {
    if (!this.battle) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    await this.fx.closeOut();
  }

  // --- commands: the one way into the battle ---------------------------------------

  /** Decides `command` as of now, projects the new battle onto the state, performs the effects. Refusals throw. */
  act(command: pk.Command): Promise<GiftRecord | undefined> {
    const now = Date.now();
    return this.fx.run(this.step(command, now), now);
  }

  private step(command: pk.Command, now: number): readonly pk.Effect[] {
    const { state, effects } = orThrow(pk.decide(this.battle, command, now));
    // The listing only feeds room lists: setListing logs a presence error, never rejects.
    if (state.status !== this.battle.status) void setListing(this, { status: state.status });
    this.battle = state;
    project(state, this.state);
    return effects;
  }

  /** A step failed for good: refuse gifts, show `failed`, close; onDispose records it as interrupted. */
  fail(err: unknown): void {
    ctx().logger.error({ err, battleId: this.battle.id }, 'pk battle failed; closing it as interrupted');
    safely(this, 'fail', () => this.act({ type: 'fail' }));
  }

  startMedia(): Promise<void> {
    return this.media.goLive();
  }

  /** The opponent accepts (held in the database first): countdown, then live until the server's end time. */
  rpcAccept(userId: string) {
    return this.answer({ type: 'accept', userId });
  }

  rpcDecline(userId: string) {
    return this.answer({ type: 'decline', userId });
  }

  rpcCancel(userId: string) {
    return this.answer({ type: 'cancel', userId });
  }

  /** A room call: the command, then the battle's summary (or the refusal). */
  private answer(command: pk.Command) {
    return exposed(async () => {
      await this.act(command);
      return this.summary();
    });
  }

  /** POST /api/pk-battles/:id/gift lands here, so HTTP and room gifts share one authority. */
  rpcGift(user: AuthUser, body: unknown) {
    return exposed(() => {
      orThrow(pk.giftsOpen(this.battle)); // a battle that is over says so before the body is judged
      return this.gift(user, parse(GiftBody, body));
    });
  }

  private async gift(sender: AuthUser, m: GiftBody): Promise<GiftAck> {
    const rec = await this.act({ type: 'gift', sender: { id: sender.id, username: sender.username }, gift: m });
    if (!rec) throw new Error('gift decided without a commit');
    const { requestId, giftId, count, coins, recipientId: to, balance, replayed } = rec;
    return { battleId: this.battle.id, requestId, giftId, count, coins, to, balance, replayed };
  }

  // --- stream host (filters) and media ----------------------------------------------

  isHost(userId: string): boolean {
    return pk.isHost(this.battle, userId);
  }

  /** GET /api/webrtc/battle/:id/setup */
  rtcSetup(userId: string) {
    return exposed(() => ({ roomId: this.roomId, battleId: this.battle.id, ...this.mediaSetup(userId) }));
  }

  private mediaSetup(userId: string) {
    if (!this.isHost(userId)) throw forbidden('Only the two hosts exchange media');
    return this.relay.setupFor(userId);
  }

  rpcSnapshot() {
    return exposed(() => this.summary());
  }

  private summary() {
    return pk.summary(this.battle, this.state.viewerCount);
  }

  /** A host's connection changed (viewers only change the count). */
  private connection(client: Client, type: 'hostConnected' | 'hostDropped' | 'hostLeft'): void {
    const userId = userOf(client).id;
    this.countViewers();
    if (this.isHost(userId)) safely(this, type, () => this.act({ type, userId }));
  }

  private otherClientOf(except: Client): boolean {
    const userId = userOf(except).id;
    return this.clients.some((c) => c !== except && userOf(c).id === userId);
  }

  private countViewers(): void {
    this.state.viewerCount = this.clients.filter((c) => !this.isHost(userOf(c).id)).length;
    reportViewers(this, this.state.viewerCount);
  }
}
