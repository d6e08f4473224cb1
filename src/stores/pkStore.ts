/**
 * PK battle persistence (a repository: SQL lives here, no orchestration): the gift catalog,
 * battles, accepted gifts (each committed with its coin movements), results, contributions,
 * stats and leaderboards. Finishing a battle (decide, pay, record) is src/stores/pkResults.ts.
 * Methods that may join a caller's transaction take an optional `em`.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction, isUniqueViolation, RETRYABLE } from '../db/dataSource';
import {
  type BattleResult,
  type BattleStatus,
  HOLDING_STATUSES,
  type HostResult,
  type LeaderboardPeriod,
  periodStart,
  type UnplayedStatus,
  winRate,
} from '../domain/pk/rules';
import { type CatalogGift, giftValue } from '../domain/pk/scoring';
import { AppError, ErrorCode, conflict, invalidState, notFound } from '../errors';
import { ctx } from '../context';
import { ledgerKey } from './walletStore';

/** A gift of the catalog (the domain's CatalogGift). */
export type GiftRow = CatalogGift;

export interface BattleRow {
  id: string;
  roomId: string | null;
  hostA: string;
  hostB: string;
  hostAName: string;
  hostBName: string;
  durationMinutes: number;
  status: BattleStatus;
  scoreA: number;
  scoreB: number;
  winnerId: string | null;
  endReason: string | null;
  createdAt: string;
  startedAt: string | null;
  endsAt: string | null;
  endedAt: string | null;
}

export interface GiftInput {
  battleId: string;
  senderId: string;
  recipientId: string;
  gift: GiftRow;
  count: number;
  requestId: string;
  hostShare: number;
}

export interface GiftRecord {
  giftId: string;
  senderId: string;
  recipientId: string;
  count: number;
  coins: number;
  hostCoins: number;
  platformCoins: number;
  requestId: string;
  /** The sender's balance after this gift (current balance on a replay). */
  balance: number;
  replayed: boolean;
}

/** The gifts a fresh database starts with. */
export const DEFAULT_GIFTS: GiftRow[] = [
  { id: 'rose', name: 'Rose', coins: 1, animationKey: 'rose' },
  { id: 'heart', name: 'Heart', coins: 5, animationKey: 'heart_burst' },
  { id: 'ice-cream', name: 'Ice Cream', coins: 10, animationKey: 'ice_cream' },
  { id: 'star', name: 'Star', coins: 20, animationKey: 'star_spin' },
  { id: 'crown', name: 'Crown', coins: 100, animationKey: 'crown_drop' },
  { id: 'sports-car', name: 'Sports Car', coins: 500, animationKey: 'car_drive' },
  { id: 'rocket', name: 'Rocket', coins: 1000, animationKey: 'rocket_launch' },
  { id: 'castle', name: 'Castle', coins: 5000, animationKey: 'castle_rise' },
];

const BATTLE_SELECT = `
  SELECT b.id, b.room_id, b.host_a, b.host_b, ua.username AS host_a_name, ub.username AS host_b_name,
         b.duration_minutes, b.status, b.score_a, b.score_b, b.winner_id, b.end_reason,
         b.created_at, b.started_at, b.ends_at, b.ended_at
  FROM pk_battles b JOIN users ua ON ua.id = b.host_a JOIN users ub ON ub.id = b.host_b`;

/** A row of BATTLE_SELECT as pg returns it (bigints as strings). */
interface BattleSelectRow {
  id: string;
  room_id: string | null;
  host_a: string;
  host_b: string;
  host_a_name: string;
  host_b_name: string;
  duration_minutes: number;
  status: BattleStatus;
  score_a: string | number;
  score_b: string | number;
  winner_id: string | null;
  end_reason: string | null;
  created_at: Date;
  started_at: Date | null;
  ends_at: Date | null;
  ended_at: Date | null;
}

/** A row of the rankings query (bigints and ranks as strings). */
interface RankedRow {
  user_id: string;
  points: string;
  wins: number;
  battles: number;
  rank: string;
  username: string;
  level: number;
}

/** The columns of a battle its end reads (locked with FOR UPDATE). */
export interface BattleLock {
  status: BattleStatus;
  hostA: string;
  hostB: string;
  winnerId: string | null;
  endReason: string | null;
}

