/**
 * Performs what the battle model decides (src/domain/pk/battle.ts `Effect`), in order: writes
 * (awaited before what follows), gift commits through the process's group committer, gift
 * announcements right after their commit batch, the battle's end (in-flight gifts settled first,
 * three attempts on the room clock), broadcasts, inbox notices, and timers on the room clock.
 */
import type { Delayed, Room } from '@colyseus/core';
import { ctx } from '../../context';
import {
  type Battle,
  type Command,
  type Effect,
  interruptedOnClose,
  type TimerKey,
  type Write,
} from '../../domain/pk/battle';
import { type GiftEventItem, type PkAnnouncement, PkEvents } from '../../domain/pk/protocol';
import type { BattleActivity, BattleResult } from '../../domain/pk/rules';
import { giftEvent, scoresOf } from '../../domain/pk/scoring';
import { unreachable } from '../../domain/result';
import { giftCommitter } from '../../pk/giftCommitter';
import { pkResults } from '../../stores/pkResults';
import { type GiftRecord, pkStore } from '../../stores/pkStore';
import { safely } from '../safely';

/** Attempts at recording a battle's end before it fails (spaced 200 ms, 400 ms on the room clock). */
export const FINISH_ATTEMPTS = 3;

/** What the effects need of their room (PkBattleRoom): the model, its command entry and the room's own tools. */
export type BattleRoom = Room & {
  readonly battle: Battle;
  act(command: Command): Promise<GiftRecord | undefined>;
  fail(err: unknown): void;
  startMedia(): Promise<void>;
};

export class BattleEffects {
  private readonly timers = new Map<TimerKey, Delayed>();
  /** Gifts submitted but not yet committed: the end waits for them. */
  private readonly inflight = new Set<Promise<GiftRecord>>();
  private pending: GiftEventItem[] = [];
  private flushQueued = false;
  private finishing?: Promise<void>;
  private closing = false;

  constructor(private readonly room: BattleRoom) {}

  /** Runs `effects` in order; answers the gift commit's record when there was one (the sender's ack). */
  async run(effects: readonly Effect[], now: number): Promise<GiftRecord | undefined> {
    let record: GiftRecord | undefined;
    for (const e of effects) {
      switch (e.type) {
        case 'write':
          await this.write(e.write);
          if (e.andThen) await this.room.act(e.andThen);
          break;
        case 'commitGift':
          record = await this.commitGift(e);
          break;
        case 'announceGift':
          this.announce(e.item);
          break;
        case 'flushGifts':
          this.flushGifts();
          break;
        case 'finish':
          this.finishing ??= this.finish(e.forfeitedBy, e.activity).catch((err: unknown) => this.room.fail(err));
          await this.finishing;
          break;
        case 'startMedia':
          await this.room.startMedia();
          break;
        case 'broadcast':
          this.room.broadcast(e.message.event, e.message.payload);
          break;
        case 'notifyHosts':
          this.notifyHosts(e.message);
          break;
        case 'patchNow':
          this.room.broadcastPatch();
          break;
        case 'schedule':
          this.schedule(e.key, e.at - now, e.command);
          break;
        case 'cancel':
          this.timers.get(e.key)?.clear();
          this.timers.delete(e.key);
          break;
        case 'close':
          if (this.closing) break; // the first close wins
          this.closing = true;
          this.room.clock.setTimeout(() => safely(this.room, 'close', () => this.room.disconnect()), e.at - now);
          break;
        default:
          unreachable(e);
      }
    }
    return record;
  }

