/**
 * The coin ledger: the only code that changes a balance, with one exception that applies the same rules in
 * SQL for the hottest path: PK gift batches (`pk_record_gifts`, migration GiftCommitFunction, called by
 * PkStore.recordGifts: the same conditional UPDATE and one ledger row per movement). Every movement is one
 * ledger row (user, signed amount, balance after, reason, reference, idempotency
 * key) written in the same transaction as the balance update.
 *
 * - Idempotent: a key already used by that user returns the first result (replayed)
 *   and changes nothing; the same key with another amount is a conflict.
 * - Atomic and safe under concurrency: the balance moves in one conditional UPDATE
 *   (`coins >= amount`), so parallel debits across processes cannot overdraw.
 * - Composable: pass an EntityManager to join a caller's transaction (a gift moves
 *   coins and records a score row together). Without one, each call is its own
 *   transaction, retried on a concurrent twin's unique-key race.
 */
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../db/dataSource';
import { AppError, ErrorCode, badRequest, notFound } from '../errors';

/**
 * A ledger idempotency key from its parts: readable (`prefix:a:b`) while it fits, otherwise
 * `prefix:h:<sha256>` — so a client-chosen part can never push it past the column's 200 characters.
 */
export function ledgerKey(prefix: string, ...parts: string[]): string {
  const plain = [prefix, ...parts].join(':');
  if (plain.length <= 120) return plain;
  return `${prefix}:h:${createHash('sha256').update(parts.join('\u0000')).digest('base64url')}`;
}

export interface Movement {
  userId: string;
  /** Positive whole coins. */
  amount: number;
  reason: string;
  reference?: string | null;
  idempotencyKey: string;
}

export interface MovementResult {
  entryId: string;
  userId: string;
  /** Signed: negative for a debit. */
  amount: number;
  balance: number;
  replayed: boolean;
}

export interface TransferResult {
  debit: MovementResult;
  credit: MovementResult;
  replayed: boolean;
}

/** One movement of a batch: `sign` -1 debits, +1 credits. */
export interface BatchMovement extends Movement {
  sign: 1 | -1;
}
export type BatchOutcome = { ok: true; balance: number; entry: number } | { ok: false; error: AppError };

export interface LedgerRow {
  id: string;
  amount: number;
  balanceAfter: number;
  reason: string;
  reference: string | null;
  idempotencyKey: string;
  createdAt: Date;
}

function check(m: Movement): void {
  if (!Number.isSafeInteger(m.amount) || m.amount <= 0) throw badRequest('amount must be a positive whole number');
  if (!m.idempotencyKey || m.idempotencyKey.length > 200) throw badRequest('idempotencyKey is required (1-200 chars)');
  if (!m.reason || m.reason.length > 64) throw badRequest('reason is required (1-64 chars)');
}

async function findEntry(em: EntityManager, userId: string, key: string) {
  const rows: Array<{ id: string; amount: string; balance_after: string }> = await em.query(
    'SELECT id, amount, balance_after FROM ledger_entries WHERE user_id = $1 AND idempotency_key = $2',
    [userId, key],
  );
  return rows[0];
}

