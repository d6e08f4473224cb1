/**
 * The PK battle model: `decide(battle, command, now)` → the next battle and the effects the room
 * performs (writes, gift commits, broadcasts, inbox notices, timers). Pure: the clock is an argument,
 * nothing here touches a socket or a database.
 *
 * Lifecycle: pending (invite) → countdown → live (battle) → ending → ended (result);
 * pending → declined | cancelled | expired (closed); countdown/live → ending by time or forfeit;
 * any step that fails for good → interrupted (failed). What a gift scores is src/domain/pk/scoring.ts.
 */
import { ErrorCode } from '../../errors';
import { type Decision, decided, type Outcome, type Result, accept, refuse, unreachable } from '../result';
import {
  type AcceptedEvent,
  type AcceptedNotice,
  type BattleSummary,
  type ClosedEvent,
  type EndedEvent,
  type GiftEventItem,
  type HostView,
  PkEvents,
  type PkAnnouncement,
  type StartedEvent,
} from './protocol';
import {
  type BattleActivity,
  type BattlePhase,
  type BattleResult,
  type BattleStatus,
  type UnplayedStatus,
} from './rules';
import {
  type CatalogGift,
  type CommittedGift,
  emptyTally,
  type GiftValue,
  giftValue,
  type Sender,
  scoreGift,
  scoresOf,
  type Tally,
  withScores,
} from './scoring';

/** Timings and shares the battle runs with (from the config). */
export interface BattleSettings {
  inviteTimeoutMs: number;
  countdownMs: number;
  /** Length of a battle "minute" (tests shorten it). */
  minuteMs: number;
  reconnectGraceMs: number;
  resultPhaseMs: number;
  /** Host's share of a gift's coins (0..1). */
  hostShare: number;
}

/** How long the room stays open after a battle closed unplayed or failed. */
export const CLOSE_DELAY_MS = 1000;

export interface Seat {
  id: string;
  name: string;
  connected: boolean;
  /** Connected ms while live, up to `connectedSince`. */
  presentMs: number;
  /** Since when the host is connected while live (null: not connected, or not live). */
  connectedSince: number | null;
  /** The connection dropped (it may come back within the reconnection grace). */
  dropped: boolean;
  /** A forfeit timer runs for this host. */
  forfeitPending: boolean;
}

export interface Battle {
  readonly id: string;
  readonly durationMinutes: number;
  readonly settings: BattleSettings;
  readonly catalog: ReadonlyMap<string, CatalogGift>;
  /** [creator (host A), invitee (host B)]. */
  readonly seats: readonly [Seat, Seat];
  readonly status: BattleStatus;
  readonly phase: BattlePhase;
  readonly inviteExpiresAt: number;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly liveSince: number;
  readonly winnerId: string | null;
  readonly tally: Tally;
}

/** A gift as a sender asks for it (validated body). */
export interface GiftRequest {
  giftId: string;
  to: string;
  count: number;
  requestId: string;
}

export type Command =
  | { type: 'accept'; userId: string }
  /** The invitee is held in the database: count down. */
  | { type: 'countdown' }
  | { type: 'decline'; userId: string }
  | { type: 'cancel'; userId: string }
  | { type: 'expire' }
  | { type: 'goLive' }
  | { type: 'gift'; sender: Sender; gift: GiftRequest }
  /** A gift's commit answered: score it (once). */
  | { type: 'giftCommitted'; sender: Sender; gift: CommittedGift }
  | { type: 'hostConnected'; userId: string }
  /** A host's connection dropped (it may reconnect within the grace). */
  | { type: 'hostDropped'; userId: string }
  /** A host's last client left for good. */
  | { type: 'hostLeft'; userId: string }
  /** Time is up, or `forfeitedBy` stayed away. */
  | { type: 'end'; forfeitedBy?: string }
  /** The result is recorded. */
  | { type: 'finished'; result: BattleResult }
  /** A step failed for good (the database refused the end, say). */
  | { type: 'fail' };