/** One host's row of pk_host_results. */
export interface HostResultRow {
  battleId: string;
  userId: string;
  opponentId: string;
  result: HostResult;
  points: number;
  opponentPoints: number;
  rewardCoins: number;
  rewardXp: number;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function toBattle(r: BattleSelectRow): BattleRow {
  return {
    id: r.id,
    roomId: r.room_id,
    hostA: r.host_a,
    hostB: r.host_b,
    hostAName: r.host_a_name,
    hostBName: r.host_b_name,
    durationMinutes: r.duration_minutes,
    status: r.status,
    scoreA: Number(r.score_a),
    scoreB: Number(r.score_b),
    winnerId: r.winner_id,
    endReason: r.end_reason,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    endsAt: iso(r.ends_at),
    endedAt: iso(r.ended_at),
  };
}

/** One row of `pk_record_gifts` (see PkStore.recordGifts). */
interface RecordedGiftRow {
  o_k: number;
  o_outcome: 'prior' | 'paid' | 'short';
  o_balance: string;
  o_gift_id: string | null;
  o_count: number | null;
  o_coins: string | null;
  o_host_coins: string | null;
  o_platform_coins: string | null;
  o_recipient_id: string | null;
}

/**
 * `pk_record_gifts` as one autocommitted statement (committed when it returns), retried a few times on what
 * inTransaction retries (a concurrent twin's unique violation, a deadlock, a serialization failure): the
 * retry finds the twin's rows and replays them. A host row that is gone (P0002) fails the batch as 404 User.
 */
async function recordGiftsOnce(ds: DataSource, params: unknown[][], attempts = 4): Promise<RecordedGiftRow[]> {
  for (let i = 1; ; i++) {
    try {
      return await ds.query(
        `SELECT * FROM pk_record_gifts($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::bigint[],
           $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[])`,
        params,
      );
    } catch (err) {
      const code =
        (err as { code?: string; driverError?: { code?: string } }).driverError?.code ??
        (err as { code?: string }).code;
      if (code === 'P0002') throw notFound('User');
      if (i >= attempts || !code || !RETRYABLE.has(code)) throw err;
    }
  }
}

export class PkStore {
  constructor(private readonly ds: DataSource) {}

  private q(em?: EntityManager): EntityManager {
    return em ?? this.ds.manager;
  }

  // --- gift catalog ---------------------------------------------------------------

  async seedGifts(): Promise<void> {
    for (const g of DEFAULT_GIFTS) {
      await this.ds.query(
        'INSERT INTO gifts (id, name, coins, animation_key) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
        [g.id, g.name, g.coins, g.animationKey],
      );
    }
  }

