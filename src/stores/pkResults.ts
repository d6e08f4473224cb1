/**
 * Finishing a PK battle, in one transaction: lock the battle, take the scores from the committed
 * gift rows, decide the winner and who is rewarded (src/domain/pk/rules.ts), pay rewards (coins
 * through the wallet ledger, experience and level), write each host's result (the leaderboards
 * and stats read these rows) and the viewers' contributions, mark the battle ended, free the hosts.
 * The SQL is PkStore's (the repository); this module only orders it.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { ctx } from '../context';
import { inTransaction } from '../db/dataSource';
import {
  type BattleActivity,
  type BattleResult,
  decideWinner,
  levelForXp,
  type RewardSettings,
  rewardEligible,
  rewardsFor,
} from '../domain/pk/rules';
import { AppError, ErrorCode, notFound } from '../errors';
import { type BattleLock, type PkStore, pkStore } from './pkStore';
import type { WalletStore } from './walletStore';

export interface FinishOptions {
  forfeitedBy?: string;
  rewards: RewardSettings;
  /** What the room saw (live time, presence); none: nobody was seen present. */
  activity?: BattleActivity;
  /** Share of the live time a host must have been connected to be rewarded (default 0.5). */
  minPresence?: number;
}

export class PkResults {
  constructor(
    private readonly ds: DataSource,
    private readonly store: PkStore,
    private readonly wallet: WalletStore,
  ) {}

  /**
   * Records a battle's end and answers its result. Idempotent: a battle already ended answers its
   * stored result. 409 when the battle is not countdown/live (or ended); 404 when there is none.
   */
  finishBattle(battleId: string, opts: FinishOptions): Promise<BattleResult> {
    return inTransaction(this.ds, async (em) => {
      const b = await this.store.lockBattle(battleId, em);
      if (!b) throw notFound('Battle');
      const hosts = [b.hostA, b.hostB] as const;
      const scores = await this.store.scores(battleId, em);
      for (const h of hosts) scores[h] ??= 0;
      if (b.status === 'ended') return this.storedResult(em, battleId, scores, b);
      if (b.status !== 'live' && b.status !== 'countdown') {
        throw new AppError(ErrorCode.INVALID_STATE, `Battle is ${b.status}`);
      }
      const winner = decideWinner(hosts, scores, opts.forfeitedBy);
      const endReason = opts.forfeitedBy ? 'forfeit' : 'time';
      const activity = opts.activity ?? { liveMs: 0, presentMs: {}, connectedAtEnd: [] };
      const eligible = rewardEligible(hosts, winner, {
        ...activity,
        giftCoins: Object.values(scores).reduce((x, y) => x + y, 0),
        forfeited: Boolean(opts.forfeitedBy),
        minPresence: opts.minPresence ?? 0.5,
      });
      const rewards: BattleResult['rewards'] = [];
      for (const r of rewardsFor(hosts, winner, opts.rewards, eligible)) {
        if (r.coins > 0) {
          await this.wallet.credit(
            {
              userId: r.userId,
              amount: r.coins,
              reason: 'pk_reward',
              reference: `pk:${battleId}`,
              idempotencyKey: `pk-reward:${battleId}`,
            },
            em,
          );
        }
        const level = levelForXp(await this.store.addExperience(r.userId, r.xp, em));
        await this.store.setLevel(r.userId, level, em);
        const opponent = r.userId === hosts[0] ? hosts[1] : hosts[0];
        await this.store.insertHostResult(
          {
            battleId,
            userId: r.userId,
            opponentId: opponent,
            result: r.result,
            points: scores[r.userId]!,
            opponentPoints: scores[opponent]!,
            rewardCoins: r.coins,
            rewardXp: r.xp,
          },
          em,
        );
        rewards.push({ ...r, level });
      }
      await this.store.insertContributions(battleId, em);
      await this.store.markEnded(
        battleId,
        { scoreA: scores[hosts[0]]!, scoreB: scores[hosts[1]]!, winnerId: winner, endReason },
        em,
      );
      await this.store.freeHosts(battleId, em);
      return { battleId, winner, scores, rewards, mvp: await this.store.mvp(battleId, em), endReason };
    });
  }

  private async storedResult(
    em: EntityManager,
    battleId: string,
    scores: Record<string, number>,
    b: BattleLock,
  ): Promise<BattleResult> {
    return {
      battleId,
      winner: b.winnerId,
      scores,
      rewards: await this.store.hostResults(battleId, b.hostA, em),
      mvp: await this.store.mvp(battleId, em),
      endReason: b.endReason ?? 'time',
    };
  }
}

let cached: { ds: DataSource; results: PkResults } | undefined;
/** The process's PkResults, on the shared data source, PkStore and wallet. */
export function pkResults(): PkResults {
  const c = ctx();
  if (cached?.ds !== c.ds) cached = { ds: c.ds, results: new PkResults(c.ds, pkStore(), c.wallet) };
  return cached.results;
}
