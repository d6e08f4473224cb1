/** PK battle room messages and events, declared once. */
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