async function move(em: EntityManager, m: Movement, sign: 1 | -1): Promise<MovementResult> {
  check(m);
  const signed = sign * m.amount;
  const prior = await findEntry(em, m.userId, m.idempotencyKey);
  if (prior) {
    if (Number(prior.amount) !== signed) {
      throw new AppError(ErrorCode.IDEMPOTENCY_MISMATCH, 'idempotencyKey was already used for a different amount');
    }
    return {
      entryId: prior.id,
      userId: m.userId,
      amount: signed,
      balance: Number(prior.balance_after),
      replayed: true,
    };
  }
  const [rows] = (await em.query(
    sign < 0
      ? 'UPDATE users SET coins = coins - $1, updated_at = now() WHERE id = $2 AND coins >= $1 RETURNING coins'
      : 'UPDATE users SET coins = coins + $1, updated_at = now() WHERE id = $2 RETURNING coins',
    [m.amount, m.userId],
  )) as [Array<{ coins: string }>, number];
  if (rows.length === 0) {
    const exists = await em.query('SELECT 1 FROM users WHERE id = $1', [m.userId]);
    if (exists.length === 0) throw notFound('User');
    throw new AppError(ErrorCode.INSUFFICIENT_COINS, `Insufficient coins: ${m.amount} needed`);
  }
  const balance = Number(rows[0]!.coins);
  // A concurrent twin with the same key makes this INSERT fail (unique index); the
  // transaction rolls back and the retry above finds the twin's row and replays it.
  const inserted: Array<{ id: string }> = await em.query(
    `INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, idempotency_key)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [m.userId, signed, balance, m.reason, m.reference ?? null, m.idempotencyKey],
  );
  return { entryId: inserted[0]!.id, userId: m.userId, amount: signed, balance, replayed: false };
}

export class WalletStore {
  constructor(private readonly ds: DataSource) {}

  private run<T>(em: EntityManager | undefined, fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return em ? fn(em) : inTransaction(this.ds, fn);
  }

  credit(m: Movement, em?: EntityManager): Promise<MovementResult> {
    return this.run(em, (tx) => move(tx, m, 1));
  }

  debit(m: Movement, em?: EntityManager): Promise<MovementResult> {
    return this.run(em, (tx) => move(tx, m, -1));
  }

  /** Debit `from` and credit `to` the same amount, both or neither. */
  transfer(
    t: { from: string; to: string; amount: number; reason: string; reference?: string | null; idempotencyKey: string },
    em?: EntityManager,
  ): Promise<TransferResult> {
    if (t.from === t.to) throw badRequest('Cannot transfer coins to the same user');
    return this.run(em, async (tx) => {
      // Lock both users in a fixed order so two opposite transfers cannot deadlock.
      await tx.query('SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [[t.from, t.to]]);
      const base = { amount: t.amount, reason: t.reason, reference: t.reference, idempotencyKey: t.idempotencyKey };
      const debit = await move(tx, { ...base, userId: t.from }, -1);
      const credit = await move(tx, { ...base, userId: t.to }, 1);
      return { debit, credit, replayed: debit.replayed && credit.replayed };
    });
  }

  /**
   * Many movements inside the caller's transaction, in few statements (group commit for
   * hot paths like gift storms): debits are summed per user into one UPDATE for all users
   * who can pay their whole share (a user who cannot is retried debit by debit, in order,
   * so each may fail alone with INSUFFICIENT_COINS); credits are summed into one UPDATE per
   * user after the debits; every ledger row goes in one INSERT. Callers drop replays first: a reused key
   * fails the INSERT, which aborts the transaction (and inTransaction retries it).
   */
  async applyBatch(em: EntityManager, ops: BatchMovement[]): Promise<BatchOutcome[]> {
    for (const m of ops) check(m);
    const out: BatchOutcome[] = new Array(ops.length);
    const rows: Array<{ m: BatchMovement; balance: number; i: number }> = [];
    // Debits, grouped by user: one UPDATE for every user whose whole share fits their balance;
    // a user who cannot pay for all of theirs falls back to one conditional UPDATE per debit, in order.
    const debitsByUser = new Map<string, Array<{ m: BatchMovement; i: number }>>();
    for (const [i, m] of ops.entries()) {
      if (m.sign > 0) continue;
      if (!debitsByUser.has(m.userId)) debitsByUser.set(m.userId, []);
      debitsByUser.get(m.userId)!.push({ m, i });
    }
    if (debitsByUser.size) {
      const ids = [...debitsByUser.keys()].sort();
      const totals = ids.map((id) => debitsByUser.get(id)!.reduce((a, x) => a + x.m.amount, 0));
      const [paid] = (await em.query(
        `UPDATE users u SET coins = u.coins - d.total, updated_at = now()
         FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::bigint[]) AS total) d
         WHERE u.id = d.id AND u.coins >= d.total RETURNING u.id, u.coins`,
        [ids, totals],
      )) as [Array<{ id: string; coins: string }>, number];
      const after = new Map(paid.map((r) => [r.id, Number(r.coins)]));
      for (const [userId, list] of debitsByUser) {
        const final = after.get(userId);
        if (final !== undefined) {
          // Balances after each debit, in order, ending at the final balance.
          let running = final + list.reduce((a, x) => a + x.m.amount, 0);
          for (const x of list) {
            running -= x.m.amount;
            rows.push({ m: x.m, balance: running, i: x.i });
          }
          continue;
        }
        for (const x of list) {
          const [found] = (await em.query(
            'UPDATE users SET coins = coins - $1, updated_at = now() WHERE id = $2 AND coins >= $1 RETURNING coins',
            [x.m.amount, userId],
          )) as [Array<{ coins: string }>, number];
          if (found.length === 0) {
            out[x.i] = {
              ok: false,
              error: new AppError(ErrorCode.INSUFFICIENT_COINS, `Insufficient coins: ${x.m.amount} needed`),
            };
          } else rows.push({ m: x.m, balance: Number(found[0]!.coins), i: x.i });
        }
      }
    }
    const credits = new Map<string, Array<{ m: BatchMovement; i: number }>>();
    for (const [i, m] of ops.entries()) {
      if (m.sign < 0) continue;
      if (!credits.has(m.userId)) credits.set(m.userId, []);
      credits.get(m.userId)!.push({ m, i });
    }
    if (credits.size) {
      // Every credited user in one UPDATE (ordered by id, so concurrent batches lock rows in the same order).
      const ids = [...credits.keys()].sort();
      const sums = ids.map((id) => credits.get(id)!.reduce((a, x) => a + x.m.amount, 0));
      const [credited] = (await em.query(
        `UPDATE users u SET coins = u.coins + d.total, updated_at = now()
         FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::bigint[]) AS total) d
         WHERE u.id = d.id RETURNING u.id, u.coins`,
        [ids, sums],
      )) as [Array<{ id: string; coins: string }>, number];
      const after = new Map(credited.map((r) => [r.id, Number(r.coins)]));
      for (const [k, userId] of ids.entries()) {
        const list = credits.get(userId)!;
        const final = after.get(userId);
        if (final === undefined) {
          for (const x of list) out[x.i] = { ok: false, error: notFound('User') };
          continue;
        }
        let running = final - sums[k]!;
        for (const x of list) {
          running += x.m.amount;
          rows.push({ m: x.m, balance: running, i: x.i });
        }
      }
    }
    if (rows.length) {
      const params: unknown[] = [];
      const values = rows.map(({ m, balance }) => {
        params.push(m.userId, m.sign * m.amount, balance, m.reason, m.reference ?? null, m.idempotencyKey);
        const n = params.length;
        return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
      });
      const inserted: Array<{ id: string }> = await em.query(
        `INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, idempotency_key) VALUES ${values.join(', ')} RETURNING id`,
        params,
      );
      rows.forEach((r, k) => {
        out[r.i] = { ok: true, balance: r.balance, entry: Number(inserted[k]!.id) };
      });
    }
    return out;
  }

  async balance(userId: string, em?: EntityManager): Promise<number> {
    const rows = await (em ?? this.ds.manager).query('SELECT coins FROM users WHERE id = $1', [userId]);
    if (rows.length === 0) throw notFound('User');
    return Number(rows[0].coins);
  }

  async recent(userId: string, limit = 20): Promise<LedgerRow[]> {
    const rows: any[] = await this.ds.query(
      `SELECT id, amount, balance_after, reason, reference, idempotency_key, created_at
       FROM ledger_entries WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      amount: Number(r.amount),
      balanceAfter: Number(r.balance_after),
      reason: r.reason,
      reference: r.reference,
      idempotencyKey: r.idempotency_key,
      createdAt: r.created_at,
    }));
  }
}
