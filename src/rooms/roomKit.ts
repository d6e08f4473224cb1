/**
 * What every room shares: the message kit (src/messaging/messageKit.ts, re-exported here: JWT
 * auth at join, schema-validated message tables), the per-client message budget (a token
 * bucket), the client cap, unknown-message handling and the /monitor listing.
 */
import { performance } from 'node:perf_hooks';
import { type Client, CloseCode, type Delayed, type Room } from '@colyseus/core';
import { ctx } from '../context';
import { ErrorCode } from '../errors';
import { ROOM_ERROR, type RoomErrorPayload, userOf } from '../messaging/messageKit';

export {
  type AuthedClient,
  authenticate,
  handle,
  type MessageSpec,
  messageTable,
  on,
  ROOM_ERROR,
  type RoomErrorPayload,
  type RoomMessages,
  sendError,
  userOf,
} from '../messaging/messageKit';

/**
 * WebSocket close codes the server uses on top of Colyseus' own (4000-4010). Close reasons
 * are fixed strings: a close reason may not exceed 123 bytes, and `ws` throws (killing the
 * process) when it does, so client-controlled text never goes into one.
 */
export const RoomCloseCode = {
  /** The client sent a message type this room does not handle. */
  UNKNOWN_MESSAGE: 4400,
  /** The client spent its message budget (ROOM_MESSAGE_RATE / ROOM_MESSAGE_BURST). */
  FLOOD: 4429,
} as const;
export const UNKNOWN_MESSAGE_REASON = 'unknown message type';
export const FLOOD_REASON = 'too many messages';

/** A token bucket: `tokens` left at time `at` (ms). */
export interface Bucket {
  tokens: number;
  at: number;
}
export interface MessageBudget {
  /** Tokens refilled per second (the sustained message rate). */
  rate: number;
  /** Bucket size: how many messages may arrive at once. */
  burst: number;
}

/** Refills `b` up to `now` and takes one token; false when the bucket is empty. Pure except for `b`. */
export function takeToken(b: Bucket, now: number, { rate, burst }: MessageBudget): boolean {
  b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * rate) / 1000);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

interface RoomInternals {
  _onMessage(client: Client, buffer: Uint8Array): unknown;
  _onLeave(client: Client, code: number): Promise<unknown>;
}
interface SocketRef {
  removeAllListeners(event: string): void;
  removeListener(event: string, fn: unknown): void;
  onleave?: unknown;
}

/**
 * Every frame a client sends takes a token from its own bucket (refilled at `rate` per second,
 * holding at most `burst`), before Colyseus decodes it. An empty bucket closes that client at
 * once: `error { code: RATE_LIMITED }`, then WebSocket close 4429 `too many messages`, a log line,
 * and the room's onLeave (no reconnection grace). Replaces Colyseus' `maxMessagesPerSecond`, which
 * stopped reading the client silently and closed it with 4002 only after the reconnection grace.
 */
export function limitMessages(room: Room, budget: MessageBudget): void {
  const internals = room as unknown as RoomInternals;
  const decode = internals._onMessage;
  const buckets = new WeakMap<Client, Bucket>();
  internals._onMessage = function (this: Room, client: Client, buffer: Uint8Array) {
    const now = performance.now();
    let bucket = buckets.get(client);
    if (!bucket) {
      bucket = { tokens: budget.burst, at: now };
      buckets.set(client, bucket);
    }
    if (!takeToken(bucket, now, budget)) {
      cutOff(room, client, budget);
      return;
    }
    return decode.call(this, client, buffer);
  };
}

function cutOff(room: Room, client: Client, budget: MessageBudget): void {
  const ref = client.ref as unknown as SocketRef;
  ref.removeAllListeners('message');
  ref.removeListener('close', ref.onleave);
  let userId: string | undefined;
  try {
    userId = userOf(client)?.id;
  } catch {}
  ctx().logger.warn(
    { roomId: room.roomId, roomName: room.roomName, sessionId: client.sessionId, userId, ...budget },
    'room message budget exceeded: client closed with 4429',
  );
  const payload: RoomErrorPayload = { type: '*', code: ErrorCode.RATE_LIMITED, message: 'Too many messages' };
  client.send(ROOM_ERROR, payload);
  client.leave(RoomCloseCode.FLOOD, FLOOD_REASON);
  // A consented leave: the room's onLeave runs now, with no reconnection grace for a flooder.
  (room as unknown as RoomInternals)._onLeave(client, CloseCode.CONSENTED).catch((err: unknown) => {
    ctx().logger.error({ err, roomId: room.roomId }, 'onLeave after flood close failed');
  });
}

/**
 * Catch-all for message types no handler is registered for. Colyseus' own fallback closes
 * the client with a reason that embeds the type, which crashes the process for a type of
 * ~110+ characters. Here the sender gets `error { code: UNKNOWN_MESSAGE }` and is closed
 * with 4400 and a fixed reason; the room carries on.
 */
function refuseUnknownMessages(room: Room): void {
  room.onMessage('*', (client: Client, type: string | number) => {
    const payload: RoomErrorPayload = {
      type: String(type).slice(0, 64),
      code: ErrorCode.UNKNOWN_MESSAGE,
      message: 'Unknown message type',
    };
    client.send(ROOM_ERROR, payload);
    client.leave(RoomCloseCode.UNKNOWN_MESSAGE, UNKNOWN_MESSAGE_REASON);
  });
}

/**
 * The room list of /monitor shows `title`, `host` and `viewerCount` from the listing metadata (see
 * MONITOR_COLUMNS in http/app.ts). This merges `patch` into the metadata (setMetadata replaces it).
 */
export function setListing(room: Room, patch: Record<string, unknown>): Promise<void> {
  return room.setMetadata({ ...(room.metadata ?? {}), ...patch }).catch((err: unknown) => {
    ctx().logger.warn({ err, roomId: room.roomId }, 'room listing update failed');
  });
}

const viewerReports = new WeakMap<Room, { viewers: number; timer?: Delayed }>();
/** The viewer count in the listing (`viewerCount`), written at most once a second (a join storm is one write). */
export function reportViewers(room: Room, viewers: number): void {
  const report = viewerReports.get(room) ?? { viewers };
  viewerReports.set(room, report);
  report.viewers = viewers;
  if (report.timer) return;
  report.timer = room.clock.setTimeout(() => {
    report.timer = undefined;
    if (room.metadata?.viewerCount !== report.viewers) void setListing(room, { viewerCount: report.viewers });
  }, 1000);
}

/** Message budget, client cap and unknown-message handling every room starts with (`budget` overrides the config). */
export function applyRoomDefaults(room: Room, budget: Partial<MessageBudget> = {}): void {
  const { ROOM_MESSAGE_RATE, ROOM_MESSAGE_BURST } = ctx().config;
  limitMessages(room, { rate: ROOM_MESSAGE_RATE, burst: ROOM_MESSAGE_BURST, ...budget });
  room.maxClients = ctx().config.ROOM_MAX_CLIENTS;
  refuseUnknownMessages(room);
}
