/**
 * `pk_battle`: one battle between two hosts, watched by any number of viewers.
 * The room is the authority for its phase, scores and top gifters; every gift is
 * committed to the database (debit, gift row, host credit) before it scores.
 * Created by POST /api/pk-battles; HTTP accept/decline/cancel/gift reach it via callRoom.
 */
import type { Client, Delayed } from '@colyseus/core';
import { z } from 'zod';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import { GiftBody, type GiftEvent, type GiftEventItem, PkEvents, PkMessages } from '../domain/pk/protocol';
import { type BattleActivity, type BattleStatus, type Contribution, topContributors } from '../domain/pk/rules';
import { badRequest, conflict, forbidden, invalidState, notFound } from '../errors';
import { PkGifter, type PkHost, PkBattleState } from '../state/PkBattleState';
import { type BattleRow, type FinishResult, type GiftRecord, type GiftRow, pkStore } from '../stores/pkStore';
import { giftCommitter } from '../pk/giftCommitter';
import { parse } from '../validation';
import { RtcEvents } from '../rtc/protocol';
import { SfuMedia } from '../rtc/SfuMedia';
import { SignalingRelay } from '../rtc/SignalingRelay';
import { HostRoom } from './HostRoom';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, handle, reportViewers, userOf } from './roomKit';
import { safely } from './safely';

/**
 * Gift events go out right after the commit that makes them real (see applyGift); this tick is only
 * the room clock's driver and a safety net for anything left pending.
 */
const GIFT_FLUSH_MS = 100;
/**
 * State patch interval (docs/protocol.md states it; a test checks). Measured (loadtest/README.md): a
 * patch to 1,000 viewers costs the server as much as a gift event, and the score it carries has already
 * gone out in the event; what only the patch carries (top gifters, viewer count) is fine twice a second.
 */
export const PATCH_MS = 500;
export interface GiftAck {
  battleId: string;
  requestId: string;
  giftId: string;
  count: number;
  coins: number;
  to: string;
  balance: number;
  replayed: boolean;
}

export class PkBattleRoom extends HostRoom<PkBattleState> {
  static override onAuth = authenticate;
  override state = new PkBattleState();
  /** The room lives while the invitation is pending even with nobody in it; it disposes itself. */
  override autoDispose = false;

  private battle!: BattleRow;
  private hosts!: readonly [string, string];
  private gifts = new Map<string, GiftRow>();
  private contributions = new Map<string, Map<string, Contribution>>();
  /** Gifts accepted but not yet committed: the end waits for them. */
  private inflight = new Set<Promise<GiftRecord>>();
  private pendingEvents: GiftEventItem[] = [];
  private flushQueued = false;
  private forfeitTimers = new Map<string, Delayed>();
  private droppedHosts = new Set<string>();
  private giftSeq = 0;
  /** Presence while live, for the reward rule: connected ms so far, and since when (if connected now). */
  private presentMs = new Map<string, number>();
  private connectedSince = new Map<string, number>();
  private liveSince = 0;
  private ending?: Promise<FinishResult | undefined>;
  /** A step failed (the database refused the end, say): no more gifts, close, record as interrupted. */
  private failed = false;
  /** `sender:requestId` of every gift already on the live score (a replay of one of them is not scored twice). */
  private scored = new Set<string>();
  private closing = false;

  // --- lifecycle ------------------------------------------------------------------