export type Write =
  | { kind: 'holdInvitee' }
  | { kind: 'markLive'; startedAt: number; endsAt: number }
  | { kind: 'closeUnplayed'; status: UnplayedStatus };

export type TimerKey = 'expire' | 'goLive' | 'timeUp' | `forfeit:${string}`;

export type Effect =
  /** Persist `write` (awaited: what follows waits for it), then run `andThen`. */
  | { type: 'write'; write: Write; andThen?: Command }
  /** Commit the gift (debit, gift row, host credit); its answer comes back as `giftCommitted`. */
  | {
      type: 'commitGift';
      sender: Sender;
      gift: CatalogGift;
      to: string;
      count: number;
      requestId: string;
      value: GiftValue;
    }
  /** A committed gift to announce in the next `pk-battle:gift` (right after its commit batch). */
  | { type: 'announceGift'; item: GiftEventItem }
  /** Announce now whatever gifts are waiting. */
  | { type: 'flushGifts' }
  /** Settle in-flight gifts, then record the result (winner, rewards); answers `finished` or `fail`. */
  | { type: 'finish'; forfeitedBy?: string; activity: BattleActivity }
  | { type: 'startMedia' }
  | { type: 'broadcast'; message: PkAnnouncement }
  | { type: 'notifyHosts'; message: PkAnnouncement }
  /** Send the state patch now (so the state already shows what the next event says). */
  | { type: 'patchNow' }
  | { type: 'schedule'; key: TimerKey; at: number; command: Command }
  | { type: 'cancel'; key: TimerKey }
  /** Close the room at `at` (the first close scheduled wins). */
  | { type: 'close'; at: number };

export type BattleDecision = Decision<Battle, Effect>;

/** What a battle row says when its room opens. */
export interface BattleOpening {
  id: string;
  durationMinutes: number;
  hostA: { id: string; name: string };
  hostB: { id: string; name: string };
}

const seat = (h: { id: string; name: string }): Seat => ({
  id: h.id,
  name: h.name,
  connected: false,
  presentMs: 0,
  connectedSince: null,
  dropped: false,
  forfeitPending: false,
});

/** A pending battle: the invitation expires after `inviteTimeoutMs`. */
export function openBattle(
  row: BattleOpening,
  catalog: readonly CatalogGift[],
  settings: BattleSettings,
  now: number,
): Outcome<Battle, Effect> {
  const inviteExpiresAt = now + settings.inviteTimeoutMs;
  const battle: Battle = {
    id: row.id,
    durationMinutes: row.durationMinutes,
    settings,
    catalog: new Map(catalog.map((g) => [g.id, g])),
    seats: [seat(row.hostA), seat(row.hostB)],
    status: 'pending',
    phase: 'invite',
    inviteExpiresAt,
    startsAt: 0,
    endsAt: 0,
    liveSince: 0,
    winnerId: null,
    tally: emptyTally([row.hostA.id, row.hostB.id]),
  };
  return {
    state: battle,
    effects: [{ type: 'schedule', key: 'expire', at: inviteExpiresAt, command: { type: 'expire' } }],
  };
}

