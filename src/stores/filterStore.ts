/**
 * Stream filters: catalog, unlocks (coins through the ledger), favourites, ratings,
 * usage and the hourly rollup trending reads. SQL lives here.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { ctx } from '../context';
import { inTransaction } from '../db/dataSource';
import { CATALOG } from '../domain/filters/catalog';
import type { ParamSpec } from '../domain/filters/params';
import {
  planUnlock,
  replayUnlock,
  type UnlockPlan,
  type UnlockResult,
  unlockLedgerKeys,
} from '../domain/filters/unlock';
import { orThrow } from '../domain/result';
import { forbidden, notFound } from '../errors';
import type { WalletStore } from './walletStore';

export interface FilterView {
  id: string;
  slug: string | null;
  name: string;
  category: string;
  description: string;
  parameters: ParamSpec[];
  price: number;
  premium: boolean;
  creator: { id: string; username: string } | null;
  published: boolean;
  featured: boolean;
  usageCount: number;
  rating: { average: number; count: number };
  createdAt: string;
}

const SELECT = `SELECT f.id, f.slug, f.name, f.category, f.description, f.params, f.price, f.creator_id, u.username AS creator_name,
  f.published, f.featured, f.usage_count, f.rating_sum, f.rating_count, f.created_at
  FROM stream_filters f LEFT JOIN users u ON u.id = f.creator_id`;

/** A row of SELECT: a filter with its creator's name (pg gives bigint as a string). */
interface FilterRow {
  id: string;
  slug: string | null;
  name: string;
  category: string;
  description: string;
  params: ParamSpec[];
  price: number;
  creator_id: string | null;
  creator_name: string | null;
  published: boolean;
  featured: boolean;
  usage_count: string;
  rating_sum: number;
  rating_count: number;
  created_at: Date;
}

function toView(r: FilterRow): FilterView {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    category: r.category,
    description: r.description,
    parameters: r.params,
    price: r.price,
    premium: r.price > 0,
    creator: r.creator_id ? { id: r.creator_id, username: r.creator_name ?? '' } : null,
    published: r.published,
    featured: r.featured,
    usageCount: Number(r.usage_count),
    rating: {
      average: r.rating_count ? Math.round((r.rating_sum / r.rating_count) * 100) / 100 : 0,
      count: r.rating_count,
    },
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Words → a prefix tsquery (`smooth skin` → `smooth:* & skin:*`); null when nothing searchable is left. */
export function toPrefixQuery(q: string): string | null {
  const words = q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8);
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
}

type TrendingFilter = FilterView & { trendingScore: number; usesLast24h: number };
const TRENDING_MAX = 100;

export type { UnlockResult } from '../domain/filters/unlock';

export class FilterStore {
  private trendingCache?: { at: number; promise: Promise<TrendingFilter[]> };

  constructor(
    private readonly ds: DataSource,
    private readonly wallet: WalletStore,
    private readonly trendingTtlMs = 15_000,
  ) {}

  /** The platform catalog: new filters are added, existing ones get the catalog's current parameters. */
  async seed(): Promise<void> {
    for (const f of CATALOG) {
      await this.ds.query(
        `INSERT INTO stream_filters (slug, name, category, description, params, price, published, featured)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, true, $7)
         ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, params = EXCLUDED.params
           WHERE stream_filters.creator_id IS NULL`,
        [f.slug, f.name, f.category, f.description, JSON.stringify(f.params), f.price, !!f.featured],
      );
    }
  }

  async get(id: string): Promise<FilterView | null> {
    const [r] = (await this.ds.query(`${SELECT} WHERE f.id = $1`, [id])) as FilterRow[];
    return r ? toView(r) : null;
  }

  /** A filter the caller may see: published, or their own. */
  async visible(id: string, userId: string): Promise<FilterView> {
    const f = await this.get(id);
    if (!f || (!f.published && f.creator?.id !== userId)) throw notFound('Filter');
    return f;
  }

