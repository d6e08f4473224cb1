/**
 * What every room shares: JWT auth at join, schema-validated message handlers that
 * answer bad input with an error to that one client (the room carries on), and the
 * per-client flood limit.
 */
import { type Client, type Room, ServerError } from '@colyseus/core';
import type { z } from 'zod';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import { AppError, ErrorCode, toAppError } from '../errors';
import { formatZodError } from '../validation';

/** Sent to one client when its message or call fails. */
export const ROOM_ERROR = 'error';
export interface RoomErrorPayload {
  /** The message type that failed. */
  type: string;
  code: ErrorCode;
  message: string;
  requestId?: string;
}

export type AuthedClient = Client<{ auth: AuthUser }>;

/** Use as `static override onAuth = authenticate;` — verifies the SDK's `client.auth.token`. */
export async function authenticate(token: string): Promise<AuthUser> {
  try {
    return ctx().tokens.verify(token);
  } catch (err) {
    const e = toAppError(err);
    throw new ServerError(401, e?.message ?? 'Unauthorized');
  }
}

export function userOf(client: Client): AuthUser {
  return client.auth as AuthUser;
}

export function sendError(client: Client, type: string, err: unknown, requestId?: string, event = ROOM_ERROR): void {
  const e = toAppError(err);
  if (!e) ctx().logger.error({ err, type }, 'room handler failed');
  const payload: RoomErrorPayload = {
    type,
    code: e?.code ?? ErrorCode.INTERNAL,
    message: e?.message ?? 'Internal error',
    ...(requestId ? { requestId } : {}),
  };
  client.send(event, payload);
}

/**
 * Declares a message handler with its schema. Invalid payloads and AppErrors thrown
 * by the handler reach only the sender as `error { type, code, message, requestId? }`
 * (or as `opts.errorEvent`, e.g. `webrtc:error`).
 */
export function handle<S extends z.ZodType>(
  room: Room,
  type: string,
  schema: S,
  handler: (client: Client, message: z.infer<S>) => unknown | Promise<unknown>,
  opts: { errorEvent?: string } = {},
): void {
  const event = opts.errorEvent ?? ROOM_ERROR;
  room.onMessage(type, async (client: Client, raw: unknown) => {
    const requestId =
      raw && typeof raw === 'object' && typeof (raw as { requestId?: unknown }).requestId === 'string'
        ? (raw as { requestId: string }).requestId.slice(0, 128)
        : undefined;
    const parsed = schema.safeParse(raw ?? {});
    if (!parsed.success) {
      sendError(client, type, new AppError(ErrorCode.VALIDATION, formatZodError(parsed.error)), requestId, event);
      return;
    }
    try {
      await handler(client, parsed.data);
    } catch (err) {
      sendError(client, type, err, requestId, event);
    }
  });
}

/**
 * WebSocket close codes the server uses on top of Colyseus' own (4000-4010). Close reasons
 * are fixed strings: a close reason may not exceed 123 bytes, and `ws` throws (killing the
 * process) when it does, so client-controlled text never goes into one.
 */
export const RoomCloseCode = {
  /** The client sent a message type this room does not handle. */
  UNKNOWN_MESSAGE: 4400,
} as const;
export const UNKNOWN_MESSAGE_REASON = 'unknown message type';

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

/** Flood limit, client cap, unknown-message handling and patch rate every room starts with. */
export function applyRoomDefaults(room: Room): void {
  room.maxMessagesPerSecond = ctx().config.ROOM_MAX_MESSAGES_PER_SECOND;
  room.maxClients = ctx().config.ROOM_MAX_CLIENTS;
  refuseUnknownMessages(room);
}
