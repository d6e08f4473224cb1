/**
 * The one group committer for hot write paths (gifts, shopping orders). Items submitted within
 * `windowMs` are committed together, one batch at a time in arrival order, at most `maxBatch`
 * per batch. One failure policy, for every user:
 *
 * 1. `validate(item)` runs at submit: a bad item is refused there and never enters a batch.
 * 2. The batch is committed with `commitBatch` (one transaction). A serialization failure or a
 *    deadlock (40001, 40P01) retries the whole batch, up to `attempts` times.
 * 3. If the batch still fails (one item broke a constraint, a key was too long, ...), every item
 *    is committed on its own with `commitOne` (same retry rule), so only the bad item is refused
 *    and the rest commit: per-item isolation.
 * 4. A per-item result that is an Error rejects that item only. An error that is not an AppError
 *    is logged and the caller gets `unavailable()`: nothing of that item was committed.
 */
import { ctx } from '../context';
import { AppError, ErrorCode } from '../errors';

export interface GroupCommitOptions<I, R> {
  /** For logs. */
  name: string;
  windowMs: number;
  /**
   * Optional pacing: under sustained load a batch starts at most every `paceMs` (measured from the
   * previous batch's start), so callers that announce per batch (PK gift events) announce at a bounded
   * rate and each transaction carries more items. An idle committer still starts after `windowMs`.
   */
  paceMs?: number;
  maxBatch: number;
  /** Commits every item in one transaction; a result per item (an Error refuses just that item). */
  commitBatch(items: I[]): Promise<Array<R | Error>>;
  /** Commits one item alone (the isolation path). */
  commitOne(item: I): Promise<R>;
  /** Throws (an AppError) for an item that must not enter a batch. */
  validate?(item: I): void;
  /** The error a caller gets when its item failed for a reason that is not an AppError. */
  unavailable?(): AppError;
  /** Tries per commit (batch or item) on a serialization failure or deadlock. Default 3. */
  attempts?: number;
}

const RETRYABLE = new Set(['40001', '40P01']);
const STATS_KEPT = 4096;

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(xs: number[]): Percentiles {
  if (xs.length === 0) return { p50: 0, p99: 0, max: 0 };
  xs.sort((a, b) => a - b);
  const at = (p: number) => Math.round(10 * xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!) / 10;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

interface Queued<I, R> {
  /** performance.now() at submit. */
  at: number;
  item: I;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter<I, R> {
  private queue: Queued<I, R>[] = [];
  private loop?: Promise<void>;
  /** When the last batch began (performance.now()), for `paceMs`. */
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Batches that fell back to per-item commits (for tests and metrics). */
  isolatedBatches = 0;
  /** The last STATS_KEPT batches: size, each item's wait before its batch began, the commit's duration (ms). */
  private readonly recent = {
    size: new Float64Array(STATS_KEPT),
    waitMs: new Float64Array(STATS_KEPT),
    commitMs: new Float64Array(STATS_KEPT),
  };
  private batches = 0;

  constructor(private readonly o: GroupCommitOptions<I, R>) {}

  /** Resolves once the item is committed; rejects with its own error only. */
  submit(item: I): Promise<R> {
    try {
      this.o.validate?.(item);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ at: performance.now(), item, resolve, reject });
      this.start();
    });
  }

  private start(): void {
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      // An item submitted between the loop's last check and here still gets a batch.
      if (this.queue.length) this.start();
    });
  }

  private async run(): Promise<void> {
    // The batching window; with pacing, also no sooner than `paceMs` after the previous batch began.
    const first = Math.max(this.o.windowMs, this.lastStart + (this.o.paceMs ?? 0) - performance.now());
    await new Promise((r) => setTimeout(r, first));
    while (this.queue.length) {
      this.lastStart = performance.now();
      const batch = this.queue.splice(0, this.o.maxBatch);
      await this.commit(batch);
      this.record(batch, performance.now() - this.lastStart);
      if (this.queue.length) await this.sleep(this.lastStart + (this.o.paceMs ?? 0) - performance.now());
    }
  }

  private record(batch: Queued<I, R>[], commitMs: number): void {
    const k = this.batches++ % STATS_KEPT;
    this.recent.size[k] = batch.length;
    this.recent.commitMs[k] = commitMs;
    this.recent.waitMs[k] = batch.reduce((worst, b) => Math.max(worst, this.lastStart - b.at), 0);
  }

  /** Figures over the last batches (load tests read them through the operator API). */
  stats(): { batches: number; items: number; avgBatch: number; commitMs: Percentiles; worstWaitMs: Percentiles } {
    const n = Math.min(this.batches, STATS_KEPT);
    const pick = (a: Float64Array) => percentiles(Array.from(a.subarray(0, n)));
    const items = Array.from(this.recent.size.subarray(0, n)).reduce((x, y) => x + y, 0);
    return {
      batches: this.batches,
      items,
      avgBatch: n ? Math.round((10 * items) / n) / 10 : 0,
      commitMs: pick(this.recent.commitMs),
      worstWaitMs: pick(this.recent.waitMs),
    };
  }

  private sleep(ms: number): Promise<void> | undefined {
    return ms >= 1 ? new Promise((r) => setTimeout(r, ms)) : undefined;
  }

  private async commit(batch: Queued<I, R>[]): Promise<void> {
    let results: Array<R | Error> | undefined;
    try {
      results = await this.retrying(() => this.o.commitBatch(batch.map((b) => b.item)));
    } catch (err) {
      // Even a batch of one goes through commitOne: it maps a broken limit to the item's own error.
      this.isolatedBatches++;
      if (batch.length > 1) {
        ctx().logger.warn({ err, committer: this.o.name, items: batch.length }, 'group commit failed; isolating items');
      }
    }
    if (results) {
      for (const [k, r] of results.entries()) {
        if (r instanceof Error) this.settle(batch[k]!, r);
        else batch[k]!.resolve(r);
      }
      return;
    }
    for (const b of batch) {
      try {
        b.resolve(await this.retrying(() => this.o.commitOne(b.item)));
      } catch (err) {
        this.settle(b, err);
      }
    }
  }

  private settle(b: Queued<I, R>, err: unknown): void {
    if (err instanceof AppError) {
      b.reject(err);
      return;
    }
    ctx().logger.error({ err, committer: this.o.name }, 'item not committed');
    b.reject(this.o.unavailable?.() ?? new AppError(ErrorCode.UNAVAILABLE, 'Could not be recorded; retry'));
  }

  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    const attempts = this.o.attempts ?? 3;
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i >= attempts || !isRetryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
      }
    }
  }
}
