/** Latency histogram (exact: keeps samples; a run records at most a few million). */
export class Histogram {
  private samples: number[] = [];
  private sorted = true;

  record(ms: number): void {
    this.samples.push(ms);
    this.sorted = false;
  }

  get count(): number {
    return this.samples.length;
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    if (!this.sorted) {
      this.samples.sort((a, b) => a - b);
      this.sorted = true;
    }
    const i = Math.min(this.samples.length - 1, Math.max(0, Math.ceil((p / 100) * this.samples.length) - 1));
    return this.samples[i]!;
  }

  summary(): LatencySummary {
    const n = this.samples.length;
    const mean = n ? this.samples.reduce((a, b) => a + b, 0) / n : 0;
    return {
      count: n,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.percentile(100)),
      mean: round(mean),
    };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Counts errors by kind (HTTP status, error code, exception name). */
export class ErrorCounter {
  readonly byKind: Record<string, number> = {};
  add(kind: string): void {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
  }
  get total(): number {
    return Object.values(this.byKind).reduce((a, b) => a + b, 0);
  }
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
