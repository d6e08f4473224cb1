/**
 * Where a filter is charged: the one rule for what an unlock costs and who is paid. Pure (no I/O):
 * the store (src/stores/filterStore.ts `unlock`) reads the filter, asks `planUnlock`, and commits
 * the plan in one transaction (unlock row, debit, the creator's share); `replayUnlock` decides what
 * a retry with an idempotency key already used answers.
 */
import { ErrorCode } from '../../errors';
import { accept, type Result, refuse } from '../result';

/** The filter as the unlock rule needs it. */
export interface UnlockableFilter {
  id: string;
  /** Coins; 0 = free. */
  price: number;
  /** null for platform filters. */
  creatorId: string | null;
  published: boolean;
}

export type UnlockPlan =
  /** Free, or the caller's own filter: nothing is charged and no unlock row is written. */
  | { kind: 'free' }
  /** Debit `price` from the buyer (once: the unlock row's key is user + filter); credit `creatorCredit` to the creator. */
  | { kind: 'charge'; price: number; creatorId: string | null; creatorCredit: number };

/** What an unlock answers (the first answer is also what a retry with the same idempotency key gets). */
export interface UnlockResult {
  filterId: string;
  unlocked: true;
  charged: number;
  balance: number;
  alreadyOwned: boolean;
}

/** Ledger idempotency keys of an unlock: one debit per buyer and filter, one sale credit per buyer. */
export function unlockLedgerKeys(filterId: string, buyerId: string): { debit: string; credit: string } {
  return { debit: `filter-unlock:${filterId}`, credit: `filter-sale:${filterId}:${buyerId}` };
}

/**
 * What unlocking `filter` costs `userId`. A filter the caller may not see (missing, or another
 * creator's unpublished one) is NOT_FOUND. `creatorShare` (0..1) of the price goes to a custom
 * filter's creator, rounded down; the rest is the platform's.
 */
export function planUnlock(
  filter: UnlockableFilter | undefined,
  userId: string,
  creatorShare: number,
): Result<UnlockPlan> {
  if (!filter || (!filter.published && filter.creatorId !== userId)) {
    return refuse(ErrorCode.NOT_FOUND, 'Filter not found');
  }
  if (filter.price === 0 || filter.creatorId === userId) return accept({ kind: 'free' });
  const creatorCredit = filter.creatorId ? Math.floor(filter.price * creatorShare) : 0;
  return accept({ kind: 'charge', price: filter.price, creatorId: filter.creatorId, creatorCredit });
}

/**
 * A retry with an idempotency key this user already used: the first result when it was for the
 * same filter; IDEMPOTENCY_MISMATCH when the key was used to unlock another filter.
 */
export function replayUnlock(
  prior: { filterId: string; result: UnlockResult },
  filterId: string,
): Result<UnlockResult> {
  if (prior.filterId !== filterId) {
    return refuse(ErrorCode.IDEMPOTENCY_MISMATCH, 'idempotencyKey was already used to unlock another filter');
  }
  return accept(prior.result);
}
