import type { Room } from '@colyseus/sdk';

/**
 * Watches the baseline counter on many clients: for increment k (1-based), `worst[k]` is when the
 * slowest watched client first saw `count >= k` (absolute ms), `seen[k]` how many clients saw it.
 */
export class CountWatch {
  readonly worst: Float64Array;
  readonly seen: Int32Array;
  constructor(readonly maxCount: number) {
    this.worst = new Float64Array(maxCount + 1);
    this.seen = new Int32Array(maxCount + 1);
  }

  attach(room: Room): void {
    let last = (room.state as { count?: number } | undefined)?.count ?? 0;
    room.onStateChange((state: { count: number }) => {
      const count = Math.min(this.maxCount, state.count);
      if (count <= last) return;
      const now = performance.timeOrigin + performance.now();
      for (let k = last + 1; k <= count; k++) {
        if (now > (this.worst[k] ?? 0)) this.worst[k] = now;
        this.seen[k] = (this.seen[k] ?? 0) + 1;
      }
      last = count;
    });
  }
}