  override async onCreate(options: { battleId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    const battle = await pkStore().getBattle(String(options?.battleId ?? ''));
    if (battle?.status !== 'pending') throw notFound('Battle');
    if (!(await pkStore().claimRoom(battle.id, this.roomId))) throw conflict('This battle already has a room');
    this.battle = battle;
    this.hosts = [battle.hostA, battle.hostB];
    for (const g of await pkStore().listGifts()) this.gifts.set(g.id, g);
    for (const h of this.hosts) this.contributions.set(h, new Map());
    await this.setMetadata({
      battleId: battle.id,
      hostA: battle.hostA,
      hostB: battle.hostB,
      status: 'pending',
      title: `PK: ${battle.hostAName} vs ${battle.hostBName}`,
      host: `${battle.hostAName}, ${battle.hostBName}`,
      viewerCount: 0,
    });

    const s = this.state;
    s.battleId = battle.id;
    s.durationMinutes = battle.durationMinutes;
    s.hostA.id = battle.hostA;
    s.hostA.name = battle.hostAName;
    s.hostB.id = battle.hostB;
    s.hostB.name = battle.hostBName;
    s.inviteExpiresAt = Date.now() + ctx().config.PK_INVITE_TIMEOUT_MS;
    this.clock.setTimeout(
      () =>
        safely(
          this,
          'expire invitation',
          () => this.closeUnplayed('expired'),
          (err) => this.fail(err),
        ),
      ctx().config.PK_INVITE_TIMEOUT_MS,
    );

    handle(this, PkMessages.gift, GiftBody, async (client, m) => {
      client.send(PkEvents.giftAccepted, await this.gift(userOf(client), m));
    });
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
    handle(
      this,
      PkMessages.startMedia,
      z.object({}).passthrough(),
      (client) => {
        const user = userOf(client);
        if (!this.isHost(user.id)) throw forbidden('Only the two hosts exchange media');
        client.send(PkMessages.mediaReady, { battleId: this.battle.id, ...this.relay.setupFor(user.id) });
      },
      { errorEvent: RtcEvents.error },
    );
    // The simulation interval ticks the room clock on its own (without one, the clock only ticks with
    // patches); gift events go out after each commit (applyGift), this tick only catches anything left over.
    this.setSimulationInterval(() => this.flushGiftEvents(), GIFT_FLUSH_MS);
    // Scores travel in the gift events; the state (top gifters, viewer count) can patch less often.
    this.setPatchRate(PATCH_MS);
  }

  override onJoin(client: Client): void {
    const user = userOf(client);
    const host = this.hostState(user.id);
    if (host) {
      host.connected = true;
      this.markPresence(user.id, true);
      this.forfeitTimers.get(user.id)?.clear();
      this.forfeitTimers.delete(user.id);
      this.droppedHosts.delete(user.id);
    }
    this.countViewers();
  }

  override async onDrop(client: Client): Promise<void> {
    const user = userOf(client);
    const host = this.hostState(user.id);
    if (host && !this.otherClientOf(user.id, client)) {
      host.connected = false;
      this.markPresence(user.id, false);
      this.droppedHosts.add(user.id);
    }
    this.countViewers();
    this.relay.dropClient(client);
    const grace = Math.ceil(ctx().config.PK_RECONNECT_GRACE_MS / 1000);
    if (this.isOpen() && grace > 0) await this.allowReconnection(client, grace);
  }

  override onReconnect(client: Client): void {
    this.relay.reconnectClient(client);
    this.onJoin(client);
  }

  override onLeave(client: Client): void {
    this.relay.removeClient(client);
    void this.media.onLeave(client);
    const user = userOf(client);
    const host = this.hostState(user.id);
    this.countViewers();
    if (!host || this.otherClientOf(user.id, client)) return;
    host.connected = false;
    this.markPresence(user.id, false);
    if (this.state.status !== 'live' && this.state.status !== 'countdown') return;
    // A dropped host already had its grace window in allowReconnection; one who left on purpose gets it now.
    const wasDropped = this.droppedHosts.delete(user.id);
    if (wasDropped) void this.end(user.id);
    else {
      this.forfeitTimers.set(
        user.id,
        this.clock.setTimeout(() => void this.end(user.id), ctx().config.PK_RECONNECT_GRACE_MS),
      );
    }
    // (end() never rejects: its failures move the battle to the `failed` phase.)
  }

  override async onDispose(): Promise<void> {
    if (!this.battle) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    if (this.ending) await this.ending; // never rejects
    const status = this.state.status as BattleStatus;
    if (this.failed || status === 'pending' || status === 'countdown' || status === 'live') {
      // Shutdown, a failed step or a dead room: keep what was committed, pay no rewards, free the hosts.
      await this.drainGifts();
      try {
        await pkStore().interruptBattle(this.battle.id);
        ctx().logger.warn({ battleId: this.battle.id, status, failed: this.failed }, 'pk battle interrupted');
      } catch (err) {
        // The next start's recovery closes it (the room is gone by then).
        ctx().logger.error({ err, battleId: this.battle.id }, 'pk battle could not be recorded as interrupted');
      }
    }
  }

  // --- invitation -----------------------------------------------------------------

  /** The opponent accepts: countdown, then live until the server's end time. */
  rpcAccept(userId: string) {
    return exposed(async () => {
      if (userId !== this.battle.hostB) throw forbidden('Only the invited opponent can accept');
      if (this.state.status !== 'pending') throw invalidState(`Battle is ${this.state.status}`);
      // Holds the invitee in the database first: 409 if they started or joined another battle meanwhile.
      await pkStore().markCountdown(this.battle.id);
      if (this.state.status !== 'pending') throw invalidState(`Battle is ${this.state.status}`);
      this.setStatus('countdown', 'countdown');
      await this.media.goLive();
      const startsAt = Date.now() + ctx().config.PK_COUNTDOWN_MS;
      this.state.startsAt = startsAt;
      this.state.endsAt = startsAt + this.battle.durationMinutes * ctx().config.PK_MINUTE_MS;
      this.broadcast(PkEvents.accepted, { battleId: this.battle.id, startsAt, endsAt: this.state.endsAt });
      this.notifyHosts(PkEvents.accepted, { battleId: this.battle.id, roomId: this.roomId, startsAt });
      this.clock.setTimeout(
        () =>
          safely(
            this,
            'go live',
            () => this.goLive(),
            (err) => this.fail(err),
          ),
        ctx().config.PK_COUNTDOWN_MS,
      );
      return this.summary();
    });
  }

  rpcDecline(userId: string) {
    return exposed(async () => {
      if (userId !== this.battle.hostB) throw forbidden('Only the invited opponent can decline');
      if (this.state.status !== 'pending') throw invalidState(`Battle is ${this.state.status}`);
      await this.closeUnplayed('declined');
      return this.summary();
    });
  }

  rpcCancel(userId: string) {
    return exposed(async () => {
      if (userId !== this.battle.hostA) throw forbidden('Only the creator can cancel');
      if (this.state.status !== 'pending')
        throw invalidState(`Battle is ${this.state.status}; only a pending battle can be cancelled`);
      await this.closeUnplayed('cancelled');
      return this.summary();
    });
  }

  private async goLive(): Promise<void> {
    if (this.state.status !== 'countdown' || this.ending || this.failed) return;
    const startedAt = Date.now();
    const endsAt = startedAt + this.battle.durationMinutes * ctx().config.PK_MINUTE_MS;
    this.state.startsAt = startedAt;
    this.state.endsAt = endsAt;
    this.setStatus('live', 'battle');
    this.liveSince = startedAt;
    for (const h of this.hosts) if (this.hostState(h)?.connected) this.connectedSince.set(h, startedAt);
    await pkStore().markLive(this.battle.id, new Date(startedAt), new Date(endsAt));
    const payload = { battleId: this.battle.id, startedAt, endsAt, hosts: this.hostsPayload() };
    this.broadcast(PkEvents.started, payload);
    this.notifyHosts(PkEvents.started, { ...payload, roomId: this.roomId });
    this.clock.setTimeout(() => void this.end(), endsAt - startedAt);
    // A host who never showed up (or left during the countdown) gets the same grace as one who drops.
    for (const h of this.hosts) {
      if (!this.hostState(h)?.connected && !this.forfeitTimers.has(h)) {
        this.forfeitTimers.set(
          h,
          this.clock.setTimeout(() => void this.end(h), ctx().config.PK_RECONNECT_GRACE_MS),
        );
      }
    }
  }

  private async closeUnplayed(status: 'declined' | 'cancelled' | 'expired'): Promise<void> {
    if (this.state.status !== 'pending') return;
    this.setStatus(status, 'closed');
    await pkStore().closeUnplayed(this.battle.id, status);
    const payload = { battleId: this.battle.id, status };
    this.broadcast(PkEvents.closed, payload);
    this.notifyHosts(PkEvents.closed, payload);
    this.closeSoon();
  }

  // --- gifts ----------------------------------------------------------------------

  /** POST /api/pk-battles/:id/gift lands here, so HTTP and room gifts share one authority. */
  rpcGift(user: AuthUser, body: unknown) {
    return exposed(() => this.gift(user, parse(GiftBody, body)));
  }

  private async gift(sender: AuthUser, m: GiftBody): Promise<GiftAck> {
    if (this.ending || this.failed) throw invalidState('Battle is ending, not live');
    if (this.state.status !== 'live') throw invalidState(`Battle is ${this.state.status}, not live`);
    if (!this.hosts.includes(m.to)) throw badRequest('to: must be one of the two hosts of this battle');
    if (this.hosts.includes(sender.id)) throw forbidden('Hosts cannot send gifts in their own battle');
    const gift = this.gifts.get(m.giftId);
    if (!gift) throw notFound(`Gift ${m.giftId}`);
    const pending = giftCommitter().submit({
      battleId: this.battle.id,
      senderId: sender.id,
      recipientId: m.to,
      gift,
      count: m.count,
      requestId: m.requestId,
      hostShare: ctx().config.PK_HOST_SHARE,
    });
    this.inflight.add(pending);
    let rec: GiftRecord;
    try {
      rec = await pending;
    } finally {
      this.inflight.delete(pending);
    }
    // Committed: now it scores, once. A replay whose first attempt this room never learned the outcome
    // of (the commit's answer was lost) is scored now; one it did score is not scored again.
    const key = `${sender.id}:${rec.requestId}`;
    if (!this.scored.has(key)) {
      this.scored.add(key);
      this.applyGift(rec, sender, this.gifts.get(rec.giftId) ?? gift);
    }
    return {
      battleId: this.battle.id,
      requestId: rec.requestId,
      giftId: rec.giftId,
      count: rec.count,
      coins: rec.coins,
      to: rec.recipientId,
      balance: rec.balance,
      replayed: rec.replayed,
    };
  }

  /** Waits until every accepted gift is committed and scored. */
  private async drainGifts(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private applyGift(rec: GiftRecord, sender: AuthUser, gift: GiftRow): void {
    const host = this.hostState(rec.recipientId)!;
    host.score += rec.coins;
    const side = this.contributions.get(rec.recipientId)!;
    const c = side.get(sender.id) ?? { userId: sender.id, name: sender.username, coins: 0, firstAt: this.giftSeq++ };
    c.coins += rec.coins;
    side.set(sender.id, c);
    this.updateTopGifters(host, side);
    this.pendingEvents.push({
      giftId: gift.id,
      count: rec.count,
      from: { id: sender.id, username: sender.username },
      to: rec.recipientId,
      coins: rec.coins,
      requestId: rec.requestId,
    });
    // Announce right after the commit: every gift of the same batch resolves in this same microtask run,
    // so one event (and the scores in it) covers the whole batch. A microtask, not a timer: no delay.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flushGiftEvents();
      });
    }
  }

  private updateTopGifters(host: PkHost, side: Map<string, Contribution>): void {
    const top = topContributors(side.values(), 3);
    // Update in place: a patch then carries only the fields that moved.
    top.forEach((t, i) => {
      const cur = host.topGifters[i];
      if (!cur) host.topGifters.push(new PkGifter().assign({ userId: t.userId, name: t.name, coins: t.coins }));
      else if (cur.userId !== t.userId || cur.coins !== t.coins)
        cur.assign({ userId: t.userId, name: t.name, coins: t.coins });
    });
  }

  /** One `pk-battle:gift` per tick: the newest gift on top, all of the tick's gifts in `gifts`. */
  private flushGiftEvents(): void {
    if (this.pendingEvents.length === 0) return;
    const gifts = this.pendingEvents;
    this.pendingEvents = [];
    const last = gifts[gifts.length - 1]!;
    const g = this.gifts.get(last.giftId)!;
    const event: GiftEvent = {
      battleId: this.battle.id,
      gift: { id: g.id, name: g.name, coins: g.coins, animationKey: g.animationKey, count: last.count },
      from: last.from,
      to: last.to,
      coins: last.coins,
      requestId: last.requestId,
      scores: this.scores(),
      gifts,
    };
    this.broadcast(PkEvents.gift, event);
  }

  // --- end ------------------------------------------------------------------------

  /**
   * Time is up (or a host forfeited): phase `ending` (no more gifts), settle in-flight gifts,
   * decide, pay, persist, then `ended`/`result`. If the database refuses the finish (three
   * attempts, spaced on the room clock), phase `failed`: the room closes and records the
   * battle as interrupted (scores kept, no rewards). Never rejects.
   */
  private end(forfeitedBy?: string): Promise<FinishResult | undefined> {
    this.ending ??= this.finish(forfeitedBy).catch((err: unknown) => {
      this.fail(err);
      return undefined;
    });
    return this.ending;
  }

  private async finish(forfeitedBy?: string): Promise<FinishResult | undefined> {
    if (this.state.status !== 'live' && this.state.status !== 'countdown') return undefined;
    const activity = this.activity();
    this.state.phase = 'ending';
    await this.drainGifts();
    for (const t of this.forfeitTimers.values()) t.clear();
    let result: FinishResult | undefined;
    for (let attempt = 1; !result; attempt++) {
      try {
        result = await pkStore().finishBattle(this.battle.id, {
          forfeitedBy,
          activity,
          minPresence: ctx().config.PK_MIN_PRESENCE,
          rewards: {
            winnerCoins: ctx().config.PK_WINNER_REWARD_COINS,
            drawCoins: ctx().config.PK_DRAW_REWARD_COINS,
            winnerXp: ctx().config.PK_WINNER_XP,
            loserXp: ctx().config.PK_LOSER_XP,
            drawXp: ctx().config.PK_DRAW_XP,
          },
        });
      } catch (err) {
        ctx().logger.error({ err, battleId: this.battle.id, attempt }, 'pk battle finish failed');
        if (attempt >= 3) throw err;
        await new Promise((r) => this.clock.setTimeout(r, 200 * attempt));
      }
    }
    this.setStatus('ended', 'result');
    this.flushGiftEvents();
    this.state.hostA.score = result.scores[this.battle.hostA] ?? 0;
    this.state.hostB.score = result.scores[this.battle.hostB] ?? 0;
    this.state.winnerId = result.winner ?? '';
    // Patch now, so every client's state already shows the result when the event arrives.
    this.broadcastPatch();
    const payload = {
      battleId: this.battle.id,
      winner: result.winner,
      scores: result.scores,
      rewards: result.rewards,
      mvp: result.mvp,
      reason: result.endReason,
    };
    this.broadcast(PkEvents.ended, payload);
    this.notifyHosts(PkEvents.ended, payload);
    this.closeSoon(ctx().config.PK_RESULT_PHASE_MS);
    return result;
  }

  /** A step failed for good: refuse gifts, show `failed`, close; onDispose records it as interrupted. */
  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.state.status = 'interrupted';
    this.state.phase = 'failed';
    ctx().logger.error({ err, battleId: this.battle.id }, 'pk battle failed; closing it as interrupted');
    this.broadcast(PkEvents.closed, { battleId: this.battle.id, status: 'interrupted' });
    this.closeSoon();
  }

  /** Accrues a host's connected time while the battle is live. */
  private markPresence(userId: string, connected: boolean): void {
    if (this.state.status !== 'live') return;
    const now = Date.now();
    const since = this.connectedSince.get(userId);
    if (since !== undefined) this.presentMs.set(userId, (this.presentMs.get(userId) ?? 0) + now - since);
    if (connected) this.connectedSince.set(userId, now);
    else this.connectedSince.delete(userId);
  }

  /** What the reward rule needs (src/domain/pk/rules.ts rewardEligible), as of now. */
  private activity(): BattleActivity {
    const now = Date.now();
    const presentMs: Record<string, number> = {};
    for (const h of this.hosts) {
      const since = this.state.status === 'live' ? this.connectedSince.get(h) : undefined;
      presentMs[h] = (this.presentMs.get(h) ?? 0) + (since === undefined ? 0 : now - since);
    }
    return {
      liveMs: this.state.status === 'live' && this.liveSince ? now - this.liveSince : 0,
      presentMs,
      connectedAtEnd: this.hosts.filter((h) => this.hostState(h)?.connected),
    };
  }

  // --- stream host (filters) and media ----------------------------------------------

  isHost(userId: string): boolean {
    return this.hosts.includes(userId);
  }

  /** GET /api/webrtc/battle/:id/setup */
  rtcSetup(userId: string) {
    return exposed(() => {
      if (!this.isHost(userId)) throw forbidden('Only the two hosts exchange media');
      return { roomId: this.roomId, battleId: this.battle.id, ...this.relay.setupFor(userId) };
    });
  }

  // --- reads --------------------------------------------------------------------------

  rpcSnapshot() {
    return exposed(() => this.summary());
  }

  private summary() {
    const s = this.state;
    return {
      battleId: this.battle.id,
      roomId: this.roomId,
      status: s.status,
      phase: s.phase,
      durationMinutes: s.durationMinutes,
      inviteExpiresAt: s.inviteExpiresAt || null,
      startsAt: s.startsAt || null,
      endsAt: s.endsAt || null,
      hosts: this.hostsPayload(),
      scores: this.scores(),
      viewerCount: s.viewerCount,
      winner: s.winnerId || null,
    };
  }

  // --- helpers ------------------------------------------------------------------------

  private hostState(userId: string): PkHost | undefined {
    if (userId === this.state.hostA.id) return this.state.hostA;
    if (userId === this.state.hostB.id) return this.state.hostB;
    return undefined;
  }

  private hostsPayload() {
    return [this.state.hostA, this.state.hostB].map((h) => ({
      id: h.id,
      name: h.name,
      score: h.score,
      connected: h.connected,
      topGifters: h.topGifters.map((g) => ({ userId: g.userId, name: g.name, coins: g.coins })),
    }));
  }

  private scores(): Record<string, number> {
    return { [this.state.hostA.id]: this.state.hostA.score, [this.state.hostB.id]: this.state.hostB.score };
  }

  private otherClientOf(userId: string, except: Client): boolean {
    return this.clients.some((c) => c !== except && userOf(c).id === userId);
  }

  private countViewers(): void {
    this.state.viewerCount = this.clients.filter((c) => !this.isHost(userOf(c).id)).length;
    reportViewers(this, this.state.viewerCount);
  }

  private isOpen(): boolean {
    return ['pending', 'countdown', 'live'].includes(this.state.status);
  }

  private setStatus(status: BattleStatus, phase: string): void {
    this.state.status = status;
    this.state.phase = phase;
    // Metadata only feeds listings; a presence error there is logged, not fatal.
    this.setMetadata({ ...this.metadata, status }).catch((err: unknown) =>
      ctx().logger.warn({ err, battleId: this.battle.id }, 'room metadata not updated'),
    );
  }

  private notifyHosts(event: string, payload: Record<string, unknown>): void {
    for (const h of this.hosts) {
      ctx()
        .notifier.notify(h, event, payload)
        .catch((err) => ctx().logger.error({ err, event }, 'notify failed'));
    }
  }

  private closeSoon(ms = 1000): void {
    if (this.closing) return;
    this.closing = true;
    this.clock.setTimeout(() => void this.disconnect(), ms);
  }
}
