/** Multi-host rules: roles and permissions, capacity, topology, layouts and tiles. Pure (session.ts applies them). */
import { unreachable } from '../result';

export const SESSION_TYPES = ['collaboration', 'interview', 'panel', 'gaming', 'podcast', 'workshop'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];
export const LAYOUTS = ['grid', 'spotlight', 'sidebar', 'pip'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const ROLES = ['primary', 'co-host', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export const MAX_HOSTS_LIMIT = 9;
export const MESH_MAX_HOSTS = 4;
export type Topology = 'mesh' | 'sfu';

/** One host may send at most this many invitations per window (per session). */
export const INVITE_RATE = { max: 30, windowMs: 60_000 } as const;

export type Action = 'invite' | 'approve' | 'kick' | 'layout' | 'mute-others' | 'set-role' | 'start' | 'end';

const ALLOWED: Record<Role, ReadonlySet<Action>> = {
  primary: new Set<Action>(['invite', 'approve', 'kick', 'layout', 'mute-others', 'set-role', 'start', 'end']),
  'co-host': new Set<Action>(['invite', 'approve', 'kick', 'layout', 'mute-others']),
  guest: new Set<Action>(),
};

export function can(role: Role | undefined, action: Action): boolean {
  return !!role && ALLOWED[role].has(action);
}

/** Primary removes anyone but itself; a co-host removes guests only. */
export function canKick(actor: Role | undefined, target: Role): boolean {
  if (!can(actor, 'kick') || target === 'primary') return false;
  return actor === 'primary' || target === 'guest';
}

/** Muting someone else needs `mute-others` and a rank at least theirs; the primary cannot be muted by others. */
export function canChangeOthersMedia(actor: Role | undefined, target: Role): boolean {
  return can(actor, 'mute-others') && target !== 'primary';
}

export function topologyFor(hostCount: number): Topology {
  return hostCount <= MESH_MAX_HOSTS ? 'mesh' : 'sfu';
}

export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Stacking order: overlays (pip) above the main picture. */
  z: number;
}

const r4 = (n: number) => Math.round(n * 10_000) / 10_000;
const tile = (x: number, y: number, w: number, h: number, z = 0): Tile => ({
  x: r4(x),
  y: r4(y),
  w: r4(w),
  h: r4(h),
  z,
});

/** Grid columns by host count: 1 → 1×1, 2 → 2×1, 3-4 → 2×2, 5-9 → 3×3. */
export function gridShape(n: number): { cols: number; rows: number } {
  if (n <= 1) return { cols: 1, rows: 1 };
  if (n === 2) return { cols: 2, rows: 1 };
  if (n <= 4) return { cols: 2, rows: 2 };
  return { cols: 3, rows: 3 };
}

/**
 * Each host's tile in normalised screen coordinates (0..1), so every client draws the
 * same screen. `focusId` is the main host for spotlight, sidebar and pip (default: the first).
 */
export function computeLayout(layout: Layout, hostIds: readonly string[], focusId?: string): Record<string, Tile> {
  const n = hostIds.length;
  if (n === 0) return {};
  const main = focusId && hostIds.includes(focusId) ? focusId : hostIds[0]!;
  const others = hostIds.filter((id) => id !== main);
  const out: Record<string, Tile> = {};
  switch (layout) {
    case 'grid': {
      const { cols, rows } = gridShape(n);
      hostIds.forEach((id, i) => {
        out[id] = tile((i % cols) / cols, Math.floor(i / cols) / rows, 1 / cols, 1 / rows);
      });
      return out;
    }
    case 'spotlight': {
      if (!others.length) return { [main]: tile(0, 0, 1, 1) };
      out[main] = tile(0, 0, 1, 0.75);
      others.forEach((id, i) => {
        out[id] = tile(i / others.length, 0.75, 1 / others.length, 0.25);
      });
      return out;
    }
    case 'sidebar': {
      if (!others.length) return { [main]: tile(0, 0, 1, 1) };
      out[main] = tile(0, 0, 0.75, 1);
      others.forEach((id, i) => {
        out[id] = tile(0.75, i / others.length, 0.25, 1 / others.length);
      });
      return out;
    }
    case 'pip': {
      out[main] = tile(0, 0, 1, 1);
      // Overlays: 0.2 × 0.2 squares in rows of four from the bottom-right corner, with a 0.02 margin.
      others.forEach((id, i) => {
        const col = i % 4;
        const row = Math.floor(i / 4);
        out[id] = tile(1 - 0.02 - 0.2 - col * 0.22, 1 - 0.02 - 0.2 - row * 0.22, 0.2, 0.2, 1);
      });
      return out;
    }
    default:
      return unreachable(layout);
  }
}