  /** Waits until every accepted gift is committed and scored, and the end (if any) is settled. */
  async settle(): Promise<void> {
    await this.finishing;
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * The room is going away: waits for the end and every gift in flight, then, if the battle never
   * finished (shutdown, a failed step, a dead room), records it as interrupted: what was committed
   * stays, no rewards, hosts freed. Never rejects.
   */
  async closeOut(): Promise<void> {
    await this.settle();
    const b = this.room.battle;
    if (!interruptedOnClose(b)) return;
    try {
      await pkStore().interruptBattle(b.id);
      ctx().logger.warn({ battleId: b.id, status: b.status }, 'pk battle interrupted');
    } catch (err) {
      // The next start's recovery closes it (the room is gone by then).
      ctx().logger.error({ err, battleId: b.id }, 'pk battle could not be recorded as interrupted');
    }
  }

  private write(w: Write): Promise<void> {
    const id = this.room.battle.id;
    switch (w.kind) {
      case 'holdInvitee':
        return pkStore().markCountdown(id);
      case 'markLive':
        return pkStore().markLive(id, new Date(w.startedAt), new Date(w.endsAt));
      case 'closeUnplayed':
        return pkStore().closeUnplayed(id, w.status);
      default:
        return unreachable(w);
    }
  }

  private async commitGift(e: Extract<Effect, { type: 'commitGift' }>): Promise<GiftRecord> {
    const pending = giftCommitter().submit({
      battleId: this.room.battle.id,
      senderId: e.sender.id,
      recipientId: e.to,
      gift: e.gift,
      count: e.count,
      requestId: e.requestId,
      hostShare: this.room.battle.settings.hostShare,
    });
    this.inflight.add(pending);
    let rec: GiftRecord;
    try {
      rec = await pending;
    } finally {
      this.inflight.delete(pending);
    }
    // Committed: now it scores (once; a replay whose first answer this room never saw scores now).
    await this.room.act({ type: 'giftCommitted', sender: e.sender, gift: rec });
    return rec;
  }

  private announce(item: GiftEventItem): void {
    this.pending.push(item);
    // Right after the commit: every gift of one batch resolves in the same microtask run, so one
    // event (and the scores in it) covers the whole batch. A microtask, not a timer: no delay.
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flushGifts();
    });
  }

  /** One `pk-battle:gift` for every gift scored since the last one. */
  flushGifts(): void {
    if (this.pending.length === 0) return;
    const b = this.room.battle;
    const event = giftEvent(b.id, b.catalog, this.pending, scoresOf(b.tally));
    this.pending = [];
    if (event) this.room.broadcast(PkEvents.gift, event);
  }

  private async finish(forfeitedBy: string | undefined, activity: BattleActivity): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    const c = ctx().config;
    let result: BattleResult | undefined;
    for (let attempt = 1; !result; attempt++) {
      try {
        result = await pkResults().finishBattle(this.room.battle.id, {
          forfeitedBy,
          activity,
          minPresence: c.PK_MIN_PRESENCE,
          rewards: {
            winnerCoins: c.PK_WINNER_REWARD_COINS,
            drawCoins: c.PK_DRAW_REWARD_COINS,
            winnerXp: c.PK_WINNER_XP,
            loserXp: c.PK_LOSER_XP,
            drawXp: c.PK_DRAW_XP,
          },
        });
      } catch (err) {
        ctx().logger.error({ err, battleId: this.room.battle.id, attempt }, 'pk battle finish failed');
        if (attempt >= FINISH_ATTEMPTS) throw err;
        await new Promise((r) => this.room.clock.setTimeout(r, 200 * attempt));
      }
    }
    await this.room.act({ type: 'finished', result });
  }

  private schedule(key: TimerKey, delay: number, command: Command): void {
    this.timers.get(key)?.clear();
    const timer = this.room.clock.setTimeout(
      () => {
        this.timers.delete(key);
        safely(
          this.room,
          key,
          () => this.room.act(command),
          (err) => this.room.fail(err),
        );
      },
      Math.max(0, delay),
    );
    this.timers.set(key, timer);
  }

  private notifyHosts(m: PkAnnouncement): void {
    for (const s of this.room.battle.seats) {
      ctx()
        .notifier.notify(s.id, m.event, { ...m.payload })
        .catch((err) => ctx().logger.error({ err, event: m.event }, 'notify failed'));
    }
  }
}