export function decide(b: Battle, c: Command, now: number): BattleDecision {
  switch (c.type) {
    case 'accept': {
      if (c.userId !== hostB(b)) return refuse(ErrorCode.FORBIDDEN, 'Only the invited opponent can accept');
      if (b.status !== 'pending') return refuse(ErrorCode.INVALID_STATE, `Battle is ${b.status}`);
      // The invitee is held in the database first (409 if they joined another battle meanwhile).
      return decided(b, [{ type: 'write', write: { kind: 'holdInvitee' }, andThen: { type: 'countdown' } }]);
    }
    case 'countdown': {
      if (b.status !== 'pending') return refuse(ErrorCode.INVALID_STATE, `Battle is ${b.status}`);
      const startsAt = now + b.settings.countdownMs;
      const endsAt = startsAt + battleMs(b);
      const next: Battle = { ...b, status: 'countdown', phase: 'countdown', startsAt, endsAt };
      const room: AcceptedEvent = { battleId: b.id, startsAt, endsAt };
      const inbox: AcceptedNotice = { battleId: b.id, roomId: b.id, startsAt };
      return decided(next, [
        { type: 'startMedia' },
        { type: 'broadcast', message: { event: PkEvents.accepted, payload: room } },
        { type: 'notifyHosts', message: { event: PkEvents.accepted, payload: inbox } },
        { type: 'schedule', key: 'goLive', at: startsAt, command: { type: 'goLive' } },
      ]);
    }
    case 'decline':
      if (c.userId !== hostB(b)) return refuse(ErrorCode.FORBIDDEN, 'Only the invited opponent can decline');
      if (b.status !== 'pending') return refuse(ErrorCode.INVALID_STATE, `Battle is ${b.status}`);
      return closeUnplayed(b, 'declined', now);
    case 'cancel':
      if (c.userId !== hostA(b)) return refuse(ErrorCode.FORBIDDEN, 'Only the creator can cancel');
      if (b.status !== 'pending') {
        return refuse(ErrorCode.INVALID_STATE, `Battle is ${b.status}; only a pending battle can be cancelled`);
      }
      return closeUnplayed(b, 'cancelled', now);
    case 'expire':
      return b.status === 'pending' ? closeUnplayed(b, 'expired', now) : decided(b);
    case 'goLive':
      return goLive(b, now);
    case 'gift': {
      const gift = giftAllowed(b, c.sender, c.gift);
      if (!gift.ok) return gift;
      const value = giftValue(gift.value.coins, c.gift.count, b.settings.hostShare);
      if (!Number.isSafeInteger(value.coins)) return refuse(ErrorCode.VALIDATION, 'gift: invalid price');
      const { to, count, requestId } = c.gift;
      return decided(b, [{ type: 'commitGift', sender: c.sender, gift: gift.value, to, count, requestId, value }]);
    }
    case 'giftCommitted': {
      // Committed money always scores (also while ending): the end waits for in-flight gifts.
      const scored = scoreGift(b.tally, c.sender, c.gift);
      if (!scored) return decided(b);
      return decided({ ...b, tally: scored.tally }, [{ type: 'announceGift', item: scored.item }]);
    }
    case 'hostConnected': {
      const s = seatOf(b, c.userId);
      if (!s) return decided(b);
      const next = withSeat(b, { ...present(b, s, true, now), dropped: false, forfeitPending: false });
      return decided(next, s.forfeitPending ? [{ type: 'cancel', key: forfeitKey(s.id) }] : []);
    }
    case 'hostDropped': {
      const s = seatOf(b, c.userId);
      if (!s) return decided(b);
      return decided(withSeat(b, { ...present(b, s, false, now), dropped: true }));
    }
    case 'hostLeft': {
      const s = seatOf(b, c.userId);
      if (!s) return decided(b);
      const gone = withSeat(b, { ...present(b, s, false, now), dropped: false });
      if (b.phase !== 'countdown' && b.phase !== 'battle') return decided(gone);
      // A dropped host already had its grace (reconnection); one who left on purpose gets it now.
      if (s.dropped) return end(gone, now, s.id);
      const at = now + b.settings.reconnectGraceMs;
      return decided(withSeat(gone, { ...seatOf(gone, s.id)!, forfeitPending: true }), [
        { type: 'schedule', key: forfeitKey(s.id), at, command: { type: 'end', forfeitedBy: s.id } },
      ]);
    }
    case 'end':
      return end(b, now, c.forfeitedBy);
    case 'finished': {
      const r = c.result;
      const next: Battle = {
        ...b,
        status: 'ended',
        phase: 'result',
        winnerId: r.winner,
        tally: withScores(b.tally, r.scores),
      };
      const payload: EndedEvent = {
        battleId: b.id,
        winner: r.winner,
        scores: r.scores,
        rewards: r.rewards,
        mvp: r.mvp,
        reason: r.endReason,
      };
      return decided(next, [
        { type: 'flushGifts' },
        { type: 'patchNow' },
        { type: 'broadcast', message: { event: PkEvents.ended, payload } },
        { type: 'notifyHosts', message: { event: PkEvents.ended, payload } },
        { type: 'close', at: now + b.settings.resultPhaseMs },
      ]);
    }
    case 'fail': {
      if (b.phase === 'failed') return decided(b);
      const payload: ClosedEvent = { battleId: b.id, status: 'interrupted' };
      return decided({ ...b, status: 'interrupted', phase: 'failed' }, [
        { type: 'broadcast', message: { event: PkEvents.closed, payload } },
        { type: 'close', at: now + CLOSE_DELAY_MS },
      ]);
    }
    default:
      return unreachable(c);
  }
}

