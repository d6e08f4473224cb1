/** PK battle rules: plain functions, no I/O. */

export const DURATION_MIN_MINUTES = 1;
export const DURATION_MAX_MINUTES = 10;
export const MAX_GIFT_COUNT = 99;

export type BattleStatus =
  | 'pending'
  | 'countdown'
  | 'live'
  | 'ended'
  | 'cancelled'
  | 'declined'
  | 'expired'
  | 'interrupted';
/** invite → countdown → battle → ending → result; closed (declined/cancelled/expired); failed (the end could not be recorded). */
export type BattlePhase = 'invite' | 'countdown' | 'battle' | 'ending' | 'result' | 'closed' | 'failed';
export type HostResult = 'win' | 'loss' | 'draw';
export type EndReason = 'time' | 'forfeit';

/** A battle that ended without being played. */
export type UnplayedStatus = 'declined' | 'cancelled' | 'expired';

/** Statuses that hold both hosts (nobody may start another battle meanwhile). */
export const HOLDING_STATUSES: readonly BattleStatus[] = ['pending', 'countdown', 'live'];

/** Splits a gift's coins: the host gets `share` rounded down, the platform the rest, so no coin is lost. */
export function splitGift(coins: number, hostShare: number): { hostCoins: number; platformCoins: number } {
  const hostCoins = Math.floor(coins * hostShare);
  return { hostCoins, platformCoins: coins - hostCoins };
}

/** The winner's user id, or null for a draw. A forfeit makes the other host win whatever the scores. */
export function decideWinner(
  hosts: readonly [string, string],
  scores: Record<string, number>,
  forfeitedBy?: string,
): string | null {
  const [a, b] = hosts;
  if (forfeitedBy) return forfeitedBy === a ? b : a;
  const sa = scores[a] ?? 0;
  const sb = scores[b] ?? 0;
  if (sa === sb) return null;
  return sa > sb ? a : b;
}

export interface RewardSettings {
  winnerCoins: number;
  drawCoins: number;
  winnerXp: number;
  loserXp: number;
  drawXp: number;
}

export interface Reward {
  userId: string;
  result: HostResult;
  coins: number;
  xp: number;
}

/** What the room saw of a battle: how long it was live and how long each host was connected. */
export interface BattleActivity {
  /** Milliseconds the battle was live (0 if it ended during the countdown). */
  liveMs: number;
  /** Milliseconds each host was connected while it was live. */
  presentMs: Record<string, number>;
  /** Hosts connected when it ended (used when liveMs is 0). */
  connectedAtEnd: readonly string[];
}

/** A host's share of the live time spent connected (0..1). */
export function presenceShare(a: BattleActivity, userId: string): number {
  if (a.liveMs <= 0) return a.connectedAtEnd.includes(userId) ? 1 : 0;
  return Math.min(1, (a.presentMs[userId] ?? 0) / a.liveMs);
}

/**
 * Who may be rewarded (coins and XP). Rewards are for a real battle, so two accounts cannot mint
 * coins from empty ones:
 * - a battle is real when viewers gifted (`giftCoins > 0`; hosts cannot gift in their own battle)
 *   or when both hosts were connected for at least `minPresence` of the live time;
 * - a forfeit pays the winner only if the winner was present (connected `minPresence` of the time);
 * - otherwise nobody is rewarded (the result, scores and gift earnings stand).
 */
export function rewardEligible(
  hosts: readonly [string, string],
  winner: string | null,
  a: BattleActivity & { giftCoins: number; forfeited: boolean; minPresence: number },
): Set<string> {
  const present = (h: string) => presenceShare(a, h) >= a.minPresence;
  const real = a.giftCoins > 0 || hosts.every(present);
  if (!real) return new Set();
  if (a.forfeited) return winner && present(winner) ? new Set([winner]) : new Set();
  return new Set(hosts);
}

/** Rewards per host; a host not in `eligible` (when given) gets nothing (see rewardEligible). */
export function rewardsFor(
  hosts: readonly [string, string],
  winner: string | null,
  s: RewardSettings,
  eligible?: ReadonlySet<string>,
): Reward[] {
  return hosts.map((userId) => {
    if (eligible && !eligible.has(userId)) {
      const result = winner === null ? ('draw' as const) : winner === userId ? ('win' as const) : ('loss' as const);
      return { userId, result, coins: 0, xp: 0 };
    }
    if (winner === null) return { userId, result: 'draw' as const, coins: s.drawCoins, xp: s.drawXp };
    return winner === userId
      ? { userId, result: 'win' as const, coins: s.winnerCoins, xp: s.winnerXp }
      : { userId, result: 'loss' as const, coins: 0, xp: s.loserXp };
  });
}

/** Level from total experience: level n needs 100·(n-1)² XP (100 → 2, 400 → 3, 900 → 4, ...). */
export function levelForXp(xp: number): number {
  return Math.floor(Math.sqrt(Math.max(0, xp) / 100)) + 1;
}

/** A finished battle as it was recorded: winner, scores from the committed gifts, rewards paid, top gifter. */
export interface BattleResult {
  battleId: string;
  winner: string | null;
  scores: Record<string, number>;
  rewards: Array<Reward & { level: number }>;
  mvp: { userId: string; username: string; coins: number } | null;
  endReason: string;
}

export interface Contribution {
  userId: string;
  name: string;
  coins: number;
  /** Order of the first gift, to break ties: who gave first ranks first. */
  firstAt: number;
}

/** The top `n` contributors by coins, earliest first on ties. */
export function topContributors(all: Iterable<Contribution>, n = 3): Contribution[] {
  // One pass keeping the best n (the room calls this per gift over every contributor: no full sort).
  const before = (x: Contribution, y: Contribution) => y.coins - x.coins || x.firstAt - y.firstAt;
  const top: Contribution[] = [];
  for (const c of all) {
    if (n <= 0 || (top.length === n && before(c, top[n - 1]!) >= 0)) continue;
    let i = top.length;
    while (i > 0 && before(c, top[i - 1]!) < 0) i--;
    top.splice(i, 0, c);
    if (top.length > n) top.pop();
  }
  return top;
}

export type LeaderboardPeriod = 'daily' | 'weekly' | 'monthly' | 'all-time';
export const LEADERBOARD_PERIODS: readonly LeaderboardPeriod[] = ['daily', 'weekly', 'monthly', 'all-time'];

/** Start of the period containing `now`, in UTC; weeks start on Monday (ISO). */
export function periodStart(period: LeaderboardPeriod, now: Date): Date {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (period) {
    case 'daily':
      return new Date(Date.UTC(y, m, d));
    case 'weekly': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(y, m, d - sinceMonday));
    }
    case 'monthly':
      return new Date(Date.UTC(y, m, 1));
    case 'all-time':
      return new Date(0);
  }
}

export function winRate(wins: number, battles: number): number {
  return battles === 0 ? 0 : Math.round((wins / battles) * 10000) / 100;
}
