/**
 * WebRTC signaling over room messages: every message type and payload schema, declared
 * once. Payloads are strict: a client cannot smuggle a `from` (the server stamps it).
 */
import { z } from 'zod';

export const SDP_MAX_BYTES = 16 * 1024;
export const CANDIDATE_MAX_BYTES = 1024;

/** Client → room. */
export const RtcMessages = {
  joinRoom: 'webrtc:join-room',
  leaveRoom: 'webrtc:leave-room',
  offer: 'webrtc:offer',
  answer: 'webrtc:answer',
  iceCandidate: 'webrtc:ice-candidate',
  renegotiate: 'webrtc:renegotiate',
  toggleTrack: 'webrtc:toggle-track',
  statsUpdate: 'webrtc:stats-update',
  healthCheck: 'webrtc:health-check',
  // --- SFU (docs/protocol.md, "Media through the SFU") ---
  publish: 'webrtc:publish',
  unpublish: 'webrtc:unpublish',
  subscribe: 'webrtc:subscribe',
  subscriptionAnswer: 'webrtc:subscription-answer',
  unsubscribe: 'webrtc:unsubscribe',
  trickle: 'webrtc:trickle',
  adaptQuality: 'webrtc:adapt-quality',
  iceServers: 'webrtc:ice-servers',
} as const;

/** Room → client. */
export const RtcEvents = {
  existingPeers: 'webrtc:existing-peers',
  peerJoined: 'webrtc:peer-joined',
  peerLeft: 'webrtc:peer-left',
  offer: 'webrtc:offer',
  answer: 'webrtc:answer',
  iceCandidate: 'webrtc:ice-candidate',
  renegotiationNeeded: 'webrtc:renegotiation-needed',
  trackToggled: 'webrtc:track-toggled',
  qualityAdapted: 'webrtc:quality-adapted',
  peerQualityChanged: 'webrtc:peer-quality-changed',
  peerStats: 'webrtc:peer-stats',
  healthStatus: 'webrtc:health-status',
  connectionWarning: 'webrtc:connection-warning',
  error: 'webrtc:error',
  // --- SFU ---
  published: 'webrtc:published',
  unpublished: 'webrtc:unpublished',
  subscriptionOffer: 'webrtc:subscription-offer',
  subscribed: 'webrtc:subscribed',
  trickle: 'webrtc:trickle',
  layerSelected: 'webrtc:layer-selected',
  sfuReset: 'webrtc:sfu-reset',
  iceServers: 'webrtc:ice-servers',
} as const;

const peerId = z.string().uuid();
const sdp = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s) <= SDP_MAX_BYTES, `sdp must be at most ${SDP_MAX_BYTES} bytes`);

/**
 * The seed's body `{ roomId, userId, streamId }` is accepted: the room is the one the client joined
 * (roomId/streamId are informational) and identity comes from the token only: a `userId` that is not
 * the caller is refused (FORBIDDEN), never trusted.
 */
export const JoinRoomBody = z
  .object({
    audio: z.boolean().default(true),
    video: z.boolean().default(true),
    roomId: z.string().max(128).optional(),
    streamId: z.string().max(128).optional(),
    userId: z.string().max(128).optional(),
  })
  .strict();
export const LeaveRoomBody = z.object({}).strict();
export const OfferBody = z.object({ to: peerId, sdp }).strict();
export const AnswerBody = z.object({ to: peerId, sdp }).strict();
export const IceCandidateBody = z
  .object({
    to: peerId,
    candidate: z
      .object({
        candidate: z.string().max(CANDIDATE_MAX_BYTES),
        sdpMid: z.string().max(64).nullable().optional(),
        sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
        usernameFragment: z.string().max(256).nullable().optional(),
      })
      .strict(),
  })
  .strict();
export const RenegotiateBody = z.object({ to: peerId, reason: z.string().max(200).optional() }).strict();
export const ToggleTrackBody = z.object({ kind: z.enum(['audio', 'video']), enabled: z.boolean() }).strict();
export const StatsBody = z
  .object({
    bitrateKbps: z.number().min(0).max(1_000_000),
    rttMs: z.number().min(0).max(60_000),
    packetLossPct: z.number().min(0).max(100),
    frameRate: z.number().min(0).max(240).optional(),
    jitterMs: z.number().min(0).max(60_000).optional(),
  })
  .strict();
export type Stats = z.infer<typeof StatsBody>;
export const HealthCheckBody = z.object({}).strict();
/** A client asks for a quality tier (`quality` is accepted as an alias of `tier`); the server decides. */
export const AdaptQualityBody = z
  .object({
    tier: z.enum(['poor', 'fair', 'good', 'excellent']).optional(),
    quality: z.enum(['poor', 'fair', 'good', 'excellent']).optional(),
  })
  .strict()
  .refine((b) => b.tier !== undefined || b.quality !== undefined, 'tier is required')
  .transform((b) => ({ tier: (b.tier ?? b.quality)! }));

// --- SFU -------------------------------------------------------------------------------

const feedId = z.string().min(1).max(64);
const sfuCandidate = z
  .object({
    candidate: z.string().max(CANDIDATE_MAX_BYTES),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

export const PublishBody = z.object({ offer: sdp }).strict();
export const UnpublishBody = z.object({}).strict();
/** `feeds`: publishers' user ids from state.feeds; omitted = every live feed but your own. */
export const SubscribeBody = z.object({ feeds: z.array(feedId).min(1).max(16).optional() }).strict();
export const SubscriptionAnswerBody = z.object({ answer: sdp }).strict();
export const UnsubscribeBody = z.object({}).strict();
/** A publisher asks for its STUN/TURN servers before it creates the RTCPeerConnection it publishes on. */
export const IceServersBody = z.object({}).strict();
/** `candidate: null` = end of candidates. `target` says which of your two PeerConnections. */
export const TrickleBody = z
  .object({ target: z.enum(['publisher', 'subscriber']), candidate: sfuCandidate.nullable() })
  .strict();