  async list(o: { category?: string; tier?: 'free' | 'premium'; page: number; limit: number }) {
    const where = ['f.published'];
    const args: unknown[] = [];
    if (o.category) {
      args.push(o.category);
      where.push(`f.category = $${args.length}`);
    }
    if (o.tier === 'free') where.push('f.price = 0');
    if (o.tier === 'premium') where.push('f.price > 0');
    const rows = await this.ds.query(
      `${SELECT} WHERE ${where.join(' AND ')} ORDER BY f.usage_count DESC, f.id LIMIT ${o.limit} OFFSET ${(o.page - 1) * o.limit}`,
      args,
    );
    const [{ n }] = await this.ds.query(
      `SELECT count(*)::int AS n FROM stream_filters f WHERE ${where.join(' AND ')}`,
      args,
    );
    return { filters: (rows as FilterRow[]).map(toView), total: n };
  }

  async featured(limit: number): Promise<FilterView[]> {
    const rows = await this.ds.query(
      `${SELECT} WHERE f.published AND f.featured ORDER BY f.usage_count DESC, f.id LIMIT $1`,
      [limit],
    );
    return (rows as FilterRow[]).map(toView);
  }

  /**
   * Uses in the last 24 hours from the hourly rollup, each hour weighted by recency
   * (1.0 for the current hour down to 0.25 a day ago).
   */
  async trending(limit: number): Promise<TrendingFilter[]> {
    // One computation serves every request for FILTER_TRENDING_TTL_MS (it reads up to 24 buckets per filter).
    const now = Date.now();
    if (!this.trendingCache || now - this.trendingCache.at >= this.trendingTtlMs) {
      const promise = this.computeTrending(TRENDING_MAX);
      this.trendingCache = { at: now, promise };
      promise.catch(() => {
        if (this.trendingCache?.promise === promise) this.trendingCache = undefined;
      });
    }
    return (await this.trendingCache.promise).slice(0, limit);
  }

  private async computeTrending(limit: number): Promise<TrendingFilter[]> {
    const rows = await this.ds.query(
      `WITH t AS (
         SELECT filter_id, sum(uses)::int AS uses,
                sum(uses * (1 - 0.75 * extract(epoch FROM (date_trunc('hour', now()) - hour)) / 86400.0)) AS score
         FROM filter_usage_hourly WHERE hour > date_trunc('hour', now()) - interval '24 hours'
         GROUP BY filter_id ORDER BY score DESC LIMIT $1 * 2
       )
       ${SELECT.replace('FROM stream_filters f', 'FROM t JOIN stream_filters f ON f.id = t.filter_id').replace(
         'SELECT f.id',
         'SELECT t.score, t.uses, f.id',
       )}
       WHERE f.published ORDER BY t.score DESC, f.id LIMIT $1`,
      [limit],
    );
    return (rows as Array<FilterRow & { score: string; uses: number }>).map((r) => ({
      ...toView(r),
      trendingScore: Math.round(Number(r.score) * 100) / 100,
      usesLast24h: r.uses,
    }));
  }

  /** Full-text search over name (weight A), category (B) and description (C), prefix-matching each word. */
  async search(q: string, limit: number): Promise<FilterView[]> {
    const query = toPrefixQuery(q);
    if (!query) return [];
    const rows = await this.ds.query(
      `${SELECT.replace('SELECT f.id', "SELECT ts_rank(f.search, to_tsquery('simple', $1)) AS rank, f.id")}
       WHERE f.published AND f.search @@ to_tsquery('simple', $1) ORDER BY rank DESC, f.usage_count DESC, f.id LIMIT $2`,
      [query, limit],
    );
    return (rows as FilterRow[]).map(toView);
  }

  async owns(userId: string, filter: FilterView): Promise<boolean> {
    if (filter.price === 0 || filter.creator?.id === userId) return true;
    const rows = await this.ds.query('SELECT 1 FROM filter_unlocks WHERE user_id = $1 AND filter_id = $2', [
      userId,
      filter.id,
    ]);
    return rows.length > 0;
  }

