import { schema, t } from '@colyseus/schema';
import { HostFilters } from './ActiveFilter';
import { SfuFeed } from './SfuFeed';
import { RtcPeer } from './RtcPeer';

/** A host's place on screen, normalised to 0..1 (z: overlays above the main picture). */
export const MhTile = schema(
  {
    x: t.number().default(0),
    y: t.number().default(0),
    w: t.number().default(0),
    h: t.number().default(0),
    z: t.number().default(0),
  },
  'MhTile',
);

export const MhHost = schema(
  {
    userId: t.string().default(''),
    username: t.string().default(''),
    /** primary | co-host | guest */
    role: t.string().default('guest'),
    audio: t.boolean().default(true),
    video: t.boolean().default(true),
    connected: t.boolean().default(false),
    joinedAt: t.number().default(0),
    tile: t.ref(MhTile),
  },
  'MhHost',
);
export type MhHost = InstanceType<typeof MhHost>;

export const MultiHostState = schema(
  {
    sessionId: t.string().default(''),
    title: t.string().default(''),
    type: t.string().default(''),
    /** scheduled | live | ended */
    status: t.string().default('scheduled'),
    layout: t.string().default('grid'),
    focusUserId: t.string().default(''),
    /** mesh (≤ 4 hosts) | sfu */
    topology: t.string().default('mesh'),
    maxHosts: t.number().default(9),
    /** Hosts on stage, by user id. Viewers are not here. */
    hosts: t.map(MhHost),
    viewerCount: t.number().default(0),
    peakViewers: t.number().default(0),
    pendingRequests: t.number().default(0),
    peers: t.map(RtcPeer),
    filters: t.map(HostFilters),
    /** Feeds live on the SFU, by publisher user id (what viewers subscribe to). */
    feeds: t.map(SfuFeed),
  },
  'MultiHostState',
);
export type MultiHostState = InstanceType<typeof MultiHostState>;
