/**
 * The SFU seen by rooms: a small interface, so a room never knows it is Janus.
 * Keys are ours: `room` is the Colyseus roomId, a publisher is a user id, a subscriber is
 * a client's sessionId. The implementation maps them to SFU ids and secrets no client sees.
 */

export type SfuStatus = 'disabled' | 'ok' | 'down';

/** One m-line of a subscription: which publisher's which kind arrives on `mid`. */
export interface SfuStream {
  mid: string;
  /** Publisher key (user id); '' for a line no longer carrying a feed. */
  feed: string;
  kind: 'audio' | 'video' | 'data';
  active: boolean;
}

export interface SfuCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export type SfuEndpoint = { publisher: string } | { subscriber: string };

/** What the SFU tells the room that owns an SFU room. */
export interface SfuRoomEvents {
  /** The publisher's PeerConnection is up: viewers may subscribe to it now. */
  publisherUp(publisher: string): void;
  /** The publisher's media is gone (hang-up, ICE failure, its handle closed). */
  publisherDown(publisher: string): void;
  /** The SFU re-offered a subscription on its own (a watched feed left). */
  subscriptionUpdated(subscriber: string, offer: string, streams: SfuStream[]): void;
  /** A candidate from the SFU for a client's PeerConnection. */
  candidate(endpoint: SfuEndpoint, candidate: SfuCandidate | null): void;
  /**
   * The SFU lost this room (restart, dropped connection) and it has been created again,
   * empty: publishers must publish again and viewers subscribe again.
   */
  reset(): void;
}

export interface SfuLayers {
  /** Simulcast substream: 0 lowest … 2 highest. */
  substream?: 0 | 1 | 2;
  /** VP8 temporal layer: 0 … 2. */
  temporal?: 0 | 1 | 2;
}

export interface SfuServerStats {
  url: string;
  up: boolean;
  rooms: number;
  publishers: number;
  subscribers: number;
}

export interface SfuStats {
  status: SfuStatus;
  servers: SfuServerStats[];
}

export interface Sfu {
  status(): SfuStatus;
  /** Creates the SFU room for `room` (idempotent) on the least-loaded server; it stays there. */
  ensureRoom(room: string, events: SfuRoomEvents, opts?: { maxPublishers?: number }): Promise<void>;
  destroyRoom(room: string): Promise<void>;
  /** A client's offer → the SFU's answer. Publishing again replaces the previous feed. */
  publish(room: string, publisher: string, offer: string, opts?: { display?: string }): Promise<{ answer: string }>;
  unpublish(room: string, publisher: string): Promise<void>;
  /** Subscribes (or changes the subscription) to these publishers → the SFU's offer. */
  subscribe(room: string, subscriber: string, publishers: string[]): Promise<{ offer: string; streams: SfuStream[] }>;
  /** The client's answer to the last subscription offer. */
  startSubscription(room: string, subscriber: string, answer: string): Promise<void>;
  unsubscribe(room: string, subscriber: string): Promise<void>;
  trickle(room: string, endpoint: SfuEndpoint, candidate: SfuCandidate | null): Promise<void>;
  /** Subscriber: which simulcast layers to receive. Publisher: a bitrate cap. */
  configure(room: string, endpoint: SfuEndpoint, opts: SfuLayers & { bitrateKbps?: number }): Promise<void>;
  stats(): SfuStats;
  close(): Promise<void>;
}