  /**
   * Unlocks a filter for `userId`, charging what `planUnlock` (src/domain/filters/unlock.ts) says, once:
   * the unlock row (primary key user+filter), the debit and the creator's share commit together, so a
   * second unlock, concurrent or later, charges nothing. The first answer is kept under the caller's
   * idempotency key: a retry with that key gets it back (`replayed`), and a concurrent twin with the
   * same key waits on that row, fails its insert, and is retried by inTransaction into the replay.
   */
  unlock(
    userId: string,
    filterId: string,
    idempotencyKey: string,
    creatorShare: number,
  ): Promise<{ result: UnlockResult; replayed: boolean }> {
    return inTransaction(this.ds, async (em) => {
      const [prior] = (await em.query(
        'SELECT filter_id, result FROM filter_unlock_requests WHERE user_id = $1 AND idempotency_key = $2',
        [userId, idempotencyKey],
      )) as Array<{ filter_id: string; result: UnlockResult }>;
      if (prior) {
        return {
          result: orThrow(replayUnlock({ filterId: prior.filter_id, result: prior.result }, filterId)),
          replayed: true,
        };
      }
      const [f] = (await em.query('SELECT id, price, creator_id, published FROM stream_filters WHERE id = $1', [
        filterId,
      ])) as Array<{ id: string; price: number; creator_id: string | null; published: boolean }>;
      const plan = orThrow(
        planUnlock(
          f && { id: f.id, price: f.price, creatorId: f.creator_id, published: f.published },
          userId,
          creatorShare,
        ),
      );
      const result = plan.kind === 'charge' ? await this.charge(em, userId, filterId, plan) : undefined;
      const answer: UnlockResult = result ?? {
        filterId,
        unlocked: true,
        charged: 0,
        balance: await this.wallet.balance(userId, em),
        alreadyOwned: true,
      };
      await em.query(
        `INSERT INTO filter_unlock_requests (user_id, idempotency_key, filter_id, result) VALUES ($1, $2, $3, $4::jsonb)`,
        [userId, idempotencyKey, filterId, JSON.stringify(answer)],
      );
      return { result: answer, replayed: false };
    });
  }

  /** Commits a charge plan inside `em`; undefined when the user already owns the filter (nothing charged). */
  private async charge(
    em: EntityManager,
    userId: string,
    filterId: string,
    plan: Extract<UnlockPlan, { kind: 'charge' }>,
  ): Promise<UnlockResult | undefined> {
    const [inserted] = (await em.query(
      'INSERT INTO filter_unlocks (user_id, filter_id, price_paid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id',
      [userId, filterId, plan.price],
    )) as Array<{ user_id: string }>;
    if (!inserted) return undefined; // already owned (a concurrent twin waited on our row lock and lands here)
    const keys = unlockLedgerKeys(filterId, userId);
    const reference = `filter:${filterId}`;
    const debit = await this.wallet.debit(
      { userId, amount: plan.price, reason: 'filter_unlock', reference, idempotencyKey: keys.debit },
      em,
    );
    if (plan.creatorId && plan.creatorCredit > 0) {
      await this.wallet.credit(
        {
          userId: plan.creatorId,
          amount: plan.creatorCredit,
          reason: 'filter_sale',
          reference,
          idempotencyKey: keys.credit,
        },
        em,
      );
    }
    return { filterId, unlocked: true, charged: plan.price, balance: debit.balance, alreadyOwned: false };
  }

  /** Toggles the caller's favourite; returns the new state. */
  async toggleFavorite(userId: string, filterId: string): Promise<boolean> {
    return inTransaction(this.ds, async (em) => {
      const added = await em.query(
        'INSERT INTO filter_favorites (user_id, filter_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING user_id',
        [userId, filterId],
      );
      if (added.length) return true;
      await em.query('DELETE FROM filter_favorites WHERE user_id = $1 AND filter_id = $2', [userId, filterId]);
      return false;
    });
  }

