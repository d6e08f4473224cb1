import { schema, t } from '@colyseus/schema';

/** A peer in a room's WebRTC signaling, as every client sees it. */
export const RtcPeer = schema(
  {
    userId: t.string().default(''),
    username: t.string().default(''),
    audio: t.boolean().default(true),
    video: t.boolean().default(true),
    /** false while the peer's client is in its reconnection grace (dropped, may come back). */
    connected: t.boolean().default(true),
    /** excellent | good | fair | poor, empty until the first stats report. */
    quality: t.string().default(''),
    /** The resolution the server suggests for that tier (1080p, 720p, 480p, low). */
    resolution: t.string().default(''),
  },
  'RtcPeer',
);
export type RtcPeer = InstanceType<typeof RtcPeer>;
