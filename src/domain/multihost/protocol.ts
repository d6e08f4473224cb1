/** Multi-host events, messages, bodies and payloads, declared once (docs/protocol.md, "Multi-host sessions"). */
import { z } from 'zod';
import {
  LAYOUTS,
  type Layout,
  MAX_HOSTS_LIMIT,
  ROLES,
  type Role,
  SESSION_TYPES,
  type Tile,
  type Topology,
} from './rules';

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
  /** The requester's join request was denied by a host. */
  denied: 'multihost:denied',
  /** The invitee declined: told to whoever invited. */
  declined: 'multihost:declined',
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
  .transform((l): Layout => (l in LAYOUT_ALIASES ? LAYOUT_ALIASES[l as keyof typeof LAYOUT_ALIASES] : (l as Layout)));

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

/** `webrtc:start-multihost` takes no fields (extra ones are ignored, as the seed sends some). */
export const StartMediaBody = z.object({}).passthrough();

// --- payloads ------------------------------------------------------------------------------

export type InvitationKind = 'invite' | 'request';
export type LeaveReason = 'left' | 'removed';
export type EndReason = 'ended-by-host' | 'primary-left' | 'never-started';

export type UserRef = {
  id: string;
  username: string;
};

export type JoinedPayload = {
  sessionId: string;
  userId: string;
  username: string;
  role: Role;
  topology: Topology;
};
export type LeftPayload = {
  sessionId: string;
  userId: string;
  reason: LeaveReason;
};
export type SettingsPayload = {
  sessionId: string;
  userId: string;
  audio: boolean;
  video: boolean;
  role: Role;
  by: string;
};
export type LayoutPayload = {
  sessionId: string;
  layout: Layout;
  focusUserId: string | null;
  tiles: Record<string, Tile>;
};
export type InvitedPayload = {
  sessionId: string;
  roomId: string;
  title: string;
  from: UserRef;
  expiresAt: number;
};
export type JoinRequestPayload = {
  sessionId: string;
  roomId: string;
  user: UserRef;
  expiresAt: number;
};
export type InvitationExpiredPayload = {
  sessionId: string;
  roomId: string | null;
  kind: InvitationKind;
  reason: 'expired' | 'interrupted';
};
export type DeclinedPayload = {
  sessionId: string;
  roomId: string;
  user: UserRef;
};

/** What the room broadcasts to everyone in it. */
export type RoomEvent =
  | { name: typeof MhEvents.joined; payload: JoinedPayload }
  | { name: typeof MhEvents.left; payload: LeftPayload }
  | { name: typeof MhEvents.settings; payload: SettingsPayload }
  | { name: typeof MhEvents.layoutChanged | typeof MhMessages.layoutChanged; payload: LayoutPayload }
  | { name: typeof MhEvents.started; payload: { sessionId: string } }
  | { name: typeof MhEvents.ended; payload: { sessionId: string; reason: EndReason } };

/** What one user is told in the inbox (`inRoom`: also sent to that user's clients in the room). */
export type Notice =
  | { name: typeof MhEvents.invited; payload: InvitedPayload }
  | { name: typeof MhEvents.joinRequest; payload: JoinRequestPayload }
  | { name: typeof MhEvents.approved | typeof MhEvents.denied; payload: { sessionId: string; roomId: string } }
  | { name: typeof MhEvents.declined; payload: DeclinedPayload }
  | { name: typeof MhEvents.invitationExpired; payload: InvitationExpiredPayload };
