import { schema, t } from '@colyseus/schema';

/**
 * A feed live on the room's SFU, keyed by its publisher's user id: what a viewer
 * subscribes to (`webrtc:subscribe { feeds: [userId] }`). It appears once the SFU
 * receives the publisher's media and disappears when publishing stops.
 */
export const SfuFeed = schema(
  {
    userId: t.string().default(''),
    username: t.string().default(''),
    audio: t.boolean().default(false),
    video: t.boolean().default(false),
    /** The publisher offered simulcast layers (viewers can be switched between them). */
    simulcast: t.boolean().default(false),
    since: t.number().default(0),
  },
  'SfuFeed',
);
export type SfuFeed = InstanceType<typeof SfuFeed>;
