/**
 * The feature registry: each product feature (PK battles, live shopping, multi-host,
 * filters, WebRTC) plugs its rooms, routers and start/stop hooks in here, so the
 * server assembly (src/server.ts) never changes when a feature is added.
 */
import type { Room } from '@colyseus/core';
import type { Router } from 'express';
import type { Config } from './config';
import type { AppContext } from './context';
import { CounterRoom } from './rooms/CounterRoom';
import { coreFeature } from './coreFeature';
import { filtersFeature } from './filters/filtersFeature';
import { multihostFeature } from './multihost/multihostFeature';
import { pkFeature } from './pk/pkFeature';
import { shoppingFeature } from './shopping/shoppingFeature';
import { sfuFeature } from './rtc/sfu';
import { webrtcFeature } from './rtc/webrtcFeature';

export interface Feature {
  name: string;
  /** Room classes by room name. */
  rooms?: Record<string, new () => Room>;
  /** Routers mounted under /api/<path>, after bearer auth and the write rate limit. */
  routes?: (c: AppContext) => Array<{ path: string; router: Router }>;
  /** Paths under /api that need no bearer token (they check their own credentials). */
  publicPaths?: RegExp[];
  /** Paths under /api that take `X-Service-Key` instead of a bearer token (checked with requireService). */
  servicePaths?: RegExp[];
  /** After migrations, before listening: seed catalogs, close rows a dead process left live. */
  start?: (c: AppContext) => Promise<void>;
  /**
   * After the server listens (the matchmaker is up): close rows a dead process left live
   * (check with roomExists() from src/rooms/roomCall.ts: with Redis, other processes' rooms are alive).
   */
  ready?: (c: AppContext) => Promise<void>;
  /** On graceful shutdown, after every room has disposed. */
  stop?: (c: AppContext) => Promise<void>;
}

/** Every room to register: the features' rooms, plus the load-test `counter` room only with LOADTEST_ROOMS. */
export function roomDefinitions(
  list: Feature[],
  config: Pick<Config, 'LOADTEST_ROOMS'>,
): Record<string, new () => Room> {
  const rooms: Record<string, new () => Room> = {};
  for (const f of list) Object.assign(rooms, f.rooms ?? {});
  if (config.LOADTEST_ROOMS) rooms.counter = CounterRoom;
  return rooms;
}

export const features: Feature[] = [
  coreFeature,
  sfuFeature,
  webrtcFeature,
  pkFeature,
  multihostFeature,
  shoppingFeature,
  filtersFeature,
];
