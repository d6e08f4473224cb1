/** Multi-host events, messages and bodies, declared once. */
import { z } from 'zod';
import { LAYOUTS, MAX_HOSTS_LIMIT, ROLES, SESSION_TYPES } from './rules';

export const MhEvents = {
  invited: 'multihost:invited',
  joinRequest: 'multihost:join-request',
  joined: 'multihost:joined',
  left: 'multihost:left',
  settings: 'multihost:settings',
  layoutChanged: 'multihost:layout-changed',
  started: 'multihost:started',
  ended: 'multihost:ended',
  approved: 'multihost:approved',
  /** An invitation or join request nobody answered in time (or whose session stopped). */
  invitationExpired: 'multihost:invitation-expired',
} as const;

export const MhMessages = {
  startMedia: 'webrtc:start-multihost',
  mediaReady: 'webrtc:multihost-ready',
  changeLayout: 'webrtc:change-layout',
  layoutChanged: 'webrtc:layout-changed',
} as const;

/** Layout aliases accepted on input; answers always carry the canonical name (`pip`). */
export const LAYOUT_ALIASES = { 'picture-in-picture': 'pip' } as const;
/** A layout name: one of LAYOUTS, or the seed's `picture-in-picture` (answered as `pip`). */
export const layoutName = z
  .enum([...LAYOUTS, ...(Object.keys(LAYOUT_ALIASES) as Array<keyof typeof LAYOUT_ALIASES>)])
  .transform((l): (typeof LAYOUTS)[number] =>
    l in LAYOUT_ALIASES ? LAYOUT_ALIASES[l as keyof typeof LAYOUT_ALIASES] : (l as (typeof LAYOUTS)[number]),
  );

export const CreateSessionBody = z.object({
  title: z.string().trim().min(1).max(120),
  type: z.enum(SESSION_TYPES),
  layout: layoutName.default('grid'),
  maxHosts: z.number().int().min(2).max(MAX_HOSTS_LIMIT).default(MAX_HOSTS_LIMIT),
});

export const UserTarget = z.object({ userId: z.string().uuid() });

export const SettingsBody = z
  .object({
    /** Whose settings (default: the caller). */
    userId: z.string().uuid().optional(),
    audio: z.boolean().optional(),
    video: z.boolean().optional(),
    role: z.enum(ROLES).exclude(['primary']).optional(),
  })
  .refine(
    (b) => b.audio !== undefined || b.video !== undefined || b.role !== undefined,
    'set at least one of audio, video, role',
  );
export type SettingsBody = z.infer<typeof SettingsBody>;

export const LayoutBody = z.object({ layout: layoutName, focusUserId: z.string().uuid().optional() });
export type LayoutBody = z.infer<typeof LayoutBody>;
