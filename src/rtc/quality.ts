/**
 * Network quality tiers (the spec's table) and a hysteresis tracker so a link that
 * wobbles around a boundary does not flap. Pure: no clocks, no I/O.
 *
 * | tier      | bitrate     | RTT        | loss  | resolution |
 * | excellent | > 2 Mbps    | < 50 ms    | < 1%  | 1080p      |
 * | good      | 1-2 Mbps    | 50-100 ms  | 1-3%  | 720p       |
 * | fair      | 0.5-1 Mbps  | 100-200 ms | 3-5%  | 480p       |
 * | poor      | < 500 kbps  | > 200 ms   | > 5%  | low (360p) |
 * The worst dimension decides.
 */
import type { Stats } from './protocol';

export const TIERS = ['poor', 'fair', 'good', 'excellent'] as const;
export type Tier = (typeof TIERS)[number];

export const RESOLUTION: Record<Tier, { label: string; height: number; maxBitrateKbps: number }> = {
  excellent: { label: '1080p', height: 1080, maxBitrateKbps: 4500 },
  good: { label: '720p', height: 720, maxBitrateKbps: 2500 },
  fair: { label: '480p', height: 480, maxBitrateKbps: 1000 },
  poor: { label: 'low', height: 360, maxBitrateKbps: 500 },
};

const rank = (t: Tier) => TIERS.indexOf(t);

function byBitrate(kbps: number): Tier {
  if (kbps > 2000) return 'excellent';
  if (kbps >= 1000) return 'good';
  if (kbps >= 500) return 'fair';
  return 'poor';
}
function byRtt(ms: number): Tier {
  if (ms < 50) return 'excellent';
  if (ms <= 100) return 'good';
  if (ms <= 200) return 'fair';
  return 'poor';
}
function byLoss(pct: number): Tier {
  if (pct < 1) return 'excellent';
  if (pct <= 3) return 'good';
  if (pct <= 5) return 'fair';
  return 'poor';
}

/** The tier these stats alone say (no history). */
export function classify(s: Pick<Stats, 'bitrateKbps' | 'rttMs' | 'packetLossPct'>): Tier {
  return [byBitrate(s.bitrateKbps), byRtt(s.rttMs), byLoss(s.packetLossPct)].reduce((worst, t) =>
    rank(t) < rank(worst) ? t : worst,
  );
}

export interface Hysteresis {
  /** Consecutive samples below the current tier before stepping down. */
  down: number;
  /** Consecutive samples above the current tier before stepping up. */
  up: number;
}
export const DEFAULT_HYSTERESIS: Hysteresis = { down: 2, up: 3 };

export interface TrackerState {
  tier: Tier | null;
  /** Consecutive samples below (negative) or above (positive) the current tier. */
  streak: number;
  /** Where the streak would move the tier: the best of the low samples, the worst of the high ones. */
  candidate: Tier | null;
}

export const initialTracker = (): TrackerState => ({ tier: null, streak: 0, candidate: null });

/**
 * Feeds one sample. The first sample sets the tier; after that a change needs
 * `down` (or `up`) consecutive samples on the same side of the current tier, and moves
 * only as far as all of them agree.
 */
export function track(
  prev: TrackerState,
  stats: Stats,
  h: Hysteresis = DEFAULT_HYSTERESIS,
): TrackerState & { changed: boolean; raw: Tier } {
  const raw = classify(stats);
  const cur = prev.tier;
  if (cur === null) return { tier: raw, streak: 0, candidate: null, changed: true, raw };
  const dir = Math.sign(rank(raw) - rank(cur));
  if (dir === 0) return { tier: cur, streak: 0, candidate: null, changed: false, raw };
  const continuing = Math.sign(prev.streak) === dir && prev.candidate !== null;
  const streak = continuing ? prev.streak + dir : dir;
  // Going down: the least bad of the run. Going up: the least good of the run.
  const candidate = !continuing
    ? raw
    : dir < 0
      ? rank(raw) > rank(prev.candidate!)
        ? raw
        : prev.candidate!
      : rank(raw) < rank(prev.candidate!)
        ? raw
        : prev.candidate!;
  if (Math.abs(streak) >= (dir < 0 ? h.down : h.up)) {
    return { tier: candidate, streak: 0, candidate: null, changed: candidate !== cur, raw };
  }
  return { tier: cur, streak, candidate, changed: false, raw };
}

export interface HealthReport {
  tier: Tier;
  resolution: string;
  healthy: boolean;
  warnings: string[];
}

/** A one-shot health classification (POST /api/webrtc/connection/monitor). */
export function assessHealth(s: Stats): HealthReport {
  const tier = classify(s);
  const warnings: string[] = [];
  if (s.packetLossPct > 5) warnings.push(`packet loss ${s.packetLossPct}% (> 5%)`);
  if (s.rttMs > 200) warnings.push(`round trip ${s.rttMs} ms (> 200 ms)`);
  if (s.bitrateKbps < 500) warnings.push(`bitrate ${s.bitrateKbps} kbps (< 500 kbps)`);
  if (s.frameRate !== undefined && s.frameRate < 15) warnings.push(`frame rate ${s.frameRate} fps (< 15)`);
  return { tier, resolution: RESOLUTION[tier].label, healthy: warnings.length === 0, warnings };
}

export interface QualityDecision {
  /** The tier the server grants. */
  tier: Tier;
  requested: Tier;
  /** What the peer's own stats say (null before any). */
  measured: Tier | null;
  /** 'granted': as asked; 'capped-by-network': lower, because the measured link cannot carry more. */
  reason: 'granted' | 'capped-by-network';
}

/** A `webrtc:adapt-quality` request: granted up to what the peer's measured link carries. */
export function decideQuality(requested: Tier, measured: Tier | null): QualityDecision {
  if (measured !== null && rank(measured) < rank(requested)) {
    return { tier: measured, requested, measured, reason: 'capped-by-network' };
  }
  return { tier: requested, requested, measured, reason: 'granted' };
}