/** Whether `sender` may send this gift now: the catalog entry, or why not. */
export function giftAllowed(b: Battle, sender: Sender, g: GiftRequest): Result<CatalogGift> {
  const open = giftsOpen(b);
  if (!open.ok) return open;
  if (!isHost(b, g.to)) return refuse(ErrorCode.VALIDATION, 'to: must be one of the two hosts of this battle');
  if (isHost(b, sender.id)) return refuse(ErrorCode.FORBIDDEN, 'Hosts cannot send gifts in their own battle');
  const gift = b.catalog.get(g.giftId);
  return gift ? accept(gift) : refuse(ErrorCode.NOT_FOUND, `Gift ${g.giftId} not found`);
}

/** Gifts are taken only while the battle is live and not ending. */
export function giftsOpen(b: Battle): Result<true> {
  if (b.phase === 'ending' || b.phase === 'failed')
    return refuse(ErrorCode.INVALID_STATE, 'Battle is ending, not live');
  if (b.status !== 'live') return refuse(ErrorCode.INVALID_STATE, `Battle is ${b.status}, not live`);
  return accept(true);
}

function goLive(b: Battle, now: number): BattleDecision {
  if (b.status !== 'countdown' || b.phase !== 'countdown') return decided(b);
  const endsAt = now + battleMs(b);
  const seats = b.seats.map((s) => ({
    ...s,
    connectedSince: s.connected ? now : null,
    forfeitPending: s.forfeitPending || !s.connected,
  })) as unknown as readonly [Seat, Seat];
  const next: Battle = { ...b, status: 'live', phase: 'battle', startsAt: now, endsAt, liveSince: now, seats };
  const payload: StartedEvent = { battleId: b.id, startedAt: now, endsAt, hosts: hostViews(next) };
  return decided(next, [
    { type: 'write', write: { kind: 'markLive', startedAt: now, endsAt } },
    { type: 'broadcast', message: { event: PkEvents.started, payload } },
    { type: 'notifyHosts', message: { event: PkEvents.started, payload: { ...payload, roomId: b.id } } },
    { type: 'schedule', key: 'timeUp', at: endsAt, command: { type: 'end' } },
    // A host who never showed up (or left during the countdown) gets the same grace as one who drops.
    ...b.seats
      .filter((s) => !s.connected && !s.forfeitPending)
      .map(
        (s): Effect => ({
          type: 'schedule',
          key: forfeitKey(s.id),
          at: now + b.settings.reconnectGraceMs,
          command: { type: 'end', forfeitedBy: s.id },
        }),
      ),
  ]);
}

/** Time is up or a host forfeited: no more gifts; the room settles gifts in flight and records the result. */
function end(b: Battle, now: number, forfeitedBy?: string): BattleDecision {
  if ((b.status !== 'live' && b.status !== 'countdown') || (b.phase !== 'battle' && b.phase !== 'countdown')) {
    return decided(b); // already ending, ended or failed: the first end wins
  }
  const activity = activityAt(b, now);
  const seats = b.seats.map((s) => ({ ...s, forfeitPending: false })) as unknown as readonly [Seat, Seat];
  return decided({ ...b, phase: 'ending', seats }, [
    ...b.seats.filter((s) => s.forfeitPending).map((s): Effect => ({ type: 'cancel', key: forfeitKey(s.id) })),
    { type: 'finish', forfeitedBy, activity },
  ]);
}

