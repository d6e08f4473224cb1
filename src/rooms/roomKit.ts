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

/** Flood limit and patch rate every room starts with. */
export function applyRoomDefaults(room: Room): void {
  room.maxMessagesPerSecond = ctx().config.ROOM_MAX_MESSAGES_PER_SECOND;
}
