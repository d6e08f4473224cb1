/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) of the server: self time by frame and by area
 * (our code, a package, node internals, GC), optionally only for samples inside a phase
 * [fromUs, toUs] on CLOCK_MONOTONIC (the clock V8 stamps samples with, marked by ServerProcess.mark).
 */
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  phase: string;
  /** The phase on CLOCK_MONOTONIC µs (for a closer look at the .cpuprofile). */
  fromUs?: number;
  toUs?: number;
  /** Sampled ms in the phase (busy = not idle). */
  sampledMs: number;
  busyMs: number;
  top: Array<{ frame: string; selfMs: number; pct: number }>;
  byArea: Array<{ area: string; selfMs: number; pct: number }>;
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = /\/(src|loadtest)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${src[2]!.split('/')[0]}`;
  return url;
}

function short(url: string): string {
  const nm = /node_modules\/(.*)$/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/((?:src|loadtest)\/.*)$/.exec(url);
  return src ? src[1]! : url;
}

export function summariseProfile(
  file: string,
  window?: { phase: string; fromUs: number; toUs: number },
  topN = 20,
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // A sample's weight is the time until the next one.
    const w = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + w);
    total += w;
  }
  const frames = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const key = `${functionName || '(anonymous)'}${url ? ` ${short(url)}:${lineNumber + 1}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([k, us]) => ({ k, ms: Math.round(us / 100) / 10, pct: Math.round((1000 * us) / Math.max(1, busy)) / 10 }));
  return {
    file,
    phase: window?.phase ?? 'whole run',
    fromUs: window?.fromUs,
    toUs: window?.toUs,
    sampledMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    top: rank(frames).map(({ k, ms, pct }) => ({ frame: k, selfMs: ms, pct })),
    byArea: rank(areas)
      .slice(0, 12)
      .map(({ k, ms, pct }) => ({ area: k, selfMs: ms, pct })),
  };
}

export function formatProfile(s: ProfileSummary, topN = 15): string {
  const lines = [
    `profile (${s.phase}): ${s.busyMs} ms busy of ${s.sampledMs} ms sampled — ${s.file}`,
    `  by area (self): ${s.byArea.map((a) => `${a.area} ${a.pct}%`).join(', ')}`,
    '  top frames (self):',
    ...s.top
      .slice(0, topN)
      .map((f) => `    ${String(f.pct).padStart(5)}%  ${String(f.selfMs).padStart(8)} ms  ${f.frame}`),
  ];
  return lines.join('\n');
}
