/** PK battle room messages, events, bodies and payloads, declared once (the pk channel's one protocol file). */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { optionalKey } from '../../validation';
import { DURATION_MAX_MINUTES, DURATION_MIN_MINUTES, MAX_GIFT_COUNT } from './rules';

export const PkEvents = {
  created: 'pk-battle:created',
  invited: 'pk-battle:invited',
  accepted: 'pk-battle:accepted',
  started: 'pk-battle:started',
  gift: 'pk-battle:gift',
  giftAccepted: 'pk-battle:gift-accepted',
  ended: 'pk-battle:ended',
  closed: 'pk-battle:closed',
} as const;

export const PkMessages = {
  gift: 'gift',
  startMedia: 'webrtc:start-pk-battle',
  mediaReady: 'webrtc:pk-battle-ready',
} as const;

export const CreateBattleBody = z.object({
  opponent: z.string().uuid(),
  duration: z.number().int().min(DURATION_MIN_MINUTES).max(DURATION_MAX_MINUTES),
});

export const GiftBody = z
  .object({
    giftId: z.string().min(1).max(40),
    /** User id of the host the gift scores for. */
    to: z.string().uuid(),
    count: z.number().int().min(1).max(MAX_GIFT_COUNT).default(1),
    /**
     * Optional idempotency key (or `idempotencyKey`; HTTP also takes the `Idempotency-Key` header): the same
     * key from the same sender in the same battle counts once. Without one the server makes a fresh key.
     */
    requestId: optionalKey,
    idempotencyKey: optionalKey,
  })
  .transform(({ idempotencyKey, ...g }) => ({ ...g, requestId: g.requestId ?? idempotencyKey ?? randomUUID() }));
export type GiftBody = z.infer<typeof GiftBody>;

/** One gift in a `pk-battle:gift` batch: compact (clients know the catalog from GET /api/gifts). */
export interface GiftEventItem {
  giftId: string;
  count: number;
  from: { id: string; username: string };
  to: string;
  coins: number;
  requestId: string;
}

/**
 * `pk-battle:gift`: the spec's shape for the newest gift (`gift` with name and animation,
 * `from`, `to`, `scores`), plus every gift since the previous event in `gifts`.
 */
export interface GiftEvent {
  battleId: string;
  gift: { id: string; name: string; coins: number; animationKey: string; count: number };
  from: { id: string; username: string };
  to: string;
  coins: number;
  requestId: string;
  scores: Record<string, number>;
  gifts: GiftEventItem[];
}

/** The answer to a gift (room `pk-battle:gift-accepted`, HTTP 201/200). */
export interface GiftAck {
  battleId: string;
  requestId: string;
  giftId: string;
  count: number;
  coins: number;
  to: string;
  balance: number;
  replayed: boolean;
}

/** A host as events and summaries show it. */
export interface HostView {
  id: string;
  name: string;
  score: number;
  connected: boolean;
  topGifters: Array<{ userId: string; name: string; coins: number }>;
}

/** `pk-battle:accepted` in the room. */
export interface AcceptedEvent {
  battleId: string;
  startsAt: number;
  endsAt: number;
}

/** `pk-battle:accepted` in the hosts' inboxes. */
export interface AcceptedNotice {
  battleId: string;
  roomId: string;
  startsAt: number;
}

/** `pk-battle:started` (the inbox copy also carries `roomId`). */
export interface StartedEvent {
  battleId: string;
  startedAt: number;
  endsAt: number;
  hosts: HostView[];
  roomId?: string;
}

/** `pk-battle:closed`: the battle ended without being played (or failed). */
export interface ClosedEvent {
  battleId: string;
  status: 'declined' | 'cancelled' | 'expired' | 'interrupted';
}

export interface RewardView {
  userId: string;
  result: string;
  coins: number;
  xp: number;
  level: number;
}

/** `pk-battle:ended`. */
export interface EndedEvent {
  battleId: string;
  winner: string | null;
  scores: Record<string, number>;
  rewards: RewardView[];
  mvp: { userId: string; username: string; coins: number } | null;
  reason: string;
}

/** What a room event or inbox notice carries, by event name. */
export type PkAnnouncement =
  | { event: typeof PkEvents.accepted; payload: AcceptedEvent | AcceptedNotice }
  | { event: typeof PkEvents.started; payload: StartedEvent }
  | { event: typeof PkEvents.closed; payload: ClosedEvent }
  | { event: typeof PkEvents.ended; payload: EndedEvent };

/** A battle as the room holds it (`live` in GET /api/pk-battles/:id, accept/decline/cancel answers). */
export interface BattleSummary {
  battleId: string;
  roomId: string;
  status: string;
  phase: string;
  durationMinutes: number;
  inviteExpiresAt: number | null;
  startsAt: number | null;
  endsAt: number | null;
  hosts: HostView[];
  scores: Record<string, number>;
  viewerCount: number;
  winner: string | null;
}