  /** One rating per user, changeable; the filter's sum and count move in the same transaction under its row lock. */
  rate(userId: string, filterId: string, rating: number): Promise<{ average: number; count: number; yours: number }> {
    return inTransaction(this.ds, async (em) => {
      const [f] = await em.query('SELECT rating_sum, rating_count FROM stream_filters WHERE id = $1 FOR UPDATE', [
        filterId,
      ]);
      if (!f) throw notFound('Filter');
      const [prev] = await em.query('SELECT rating FROM filter_ratings WHERE user_id = $1 AND filter_id = $2', [
        userId,
        filterId,
      ]);
      await em.query(
        `INSERT INTO filter_ratings (user_id, filter_id, rating) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, filter_id) DO UPDATE SET rating = $3, updated_at = now()`,
        [userId, filterId, rating],
      );
      const sum = f.rating_sum + rating - (prev?.rating ?? 0);
      const count = f.rating_count + (prev ? 0 : 1);
      await em.query('UPDATE stream_filters SET rating_sum = $2, rating_count = $3 WHERE id = $1', [
        filterId,
        sum,
        count,
      ]);
      return { average: Math.round((sum / count) * 100) / 100, count, yours: rating };
    });
  }

  async createCustom(c: {
    creatorId: string;
    name: string;
    category: string;
    description: string;
    params: ParamSpec[];
    price: number;
  }) {
    const [r] = await this.ds.query(
      `INSERT INTO stream_filters (name, category, description, params, price, creator_id, published)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, false) RETURNING id`,
      [c.name, c.category, c.description, JSON.stringify(c.params), c.price, c.creatorId],
    );
    return (await this.get(r.id))!;
  }

  async publish(userId: string, filterId: string): Promise<FilterView> {
    const f = await this.get(filterId);
    if (!f || (!f.published && f.creator?.id !== userId)) throw notFound('Filter');
    if (f.creator?.id !== userId) throw forbidden('Only the creator publishes a filter');
    await this.ds.query('UPDATE stream_filters SET published = true WHERE id = $1', [filterId]);
    return (await this.get(filterId))!;
  }

  /** Counts one application: a usage row, the hourly bucket, the filter's total. */
  async recordUse(filterId: string, userId: string, streamId: string): Promise<void> {
    await inTransaction(this.ds, async (em) => {
      await em.query('INSERT INTO filter_usage (filter_id, user_id, stream_id) VALUES ($1, $2, $3)', [
        filterId,
        userId,
        streamId,
      ]);
      await em.query(
        `INSERT INTO filter_usage_hourly (filter_id, hour, uses) VALUES ($1, date_trunc('hour', now()), 1)
         ON CONFLICT (filter_id, hour) DO UPDATE SET uses = filter_usage_hourly.uses + 1`,
        [filterId],
      );
      await em.query('UPDATE stream_filters SET usage_count = usage_count + 1 WHERE id = $1', [filterId]);
    });
  }

  async favorites(userId: string): Promise<FilterView[]> {
    const rows = await this.ds.query(
      `${SELECT} JOIN filter_favorites fav ON fav.filter_id = f.id AND fav.user_id = $1 ORDER BY fav.created_at DESC`,
      [userId],
    );
    return (rows as FilterRow[]).map(toView);
  }

  async unlocked(userId: string): Promise<FilterView[]> {
    const rows = await this.ds.query(
      `${SELECT} JOIN filter_unlocks ul ON ul.filter_id = f.id AND ul.user_id = $1 ORDER BY ul.created_at DESC`,
      [userId],
    );
    return (rows as FilterRow[]).map(toView);
  }

  async created(userId: string): Promise<FilterView[]> {
    const rows = await this.ds.query(`${SELECT} WHERE f.creator_id = $1 ORDER BY f.created_at DESC`, [userId]);
    return (rows as FilterRow[]).map(toView);
  }
}

let cached: { ds: DataSource; store: FilterStore } | undefined;
export function filterStore(): FilterStore {
  const c = ctx();
  if (cached?.ds !== c.ds)
    cached = { ds: c.ds, store: new FilterStore(c.ds, c.wallet, c.config.FILTER_TRENDING_TTL_MS) };
  return cached.store;
}
