/**
 * The feature registry, the one place features are registered: each product feature (PK battles,
 * live shopping, multi-host, filters, WebRTC) plugs its rooms, routers and start/stop hooks in
 * here, so the server assembly (src/server.ts) never changes when a feature is added.
 * A feature module imports the `Feature` type from src/feature.ts, never this file.
 */
import type { Room } from '@colyseus/core';
import type { Config } from './config';
import { coreFeature } from './coreFeature';
import type { Feature } from './feature';
import { filtersFeature } from './filters/filtersFeature';
import { multihostFeature } from './multihost/multihostFeature';
import { pkFeature } from './pk/pkFeature';
import { CounterRoom } from './rooms/CounterRoom';
import { sfuFeature } from './rtc/sfu';
import { shoppingFeature } from './shopping/shoppingFeature';
import { webrtcFeature } from './webrtcFeature';

export type { Feature } from './feature';

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
