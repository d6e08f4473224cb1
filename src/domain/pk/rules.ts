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
export type BattlePhase = 'invite' | 'countdown' | 'battle' | 'result' | 'closed';
export type HostResult = 'win' | 'loss' | 'draw';
export type EndReason = 'time' | 'forfeit';

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

export function rewardsFor(hosts: readonly [string, string], winner: string | null, s: RewardSettings): Reward[] {
  return hosts.map((userId) => {
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

export interface Contribution {
  userId: string;
  name: string;
  coins: number;
  /** Order of the first gift, to break ties: who gave first ranks first. */
  firstAt: number;
}

/** The top `n` contributors by coins, earliest first on ties. */
export function topContributors(all: Iterable<Contribution>, n = 3): Contribution[] {
  return [...all].sort((x, y) => y.coins - x.coins || x.firstAt - y.firstAt).slice(0, n);
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