  async listGifts(em?: EntityManager): Promise<GiftRow[]> {
    const rows: Array<{ id: string; name: string; coins: number; animation_key: string }> = await this.q(em).query(
      'SELECT id, name, coins, animation_key FROM gifts WHERE active ORDER BY coins, id',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, coins: r.coins, animationKey: r.animation_key }));
  }

  async addGift(g: GiftRow): Promise<GiftRow> {
    try {
      await this.ds.query('INSERT INTO gifts (id, name, coins, animation_key) VALUES ($1, $2, $3, $4)', [
        g.id,
        g.name,
        g.coins,
        g.animationKey,
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`Gift ${g.id} already exists`);
      throw err;
    }
    return g;
  }

  // --- battle lifecycle -----------------------------------------------------------

  /**
   * Creates a pending battle and holds the inviter only: a pending invitation never blocks the
   * invitee, who is held when accepting (markCountdown). 409 when the inviter is already in a battle
   * or the opponent is in an accepted one; 429 past `invitesPerHour` battles created in the last hour.
   */
  async createBattle(
    hostA: string,
    hostB: string,
    durationMinutes: number,
    invitesPerHour = Number.MAX_SAFE_INTEGER,
  ): Promise<string> {
    try {
      return await inTransaction(
        this.ds,
        async (em) => {
          // One pending battle per inviter (the hold below is unique), so two racing invitations cannot both pass.
          const [{ n }] = await em.query(
            `SELECT count(*)::int AS n FROM pk_battles WHERE host_a = $1 AND created_at > now() - interval '1 hour'`,
            [hostA],
          );
          if (n >= invitesPerHour) {
            throw new AppError(ErrorCode.RATE_LIMITED, `At most ${invitesPerHour} battle invitations per hour`);
          }
          const [busy] = await em.query(
            `SELECT 1 FROM pk_active_hosts h JOIN pk_battles b ON b.id = h.battle_id
              WHERE h.user_id = $1 AND b.status IN ('countdown', 'live')`,
            [hostB],
          );
          if (busy) throw conflict('The opponent is in a battle right now');
          const [row] = await em.query(
            `INSERT INTO pk_battles (host_a, host_b, duration_minutes, status) VALUES ($1, $2, $3, 'pending') RETURNING id`,
            [hostA, hostB, durationMinutes],
          );
          await em.query('INSERT INTO pk_active_hosts (user_id, battle_id) VALUES ($1, $2)', [hostA, row.id]);
          return row.id as string;
        },
        1,
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('You already have a pending or live battle');
      throw err;
    }
  }

  /** Ids of the pending battles inviting `userId` (for decline-all; each battle's room has its id). */
  async pendingInvitations(userId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT id FROM pk_battles WHERE host_b = $1 AND status = 'pending' ORDER BY created_at LIMIT 200`,
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /** Binds the room to its row only if no room was bound yet: false means another room already serves it. */
  async claimRoom(id: string, roomId: string): Promise<boolean> {
    const [rows] = await this.ds.query(
      'UPDATE pk_battles SET room_id = $2 WHERE id = $1 AND room_id IS NULL RETURNING id',
      [id, roomId],
    );
    return rows.length === 1;
  }

  async getBattle(id: string, em?: EntityManager): Promise<BattleRow | null> {
    const rows: BattleSelectRow[] = await this.q(em).query(`${BATTLE_SELECT} WHERE b.id = $1`, [id]);
    return rows[0] ? toBattle(rows[0]) : null;
  }

  /** The invitee accepted: hold them too (409 when they are in another battle meanwhile), then count down. */
  async markCountdown(id: string): Promise<void> {
    try {
      await inTransaction(
        this.ds,
        async (em) => {
          const [[b]] = await em.query(
            `UPDATE pk_battles SET status = 'countdown' WHERE id = $1 AND status = 'pending' RETURNING host_b`,
            [id],
          );
          if (!b) throw invalidState('Battle is no longer pending');
          await em.query('INSERT INTO pk_active_hosts (user_id, battle_id) VALUES ($1, $2)', [b.host_b, id]);
        },
        1,
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('You are already in another battle');
      throw err;
    }
  }

  async markLive(id: string, startedAt: Date, endsAt: Date, em?: EntityManager): Promise<void> {
    await this.q(em).query(`UPDATE pk_battles SET status = 'live', started_at = $2, ends_at = $3 WHERE id = $1`, [
      id,
      startedAt,
      endsAt,
    ]);
  }

  /** Ends a battle that never went live (declined, cancelled, expired) and frees its hosts. */
  async closeUnplayed(id: string, status: UnplayedStatus): Promise<void> {
    await inTransaction(this.ds, async (em) => {
      await em.query(
        `UPDATE pk_battles SET status = $2, ended_at = now(), end_reason = $2 WHERE id = $1 AND status IN ('pending', 'countdown')`,
        [id, status],
      );
      await this.freeHosts(id, em);
    });
  }

  /** Lets both hosts start other battles. */
  async freeHosts(battleId: string, em?: EntityManager): Promise<void> {
    await this.q(em).query('DELETE FROM pk_active_hosts WHERE battle_id = $1', [battleId]);
  }

  // --- gifts ----------------------------------------------------------------------

  /**
   * Group commit of gifts (one statement, `pk_record_gifts` — migration GiftCommitFunction — for every gift
   * of every battle of this process that arrived within the commit window): for each gift the sender pays,
   * the gift row is written and the receiving host is credited its share — all of it or, for a gift that
   * fails (short balance), none of it. A (battle, sender, requestId) seen before, in the database or earlier
   * in the batch, returns the first result. Coins and the split (giftValue, src/domain/pk/scoring.ts) and ledger keys are computed here;
   * the function applies them in one round trip (it was eight), retried on a concurrent twin's race.
   */
  async recordGifts(inputs: GiftInput[]): Promise<Array<GiftRecord | AppError>> {
    // In-batch duplicates are resolved here: the database sees each (battle, sender, requestId) once.
    const unique: Array<{ input: GiftInput; coins: number; hostCoins: number; platformCoins: number }> = [];
    const slotOf = new Map<string, number>();
    const slots = inputs.map((input) => {
      const key = `${input.battleId}:${input.senderId}:${input.requestId}`;
      let slot = slotOf.get(key);
      if (slot === undefined) {
        slot = unique.length;
        slotOf.set(key, slot);
        unique.push({ input, ...giftValue(input.gift.coins, input.count, input.hostShare) });
      }
      return slot;
    });
    if (!unique.length) return [];
    const col = <T>(f: (u: (typeof unique)[number]) => T) => unique.map(f);
    const params = [
      col((u) => u.input.battleId),
      col((u) => u.input.senderId),
      col((u) => u.input.recipientId),
      col((u) => u.input.gift.id),
      col((u) => u.input.count),
      col((u) => u.coins),
      col((u) => u.hostCoins),
      col((u) => u.platformCoins),
      col((u) => u.input.requestId),
      col((u) => `pk:${u.input.battleId}`),
      col((u) => ledgerKey('pk-gift', u.input.battleId, u.input.requestId)),
      col((u) => ledgerKey('pk-earn', u.input.battleId, u.input.senderId, u.input.requestId)),
    ];
    const rows = await recordGiftsOnce(this.ds, params);
    const results: Array<GiftRecord | AppError | undefined> = new Array(unique.length);
    for (const r of rows) {
      const u = unique[r.o_k - 1]!;
      if (r.o_outcome === 'short') {
        results[r.o_k - 1] = new AppError(ErrorCode.INSUFFICIENT_COINS, `Insufficient coins: ${u.coins} needed`);
        continue;
      }
      const prior = r.o_outcome === 'prior';
      results[r.o_k - 1] = {
        giftId: prior ? r.o_gift_id! : u.input.gift.id,
        senderId: u.input.senderId,
        recipientId: prior ? r.o_recipient_id! : u.input.recipientId,
        count: prior ? r.o_count! : u.input.count,
        coins: prior ? Number(r.o_coins) : u.coins,
        hostCoins: prior ? Number(r.o_host_coins) : u.hostCoins,
        platformCoins: prior ? Number(r.o_platform_coins) : u.platformCoins,
        requestId: u.input.requestId,
        balance: Number(r.o_balance),
        replayed: prior,
      };
    }
    const seen = new Set<number>();
    return slots.map((slot) => {
      const first = results[slot];
      if (!first) throw new AppError(ErrorCode.INTERNAL, 'pk_record_gifts left a gift without an outcome');
      if (!seen.has(slot)) {
        seen.add(slot);
        return first;
      }
      return first instanceof AppError ? first : { ...first, replayed: true };
    });
  }

  /** Scores from the committed gift rows: the truth a result is computed from. */
  async scores(battleId: string, em?: EntityManager): Promise<Record<string, number>> {
    const rows: Array<{ recipient_id: string; coins: string }> = await this.q(em).query(
      'SELECT recipient_id, sum(coins)::bigint AS coins FROM pk_battle_gifts WHERE battle_id = $1 GROUP BY recipient_id',
      [battleId],
    );
    return Object.fromEntries(rows.map((r) => [r.recipient_id, Number(r.coins)]));
  }

  // --- results (written by pkResults.finishBattle inside its transaction) ----------

  /** Locks a battle's row for its end; null when there is no such battle. */
  async lockBattle(battleId: string, em: EntityManager): Promise<BattleLock | null> {
    const [b]: Array<{
      status: BattleStatus;
      host_a: string;
      host_b: string;
      winner_id: string | null;
      end_reason: string | null;
    }> = await em.query(
      'SELECT status, host_a, host_b, winner_id, end_reason FROM pk_battles WHERE id = $1 FOR UPDATE',
      [battleId],
    );
    return b
      ? { status: b.status, hostA: b.host_a, hostB: b.host_b, winnerId: b.winner_id, endReason: b.end_reason }
      : null;
  }

  /** Adds experience to a user; answers the new total. */
  async addExperience(userId: string, xp: number, em?: EntityManager): Promise<number> {
    // UPDATE ... RETURNING through TypeORM's pg driver answers [rows, affectedCount].
    const [[u]]: [[{ experience: number }]] = await this.q(em).query(
      'UPDATE users SET experience = experience + $2 WHERE id = $1 RETURNING experience',
      [userId, xp],
    );
    return u.experience;
  }

  async setLevel(userId: string, level: number, em?: EntityManager): Promise<void> {
    await this.q(em).query('UPDATE users SET level = $2 WHERE id = $1', [userId, level]);
  }

  async insertHostResult(r: HostResultRow, em?: EntityManager): Promise<void> {
    await this.q(em).query(
      `INSERT INTO pk_host_results (battle_id, user_id, opponent_id, result, points, opponent_points, reward_coins, reward_xp, ended_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
      [r.battleId, r.userId, r.opponentId, r.result, r.points, r.opponentPoints, r.rewardCoins, r.rewardXp],
    );
  }

  /** Each viewer's giving per side, summed from the gift rows (pk_contributions). */
  async insertContributions(battleId: string, em?: EntityManager): Promise<void> {
    await this.q(em).query(
      `INSERT INTO pk_contributions (battle_id, user_id, host_id, coins, gifts)
       SELECT battle_id, sender_id, recipient_id, sum(coins), count(*) FROM pk_battle_gifts WHERE battle_id = $1
       GROUP BY battle_id, sender_id, recipient_id`,
      [battleId],
    );
  }

  async markEnded(
    battleId: string,
    r: { scoreA: number; scoreB: number; winnerId: string | null; endReason: string },
    em?: EntityManager,
  ): Promise<void> {
    await this.q(em).query(
      `UPDATE pk_battles SET status = 'ended', score_a = $2, score_b = $3, winner_id = $4, end_reason = $5, ended_at = now()
       WHERE id = $1`,
      [battleId, r.scoreA, r.scoreB, r.winnerId, r.endReason],
    );
  }

  /** The stored rewards of an ended battle, host A first. */
  async hostResults(battleId: string, hostA: string, em?: EntityManager): Promise<BattleResult['rewards']> {
    const rows: Array<{ user_id: string; result: HostResult; reward_coins: number; reward_xp: number; level: number }> =
      await this.q(em).query(
        `SELECT r.user_id, r.result, r.reward_coins, r.reward_xp, u.level FROM pk_host_results r JOIN users u ON u.id = r.user_id
         WHERE r.battle_id = $1 ORDER BY r.user_id = $2 DESC`,
        [battleId, hostA],
      );
    return rows.map((r) => ({
      userId: r.user_id,
      result: r.result,
      coins: r.reward_coins,
      xp: r.reward_xp,
      level: r.level,
    }));
  }

  /** The battle's top gifter (most coins; the earliest gift first on ties). */
  async mvp(battleId: string, em?: EntityManager): Promise<BattleResult['mvp']> {
    const [m]: Array<{ sender_id: string; username: string; coins: string }> = await this.q(em).query(
      `SELECT g.sender_id, u.username, sum(g.coins)::bigint AS coins FROM pk_battle_gifts g JOIN users u ON u.id = g.sender_id
       WHERE g.battle_id = $1 GROUP BY g.sender_id, u.username ORDER BY sum(g.coins) DESC, min(g.id) LIMIT 1`,
      [battleId],
    );
    return m ? { userId: m.sender_id, username: m.username, coins: Number(m.coins) } : null;
  }

  /**
   * A battle whose room went away before its end (shutdown or crash): scores are kept from
   * the committed gifts, no rewards, hosts freed.
   */
  async interruptBattle(battleId: string): Promise<void> {
    await inTransaction(this.ds, async (em) => {
      const scores = await this.scores(battleId, em);
      await em.query(
        `UPDATE pk_battles b SET status = 'interrupted', end_reason = 'interrupted', ended_at = now(),
           score_a = COALESCE(($2::jsonb ->> b.host_a::text)::bigint, 0), score_b = COALESCE(($2::jsonb ->> b.host_b::text)::bigint, 0)
         WHERE id = $1 AND status IN ('pending', 'countdown', 'live')`,
        [battleId, JSON.stringify(scores)],
      );
      await this.freeHosts(battleId, em);
    });
  }

  /** Battles left holding by a process that is gone: closed as interrupted. */
  async recoverOrphans(roomAlive: (roomId: string) => Promise<boolean>): Promise<number> {
    const rows: Array<{ id: string; room_id: string | null }> = await this.ds.query(
      `SELECT id, room_id FROM pk_battles WHERE status = ANY($1)`,
      [HOLDING_STATUSES],
    );
    let closed = 0;
    for (const r of rows) {
      if (r.room_id && (await roomAlive(r.room_id))) continue;
      await this.interruptBattle(r.id);
      closed++;
    }
    return closed;
  }

  // --- reads ----------------------------------------------------------------------

  async activeList(page: number, limit: number): Promise<{ items: BattleRow[]; total: number }> {
    const rows: BattleSelectRow[] = await this.ds.query(
      `${BATTLE_SELECT} WHERE b.status IN ('countdown', 'live') ORDER BY b.started_at DESC NULLS FIRST, b.created_at DESC LIMIT $1 OFFSET $2`,
      [limit, (page - 1) * limit],
    );
    const [{ n }] = await this.ds.query(
      `SELECT count(*)::int AS n FROM pk_battles WHERE status IN ('countdown', 'live')`,
    );
    return { items: rows.map(toBattle), total: n };
  }

  async userHistory(userId: string, page: number, limit: number) {
    const rows: BattleSelectRow[] = await this.ds.query(
      `${BATTLE_SELECT} WHERE b.host_a = $1 OR b.host_b = $1 ORDER BY b.created_at DESC LIMIT $2 OFFSET $3`,
      [userId, limit, (page - 1) * limit],
    );
    const [s]: Array<{ battles: number; wins: number; losses: number; draws: number; points: string }> =
      await this.ds.query(
        `SELECT count(*)::int AS battles,
              count(*) FILTER (WHERE result = 'win')::int AS wins,
              count(*) FILTER (WHERE result = 'loss')::int AS losses,
              count(*) FILTER (WHERE result = 'draw')::int AS draws,
              COALESCE(sum(points), 0)::bigint AS points
       FROM pk_host_results WHERE user_id = $1`,
        [userId],
      );
    return {
      battles: rows.map(toBattle),
      stats: {
        battles: s.battles,
        wins: s.wins,
        losses: s.losses,
        draws: s.draws,
        points: Number(s.points),
        winRate: winRate(s.wins, s.battles),
      },
    };
  }

  /** Hosts ranked by battle points in the period (UTC), with wins, and the caller's own rank. */
  async rankings(period: LeaderboardPeriod, callerId: string, limit: number, now = new Date()) {
    const since = periodStart(period, now);
    const ranked = `
      WITH totals AS (
        SELECT r.user_id, sum(r.points)::bigint AS points, count(*) FILTER (WHERE r.result = 'win')::int AS wins,
               count(*)::int AS battles
        FROM pk_host_results r WHERE r.ended_at >= $1 GROUP BY r.user_id
      ), ranked AS (
        SELECT t.*, RANK() OVER (ORDER BY t.points DESC, t.wins DESC) AS rank FROM totals t
      )
      SELECT ranked.*, u.username, u.level FROM ranked JOIN users u ON u.id = ranked.user_id`;
    const rows: RankedRow[] = await this.ds.query(`${ranked} ORDER BY rank, user_id LIMIT $2`, [since, limit]);
    const mine: RankedRow[] = await this.ds.query(`${ranked} WHERE ranked.user_id = $2`, [since, callerId]);
    const entry = (r: RankedRow) => ({
      rank: Number(r.rank),
      userId: r.user_id,
      username: r.username,
      level: r.level,
      points: Number(r.points),
      wins: r.wins,
      battles: r.battles,
    });
    return { period, since: since.toISOString(), rankings: rows.map(entry), me: mine[0] ? entry(mine[0]) : null };
  }

  /** Money sums of one battle (or all): what the integrity checks compare. */
  async integrity(battleId?: string) {
    const where = battleId ? 'WHERE battle_id = $1' : '';
    const args = battleId ? [battleId] : [];
    const [g] = await this.ds.query(
      `SELECT COALESCE(sum(coins), 0)::bigint AS coins, COALESCE(sum(host_coins), 0)::bigint AS host,
              COALESCE(sum(platform_coins), 0)::bigint AS platform, count(*)::int AS gifts FROM pk_battle_gifts ${where}`,
      args,
    );
    const ref = battleId ? 'AND reference = $1' : '';
    const refArgs = battleId ? [`pk:${battleId}`] : [];
    const [l] = await this.ds.query(
      `SELECT COALESCE(-sum(amount) FILTER (WHERE reason = 'pk_gift'), 0)::bigint AS debited,
              COALESCE(sum(amount) FILTER (WHERE reason = 'pk_gift_earning'), 0)::bigint AS earned,
              count(*) FILTER (WHERE reason = 'pk_gift')::int AS debits
       FROM ledger_entries WHERE reason IN ('pk_gift', 'pk_gift_earning') ${ref}`,
      refArgs,
    );
    return {
      gifts: g.gifts,
      giftCoins: Number(g.coins),
      hostCoins: Number(g.host),
      platformCoins: Number(g.platform),
      ledgerDebited: Number(l.debited),
      ledgerEarned: Number(l.earned),
      ledgerDebits: l.debits,
    };
  }
}

let cached: { ds: DataSource; store: PkStore } | undefined;
/** The process's PkStore, built on the shared data source and wallet. */
export function pkStore(): PkStore {
  const c = ctx();
  if (cached?.ds !== c.ds) cached = { ds: c.ds, store: new PkStore(c.ds) };
  return cached.store;
}
