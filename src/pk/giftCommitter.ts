/**
 * Process-wide group commit for gifts: every gift of every battle on this process that
 * arrives within the commit window goes into one transaction (PkStore.recordGifts). One
 * batch at a time, in arrival order, so a sender's gifts keep their order. A hundred
 * battles at 10 gifts/s each cost ~100 transactions a second instead of 1,000.
 */
import { ctx } from '../context';
import { AppError, ErrorCode } from '../errors';
import { type GiftInput, type GiftRecord, pkStore } from '../stores/pkStore';

const WINDOW_MS = 10;
const MAX_BATCH = 1000;

interface Queued {
  input: GiftInput;
  resolve: (r: GiftRecord) => void;
  reject: (e: unknown) => void;
}

class GiftCommitter {
  private queue: Queued[] = [];
  private loop?: Promise<void>;

  /** Resolves once the gift is committed (or is a replay of one that was); rejects with its AppError. */
  submit(input: GiftInput): Promise<GiftRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.loop ??= this.run();
    });
  }

  private async run(): Promise<void> {
    await new Promise((r) => setTimeout(r, WINDOW_MS)); // the batching window
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const results = await pkStore().recordGifts(batch.map((b) => b.input));
        for (const [k, r] of results.entries()) {
          if (r instanceof AppError) batch[k]!.reject(r);
          else batch[k]!.resolve(r);
        }
      } catch (err) {
        ctx().logger.error({ err, gifts: batch.length }, 'gift batch failed');
        const e = new AppError(
          ErrorCode.UNAVAILABLE,
          'Gift could not be recorded, nothing was charged; retry with the same requestId',
        );
        for (const item of batch) item.reject(e);
      }
    }
    this.loop = undefined;
  }
}

let instance: GiftCommitter | undefined;
export function giftCommitter(): GiftCommitter {
  instance ??= new GiftCommitter();
  return instance;
}
