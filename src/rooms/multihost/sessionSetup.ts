/** What a `multihost` room is built from: its model's first state, and its media (signaling + SFU). */
import type { Client, Room } from '@colyseus/core';
import type { Config } from '../../config';
import type { Layout } from '../../domain/multihost/rules';
import type { SessionInit } from '../../domain/multihost/session';
import { SfuMedia } from '../../rtc/SfuMedia';
import { SignalingRelay } from '../../rtc/SignalingRelay';
import type { MultiHostState } from '../../state/MultiHostState';
import type { Invitation, SessionRow } from '../../stores/multiHostStore';
import { userOf } from '../roomKit';
import { hostList } from './sessionState';

/** A session nobody starts within an hour is closed. */
export const START_WITHIN_MS = 3_600_000;

/** The model's starting point: the session row, its pending invitations and requests, the configured limits. */
export function sessionInit(
  row: SessionRow,
  pending: readonly Invitation[],
  config: Pick<Config, 'MULTIHOST_INVITE_TIMEOUT_MS' | 'MULTIHOST_RECONNECT_GRACE_MS'>,
): SessionInit {
  return {
    id: row.id,
    title: row.title,
    maxHosts: row.maxHosts,
    layout: row.layout as Layout,
    primary: { id: row.primaryHost, username: row.primaryHostName },
    limits: {
      inviteTtlMs: config.MULTIHOST_INVITE_TIMEOUT_MS,
      reconnectGraceMs: config.MULTIHOST_RECONNECT_GRACE_MS,
      startWithinMs: START_WITHIN_MS,
    },
    pending: pending.map((i) => ({
      kind: i.kind,
      userId: i.userId,
      username: i.username,
      by: i.byUser,
      expiresAt: i.expiresAt,
    })),
  };
}

export interface MediaRules {
  room: Room;
  state: MultiHostState;
  isHost(userId: string): boolean;
  /** Hosts may publish until the session ends. */
  isOpen(): boolean;
  maxHosts: number;
}

/**
 * Signaling among hosts on stage (mesh up to 4 hosts, refused above) and SFU media: every host
 * (1-9) publishes, viewers always watch through the SFU. Handlers registered on the room.
 */
export function sessionMedia(r: MediaRules): { relay: SignalingRelay; media: SfuMedia } {
  const media = new SfuMedia({
    room: r.room,
    canPublish: (id) => r.isHost(id) && r.isOpen(),
    feeds: r.state.feeds,
    maxPublishers: r.maxHosts + 1,
  });
  const relay = new SignalingRelay({
    room: r.room,
    canSignal: (client: Client) => r.isHost(userOf(client).id),
    topology: () => r.state.topology as 'mesh' | 'sfu',
    describe: () => ({ layout: r.state.layout, hosts: hostList(r.state), ...media.describe() }),
    peerState: r.state.peers,
    onTier: (client, tier) => media.tierChanged(client, tier),
  });
  relay.register();
  media.register();
  return { relay, media };
}
