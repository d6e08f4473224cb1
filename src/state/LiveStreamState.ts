import { schema, t } from '@colyseus/schema';
import { HostFilters } from './ActiveFilter';
import { SfuFeed } from './SfuFeed';
import { RtcPeer } from './RtcPeer';

export const StreamHost = schema(
  {
    id: t.string().default(''),
    username: t.string().default(''),
    connected: t.boolean().default(false),
  },
  'StreamHost',
);

/** A solo stream as every viewer sees it. */
export const LiveStreamState = schema(
  {
    streamId: t.string().default(''),
    title: t.string().default(''),
    /** live | ended */
    status: t.string().default('live'),
    host: t.ref(StreamHost),
    viewerCount: t.number().default(0),
    peakViewers: t.number().default(0),
    startedAt: t.number().default(0),
    /** WebRTC peers with their quality tier: the host only (viewers' tiers go to the host as events). */
    peers: t.map(RtcPeer),
    filters: t.map(HostFilters),
    /** Feeds live on the SFU, by publisher user id (what viewers subscribe to). */
    feeds: t.map(SfuFeed),
  },
  'LiveStreamState',
);
export type LiveStreamState = InstanceType<typeof LiveStreamState>;
