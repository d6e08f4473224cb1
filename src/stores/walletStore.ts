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
