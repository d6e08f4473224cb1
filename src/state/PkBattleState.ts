import { schema, t } from '@colyseus/schema';
import { HostFilters } from './ActiveFilter';
import { SfuFeed } from './SfuFeed';
import { RtcPeer } from './RtcPeer';

export const PkGifter = schema(
  {
    userId: t.string().default(''),
    name: t.string().default(''),
    coins: t.number().default(0),
  },
  'PkGifter',
);
export type PkGifter = InstanceType<typeof PkGifter>;

export const PkHost = schema(
  {
    id: t.string().default(''),
    name: t.string().default(''),
    score: t.number().default(0),
    connected: t.boolean().default(false),
    /** The three viewers who gave this side the most coins. */
    topGifters: t.array(PkGifter),
  },
  'PkHost',
);
export type PkHost = InstanceType<typeof PkHost>;

/** What every client of a battle sees. Times are epoch milliseconds from the server's clock. */
export const PkBattleState = schema(
  {
    battleId: t.string().default(''),
    /** pending | countdown | live | ended | cancelled | declined | expired | interrupted */
    status: t.string().default('pending'),
    /** invite | countdown | battle | result | closed */
    phase: t.string().default('invite'),
    durationMinutes: t.number().default(0),
    inviteExpiresAt: t.number().default(0),
    startsAt: t.number().default(0),
    endsAt: t.number().default(0),
    hostA: t.ref(PkHost),
    hostB: t.ref(PkHost),
    viewerCount: t.number().default(0),
    /** Empty until the end; stays empty on a draw. */
    winnerId: t.string().default(''),
    filters: t.map(HostFilters),
    /** Feeds live on the SFU, by publisher user id (what viewers subscribe to). */
    feeds: t.map(SfuFeed),
    /** The hosts' WebRTC peers with their quality tier. */
    peers: t.map(RtcPeer),
  },
  'PkBattleState',
);
export type PkBattleState = InstanceType<typeof PkBattleState>;
