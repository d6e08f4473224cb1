/**
 * Base of every room where users host a stream with WebRTC media (`live_stream`,
 * `multihost`, `pk_battle`): the stream-filter methods the filters API calls, and the
 * REST signaling entry points, written once. A subclass says who is a host and sets `relay`.
 */
import { Room } from '@colyseus/core';
import type { MapSchema } from '@colyseus/schema';
import { forbidden } from '../errors';
import type { Stats } from '../rtc/protocol';
import type { SfuMedia } from '../rtc/SfuMedia';
import type { SignalingRelay } from '../rtc/SignalingRelay';
import type { HostFilters } from '../state/ActiveFilter';
import { exposed } from './roomCall';
import {
  type ActiveFilterData,
  applyHostFilter,
  removeHostFilter,
  type StreamFilterOp,
  type StreamHostRoom,
  streamFilterOp,
} from './streamHost';

export abstract class HostRoom<S extends { filters: MapSchema<HostFilters> }>
  extends Room<{ state: S }>
  implements StreamHostRoom
{
  protected relay!: SignalingRelay;
  /** Media through the SFU (webrtc:publish / webrtc:subscribe). */
  protected media!: SfuMedia;

  abstract isHost(userId: string): boolean;

  applyFilter(userId: string, filter: ActiveFilterData): void {
    if (!this.isHost(userId)) throw forbidden('Only a host of this stream can apply filters');
    applyHostFilter(this, this.state.filters, userId, filter);
  }

  removeFilter(userId: string, filterId: string): boolean {
    return removeHostFilter(this, this.state.filters, userId, filterId);
  }

  /** POST /api/stream-filters/:id/apply and /remove land here. */
  rpcStreamFilter(op: StreamFilterOp) {
    return exposed(() => streamFilterOp(this, op));
  }

  /** POST /api/webrtc/offer|answer|ice-candidate land here. */
  rpcSignal(userId: string, kind: 'offer' | 'answer' | 'ice-candidate', body: unknown) {
    return exposed(() => this.relay.signalFromHttp(userId, kind, body));
  }

  /** POST /api/webrtc/connection/monitor with this room's id lands here. */
  rpcStats(userId: string, stats: Stats) {
    return exposed(() => this.relay.statsFromHttp(userId, stats));
  }
}
