/**
 * Process-wide group commit for gifts, on the one GroupCommitter (src/stores/groupCommit.ts):
 * every gift of every battle on this process that arrives within the window goes into one
 * transaction (PkStore.recordGifts); a batch that fails is retried gift by gift, so one bad
 * gift is refused alone. A hundred battles at 10 gifts/s each cost ~100 transactions a second.
 */
import { ctx } from '../context';
import { AppError, badRequest, ErrorCode } from '../errors';
import { type GiftInput, type GiftRecord, pkStore } from '../stores/pkStore';
import { GroupCommitter } from '../stores/groupCommit';
import { MAX_GIFT_COUNT } from '../domain/pk/rules';

export const GIFT_COMMIT_WINDOW_MS = 10;
export const GIFT_COMMIT_MAX_BATCH = 1000;
export const MAX_REQUEST_ID_LENGTH = 128;

/** What every gift must satisfy before it may share a transaction with other people's gifts. */
export function validateGift(g: GiftInput): void {
  if (!g.requestId || g.requestId.length > MAX_REQUEST_ID_LENGTH) throw badRequest('requestId: 1-128 characters');
  if (!Number.isInteger(g.count) || g.count < 1 || g.count > MAX_GIFT_COUNT) throw badRequest('count: 1-99');
  if (!Number.isSafeInteger(g.gift.coins * g.count) || g.gift.coins < 1) throw badRequest('gift: invalid price');
  if (!(g.hostShare >= 0 && g.hostShare <= 1)) throw badRequest('hostShare: 0..1');
}

let instance: GroupCommitter<GiftInput, GiftRecord> | undefined;
export function giftCommitter(): GroupCommitter<GiftInput, GiftRecord> {
  instance ??= new GroupCommitter<GiftInput, GiftRecord>({
    name: 'gifts',
    windowMs: GIFT_COMMIT_WINDOW_MS,
    // Each battle announces its committed gifts right after their batch (PkBattleRoom), so the pace is also
    // the score cadence: at most one `pk-battle:gift` frame per viewer per PK_GIFT_COMMIT_PACE_MS.
    paceMs: ctx().config.PK_GIFT_COMMIT_PACE_MS,
    maxBatch: GIFT_COMMIT_MAX_BATCH,
    validate: validateGift,
    commitBatch: (items) => pkStore().recordGifts(items),
    commitOne: async (item) => {
      const [r] = await pkStore().recordGifts([item]);
      if (r instanceof Error) throw r;
      return r!;
    },
    unavailable: () =>
      new AppError(
        ErrorCode.UNAVAILABLE,
        'Gift could not be recorded, nothing was charged; retry with the same requestId',
      ),
  });
  return instance;
}