function closeUnplayed(b: Battle, status: UnplayedStatus, now: number): BattleDecision {
  const payload: ClosedEvent = { battleId: b.id, status };
  return decided({ ...b, status, phase: 'closed' }, [
    { type: 'write', write: { kind: 'closeUnplayed', status } },
    { type: 'broadcast', message: { event: PkEvents.closed, payload } },
    { type: 'notifyHosts', message: { event: PkEvents.closed, payload } },
    { type: 'close', at: now + CLOSE_DELAY_MS },
  ]);
}

/** What the reward rule needs (rules.ts rewardEligible), as of `now`. */
export function activityAt(b: Battle, now: number): BattleActivity {
  const live = b.status === 'live';
  const presentMs: Record<string, number> = {};
  for (const s of b.seats) {
    presentMs[s.id] = s.presentMs + (live && s.connectedSince !== null ? now - s.connectedSince : 0);
  }
  return {
    liveMs: live && b.liveSince ? now - b.liveSince : 0,
    presentMs,
    connectedAtEnd: b.seats.filter((s) => s.connected).map((s) => s.id),
  };
}

/** A host's connection changed: accrue connected time while the battle is live. */
function present(b: Battle, s: Seat, connected: boolean, now: number): Seat {
  if (b.status !== 'live') return { ...s, connected };
  const presentMs = s.connectedSince === null ? s.presentMs : s.presentMs + now - s.connectedSince;
  return { ...s, connected, presentMs, connectedSince: connected ? now : null };
}

/** Whether the room must record the battle as interrupted when it closes (never finished, or failed). */
export function interruptedOnClose(b: Battle): boolean {
  return b.phase === 'failed' || b.status === 'pending' || b.status === 'countdown' || b.status === 'live';
}

/** Whether clients may still reconnect (the battle is not over). */
export function isOpen(b: Battle): boolean {
  return b.status === 'pending' || b.status === 'countdown' || b.status === 'live';
}

export const hostA = (b: Battle): string => b.seats[0].id;
export const hostB = (b: Battle): string => b.seats[1].id;
export const isHost = (b: Battle, userId: string): boolean => b.seats.some((s) => s.id === userId);
export const seatOf = (b: Battle, userId: string): Seat | undefined => b.seats.find((s) => s.id === userId);
export const scores = (b: Battle): Record<string, number> => scoresOf(b.tally);
const forfeitKey = (userId: string): TimerKey => `forfeit:${userId}`;
const battleMs = (b: Battle) => b.durationMinutes * b.settings.minuteMs;

function withSeat(b: Battle, s: Seat): Battle {
  const seats = b.seats.map((x) => (x.id === s.id ? s : x)) as unknown as readonly [Seat, Seat];
  return { ...b, seats };
}

export function hostViews(b: Battle): HostView[] {
  return b.seats.map((s) => {
    const side = b.tally.sides[s.id]!;
    return {
      id: s.id,
      name: s.name,
      score: side.score,
      connected: s.connected,
      topGifters: side.top.map((g) => ({ userId: g.userId, name: g.name, coins: g.coins })),
    };
  });
}

export function summary(b: Battle, viewerCount: number): BattleSummary {
  return {
    battleId: b.id,
    roomId: b.id,
    status: b.status,
    phase: b.phase,
    durationMinutes: b.durationMinutes,
    inviteExpiresAt: b.inviteExpiresAt || null,
    startsAt: b.startsAt || null,
    endsAt: b.endsAt || null,
    hosts: hostViews(b),
    scores: scores(b),
    viewerCount,
    winner: b.winnerId,
  };
}
