/**
 * The contract between stream filters and every room where users host a stream
 * (`live_stream`, `multihost`, `pk_battle`, `live_shopping`). The filters API reaches the room
 * through a typed room call, `roomCaller<HostFilterRoom>(...).call(roomId, 'rpcStreamFilter', op)`,
 * which also works when the room lives on another process.
 *
 * A host room:
 *  - has `filters: t.map(HostFilters)` in its state, keyed by host user id;
 *  - implements StreamHostRoom by delegating to the helpers below;
 *  - broadcasts `stream-filter:applied` / `stream-filter:removed` (done by the helpers; the channel's
 *    names and payloads are in src/domain/filters/protocol.ts).
 */
import type { Room } from '@colyseus/core';
import type { MapSchema } from '@colyseus/schema';
import {
  type ActiveFilterData,
  type FilterAppliedPayload,
  type FilterRemovedPayload,
  StreamFilterEvents,
  type StreamFilterOp,
} from '../domain/filters/protocol';
import { forbidden, notFound } from '../errors';
import { ActiveFilter, HostFilters } from '../state/ActiveFilter';
import type { Envelope } from './roomCall';

export { type ActiveFilterData, StreamFilterEvents, type StreamFilterOp } from '../domain/filters/protocol';

export interface StreamHostRoom {
  isHost(userId: string): boolean;
  applyFilter(userId: string, filter: ActiveFilterData): void;
  removeFilter(userId: string, filterId: string): boolean;
}

/** Puts `filter` on `userId`'s stream (replacing that host's filter of the same category). */
export function applyHostFilter(
  room: Room,
  filters: MapSchema<HostFilters>,
  userId: string,
  filter: ActiveFilterData,
): void {
  let host = filters.get(userId);
  if (!host) {
    host = new HostFilters();
    filters.set(userId, host);
  }
  const active = new ActiveFilter();
  active.filterId = filter.filterId;
  active.name = filter.name;
  active.category = filter.category;
  active.params = JSON.stringify(filter.params);
  active.appliedAt = Date.now();
  host.byCategory.set(filter.category, active);
  const payload: FilterAppliedPayload = { roomId: room.roomId, userId, ...filter };
  room.broadcast(StreamFilterEvents.applied, payload);
}

/** Removes filter `filterId` from `userId`'s stream; false when it was not applied. */
export function removeHostFilter(
  room: Room,
  filters: MapSchema<HostFilters>,
  userId: string,
  filterId: string,
): boolean {
  const host = filters.get(userId);
  if (!host) return false;
  for (const [category, f] of host.byCategory) {
    if (f.filterId === filterId) {
      host.byCategory.delete(category);
      const payload: FilterRemovedPayload = { roomId: room.roomId, userId, filterId, category };
      room.broadcast(StreamFilterEvents.removed, payload);
      return true;
    }
  }
  return false;
}

/** What every room hosting a stream exposes to the filters API (typed room calls: src/rooms/roomCall.ts). */
export interface HostFilterRoom {
  rpcStreamFilter(op: StreamFilterOp): Promise<Envelope<{ applied: boolean; removed: boolean }>>;
}

/**
 * What the filters API asks a host room (through a room call → the room's `rpcStreamFilter`,
 * which wraps this in `exposed`): only a host of that room changes its own look.
 */
export function streamFilterOp(room: StreamHostRoom, op: StreamFilterOp): { applied: boolean; removed: boolean } {
  if (!room.isHost(op.userId)) throw forbidden('Only a host of this stream can change its filters');
  if (op.kind === 'apply') {
    room.applyFilter(op.userId, op.filter);
    return { applied: true, removed: false };
  }
  if (!room.removeFilter(op.userId, op.filterId)) throw notFound('Applied filter');
  return { applied: false, removed: true };
}
