/**
 * Who may create rooms. Clients only `join`, `joinById` and `reconnect`; every room is created
 * by the server's own code (an HTTP route, after it wrote the row the room serves) through
 * `createServerRoom()`, which adds a server-only token to the options. A room's `onCreate`
 * calls `requireServerCreated()` first and refuses without it, then claims its row in the
 * database with a conditional write (`room_id IS NULL`), so a second room for the same
 * battle or session is impossible, across processes too.
 *
 * The one exception is the `inbox`: one room holds many users' feeds and reads nothing from
 * its options, so `joinOrCreate('inbox')` stays allowed (options dropped); `create` is not.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IRoomCache, matchMaker, ServerError } from '@colyseus/core';
import { ctx } from '../context';

/** Option key carrying the server's creation token (never sent by a client path). */
const TOKEN_KEY = '__serverCreate';

/** Matchmaking methods a client may call over HTTP (`/matchmake/<method>/<room>`). */
export const CLIENT_METHODS: ReadonlySet<string> = new Set(['join', 'joinById', 'reconnect']);
/**
 * Rooms a client may also create, and with which methods (their onCreate ignores every option
 * that could name a row): the inbox; the load-test `counter` room exists only with LOADTEST_ROOMS.
 */
export const SELF_SERVE_ROOMS: Readonly<Record<string, readonly string[]>> = {
  inbox: ['joinOrCreate'],
  counter: ['joinOrCreate', 'create'],
};

/** Same on every process (all share JWT_SECRET), so a room created on another process checks too. */
function creationToken(): string {
  return createHmac('sha256', ctx().config.jwtSecret).update('room-create:v1').digest('base64url');
}

/** The server creates a room: the only path that reaches a guarded room's onCreate. */
export function createServerRoom(roomName: string, options: Record<string, unknown>): Promise<IRoomCache> {
  return matchMaker.createRoom(roomName, { ...options, [TOKEN_KEY]: creationToken() });
}

/** First line of a guarded room's onCreate: refuses a room the server did not ask for. */
export function requireServerCreated(options: unknown): void {
  const given = (options as Record<string, unknown> | undefined)?.[TOKEN_KEY];
  const want = Buffer.from(creationToken());
  const got = Buffer.from(typeof given === 'string' ? given : '');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new ServerError(403, 'Rooms are created by the server; join an existing room by id');
  }
}

/**
 * Narrows Colyseus' HTTP matchmaking (`POST /matchmake/:method/:room`, which the SDK's
 * join/joinOrCreate/create call) to what clients may do. Called once per process at start.
 */
export function restrictClientMatchmaking(): void {
  const controller = matchMaker.controller as typeof matchMaker.controller & { __restricted?: boolean };
  if (controller.__restricted) return;
  const invoke = controller.invokeMethod.bind(controller);
  controller.invokeMethod = async (method, roomName, clientOptions = {}, authOptions) => {
    if (SELF_SERVE_ROOMS[roomName]?.includes(method)) {
      return invoke(method, roomName, roomName === 'inbox' ? {} : clientOptions, authOptions);
    }
    if (!CLIENT_METHODS.has(method)) {
      throw new ServerError(403, `"${method}" is not allowed: rooms are created by the server; join by id`);
    }
    const { [TOKEN_KEY]: _dropped, ...options } = (clientOptions ?? {}) as Record<string, unknown>;
    return invoke(method, roomName, options, authOptions);
  };
  controller.__restricted = true;
}
