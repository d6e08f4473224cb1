/**
 * The message kit every room and every room component shares: JWT auth at join, and
 * schema-validated message handlers that answer bad input with an error to that one client
 * (the room carries on). Neutral ground: src/rooms and src/rtc both import it, and it imports
 * neither, so the media code (SignalingRelay, SfuMedia) never depends on rooms.
 * Rooms import it through src/rooms/roomKit.ts, which re-exports all of it.
 */
import { type Client, type Room, ServerError } from '@colyseus/core';
import type { z } from 'zod';
import type { AuthUser } from '../auth/tokens';
import { ctx } from '../context';
import { isDatabaseUnavailable } from '../db/dataSource';
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
  const down = !toAppError(err) && isDatabaseUnavailable(err);
  const e = down
    ? new AppError(ErrorCode.UNAVAILABLE, 'The database is unavailable; nothing was changed, retry shortly')
    : toAppError(err);
  if (!e) ctx().logger.error({ err, type }, 'room handler failed');
  else if (down) ctx().logger.warn({ err, type }, 'database unavailable');
  const payload: RoomErrorPayload = {
    type,
    code: e?.code ?? ErrorCode.INTERNAL,
    message: e?.message ?? 'Internal error',
    ...(requestId ? { requestId } : {}),
  };
  client.send(event, payload);
}

/** One entry of a room's message table: the payload's schema and the handler of valid payloads. */
export interface MessageSpec<R> {
  schema: z.ZodType;
  handler: (this: R, client: Client, message: never) => unknown;
  /** Event that carries this message's errors (default `error`; e.g. `webrtc:error`). */
  errorEvent?: string;
}

/** An entry of a message table: `on(Schema, function (client, m) { ... })`, `m` typed from the schema. */
export function on<S extends z.ZodType, R = Room>(
  schema: S,
  handler: (this: R, client: Client, message: z.infer<S>) => unknown,
  opts: { errorEvent?: string } = {},
): MessageSpec<R> {
  return { schema, handler: handler as MessageSpec<R>['handler'], errorEvent: opts.errorEvent };
}

/**
 * Validates one message and runs its handler. Invalid payloads and AppErrors thrown by the
 * handler reach only the sender as `error { type, code, message, requestId? }` (or `errorEvent`);
 * the client stays connected (Colyseus' own `validate()` would disconnect it).
 */
async function dispatch<R>(room: R, type: string, spec: MessageSpec<R>, client: Client, raw: unknown): Promise<void> {
  const event = spec.errorEvent ?? ROOM_ERROR;
  const requestId =
    raw && typeof raw === 'object' && typeof (raw as { requestId?: unknown }).requestId === 'string'
      ? (raw as { requestId: string }).requestId.slice(0, 128)
      : undefined;
  const parsed = spec.schema.safeParse(raw ?? {});
  if (!parsed.success) {
    sendError(client, type, new AppError(ErrorCode.VALIDATION, formatZodError(parsed.error)), requestId, event);
    return;
  }
  try {
    await spec.handler.call(room, client, parsed.data as never);
  } catch (err) {
    sendError(client, type, err, requestId, event);
  }
}

/** The type of a room's `messages` property (annotate it: the table refers to the room's own type). */
export type RoomMessages<R> = Record<string, (this: R, client: Client, raw: unknown) => Promise<void>>;

/**
 * A room's message table for Colyseus' declarative `messages` property:
 * `override messages: RoomMessages<MyRoom> = messageTable<MyRoom>({ 'pk:gift': on(GiftBody, function (client, m) { ... }) })`.
 * Colyseus registers each entry at room creation with `this` bound to the room.
 */
export function messageTable<R extends Room>(table: Record<string, MessageSpec<R>>): RoomMessages<R> {
  const out: RoomMessages<R> = {};
  for (const [type, spec] of Object.entries(table)) {
    out[type] = function (this: R, client: Client, raw: unknown) {
      return dispatch(this, type, spec, client, raw);
    };
  }
  return out;
}

/**
 * Registers one handler imperatively, for code that adds messages to a room it does not own
 * (SignalingRelay, SfuMedia). Rooms declare their own messages with `messageTable`.
 */
export function handle<S extends z.ZodType>(
  room: Room,
  type: string,
  schema: S,
  handler: (client: Client, message: z.infer<S>) => unknown | Promise<unknown>,
  opts: { errorEvent?: string } = {},
): void {
  const spec = on(schema, handler, opts);
  room.onMessage(type, (client: Client, raw: unknown) => dispatch(room, type, spec, client, raw));
}
